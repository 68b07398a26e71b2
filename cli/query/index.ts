/**
 * runQuery: one bundled query, validated parameters, run locally (DuckDB over the Parquet in a
 * data folder) or on Athena, with everything an evidence package needs to say what was asked.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGES_PREFIX } from '../../schemas/partitioning';
import { AthenaDeps, AthenaTarget, runOnAthena } from './athena-engine';
import { loadQuery } from './catalog';
import { runOnDuckDb } from './duckdb-engine';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { ALL, INCLUDE_HEARTBEAT, resolveParams } from './params';
import { substitutePlaceholders } from './placeholders';
import type { PartitionRef, QueryResult } from './result';

export type { QueryResult, QueryColumn, PartitionRef } from './result';
export { listQueryNames, loadQuery, UnknownQueryError, QUERY_DIR } from './catalog';
export { QueryParamError } from './params';
export { AthenaQueryError } from './athena-engine';

export type RunQueryRequest =
  | { readonly name: string; readonly params: Readonly<Record<string, string>>; readonly dataDir: string }
  | { readonly name: string; readonly params: Readonly<Record<string, string>>; readonly athena: AthenaTarget };

/** The SQL that would run: the file with its placeholders replaced by validated literals. */
export function renderQuery(name: string, params: Readonly<Record<string, string>>): { sql: string; values: Record<string, string> } {
  const definition = loadQuery(name);
  const values = resolveParams(name, definition.params, params);
  return { sql: substitutePlaceholders(definition.text, values), values };
}

export async function runQuery(request: RunQueryRequest, deps: { athena?: AthenaDeps } = {}): Promise<QueryResult> {
  const { sql, values } = renderQuery(request.name, request.params);
  const startedAt = new Date();
  if ('athena' in request) {
    const result = await runOnAthena(sql, request.athena, deps.athena);
    return {
      sql,
      engine: 'athena',
      executionId: result.executionId,
      startedAt: (result.submittedAt ?? startedAt).toISOString(),
      endedAt: (result.completedAt ?? new Date()).toISOString(),
      columns: result.columns,
      rows: result.rows,
    };
  }
  const partitionsCovered = localPartitions(request.dataDir, values);
  const result = await runOnDuckDb(sql, request.dataDir);
  return {
    sql,
    engine: 'duckdb',
    executionId: `local-${randomUUID()}`,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    columns: result.columns,
    rows: result.rows,
    partitionsCovered,
  };
}

/**
 * Partition folders in the data folder that the query's dt range (and account/table, when given)
 * selects; the heartbeat's folders only when the query includes its rows.
 */
export function localPartitions(dataDir: string, values: Readonly<Record<string, string>>): PartitionRef[] {
  const root = join(dataDir, CHANGES_PREFIX);
  if (!existsSync(root)) return [];
  const wanted = (given: string | undefined, actual: string) => given === undefined || given === ALL || given === actual;
  const found: PartitionRef[] = [];
  for (const account of subdirs(root, 'account_id=')) {
    if (!wanted(values.account_id, account)) continue;
    for (const table of subdirs(join(root, `account_id=${account}`), 'table_name=')) {
      if (!wanted(values.table_name, table)) continue;
      if (table === HEARTBEAT_TABLE_NAME && values[INCLUDE_HEARTBEAT] === 'false') continue;
      for (const dt of subdirs(join(root, `account_id=${account}`, `table_name=${table}`), 'dt=')) {
        if (values.from !== undefined && dt < values.from) continue;
        if (values.to !== undefined && dt > values.to) continue;
        found.push({ account_id: account, table_name: table, dt });
      }
    }
  }
  return found.sort((a, b) => `${a.account_id}/${a.table_name}/${a.dt}`.localeCompare(`${b.account_id}/${b.table_name}/${b.dt}`));
}

function subdirs(dir: string, prefix: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
    .map((e) => e.name.slice(prefix.length));
}
