/**
 * `ddb-audit backfill`: options, help and examples. What it does is cli/backfill/backfill-command.ts
 * (docs/completeness.md, "Backfill").
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { BackfillOptions } from '../../cli/backfill/backfill-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import { DELIVERY_OPTIONS } from './replay';
import type { CommandIo } from './io';

export function defineBackfill(context: CliContext): Command {
  const command = new Command('backfill')
    .summary("a baseline of a table's items from a DynamoDB full export, as snapshot rows")
    .description("A baseline of the items a table held at a DynamoDB full export's time, as snapshot rows (op r, event_name SNAPSHOT), through the collector's normalizer and Firehose sink. The export is verified before anything is sent; a re-run resumes from its checkpoint. With --gap-id, once every item is delivered, the gap's filled row (op g) follows. Exit 0 when every item (and the filled gap row) was delivered (or printed); 1 when some were not (run it again: it resumes); 2 for bad arguments or a refused export (nothing of it sent).");
  addOptions(command, [
    { flags: '--export <folder-or-s3-uri>', description: "the export's folder (holding manifest-summary.json) or its parent, local or s3://BUCKET/PREFIX", required: true },
    { flags: '--key-attributes <pk[,sk]>', description: "the table's partition key and sort key names (an export line does not say which they are)", required: true },
    { flags: '--gap-id <id>', description: "the gap this baseline fills: recorded in snapshot_source.gap_id, and once every item is delivered the gap's filled row (op g) is sent; the gap is read from the log (--data or --athena)", default: 'none' },
    { flags: '--data <dir>', description: "with --gap-id: the change log's local folder, where the gap's rows are read (as for coverage --data)", default: 'none' },
    { flags: '--athena', description: 'with --gap-id: read the gap\'s rows from the log in Athena (needs --workgroup)' },
    { flags: '--workgroup <wg>', description: 'the Athena workgroup (with --athena)', default: 'none' },
    { flags: '--database <db>', description: 'the Glue database (with --athena)', default: 'ddb_audit' },
    { flags: '--dry-run', description: 'verify the export and print the records (NDJSON on stdout, the filled gap row last), send nothing' },
    { flags: '--checkpoint <file>', description: 'where delivered lines are recorded, and a re-run resumes from', default: './.ddb-audit-backfill-<ExportId>.json' },
    ...DELIVERY_OPTIONS,
    { flags: '--cdk-json <path>', description: "per-source options (redaction) from this config; the export's table must be one of its sources", default: 'SOURCE_OPTIONS, then ./cdk.json' },
    { flags: '--no-config', description: 'backfill without per-source options (no redaction), with a warning' },
    { flags: '--json', description: 'the report as one JSON object (on stderr with --dry-run)' },
  ]);
  withExamples(command, [
    'npx ddb-audit backfill --export s3://my-exports/AWSDynamoDB/01700000000000-abcdefgh/ --key-attributes pk,sk --dry-run --cdk-json ./cdk.json',
    'npx ddb-audit backfill --export ./export --key-attributes orderId --stack-outputs ./outputs.json --cdk-json ./cdk.json',
    'npx ddb-audit backfill --export ./export --key-attributes orderId --gap-id 0f3c9a5e7b1d2c4f6a8e0b2d4f6a8c0e --athena --workgroup ddb-audit --from-stack --cdk-json ./cdk.json',
  ]);
  return command.action(
    context.action((options: BackfillOptions) => {
      const { backfillCommand } = require('../../cli/backfill/backfill-command') as typeof import('../../cli/backfill/backfill-command');
      return backfillCommand(options, context.io);
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['backfill', ...args], io);
}
