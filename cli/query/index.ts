/**
 * runQuery: one bundled query, validated parameters, run locally (DuckDB over the Parquet in a
 * data folder) or on Athena, with everything an evidence package needs to say what was asked.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AthenaDeps, AthenaTarget, runOnAthena } from './athena-engine';
import { loadQuery, QueryDefinition } from './catalog';
import { QueryableFile, queryableFiles, runOnDuckDb } from './duckdb-engine';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { CLOUDTRAIL_TABLE_NAME } from '../../schemas/cloudtrail-events';
import { CloudTrailFile, cloudTrailFiles } from '../../local/cloudtrail/files';
import { sha256Hex } from '../../lambda/digest/sha256';
import { ALL, INCLUDE_HEARTBEAT, resolveParams } from './params';
import { substitutePlaceholders } from './placeholders';
import type { InputFileRef, PartitionRef, QueryResult } from './result';

export type { QueryResult, QueryColumn, PartitionRef, InputFileRef } from './result';
export { listQueryNames, loadQuery, UnknownQueryError, QUERY_DIR } from './catalog';
export { QueryParamError } from './params';
export { AthenaQueryError, athenaClient } from './athena-engine';

export type RunQueryRequest =
  | { readonly name: string; readonly params: Readonly<Record<string, string>>; readonly dataDir: string }
  | { readonly name: string; readonly params: Readonly<Record<string, string>>; readonly athena: AthenaTarget };

/** The SQL that would run: the file with its placeholders replaced by validated literals. */
export function renderQuery(name: string, params: Readonly<Record<string, string>>): { sql: string; values: Record<string, string> } {
  return renderDefinition(loadQuery(name), params);
}

function renderDefinition(definition: QueryDefinition, params: Readonly<Record<string, string>>): { sql: string; values: Record<string, string> } {
  const values = resolveParams(definition.name, definition.params, params);
  return { sql: substitutePlaceholders(definition.text, values), values };
}

export async function runQuery(request: RunQueryRequest, deps: { athena?: AthenaDeps } = {}): Promise<QueryResult> {
  const definition = loadQuery(request.name);
  const { sql, values } = renderDefinition(definition, request.params);
  const readsCloudTrail = definition.text.includes(CLOUDTRAIL_TABLE_NAME);
  const startedAt = new Date();
  if ('athena' in request) {
    const result = await runOnAthena(sql, request.athena, deps.athena);
    // No row carries a reason when there is no row: an empty answer is checked, never read as clean.
    const warnings = !readsCloudTrail ? [] : result.rows.length === 0 ? await emptyResultCloudTrailWarning(definition, values, request.athena, deps.athena) : unavailableAttributionWarning(result.rows);
    return {
      sql,
      engine: 'athena',
      executionId: result.executionId,
      startedAt: (result.submittedAt ?? startedAt).toISOString(),
      endedAt: (result.completedAt ?? new Date()).toISOString(),
      columns: result.columns,
      rows: result.rows,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
  // One listing feeds both the engine and the partitions reported, so they cannot disagree.
  const files = await queryableFiles(request.dataDir);
  const partitionsCovered = localPartitions(files, values);
  // Likewise one selection of CloudTrail files is both what DuckDB reads and what is hashed.
  const trail = readsCloudTrail ? localCloudTrailFiles(await cloudTrailFiles(request.dataDir), values) : [];
  const hashed = readsCloudTrail ? await hashFiles(trail) : undefined;
  const result = await runOnDuckDb(sql, request.dataDir, files, trail.map((f) => f.path));
  // One warning at most: no file at all says it for every row; otherwise the rows say where.
  const warnings = !readsCloudTrail ? [] : trail.length === 0 ? [noCloudTrailFilesWarning(values)] : unavailableAttributionWarning(result.rows);
  return {
    sql,
    engine: 'duckdb',
    executionId: `local-${randomUUID()}`,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    columns: result.columns,
    rows: result.rows,
    partitionsCovered,
    ...(hashed ? { cloudTrailFiles: hashed } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * The attribution_reason of a change whose account and region have no CloudTrail input: given by
 * the join change-attribution.sql, actor-activity.sql and the view audit_changes_attributed share.
 */
export const UNAVAILABLE_REASON = 'cloudtrail-unavailable';

/**
 * A local query that reads cloudtrail_events but has no CloudTrail file for its days: its rows can
 * name no caller, which must not read as "nobody" (DuckDB sees an empty cloudtrail_events).
 */
function noCloudTrailFilesWarning(values: Readonly<Record<string, string>>): string {
  const account = values.account_id !== undefined && values.account_id !== ALL ? ` of account ${values.account_id}` : '';
  return `no CloudTrail log files${account} under cloudtrail/ in the data folder for ${values.from ?? '?'} to ${values.to ?? '?'} (± 1 day): principal attribution is unavailable, no change can be attributed to a caller (docs/attribution.md)`;
}

/**
 * The probe an empty Athena answer of a CloudTrail-reading query runs: one row of
 * cloudtrail_events under the query's own trail predicate (the WHERE of its trail_scoped CTE, taken
 * from the .sql file and given the same validated values), so it asks exactly the days, account
 * and events the attribution read. Throws when the file has no such predicate (a query changed
 * without this check): failing beats a silent empty answer.
 *
 * Cost: it runs only when the query returned no row. Without a trail the table has no partition,
 * so nothing is read (lib/constructs/cloudtrail-catalog.ts); with one, partition projection keeps
 * it to the query's own log_date (and account) partitions, so at worst it reads again what the
 * query read of them (LIMIT 1 may let it stop at the first DynamoDB write event; no AWS page says
 * whether that lowers the bytes billed, so the bound does not rely on it). Athena bills bytes
 * scanned, at least 10 MB per query (https://aws.amazon.com/athena/pricing/, as cli/cost/model.ts
 * models it): the minimum is about $0.00005 at $5 per TB.
 */
export function cloudTrailProbeSql(definition: QueryDefinition, values: Readonly<Record<string, string>>): string {
  const predicate = /\bFROM\s+cloudtrail_events\s+WHERE\s+([\s\S]*?)\n\),?\n/.exec(definition.text)?.[1];
  if (predicate === undefined) throw new Error(`${definition.name}.sql reads ${CLOUDTRAIL_TABLE_NAME} but has no "FROM ${CLOUDTRAIL_TABLE_NAME} WHERE …" CTE to check an empty result against`);
  return `SELECT 1 AS present FROM ${CLOUDTRAIL_TABLE_NAME}\nWHERE ${substitutePlaceholders(predicate.trimEnd(), values)}\nLIMIT 1`;
}

/**
 * An empty Athena result of a query that reads cloudtrail_events: a principal filter drops every
 * cloudtrail-unavailable row, so "no row" would read as "that caller changed nothing". Warns when
 * the probe finds no DynamoDB write event for the days (and account) read, naming the probe's
 * execution so the check can be looked up.
 */
async function emptyResultCloudTrailWarning(definition: QueryDefinition, values: Readonly<Record<string, string>>, target: AthenaTarget, deps: AthenaDeps | undefined): Promise<string[]> {
  const probe = await runOnAthena(cloudTrailProbeSql(definition, values), target, deps);
  if (probe.rows.length > 0) return [];
  const account = values.account_id !== undefined && values.account_id !== ALL ? ` of account ${values.account_id}` : '';
  return [
    `no rows, and ${CLOUDTRAIL_TABLE_NAME} holds no DynamoDB write event${account} for log_date ${values.from ?? '?'} to ${values.to ?? '?'} (± 1 day) (Athena query ${probe.executionId}): principal attribution is unavailable, so no row does not mean no change by that caller (docs/attribution.md)`,
  ];
}

/** The rows whose attribution is unavailable, once, by account and region. */
function unavailableAttributionWarning(rows: readonly Record<string, unknown>[]): string[] {
  const where = new Map<string, number>();
  for (const row of rows) {
    if (row.attribution_reason !== UNAVAILABLE_REASON) continue;
    const at = `${String(row.account_id)}/${String(row.region)}`;
    where.set(at, (where.get(at) ?? 0) + 1);
  }
  if (where.size === 0) return [];
  const total = [...where.values()].reduce((a, b) => a + b, 0);
  const places = [...where.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([at, n]) => `${at} (${n})`);
  const shown = places.length > 5 ? [...places.slice(0, 5), `and ${places.length - 5} more`] : places;
  return [`${total} row(s) have attribution_reason ${UNAVAILABLE_REASON}: cloudtrail_events holds no DynamoDB write event for their account/region in the days read: ${shown.join(', ')} (docs/attribution.md)`];
}

/**
 * The CloudTrail files a query's parameters select: those of the account asked (all when none)
 * delivered from the day before `from` to the day after `to` (yyyy/MM/dd), the same log_date
 * range athena-queries/change-attribution.sql gives the partition projection.
 */
function localCloudTrailFiles(files: readonly CloudTrailFile[], values: Readonly<Record<string, string>>): CloudTrailFile[] {
  const day = (date: string | undefined, offset: number) => (date === undefined ? undefined : new Date(Date.parse(`${date}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/'));
  const first = day(values.from, -1);
  const last = day(values.to, 1);
  return files.filter(
    (f) => (values.account_id === undefined || values.account_id === ALL || values.account_id === f.accountId) && (first === undefined || f.logDate >= first) && (last === undefined || f.logDate <= last),
  );
}

async function hashFiles(files: readonly CloudTrailFile[]): Promise<InputFileRef[]> {
  const out: InputFileRef[] = [];
  for (const f of files) {
    const bytes = await readFile(f.path);
    out.push({ key: f.key, bytes: bytes.length, sha256: sha256Hex(bytes) });
  }
  return out;
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
