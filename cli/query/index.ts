/**
 * runQuery: one bundled query, validated parameters, run locally (DuckDB over the Parquet in a
 * data folder) or on Athena, with everything an evidence package needs to say what was asked.
 */
import { randomUUID } from 'node:crypto';
import { AthenaDeps, AthenaTarget, runOnAthena } from './athena-engine';
import { loadQuery } from './catalog';
import { QueryableFile, queryableFiles, runOnDuckDb } from './duckdb-engine';
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
  // One listing feeds both the engine and the partitions reported, so they cannot disagree.
  const files = await queryableFiles(request.dataDir);
  const partitionsCovered = localPartitions(files, values);
  const result = await runOnDuckDb(sql, request.dataDir, files);
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
 * Partitions holding files the query reads that its dt range (and account/table, when given)
 * selects; the heartbeat's only when the query includes its rows.
 */
export function localPartitions(files: readonly QueryableFile[], values: Readonly<Record<string, string>>): PartitionRef[] {
  const wanted = (given: string | undefined, actual: string) => given === undefined || given === ALL || given === actual;
  const found = new Map<string, PartitionRef>();
  for (const f of files) {
    if (!wanted(values.account_id, f.account_id) || !wanted(values.table_name, f.table_name)) continue;
    if (f.table_name === HEARTBEAT_TABLE_NAME && values[INCLUDE_HEARTBEAT] === 'false') continue;
    if (values.from !== undefined && f.dt < values.from) continue;
    if (values.to !== undefined && f.dt > values.to) continue;
    found.set(`${f.account_id}/${f.table_name}/${f.dt}`, { account_id: f.account_id, table_name: f.table_name, dt: f.dt });
  }
  return [...found.values()].sort((a, b) => `${a.account_id}/${a.table_name}/${a.dt}`.localeCompare(`${b.account_id}/${b.table_name}/${b.dt}`));
}
