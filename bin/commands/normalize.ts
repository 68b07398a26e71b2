/**
 * `ddb-audit normalize`: options, help and examples. What it does is cli/normalize/normalize-command.ts.
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { NormalizeOptions } from '../../cli/normalize/normalize-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export function defineNormalize(context: CliContext): Command {
  const command = new Command('normalize')
    .summary('print the change records (NDJSON) of a Lambda DynamoDB stream event')
    .description("Print the change records of a Lambda DynamoDB stream event, one JSON object per line, exactly as the collector sends them. The per-source options (actor attribute, redaction) of the project's config apply; without a config the command refuses, unless --no-config.")
    .argument('[file]', 'the event JSON file; - or none reads standard input');
  addOptions(command, [
    { flags: '--cdk-json <path>', description: 'the config whose per-source options apply', default: 'DDB_AUDIT_CDK_JSON, then ./cdk.json' },
    { flags: '--no-config', description: 'go on without a config: nothing redacted (warned on stderr)' },
  ]);
  withExamples(command, ['npx ddb-audit normalize test/events/aws-docs-sample.json --no-config', 'cat event.json | npx ddb-audit normalize --cdk-json ./cdk.json']);
  return command.action(
    context.action((file: string | undefined, options: NormalizeOptions) => {
      const { normalizeCommand } = require('../../cli/normalize/normalize-command') as typeof import('../../cli/normalize/normalize-command');
      return normalizeCommand(file, options, context.io);
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['normalize', ...args], io);
}
