/**
 * Runs a bundled query on the local Parquet with DuckDB. The compatibility layer is small on
 * purpose, so the SQL that runs here is the SQL that runs on Athena:
 * - a view `audit_changes` over changes/account_id=…/table_name=…/dt=…/*.parquet with hive
 *   partitioning, partition columns typed VARCHAR (account ids keep leading zeros, as in Glue);
 * - session time zone UTC (Athena's), so CAST(current_timestamp AS timestamp) agrees;
 * - `json_format(json)`, Trino's JSON-to-text function, which DuckDB lacks, as a macro.
 * Everything else the queries use (row_number, contains, concat, json_extract, lpad, date_diff,
 * CAST(... AS JSON), count(DISTINCT ...)) means the same in both engines.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';
import { DUCKDB_TYPES } from '../../schemas/derive';
import { CHANGES_PREFIX, GLUE_TABLE_NAME } from '../../schemas/partitioning';
import type { QueryColumn } from './result';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;

export function changesGlob(dataDir: string): string {
  return join(dataDir, CHANGES_PREFIX, 'account_id=*', 'table_name=*', 'dt=*', '*.parquet');
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function hasParquet(dataDir: string): boolean {
  const root = join(dataDir, CHANGES_PREFIX);
  if (!existsSync(root)) return false;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(join(dir, entry.name));
      else if (entry.name.endsWith('.parquet')) return true;
    }
  }
  return false;
}

/**
 * The statements that make DuckDB look like the Athena table for our queries. union_by_name: files
 * written before a field was appended to the schema lack its column; without it DuckDB takes the
 * first file's columns for all of them and drops the newer ones (seen here). Athena reads Parquet
 * columns by name, a missing one as NULL (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html).
 */
export function compatibilityStatements(dataDir: string): string[] {
  const hiveTypes = FIELDS.filter((f) => f.partition).map((f) => `'${f.name}': VARCHAR`).join(', ');
  // With no data yet, an empty view of the right shape: queries return no rows instead of failing.
  const view = hasParquet(dataDir)
    ? `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT * FROM read_parquet(${sqlString(changesGlob(dataDir))}, union_by_name = true, hive_partitioning = true, hive_types = {${hiveTypes}}, hive_types_autocast = false)`
    : `CREATE OR REPLACE VIEW ${GLUE_TABLE_NAME} AS SELECT ${FIELDS.map((f) => `CAST(NULL AS ${DUCKDB_TYPES[f.type]}) AS ${f.name}`).join(', ')} WHERE false`;
  return ["SET TimeZone = 'UTC'", 'CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)', view];
}

export async function openLocalConnection(dataDir: string): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const statement of compatibilityStatements(dataDir)) await connection.run(statement);
  return connection;
}

export interface EngineResult {
  readonly columns: QueryColumn[];
  readonly rows: Record<string, unknown>[];
}

export async function runOnDuckDb(sql: string, dataDir: string): Promise<EngineResult> {
  const connection = await openLocalConnection(dataDir);
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
