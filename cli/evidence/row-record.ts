/**
 * Recomputes record_hash from an exported row (a JSON Lines object or a CSV row), so anyone can
 * check that an exported change is exactly what the collector hashed.
 *
 * Rows come in several spellings: DuckDB gives typed values, Athena and CSV give text. Each hashed
 * field is brought back to the change record's own type (schemas/change-record.ts) before
 * lambda/core/record-hash.ts hashes it: timestamps from ISO or "yyyy-MM-dd HH:mm:ss[.SSS]" text
 * (UTC), integers and booleans from their text, lists from JSON array text.
 *
 * A row with overflow_uri set cannot be checked from the row alone: the collector hashed the full
 * change, whose images live in the overflow object, while the row carries null images. Such rows
 * are reported as not recomputable, never as passing or failing; but a pointer row that carries
 * images is invalid (the collector writes them null, so they were put there afterwards).
 *
 * The version-1 canonical form splices each JSON-text field (keys, item_key, new_image, old_image,
 * user_identity, raw_record) into one JSON array unquoted; version 2 prefixes each with its length
 * ([N,TEXT], lambda/core/record-hash.ts), which removes both ambiguities below from the hash itself.
 * For version-1 rows, and as a plain sanity check for all, two rules keep a row's fields from being
 * rearranged under the same hash:
 *  - each such field must hold exactly one JSON value: otherwise text could move from one field to
 *    the next (new_image `{"a":1},{"b":2}` and old_image null splice like new_image `{"a":1}` and
 *    old_image `{"b":2},null`);
 *  - none may hold the text "null": it splices exactly like SQL NULL, and the collector never
 *    writes it (these fields hold objects, or NULL).
 */
import { CHANGE_RECORD_FIELDS, ChangeRecord, FieldDefinition } from '../../schemas/change-record';
import { hashedFieldsOf, KNOWN_SCHEMA_VERSIONS, recordHash } from '../../lambda/core/record-hash';
import { timestampText } from './values';

// Each schema version hashes its own fields: a version-1 row has no *_types columns to hash (its
// Parquet file predates them), a version-2 row must have them all.
const HASHED_BY_VERSION = new Map<number, readonly FieldDefinition[]>(KNOWN_SCHEMA_VERSIONS.map((v) => [v, hashedFieldsOf(v)]));
// JSON-text fields of any version: a column a row does not have is simply absent.
const JSON_TEXT: readonly FieldDefinition[] = (CHANGE_RECORD_FIELDS as readonly FieldDefinition[]).filter((f) => f.hashed && f.json);
const IMAGES = ['new_image', 'old_image'] as const;

export type RecomputeOutcome =
  | { readonly status: 'match'; readonly hash: string }
  | { readonly status: 'mismatch'; readonly expected: string; readonly actual: string }
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'not-recomputable'; readonly reason: string };

/** True when the row has a record_hash column: it is a change record and can be checked. */
export function isChangeRow(row: Record<string, unknown>): boolean {
  return 'record_hash' in row;
}

export function recomputeRecordHash(row: Record<string, unknown>): RecomputeOutcome {
  const expected = row.record_hash;
  if (typeof expected !== 'string' || !/^[0-9a-f]{64}$/.test(expected)) return { status: 'invalid', reason: `record_hash is ${JSON.stringify(expected)}, not a SHA-256 hex string` };
  const jsonProblem = jsonTextProblem(row);
  if (jsonProblem !== undefined) return { status: 'invalid', reason: jsonProblem };
  const overflow = row.overflow_uri;
  if (typeof overflow === 'string' && overflow !== '') {
    const carried = IMAGES.filter((name) => row[name] !== null && row[name] !== undefined);
    if (carried.length > 0) {
      return { status: 'invalid', reason: `oversize change pointer (overflow_uri ${overflow}) carries ${carried.join(' and ')}; the collector writes a pointer row's images as null, so these were added afterwards` };
    }
    return { status: 'not-recomputable', reason: `oversize change: its images are in the overflow object ${overflow}, not in the row` };
  }
  // A query that does not export schema_version (change-attribution, table-changes…) exports too few
  // columns to recompute: that is "not recomputable", as for any other hashed column left out.
  if (!('schema_version' in row)) return { status: 'not-recomputable', reason: 'hashed columns not exported: schema_version' };
  const version = coerce(row.schema_version, { name: 'schema_version', type: 'int', nullable: false, doc: '' });
  const HASHED = typeof version === 'number' ? HASHED_BY_VERSION.get(version) : undefined;
  if (HASHED === undefined) return { status: 'invalid', reason: `schema_version is ${JSON.stringify(row.schema_version)}, not one this tool knows (${KNOWN_SCHEMA_VERSIONS.join(', ')})` };
  const missing = HASHED.filter((f) => !(f.name in row)).map((f) => f.name);
  if (missing.length > 0) return { status: 'not-recomputable', reason: `hashed columns not exported: ${missing.join(', ')}` };

  const record: Record<string, unknown> = {};
  for (const field of HASHED) {
    const coerced = coerce(row[field.name], field);
    if (coerced instanceof Error) return { status: 'invalid', reason: coerced.message };
    record[field.name] = coerced;
  }
  const actual = recordHash(record as unknown as ChangeRecord);
  return actual === expected ? { status: 'match', hash: actual } : { status: 'mismatch', expected, actual };
}

/** Why a JSON-text field of the row cannot be spliced unambiguously into the canonical form, if it cannot. */
function jsonTextProblem(row: Record<string, unknown>): string | undefined {
  for (const field of JSON_TEXT) {
    const value = row[field.name];
    if (typeof value !== 'string') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return `${field.name}: its text is not exactly one JSON value, so the boundary to the next field is not fixed`;
    }
    if (parsed === null) return `${field.name}: holds the JSON text "null", which hashes like SQL NULL; the collector writes NULL there, never "null"`;
  }
  return undefined;
}

/** One exported value back to the change record's type; an Error names the column when it cannot be. */
export function coerce(value: unknown, field: FieldDefinition): unknown {
  if (value === null || value === undefined) return null;
  const bad = (): Error => new Error(`${field.name}: ${JSON.stringify(value)} is not a ${field.type}`);
  switch (field.type) {
    case 'string':
      return typeof value === 'string' ? value : bad();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return bad();
    case 'int':
    case 'bigint': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
      return bad();
    }
    case 'timestamp': {
      if (value instanceof Date) return value.toISOString();
      if (typeof value !== 'string') return bad();
      return timestampText(value) ?? bad();
    }
    case 'string_list': {
      let list: unknown = value;
      if (typeof value === 'string') {
        try {
          list = JSON.parse(value);
        } catch {
          return new Error(`${field.name}: ${JSON.stringify(value)} is not JSON array text`);
        }
      }
      if (list === null) return null;
      return Array.isArray(list) && list.every((v) => typeof v === 'string') ? list : bad();
    }
  }
}
