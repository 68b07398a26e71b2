/**
 * record_hash: SHA-256 (hex) of the canonical form of a change record's content.
 *
 * The canonical form, which anyone can recompute from a stored row, is one JSON array:
 *
 *     [ "ddb-audit/record-hash/v1", v1, v2, ... ]
 *
 * with no whitespace between elements, where v1, v2, ... are the hashed fields
 * (schemas/change-record.ts, `hashed: true`) in schema order, each written as:
 *   - null when the field is null;
 *   - a JSON-text field (`json: true`: keys, item_key, new_image, old_image, user_identity,
 *     raw_record): its stored text itself, spliced in as JSON (not quoted again);
 *   - a timestamp: integer milliseconds since the Unix epoch (so Athena's, DuckDB's and the
 *     JSON spelling of one instant hash alike);
 *   - anything else: ECMAScript JSON.stringify of the value (strings, booleans, integers, and
 *     string lists as arrays).
 * The text is encoded as UTF-8 and hashed with SHA-256. Each JSON-text field holds exactly one
 * JSON value (the collector writes them so), which makes the array's split into fields unambiguous;
 * a verifier should reject a row where one does not parse as a single JSON value.
 *
 * processed_at, record_hash itself, overflow_uri and overflow_fields are not covered, so duplicate deliveries of one
 * stream record (and the pointer row of an oversize change) carry the same hash. For the same
 * reason dt is written as null when event_time is null: dt then comes from processed_at (an error
 * record whose creation time could not be read), and a retry or replay on another day would
 * otherwise hash differently.
 */
import { CHANGE_RECORD_FIELDS, ChangeRecord, FieldDefinition } from '../../schemas/change-record';
import { ENTRY_OVERHEAD_BYTES, stringBytes } from './cache-bytes';
import { parseIsoMillis } from './iso-timestamp';
import { sha256Hex } from './sha256';

export const HASH_FORMAT = 'ddb-audit/record-hash/v1';

/** The record content record_hash covers (the fields outside it may be absent). */
export type HashedContent = Omit<ChangeRecord, 'record_hash' | 'processed_at' | 'overflow_uri' | 'overflow_fields'>;

type Kind = 'plain' | 'json' | 'timestamp';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;
const HASHED: readonly { name: string; kind: Kind }[] = FIELDS.filter((f) => f.hashed).map((f) => ({
  name: f.name,
  kind: f.json ? 'json' : f.type === 'timestamp' ? 'timestamp' : 'plain',
}));
const PREFIX = `[${JSON.stringify(HASH_FORMAT)}`;
const DT_INDEX = HASHED.findIndex((f) => f.name === 'dt');

// A batch repeats most field values (stream ARN, account, table, view type, the attribute list of
// INSERTs): each field remembers its last value and that value's spelling, which spares the escape
// scan and JSON.stringify for all but the first record of a run. Only primitives and string lists
// are remembered, by value, so the result is the same as writing every field afresh.
// Kept between batches in a warm Lambda, so bounded in bytes: a spelling longer than
// MAX_REMEMBERED_TEXT (an item-sized actor or attribute list) is written afresh and not remembered.
const lastValues: unknown[] = HASHED.map(() => undefined);
const lastTexts: string[] = HASHED.map(() => '');
/** Longest spelling remembered per field. @see lastValues */
export const MAX_REMEMBERED_TEXT = 4096;

/** The canonical text that record_hash is the SHA-256 of. */
export function canonicalContent(record: HashedContent): string {
  const r = record as unknown as Record<string, unknown>;
  let out = PREFIX;
  for (let i = 0; i < HASHED.length; i++) {
    const field = HASHED[i] as { name: string; kind: Kind };
    const value = r[field.name];
    if (value === null || value === undefined || (i === DT_INDEX && (r.event_time === null || r.event_time === undefined))) out += ',null';
    else if (field.kind === 'json') out += `,${value as string}`;
    else {
      const last = lastValues[i];
      if (value === last || (Array.isArray(value) && Array.isArray(last) && sameStrings(value, last))) out += lastTexts[i];
      else {
        const text = `,${field.kind === 'timestamp' ? timestampMillis(value as string, field.name) : jsonValue(value)}`;
        if (text.length <= MAX_REMEMBERED_TEXT) {
          lastValues[i] = Array.isArray(value) ? value.slice() : value;
          lastTexts[i] = text;
        }
        out += text;
      }
    }
  }
  return `${out}]`;
}

/**
 * The remembered values' accounted bytes (see cache-bytes.ts). A remembered value is no longer than its
 * spelling, so each field holds at most about twice MAX_REMEMBERED_TEXT characters.
 */
export function rememberedValueBytes(): number {
  let bytes = 0;
  for (let i = 0; i < HASHED.length; i++) {
    const value = lastValues[i];
    bytes += ENTRY_OVERHEAD_BYTES + stringBytes(lastTexts[i] as string);
    if (typeof value === 'string') bytes += stringBytes(value);
    else if (Array.isArray(value)) for (const member of value) bytes += ENTRY_OVERHEAD_BYTES / 4 + (typeof member === 'string' ? stringBytes(member) : 16);
  }
  return bytes;
}

/** Same strings in the same order (only strings: an object member could have changed since). */
function sameStrings(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || typeof a[i] !== 'string') return false;
  return true;
}

// Characters JSON.stringify escapes in a string (control characters, quote, backslash, lone surrogates).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify's spelling, with a shortcut for the common plain string (most identity fields). */
function jsonValue(value: unknown): string {
  if (typeof value === 'string' && !NEEDS_ESCAPE.test(value)) return `"${value}"`;
  return JSON.stringify(value);
}

export function recordHash(record: HashedContent): string {
  return sha256Hex(canonicalContent(record));
}

function timestampMillis(value: string, field: string): number {
  const ms = parseIsoMillis(value);
  if (Number.isNaN(ms)) throw new Error(`${field}: "${value}" is not a timestamp`);
  return ms;
}
