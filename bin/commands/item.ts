/**
 * `ddb-audit item restore --account ID --table NAME --key JSON (--event-id ID | --at ISO)
 *                         [--from DATE] [--to DATE] [--data DIR | --athena --workgroup WG [--database DB]]
 *                         [--allow-redacted] [--allow-untyped]`
 *
 * Prints the item as it was after the change --event-id, or at the time --at (the latest change at
 * or before it), as a PutItem request body: `aws dynamodb put-item --cli-input-json file://item.json`
 * writes it back. Reads the log like `ddb-audit query` (DuckDB over --data, or Athena). See
 * docs/queries.md, "Restoring an item".
 *
 * Exit status: 0 printed; 1 the log cannot vouch for the item (not found, deleted at that point,
 * redacted, conflicting copies, a row that fails its record_hash); 2 usage errors.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AthenaQueryError, QueryParamError, runQuery } from '../../cli/query';
import { itemKeyOf, KeyArgumentError, restoreFromRows, RestoreTarget } from '../../cli/item/restore';
import { escapeForTerminal } from '../../cli/terminal-text';
import { CommandIo, UsageError } from './io';
import { DEFAULT_DATA_DIR } from './query';

const USAGE =
  'usage: ddb-audit item restore --account ID --table NAME --key JSON (--event-id ID | --at ISO-8601) [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--data DIR | --athena --workgroup WG [--database DB]] [--allow-redacted] [--allow-untyped]';
// The whole log unless narrowed: an item's history can begin on any day.
const EARLIEST_DAY = '1970-01-01';
const LATEST_DAY = '9999-12-31';
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export async function run(args: string[], io: CommandIo): Promise<number> {
  try {
    const [sub, ...rest] = args;
    if (sub === '--help' || sub === '-h') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (sub !== 'restore') throw new UsageError(sub === undefined ? 'item: missing subcommand (restore)' : `item: unknown subcommand "${sub}" (restore)`);
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        account: { type: 'string' },
        table: { type: 'string' },
        key: { type: 'string' },
        'event-id': { type: 'string' },
        at: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        data: { type: 'string' },
        athena: { type: 'boolean' },
        workgroup: { type: 'string' },
        database: { type: 'string' },
        'allow-redacted': { type: 'boolean' },
        'allow-untyped': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    for (const required of ['account', 'table', 'key'] as const) if (values[required] === undefined) throw new UsageError(`missing --${required}`);
    if ((values['event-id'] === undefined) === (values.at === undefined)) throw new UsageError('give exactly one of --event-id ID and --at ISO-8601');
    let target: RestoreTarget;
    let to = values.to ?? LATEST_DAY;
    if (values.at !== undefined) {
      if (!ISO_INSTANT.test(values.at) || Number.isNaN(Date.parse(values.at))) throw new UsageError(`--at "${values.at}" is not an ISO-8601 instant with a zone, e.g. 2026-03-01T12:00:00Z`);
      target = { at: values.at };
      // No change after the instant matters: stop the scan at its day (UTC).
      to = values.to ?? new Date(Date.parse(values.at)).toISOString().slice(0, 10);
    } else target = { eventId: values['event-id'] as string };
    if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
    if (!values.athena && (values.workgroup || values.database)) throw new UsageError('--workgroup and --database go with --athena');
    if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');

    const params = { from: values.from ?? EARLIEST_DAY, to, account_id: values.account as string, table_name: values.table as string, item_key: itemKeyOf(values.key as string) };
    let result;
    if (values.athena) result = await runQuery({ name: 'item-versions', params, athena: { workgroup: values.workgroup as string, database: values.database } });
    else {
      const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
      // A missing folder is not an empty log.
      if (!existsSync(dataDir)) throw new UsageError(`data folder ${dataDir} does not exist (--data DIR)`);
      result = await runQuery({ name: 'item-versions', params, dataDir });
    }

    const outcome = restoreFromRows(result.rows, { tableName: values.table as string, target, allowRedacted: values['allow-redacted'], allowUntyped: values['allow-untyped'] });
    if (outcome.status !== 'restored') {
      io.stderr(`ddb-audit item restore: ${escapeForTerminal(outcome.message)}\n`);
      return 1;
    }
    for (const warning of outcome.warnings) io.stderr(`ddb-audit item restore: warning: ${escapeForTerminal(warning)}\n`);
    io.stdout(`${JSON.stringify(outcome.body, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof KeyArgumentError || err instanceof QueryParamError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`ddb-audit item restore: ${escapeForTerminal((err as Error).message)} (ddb-audit item restore --help)\n`);
      return 2;
    }
    if (err instanceof AthenaQueryError) {
      io.stderr(`ddb-audit item restore: ${escapeForTerminal(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}
