/**
 * What `ddb-audit item restore` does (bin/commands/item.ts defines its options):
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
import { resolve } from 'node:path';
import { AthenaQueryError, QueryParamError, runQuery } from '../query';
import { itemKeyOf, KeyArgumentError, restoreFromRows, RestoreTarget } from './restore';
import { escapeForTerminal } from '../terminal-text';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { assertHoldsChangeLog } from '../query/change-log-folder';

export const DEFAULT_DATA_DIR = './audit-data';

// The whole log unless narrowed: an item's history can begin on any day.
const EARLIEST_DAY = '1970-01-01';
const LATEST_DAY = '9999-12-31';
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface RestoreOptions {
  readonly account?: string;
  readonly table?: string;
  readonly key?: string;
  readonly eventId?: string;
  readonly at?: string;
  readonly from?: string;
  readonly to?: string;
  readonly data?: string;
  readonly athena?: boolean;
  readonly workgroup?: string;
  readonly database?: string;
  readonly allowRedacted?: boolean;
  readonly allowUntyped?: boolean;
}

export async function restoreCommand(values: RestoreOptions, io: CommandIo): Promise<number> {
  try {
    for (const required of ['account', 'table', 'key'] as const) if (values[required] === undefined) throw new UsageError(`missing --${required}`);
    if ((values.eventId === undefined) === (values.at === undefined)) throw new UsageError('give exactly one of --event-id ID and --at ISO-8601');
    let target: RestoreTarget;
    let to = values.to ?? LATEST_DAY;
    if (values.at !== undefined) {
      if (!ISO_INSTANT.test(values.at) || Number.isNaN(Date.parse(values.at))) throw new UsageError(`--at "${values.at}" is not an ISO-8601 instant with a zone, e.g. 2026-03-01T12:00:00Z`);
      target = { at: values.at };
      // No change after the instant matters: stop the scan at its day (UTC).
      to = values.to ?? new Date(Date.parse(values.at)).toISOString().slice(0, 10);
    } else target = { eventId: values.eventId as string };
    if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
    if (!values.athena && (values.workgroup || values.database)) throw new UsageError('--workgroup and --database go with --athena');
    if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');

    const params = { from: values.from ?? EARLIEST_DAY, to, account_id: values.account as string, table_name: values.table as string, item_key: itemKeyOf(values.key as string) };
    let result;
    if (values.athena) result = await runQuery({ name: 'item-versions', params, athena: { workgroup: values.workgroup as string, database: values.database } });
    else {
      const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
      // A missing folder, or one without a change log, is not an empty log.
      await assertHoldsChangeLog(dataDir);
      result = await runQuery({ name: 'item-versions', params, dataDir });
    }

    const outcome = restoreFromRows(result.rows, { tableName: values.table as string, target, allowRedacted: values.allowRedacted, allowUntyped: values.allowUntyped });
    if (outcome.status !== 'restored') {
      io.stderr(`ddb-audit item restore: ${escapeForTerminal(outcome.message)}\n`);
      return 1;
    }
    for (const warning of outcome.warnings) io.stderr(`ddb-audit item restore: warning: ${escapeForTerminal(warning)}\n`);
    io.stdout(`${JSON.stringify(outcome.body, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof KeyArgumentError || err instanceof QueryParamError ) {
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
