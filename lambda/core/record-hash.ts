/**
 * record_hash: SHA-256 (hex) of the canonical form of a change record's content.
 *
 * The canonical form, which anyone can recompute from a stored row, depends on the record's
 * schema_version (each version's form stays defined forever, so old records keep verifying):
 *
 *     [ "ddb-audit/record-hash/v2", v1, v2, ... ]      (schema_version 2, written today)
 *     [ "ddb-audit/record-hash/v1", v1, v2, ... ]      (schema_version 1)
 *
 * with no whitespace between elements, where v1, v2, ... are the hashed fields
 * (schemas/change-record.ts, `hashed: true`, with `sinceVersion` at most the record's version) in
 * schema order, each written as:
 *   - null when the field is null;
 *   - a JSON-text field (`json: true`: keys, item_key, new_image, old_image, user_identity,
 *     raw_record and the *_types fields):
 *       v2: `[N,TEXT]`: N the length of TEXT in UTF-16 code units (a decimal integer: JavaScript's
 *           string length; in Python len(TEXT.encode('utf-16-le')) // 2), then TEXT itself;
 *       v1: TEXT itself, spliced in as JSON;
 *   - a timestamp: integer milliseconds since the Unix epoch (so Athena's, DuckDB's and the
 *     JSON spelling of one instant hash alike);
 *   - anything else: ECMAScript JSON.stringify of the value (strings, booleans, integers, and
 *     string lists as arrays).
 * The text is encoded as UTF-8 and hashed with SHA-256.
 *
 * Why v2 prefixes the length: in v1 the text "null" and a missing value were both `null`, and
 * text could move between two adjacent JSON-text fields (`1],[2` + `3` reads like `1` + `2],[3`)
 * unless a verifier checked that each holds exactly one JSON value. With the length in front, the
 * form can be read back into its fields whatever the texts hold, so two records with different
 * hashed content never share a canonical form (test/unit/record-hash.unit.test.ts). The length is
 * counted in UTF-16 code units because a JavaScript string knows it without a scan: counting UTF-8
 * bytes (Buffer.byteLength, four to six calls per record) measured about 5% of the normalizer's
 * throughput on plain items, and quoting the texts as JSON strings instead about three times slower
 * hashing, as every quote in an image would be escaped again.
 *
 * processed_at, record_hash itself, overflow_uri and overflow_fields are not covered, so duplicate deliveries of one
 * stream record (and the pointer row of an oversize change) carry the same hash. For the same
 * reason dt is written as null when event_time is null: dt then comes from processed_at (an error
 * record whose creation time could not be read), and a retry or replay on another day would
 * otherwise hash differently.
 */
import { CHANGE_RECORD_FIELDS, ChangeRecord, FieldDefinition, SCHEMA_VERSION } from '../../schemas/change-record';
import { hashedFieldNames } from '../../schemas/derive';
import { ENTRY_OVERHEAD_BYTES, stringBytes } from './cache-bytes';
import { parseIsoMillis } from './iso-timestamp';
import { sha256Hex } from './sha256';

/** The format tag of the form records are written with today (schema_version SCHEMA_VERSION). */
export const HASH_FORMAT = `ddb-audit/record-hash/v${SCHEMA_VERSION}`;

/** The record content record_hash covers (the fields outside it may be absent). */
export type HashedContent = Omit<ChangeRecord, 'record_hash' | 'processed_at' | 'overflow_uri' | 'overflow_fields'>;

type Kind = 'plain' | 'json' | 'timestamp';

interface CanonicalForm {
  readonly prefix: string;
  readonly fields: readonly { name: string; kind: Kind }[];
  readonly dtIndex: number;
  readonly lengthPrefixed: boolean;
  // A batch repeats most field values (stream ARN, account, table, view type, the attribute list of
  // INSERTs): each field remembers its last value and that value's spelling, which spares the escape
  // scan and JSON.stringify for all but the first record of a run. Only primitives and string lists
  // are remembered, by value, so the result is the same as writing every field afresh.
  readonly lastValues: unknown[];
  readonly lastTexts: string[];
}

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;

// Each form's remembered spellings (CanonicalForm.lastValues) are kept between batches in a warm
// Lambda, so bounded in bytes: a spelling longer than MAX_REMEMBERED_TEXT (an item-sized actor or
// attribute list) is written afresh and not remembered.
/** Longest spelling remembered per field. @see CanonicalForm */
export const MAX_REMEMBERED_TEXT = 4096;

/** The hashed fields of one schema version, in schema order (schemas/derive.ts hashedFieldNames, as definitions). */
export function hashedFieldsOf(version: number): FieldDefinition[] {
  const names = new Set(hashedFieldNames(version));
  return FIELDS.filter((f) => names.has(f.name));
}

function canonicalFormOf(version: number): CanonicalForm {
  const fields = hashedFieldsOf(version).map((f) => ({ name: f.name, kind: (f.json ? 'json' : f.type === 'timestamp' ? 'timestamp' : 'plain') as Kind }));
  return {
    prefix: `[${JSON.stringify(`ddb-audit/record-hash/v${version}`)}`,
    fields,
    dtIndex: fields.findIndex((f) => f.name === 'dt'),
    lengthPrefixed: version >= 2,
    lastValues: fields.map(() => undefined),
    lastTexts: fields.map(() => ''),
  };
}

/** The schema versions whose canonical form this code knows. */
export const KNOWN_SCHEMA_VERSIONS: readonly number[] = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1);
const FORMS: readonly CanonicalForm[] = KNOWN_SCHEMA_VERSIONS.map(canonicalFormOf);

/** The canonical text that record_hash is the SHA-256 of, in the form of the record's schema_version. */
export function canonicalContent(record: HashedContent): string {
  const version = record.schema_version;
  const form = FORMS[version - 1];
  if (form === undefined) throw new Error(`schema_version: ${JSON.stringify(version)} has no known canonical form (known: ${KNOWN_SCHEMA_VERSIONS.join(', ')})`);
  const r = record as unknown as Record<string, unknown>;
  const { fields, lastValues, lastTexts } = form;
  let out = form.prefix;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as { name: string; kind: Kind };
    const value = r[field.name];
    if (value === null || value === undefined || (i === form.dtIndex && (r.event_time === null || r.event_time === undefined))) out += ',null';
    else if (field.kind === 'json') out += form.lengthPrefixed ? `,[${(value as string).length},${value as string}]` : `,${value as string}`;
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
 * The remembered values' accounted bytes, over every known form (see cache-bytes.ts). A remembered
 * value is no longer than its spelling, so each field holds at most about twice MAX_REMEMBERED_TEXT
 * characters.
 */
export function rememberedValueBytes(): number {
  let bytes = 0;
  for (const { lastValues, lastTexts } of FORMS) {
    for (let i = 0; i < lastValues.length; i++) {
      const value = lastValues[i];
      bytes += ENTRY_OVERHEAD_BYTES + stringBytes(lastTexts[i] as string);
      if (typeof value === 'string') bytes += stringBytes(value);
      else if (Array.isArray(value)) for (const member of value) bytes += ENTRY_OVERHEAD_BYTES / 4 + (typeof member === 'string' ? stringBytes(member) : 16);
    }
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
