/**
 * record_hash: SHA-256 (hex) of the canonical form of a change record's content.
 *
 * The canonical form, which anyone can recompute from a stored row:
 *
 *     JSON.stringify([HASH_FORMAT, v1, v2, ...])
 *
 * where v1, v2, ... are the values of the hashed fields (schemas/change-record.ts, `hashed: true`)
 * in schema order, with
 *   - strings as they are stored (images are their JSON text, not re-parsed),
 *   - timestamps as integer milliseconds since the Unix epoch (so Athena's, DuckDB's and the JSON
 *     spelling of one instant hash alike),
 *   - lists as JSON arrays of strings, booleans and integers as JSON values, absent values as null,
 * serialized by ECMAScript's JSON.stringify (no spaces; UTF-16 lone surrogates escaped as \uXXXX),
 * then encoded as UTF-8 and hashed with SHA-256.
 *
 * processed_at, record_hash itself and overflow_uri are not covered, so duplicate deliveries of one
 * stream record (and the pointer row of an oversize change) carry the same hash.
 */
import { createHash } from 'node:crypto';
import { CHANGE_RECORD_FIELDS, ChangeRecord } from '../../schemas/change-record';

export const HASH_FORMAT = 'ddb-audit/record-hash/v1';

interface HashedField {
  readonly name: keyof ChangeRecord;
  readonly isTimestamp: boolean;
}

const HASHED_FIELDS: readonly HashedField[] = CHANGE_RECORD_FIELDS.filter((f) => 'hashed' in f && f.hashed).map((f) => ({
  name: f.name,
  isTimestamp: f.type === 'timestamp',
}));

/** The canonical text that record_hash is the SHA-256 of. */
export function canonicalContent(record: Omit<ChangeRecord, 'record_hash' | 'processed_at' | 'overflow_uri'>): string {
  const values: unknown[] = [HASH_FORMAT];
  for (const field of HASHED_FIELDS) {
    const value = (record as Record<string, unknown>)[field.name];
    if (value === undefined || value === null) values.push(null);
    else if (field.isTimestamp) values.push(timestampMillis(value as string, field.name));
    else values.push(value);
  }
  return JSON.stringify(values);
}

export function recordHash(record: Omit<ChangeRecord, 'record_hash' | 'processed_at' | 'overflow_uri'>): string {
  return createHash('sha256').update(canonicalContent(record), 'utf8').digest('hex');
}

function timestampMillis(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${field}: "${value}" is not a timestamp`);
  return ms;
}
