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
 * - `json_format(json)`, Trino's JSON-to-text function, which DuckDB lacks, as a macro.
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

/**
 * The statements that make DuckDB look like the Athena table for our queries, over these files.
 * union_by_name (in readParquetFiles): files written before a field was appended to the schema lack
 * its column; without it DuckDB takes the first file's columns for all of them and drops the newer
 * ones (seen here). Athena reads Parquet columns by name, a missing one as NULL
 * (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html).
 */
export function compatibilityStatements(files: readonly QueryableFile[]): string[] {
  // With no data yet, an empty view of the right shape: queries return no rows instead of failing.
  const view =
    files.length > 0
      ? `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT * FROM ${readParquetFiles(files.map((f) => f.path))}`
      : `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT ${FIELDS.map((f) => `CAST(NULL AS ${DUCKDB_TYPES[f.type]}) AS ${f.name}`).join(', ')} WHERE false`;
  return ["SET TimeZone = 'UTC'", 'CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)', view];
}

/** A DuckDB connection whose `audit_changes` reads `files` (default: the data folder's queryable files now). */
export async function openLocalConnection(dataDir: string, files?: readonly QueryableFile[]): Promise<DuckDBConnection> {
  const selected = files ?? (await queryableFiles(dataDir));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const statement of compatibilityStatements(selected)) await connection.run(statement);
  return connection;
}

export interface EngineResult {
  readonly columns: QueryColumn[];
  readonly rows: Record<string, unknown>[];
}

export async function runOnDuckDb(sql: string, dataDir: string, files?: readonly QueryableFile[]): Promise<EngineResult> {
  const connection = await openLocalConnection(dataDir, files);
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
