/**
 * Writes change-record rows as a Parquet object with the data columns of the schema (every field
 * but the partition keys, which come from the folder names, as in Firehose's objects), using
 * DuckDB. For tests that need real Parquet with chosen content, e.g. a forged copy of a change.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { DATA_FIELDS } from '../../local/firehose/rows';
import { DUCKDB_TYPES } from '../../schemas/derive';

export type RowValues = Readonly<Record<string, string | number | boolean | null>>;

const DEFAULTS: RowValues = { schema_version: 1, is_ttl_expiry: false, processed_at: '2026-03-01T12:00:00Z', record_hash: '0'.repeat(64) };

const literal = (value: string | number | boolean | null): string => (value === null ? 'NULL' : typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value));

/** Writes `rows` to `path` (folders created); each row's unnamed fields are NULL (required ones defaulted). */
export async function writeChangeRows(path: string, rows: readonly RowValues[], mtime?: Date): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const selects = rows.map((row) => {
    const values = { ...DEFAULTS, ...row };
    return `SELECT ${DATA_FIELDS.map((f) => `CAST(${literal(values[f.name] ?? null)} AS ${DUCKDB_TYPES[f.type]}) AS ${f.name}`).join(', ')}`;
  });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${selects.join(' UNION ALL ')}) TO '${path.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
  }
  if (mtime) utimesSync(path, mtime, mtime);
}
