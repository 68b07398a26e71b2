/**
 * Runs a bundled query on the local Parquet with DuckDB. The compatibility layer is small on
 * purpose, so the SQL that runs here is the SQL that runs on Athena:
 * - a view `audit_changes` over the files changes/account_id=…/table_name=…/dt=…/NAME.parquet with
 *   hive partitioning, partition columns typed VARCHAR (account ids keep leading zeros, as in Glue).
 *   DuckDB is given an explicit list of files, never a glob: the list comes from the same lister
 *   the digests and `log verify` use (lambda/digest/local-listing.ts), so a query reads exactly the
 *   regular, non-hidden files that verify accounts for. A glob would also read hidden files, files
 *   behind symbolic links and files with a future mtime, which no digest attests;
 * - session time zone UTC (Athena's), so CAST(current_timestamp AS timestamp) agrees;
 * - `json_format(json)`, Trino's JSON-to-text function, which DuckDB lacks, as a macro; likewise
 *   json_parse, json_extract_scalar, regexp_like, array_join, to_unixtime and
 *   from_iso8601_timestamp (Trino names the attribution query uses; each macro is DuckDB's function
 *   of the same meaning);
 * - a view `cloudtrail_events` over the CloudTrail log files under cloudtrail/ (the trail's own
 *   layout and gzip JSON format), with the columns of the Glue table (schemas/cloudtrail-events.ts)
 *   and its partition columns account_id, region and log_date taken from each file's key. With no
 *   CloudTrail files, an empty view of the same shape.
 * Everything else the queries use (row_number, contains, concat, json_extract, lpad, date_diff,
 * CAST(... AS JSON), count(DISTINCT ...)) means the same in both engines.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { listLocalFolder } from '../../lambda/digest/local-listing';
import type { StoredObject } from '../../lambda/digest/store';
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';
import { DUCKDB_TYPES } from '../../schemas/derive';
import { CHANGES_PREFIX, GLUE_TABLE_NAME } from '../../schemas/partitioning';
import { CLOUDTRAIL_EVENT_FIELDS, CLOUDTRAIL_TABLE_NAME, CloudTrailField, columnName } from '../../schemas/cloudtrail-events';
import type { QueryColumn } from './result';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;

/** A glob over every Parquet file of the layout, hidden ones included; for tests that inspect files directly, never the engine's view. */
export function changesGlob(dataDir: string): string {
  return join(dataDir, CHANGES_PREFIX, 'account_id=*', 'table_name=*', 'dt=*', '*.parquet');
}

/** changes/account_id=A/table_name=T/dt=D/NAME.parquet, the layout of the registered Glue partitions. */
const QUERYABLE_KEY = /^changes\/account_id=([^/]+)\/table_name=([^/]+)\/dt=([^/]+)\/[^/]+\.parquet$/;

export interface QueryableFile extends StoredObject {
  readonly account_id: string;
  readonly table_name: string;
  readonly dt: string;
  /** Absolute path handed to DuckDB. */
  readonly path: string;
}

/**
 * The Parquet files a local query reads: the attestable objects of the shared lister (regular,
 * non-hidden, reached without a link, mtime not in the future, no glob characters in the name) in
 * the partition layout. Files outside the layout are digested and verified but, as in Athena (which
 * reads only registered partitions), not queried.
 */
export async function queryableFiles(dataDir: string, now: Date = new Date()): Promise<QueryableFile[]> {
  const { objects } = await listLocalFolder(dataDir, CHANGES_PREFIX, now.getTime());
  const files: QueryableFile[] = [];
  for (const o of objects) {
    const m = QUERYABLE_KEY.exec(o.key);
    if (!m) continue;
    files.push({ ...o, account_id: m[1] as string, table_name: m[2] as string, dt: m[3] as string, path: join(dataDir, ...o.key.split('/')) });
  }
  return files;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `read_parquet([...])` over exactly these files, partition columns from their paths. */
export function readParquetFiles(paths: readonly string[]): string {
  const hiveTypes = FIELDS.filter((f) => f.partition).map((f) => `'${f.name}': VARCHAR`).join(', ');
  return `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = true, hive_types = {${hiveTypes}}, hive_types_autocast = false)`;
}

/** The Trino functions the bundled queries use that DuckDB names differently: each is DuckDB's function of the same meaning. */
const TRINO_MACROS = [
  'CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)',
  'CREATE OR REPLACE MACRO json_parse(s) AS json(s)',
  'CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO array_join(l, sep) AS array_to_string(l, sep)',
  'CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(t)',
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
];

/** A CloudTrail file's partition columns, from its key (the trail's layout), as in the Glue table. */
const CLOUDTRAIL_PATH_PATTERN = `'/AWSLogs/(?:o-[a-z0-9]{10,32}/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]+$'`;

/** The DuckDB expression of one CloudTrail field of record `r` (JSON), shaped as the Glue column. */
function cloudTrailExpression(field: CloudTrailField, record: string, path: string): string {
  const at = `${path}.${field.jsonName}`;
  switch (field.type.kind) {
    case 'string':
      return `json_extract_string(${record}, '${at}')`;
    case 'json_text':
      // Athena's JSON SerDe gives the nested object's JSON text for a STRING column; JSON null is NULL.
      return `nullif(CAST(json_extract(${record}, '${at}') AS VARCHAR), 'null')`;
    case 'struct':
      return `struct_pack(${field.type.fields.map((f) => `${columnName(f)} := ${cloudTrailExpression(f, record, at)}`).join(', ')})`;
    case 'struct_array':
      return `list_transform(CAST(json_extract(${record}, '${at}') AS JSON[]), x -> struct_pack(${field.type.fields.map((f) => `${columnName(f)} := ${cloudTrailExpression(f, 'x', '$')}`).join(', ')}))`;
  }
}

/** The `cloudtrail_events` view over these CloudTrail log files (absolute paths), or an empty one. */
function cloudTrailViewStatement(paths: readonly string[]): string {
  const columns = CLOUDTRAIL_EVENT_FIELDS.map((f) => `${cloudTrailExpression(f, 'r', '$')} AS ${columnName(f)}`);
  const partitions = ['account_id', 'region', 'log_date'].map((name, i) => `regexp_extract(filename, ${CLOUDTRAIL_PATH_PATTERN}, ${i + 1}) AS ${name}`);
  if (paths.length === 0) {
    const empty = CLOUDTRAIL_EVENT_FIELDS.map((f) => `${cloudTrailExpression(f, 'CAST(NULL AS JSON)', '$')} AS ${columnName(f)}`);
    return `CREATE OR REPLACE VIEW ${CLOUDTRAIL_TABLE_NAME} AS SELECT ${[...empty, "CAST(NULL AS VARCHAR) AS account_id", "CAST(NULL AS VARCHAR) AS region", "CAST(NULL AS VARCHAR) AS log_date"].join(', ')} WHERE false`;
  }
  // CloudTrail files hold one JSON document each, {"Records":[…]}; a large one is still one object.
  const source = `read_json([${paths.map(sqlString).join(', ')}], columns = {Records: 'JSON[]'}, compression = 'gzip', format = 'auto', filename = true, maximum_object_size = 1073741824)`;
  return `CREATE OR REPLACE VIEW ${CLOUDTRAIL_TABLE_NAME} AS SELECT ${[...columns, ...partitions].join(', ')} FROM (SELECT unnest(Records) AS r, filename FROM ${source})`;
}

/**
 * The statements that make DuckDB look like the Athena tables for our queries, over these files.
 * union_by_name (in readParquetFiles): files written before a field was appended to the schema lack
 * its column; without it DuckDB takes the first file's columns for all of them and drops the newer
 * ones (seen here). Athena reads Parquet columns by name, a missing one as NULL
 * (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html).
 */
export function compatibilityStatements(files: readonly QueryableFile[], cloudTrailPaths: readonly string[] = []): string[] {
  // With no data yet, an empty view of the right shape: queries return no rows instead of failing.
  const view =
    files.length > 0
      ? `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT * FROM ${readParquetFiles(files.map((f) => f.path))}`
      : `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT ${FIELDS.map((f) => `CAST(NULL AS ${DUCKDB_TYPES[f.type]}) AS ${f.name}`).join(', ')} WHERE false`;
  return ["SET TimeZone = 'UTC'", ...TRINO_MACROS, view, cloudTrailViewStatement(cloudTrailPaths)];
}

/**
 * A DuckDB connection whose `audit_changes` reads `files` (default: the data folder's queryable
 * files now) and whose `cloudtrail_events` reads `cloudTrailPaths` (default: none).
 */
export async function openLocalConnection(dataDir: string, files?: readonly QueryableFile[], cloudTrailPaths: readonly string[] = []): Promise<DuckDBConnection> {
  const selected = files ?? (await queryableFiles(dataDir));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const statement of compatibilityStatements(selected, cloudTrailPaths)) await connection.run(statement);
  return connection;
}

export interface EngineResult {
  readonly columns: QueryColumn[];
  readonly rows: Record<string, unknown>[];
}

export async function runOnDuckDb(sql: string, dataDir: string, files?: readonly QueryableFile[], cloudTrailPaths: readonly string[] = []): Promise<EngineResult> {
  const connection = await openLocalConnection(dataDir, files, cloudTrailPaths);
  try {
    const reader = await connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    const columns = names.map((name, i) => ({ name, type: types[i] as string }));
    const rows = reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const column of columns) out[column.name] = plainValue(row[column.name], column.type);
      return out;
    });
    return { columns, rows };
  } finally {
    connection.closeSync();
  }
}

/** JSON-friendly values, the same shapes the Athena runner produces. */
function plainValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return type === 'DATE' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => plainValue(v, ''));
  return value;
}
