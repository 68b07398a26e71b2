/**
 * `ddb-audit replay`: options, help and examples. What it does is cli/replay/replay-command.ts
 * (docs/operations.md describes when to replay).
 */
import { Command } from 'commander';
import { addOptions, withExamples, type OptionSpec } from '../../cli/program/definition';
import type { ReplayOptions } from '../../cli/replay/replay-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

/**
 * Where re-delivered records go: the options of every command that delivers through the collector's
 * sink as replay does (replay, backfill; cli/replay/replay-command.ts deliveryFor reads them).
 */
export const DELIVERY_OPTIONS: readonly OptionSpec[] = [
    { flags: '--delivery-stream <name>', description: 'the Firehose stream', default: 'the stack outputs, else DELIVERY_STREAM_NAME' },
    { flags: '--packing <packing>', description: 'how records are packed into Firehose records: ndjson or single', default: 'the stack outputs, else PACKING' },
    { flags: '--overflow-bucket <bucket>', description: 'where oversized records go', default: 'the stack outputs, else OVERFLOW_BUCKET' },
    { flags: '--overflow-prefix <prefix>', description: 'the key prefix of oversized records', default: 'the stack outputs, else OVERFLOW_PREFIX' },
    { flags: '--stack-outputs <file>', description: "the audit stack's outputs (cdk deploy --outputs-file, or describe-stacks JSON)", default: 'none' },
    { flags: '--from-stack', description: 'read the outputs from CloudFormation (DescribeStacks of DdbAuditCollector)' },
    { flags: '--region <region>', description: 'the region of the clients', default: "AWS_REGION, then the profile's" },
];

export function defineReplay(context: CliContext): Command {
  const command = new Command('replay')
    .summary('re-deliver batches the event source mapping discarded (its S3 on-failure records)')
    .description("Re-deliver the changes of batches the event source mapping discarded, from its S3 on-failure records, through the collector's own normalizer and Firehose sink. Harmless to re-run: replayed records keep their event_id and record_hash. Exit 0 when every record was re-delivered, 1 when some were not.");
  addOptions(command, [
    { flags: '--from <file-or-s3-uri>', description: 'a failure file, a folder of them, or s3://BUCKET/PREFIX', required: true },
    { flags: '--dry-run', description: 'print the change records that would be sent (NDJSON on stdout), send nothing' },
    ...DELIVERY_OPTIONS,
    { flags: '--cdk-json <path>', description: 'per-source options (actor attribute, redaction) from this config', default: 'SOURCE_OPTIONS, then ./cdk.json' },
    { flags: '--no-config', description: 'replay without per-source options (no redaction), with a warning' },
    { flags: '--json', description: 'the report as one JSON object (on stderr with --dry-run)' },
  ]);
  withExamples(command, [
    'npx ddb-audit replay --from s3://my-failure-bucket/failures/ --dry-run --cdk-json ./cdk.json',
    'npx ddb-audit replay --from ./failures --stack-outputs ./outputs.json --cdk-json ./cdk.json',
  ]);
  return command.action(
    context.action((options: ReplayOptions) => {
      const { replayCommand } = require('../../cli/replay/replay-command') as typeof import('../../cli/replay/replay-command');
      return replayCommand(options, context.io);
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['replay', ...args], io);
}
