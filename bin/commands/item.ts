/**
 * `ddb-audit item restore`: options, help and examples. What it does is cli/item/item-command.ts
 * (docs/queries.md, "Restoring an item").
 */
import { Command } from 'commander';
import { addOptions, examplesOf, withExamples } from '../../cli/program/definition';
import type { RestoreOptions } from '../../cli/item/item-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';
import { DEFAULT_DATA_DIR } from './query';

export function defineItem(context: CliContext): Command {
  const group = new Command('item').summary('one item as the log knows it').description('One item as the change log knows it.');
  const restore = new Command('restore')
    .summary('the item as it was, as a PutItem request body, from the log')
    .description('Print the item as it was after the change --event-id, or at the time --at (the latest change at or before it), as a PutItem request body: `aws dynamodb put-item --cli-input-json file://item.json` writes it back. Exit 0 printed; 1 the log cannot vouch for the item (not found, deleted then, redacted, conflicting copies, a row failing its record_hash); 2 usage.');
  addOptions(restore, [
    { flags: '--account <id>', description: 'the source account id', required: true },
    { flags: '--table <name>', description: 'the source table name', required: true },
    { flags: '--key <json>', description: 'the item key as JSON, e.g. {"pk":"order#1"}', required: true },
    { flags: '--event-id <id>', description: 'the item as it was after this change (or --at)', default: 'none; one of --event-id or --at is required' },
    { flags: '--at <iso-8601>', description: 'the item as it was at this instant, with a zone (or --event-id)', default: 'none; one of --event-id or --at is required' },
    { flags: '--from <yyyy-MM-dd>', description: 'first day of the log to read', default: '1970-01-01' },
    { flags: '--to <yyyy-MM-dd>', description: 'last day of the log to read', default: "--at's day, else 9999-12-31" },
    { flags: '--data <dir>', description: 'the local data folder', default: DEFAULT_DATA_DIR },
    { flags: '--athena', description: 'read the log on Athena (needs --workgroup)' },
    { flags: '--workgroup <wg>', description: 'the Athena workgroup (with --athena)', default: 'none; required with --athena' },
    { flags: '--database <db>', description: 'the Glue database (with --athena)', default: "the workgroup's" },
    { flags: '--allow-redacted', description: 'print an item whose redacted attributes are missing (warned)' },
    { flags: '--allow-untyped', description: 'print an item from rows without DynamoDB types (warned)' },
  ]);
  withExamples(restore, [
    'npx ddb-audit item restore --account 111122223333 --table Orders --key \'{"pk":"order#1"}\' --at 2026-03-01T12:00:00Z > item.json',
    'npx ddb-audit item restore --account 111122223333 --table Orders --key \'{"pk":"order#1"}\' --event-id 2b1c7a0e5b2f4d1e9c3a --athena --workgroup ddb-audit',
  ]);
  restore.action(
    context.action((options: RestoreOptions) => {
      const { restoreCommand } = require('../../cli/item/item-command') as typeof import('../../cli/item/item-command');
      return restoreCommand(options, context.io);
    }),
  );
  withExamples(group, [examplesOf(restore)[0] as string]);
  return group.addCommand(restore);
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['item', ...args], io);
}
