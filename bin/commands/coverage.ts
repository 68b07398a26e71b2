/**
 * `ddb-audit coverage`: options, help and examples. What it does is cli/coverage/coverage-command.ts
 * (docs/coverage.md).
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { CoverageOptions } from '../../cli/coverage/coverage-command';
import { MAX_SOURCES_LISTED } from '../../cli/coverage/report-html';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';
import { DEFAULT_DATA_DIR } from './query';

export function defineCoverage(context: CliContext): Command {
  const command = new Command('coverage')
    .summary('per source: what the log holds of a period, its gaps, the stream status, unreplayed failures')
    .description("One row per source for the period: what the log holds of it (the bundled query source-coverage), the watch's current stream status and failure batches not yet replayed. The onboarded list comes from cdk.json, so a source with no row at all is shown, not left out. A missing data folder, watch state or failures folder is an error, never an empty report.");
  addOptions(command, [
    { flags: '--from <yyyy-MM-dd>', description: 'first day (UTC, inclusive)', required: true },
    { flags: '--to <yyyy-MM-dd>', description: 'last day (UTC, inclusive)', required: true },
    { flags: '--data <dir>', description: 'the local data folder', default: DEFAULT_DATA_DIR },
    { flags: '--athena', description: 'query the log on Athena (needs --workgroup)' },
    { flags: '--workgroup <wg>', description: 'the Athena workgroup (with --athena)', default: 'none; required with --athena' },
    { flags: '--database <db>', description: 'the Glue database (with --athena)', default: "the workgroup's" },
    { flags: '--cdk-json <path>', description: 'the config whose sources are listed', default: 'DDB_AUDIT_CDK_JSON, then ./cdk.json' },
    { flags: '--no-config', description: 'report only what the log holds (no onboarded list)' },
    { flags: '--watch-state <file-or-s3-uri>', description: "the watch's state object", default: 'DATA/watch/state.json when present' },
    { flags: '--failures <dir>', description: "a local copy of the failure bucket's objects (e.g. from aws s3 sync)", default: 'none: unreplayed batches not shown' },
    { flags: '--format <format>', description: 'a table, or one JSON object per source', choices: ['table', 'json'], default: 'table' },
    { flags: '--html <file>', description: `also write the report as a self-contained HTML page: the verdict, then the sources, problems first (at most ${MAX_SOURCES_LISTED} listed; --format json has all); written atomically`, default: 'none: no page' },
  ]);
  withExamples(command, ['npx ddb-audit coverage --from 2026-03-01 --to 2026-03-31', 'npx ddb-audit coverage --from 2026-03-01 --to 2026-03-31 --failures ./failures --format json', 'npx ddb-audit coverage --from 2026-03-01 --to 2026-03-31 --failures ./failures --html coverage-2026-03.html']);
  return command.action(
    context.action((options: CoverageOptions) => {
      const { coverageCommand } = require('../../cli/coverage/coverage-command') as typeof import('../../cli/coverage/coverage-command');
      return coverageCommand(options, context.io);
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['coverage', ...args], io);
}
