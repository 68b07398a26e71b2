/**
 * `ddb-audit query`: its options, help and examples. What it does is cli/query/query-command.ts,
 * loaded only when it runs (DuckDB and the AWS SDK are not loaded for --help).
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { QueryCommandOptions } from '../../cli/query/query-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export const DEFAULT_DATA_DIR = './audit-data';

export function defineQuery(context: CliContext): Command {
  const command = new Command('query')
    .summary('run a bundled query (athena-queries/NAME.sql) locally with DuckDB, or on Athena')
    .description('Run one bundled query (athena-queries/NAME.sql) on the local data folder with DuckDB, or on Athena. A data folder that holds no change log is refused, never answered with "0 rows".')
    .argument('[name]', 'the query (ddb-audit query --list shows them)');
  addOptions(command, [
    { flags: '-p, --param <key=value>', description: 'a query parameter; repeat for each', repeatable: true, default: 'none (optional parameters mean "all")' },
    { flags: '--data <dir>', description: 'the local data folder the pipeline writes', default: DEFAULT_DATA_DIR },
    { flags: '--format <format>', description: 'output: an aligned table, CSV (RFC 4180) or JSON Lines', choices: ['table', 'csv', 'json'], default: 'table' },
    { flags: '--athena', description: 'run on Athena instead of local data (needs --workgroup)' },
    { flags: '--workgroup <wg>', description: 'the Athena workgroup (with --athena)', default: 'none; required with --athena' },
    { flags: '--database <db>', description: 'the Glue database (with --athena)', default: "the workgroup's" },
    { flags: '--list', description: 'list the bundled queries and their parameters (in --format)' },
  ]);
  withExamples(command, [
    'npx ddb-audit query --list',
    'npx ddb-audit query --list --format json',
    'npx ddb-audit query actor-activity --param actor=alice@example.com --param from=2026-01-01 --param to=2026-01-31',
    'npx ddb-audit query actor-activity --param actor=alice@example.com --param from=2026-01-01 --param to=2026-01-31 --format csv',
    'npx ddb-audit query actor-activity --param actor=alice@example.com --param from=2026-01-01 --param to=2026-01-31 --athena --workgroup ddb-audit',
    'npx ddb-audit query actor-activity --param actor=arn:aws:iam::111122223333:role/orders-service --param from=2026-01-01 --param to=2026-01-31',
    'npx ddb-audit query actor-activity --param actor=arn:aws:sts::111122223333:assumed-role/orders-service/i-0a1b2c3d4e5f60718 --param match_by=principal --param from=2026-01-01 --param to=2026-01-31',
  ]);
  return command.action(
    context.action(async (name: string | undefined, options: QueryCommandOptions) => {
      const { queryCommand } = require('../../cli/query/query-command') as typeof import('../../cli/query/query-command');
      return queryCommand(name, options, context.io);
    }),
  );
}

/** `ddb-audit query ARGS…` in-process (tests). */
export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['query', ...args], io);
}
