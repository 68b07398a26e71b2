/**
 * Conflicting copies of one change in a local data folder: rows that share a change key (event_id,
 * or record_hash for error rows without one) but differ in record_hash or in any hashed field.
 *
 * Legitimate duplicates (a retried batch, a replay) are the same stream record normalized again:
 * every hashed field and record_hash are equal, only processed_at differs (and overflow_uri, which
 * is content-addressed, is equal too). So two versions of one change mean one of them was not
 * written by the collector: a forged row with a real event_id, or one whose record_hash was
 * copied from the real row while its content was changed. The bundled queries show one copy per
 * change (the smallest record_hash; see athena-queries/changes-deduplicated.sql), so whichever copy
 * they show, the conflict itself must be a finding: `log verify` reports each as conflicting-copies.
 *
 * Reads the same files the query engine reads (queryableFiles), with DuckDB.
 */
import { relative, sep } from 'node:path';
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openLocalConnection, QueryableFile, readParquetFiles } from '../query/duckdb-engine';

export interface ConflictingChange {
  /** event_id, or record_hash for error rows without one. */
  readonly changeKey: string;
  /** Distinct versions found (2 or more). */
  readonly versions: number;
  readonly recordHashes: string[];
  /** Files holding a copy, as keys relative to the data folder. */
  readonly keys: string[];
}

export interface ConflictScan {
  readonly conflicts: ConflictingChange[];
  /** All conflicting changes found; `conflicts` holds at most `limit` of them. */
  readonly total: number;
  /** Files DuckDB could not read as Parquet (keys, with the reason): left out of the scan, and of no query either. */
  readonly unreadable: { readonly key: string; readonly reason: string }[];
}

/** Columns compared between copies: every hashed field, record_hash and overflow_uri (only processed_at may differ). */
const COMPARED_COLUMNS: readonly string[] = [...(CHANGE_RECORD_FIELDS as readonly FieldDefinition[]).filter((f) => f.hashed).map((f) => f.name), 'record_hash', 'overflow_uri'];

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Scans `files` for conflicting copies. A file that is not readable Parquet (a damaged or altered
 * object, which verify also reports as modified) is set aside and named, so one bad file cannot
 * stop the scan of the others.
 */
export async function findConflictingCopies(dataDir: string, files: readonly QueryableFile[], limit = 1000): Promise<ConflictScan> {
  const connection = await openLocalConnection(dataDir, []);
  try {
    const keyOf = (path: string) => relative(dataDir, path).split(sep).join('/');
    let readable = files;
    let unreadable: { key: string; reason: string }[] = [];
    try {
      return { ...(await scan(connection, readable, limit, keyOf)), unreadable };
    } catch {
      // Find the files at fault one by one (only on this failure path), then scan the rest.
      const checks: { f: QueryableFile; reason: string | undefined }[] = [];
      for (const f of files) checks.push({ f, reason: await unreadableReason(connection, f) });
      unreadable = checks.filter((c) => c.reason !== undefined).map((c) => ({ key: keyOf(c.f.path), reason: c.reason as string }));
      readable = checks.filter((c) => c.reason === undefined).map((c) => c.f);
      return { ...(await scan(connection, readable, limit, keyOf)), unreadable };
    }
  } finally {
    connection.closeSync();
  }
}

/** Why one file cannot be scanned (the same columns read as in the scan), or undefined. */
async function unreadableReason(connection: DuckDBConnection, file: QueryableFile): Promise<string | undefined> {
  try {
    await scan(connection, [file], 0, (p) => p);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

async function scan(connection: DuckDBConnection, files: readonly QueryableFile[], limit: number, keyOf: (path: string) => string): Promise<Omit<ConflictScan, 'unreadable'>> {
  if (files.length === 0) return { conflicts: [], total: 0 };
  const version = `{${COMPARED_COLUMNS.map((c) => `'${c}': ${quoteIdentifier(c)}`).join(', ')}}`;
  // readParquetFiles reads by column name: files written before a field was added to the schema lack its column (null here).
  const source = readParquetFiles(files.map((f) => f.path));
  const grouped = `
    SELECT coalesce(event_id, record_hash) AS change_key,
           count(DISTINCT ${version}) AS versions,
           list(DISTINCT record_hash ORDER BY record_hash) AS record_hashes,
           list(DISTINCT filename ORDER BY filename) AS files
    FROM ${source}
    GROUP BY change_key
    HAVING count(DISTINCT ${version}) > 1`;
  const total = Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM (${grouped})`)).getRowObjectsJS()[0]?.n ?? 0);
  const rows = (await connection.runAndReadAll(`${grouped} ORDER BY change_key LIMIT ${Math.max(0, Math.floor(limit))}`)).getRowObjectsJS();
  const conflicts = rows.map((row) => ({
    changeKey: String(row.change_key),
    versions: Number(row.versions),
    recordHashes: (row.record_hashes as string[]).map(String),
    keys: (row.files as string[]).map((f) => keyOf(String(f))),
  }));
  return { conflicts, total };
}
