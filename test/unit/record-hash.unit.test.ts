/**
 * record_hash canonical forms: v2 (written today) is unambiguous whatever the fields hold, and
 * records written by a schema-version-1 collector still verify.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';
import { canonicalContent, hashedFieldsOf, recordHash } from '../../lambda/core/record-hash';
import { normalizeRecord } from '../../lambda/core/normalize';
import { recomputeRecordHash } from '../../cli/evidence/row-record';
import { loadEvent } from '../events/load';

const V2_FIELDS = hashedFieldsOf(2);

/**
 * Reads a v2 canonical form back into its field values: if this succeeds for every record, no two
 * records with different hashed content can share a canonical form (the form has a left inverse).
 * (The text is hashed as UTF-8, and well-formed text encodes one way only.)
 */
function decodeV2(canonical: string, version = 2): Record<string, unknown> {
  const fields = hashedFieldsOf(version);
  let i = 0;
  const expect = (text: string) => {
    if (canonical.slice(i, i + text.length) !== text) throw new Error(`expected ${text} at ${i}`);
    i += text.length;
  };
  // The end of one JSON value written by JSON.stringify (string, number, boolean, array of those).
  const skipValue = (): void => {
    const c = canonical[i];
    if (c === '"') {
      i++;
      while (canonical[i] !== '"') i += canonical[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '[') {
      i++;
      if (canonical[i] === ']') return void i++;
      for (;;) {
        skipValue();
        if (canonical[i] === ',') i++;
        else if (canonical[i] === ']') return void i++;
        else throw new Error(`bad array at ${i}`);
      }
    } else while (i < canonical.length && canonical[i] !== ',' && canonical[i] !== ']') i++;
  };
  expect(`["ddb-audit/record-hash/v${version}"`);
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    expect(',');
    if (canonical.startsWith('null', i) && (field.json || canonical[i + 4] === ',' || canonical[i + 4] === ']')) {
      i += 4;
      out[field.name] = null;
    } else if (field.json) {
      expect('[');
      const comma = canonical.indexOf(',', i);
      const length = Number(canonical.slice(i, comma));
      i = comma + 1;
      out[field.name] = canonical.slice(i, i + length);
      i += length;
      expect(']');
    } else {
      const start = i;
      skipValue();
      const value = JSON.parse(canonical.slice(start, i));
      out[field.name] = field.type === 'timestamp' ? new Date(value).toISOString() : value;
    }
  }
  expect(']');
  if (i !== canonical.length) throw new Error('trailing text');
  return out;
}

const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('null', '', '1],[2', '],[', '"', '\\', '[0,1]', ',null'));
function fieldValue(f: FieldDefinition): fc.Arbitrary<unknown> {
  const base: fc.Arbitrary<unknown> = f.json
    ? text
    : f.type === 'timestamp'
      ? fc.integer({ min: 0, max: 253402300799999 }).map((ms) => new Date(ms).toISOString())
      : f.type === 'boolean'
        ? fc.boolean()
        : f.type === 'int' || f.type === 'bigint'
          ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
          : f.type === 'string_list'
            ? fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 3 })
            : fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('null', '],[', ''));
  return f.nullable ? fc.option(base, { nil: null }) : base;
}
const content = fc.record(Object.fromEntries(V2_FIELDS.map((f) => [f.name, f.name === 'schema_version' ? fc.constant(2) : fieldValue(f)])) as Record<string, fc.Arbitrary<unknown>>);

describe('canonical form v3', () => {
  // v3 is v2's form over one more hashed JSON-text field (snapshot_source): still read back exactly.
  const content3 = fc.record(Object.fromEntries(hashedFieldsOf(3).map((f) => [f.name, f.name === 'schema_version' ? fc.constant(3) : fieldValue(f)])) as Record<string, fc.Arbitrary<unknown>>);
  it('reads back into exactly the hashed content, snapshot_source included', () => {
    expect(hashedFieldsOf(3).map((f) => f.name)).toEqual([...V2_FIELDS.map((f) => f.name), 'snapshot_source']);
    fc.assert(
      fc.property(content3, (record) => {
        const expected = { ...record, dt: record.event_time === null ? null : record.dt };
        expect(decodeV2(canonicalContent(record as never), 3)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('canonical form v2', () => {
  it('reads back into exactly the hashed content, so two different records never share a canonical form', () => {
    fc.assert(
      fc.property(content, (record) => {
        const expected = { ...record, dt: record.event_time === null ? null : record.dt };
        expect(decodeV2(canonicalContent(record as never))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not hash the text "null" like a missing value (v1 did)', () => {
    const record = normalizeRecord(loadEvent('aws-docs-sample').Records[0]);
    const asText = { ...record, user_identity: 'null' };
    const missing = { ...record, user_identity: null };
    expect(recordHash(asText)).not.toBe(recordHash(missing));
    expect(recordHash({ ...asText, schema_version: 1 })).toBe(recordHash({ ...missing, schema_version: 1 }));
  });

  it('does not let text move between adjacent JSON-text fields (v1 did)', () => {
    const record = normalizeRecord(loadEvent('aws-docs-sample').Records[0]);
    const a = { ...record, new_image: '1,2', old_image: '3' };
    const b = { ...record, new_image: '1', old_image: '2,3' };
    expect(recordHash(a)).not.toBe(recordHash(b));
    expect(recordHash({ ...a, schema_version: 1 })).toBe(recordHash({ ...b, schema_version: 1 }));
  });

  it('refuses a schema_version it has no form for', () => {
    const record = normalizeRecord(loadEvent('aws-docs-sample').Records[0]);
    expect(() => recordHash({ ...record, schema_version: 4 })).toThrow('schema_version: 4 has no known canonical form (known: 1, 2, 3)');
  });
});

describe('records of schema_version 1', () => {
  // Written by the collector at commit d358ed3 (schema_version 1), from test/events/all-types.json.
  const v1 = JSON.parse(readFileSync(join(__dirname, '..', 'events', 'change-record-v1.json'), 'utf8'));

  it('still verify, with the v1 form over the v1 fields', () => {
    expect(v1.schema_version).toBe(1);
    expect(recordHash(v1)).toBe(v1.record_hash);
  });

  it('still verify as exported rows, whether the type columns are absent (old Parquet) or null (a newer table)', () => {
    expect(recomputeRecordHash(v1)).toEqual({ status: 'match', hash: v1.record_hash });
    expect(recomputeRecordHash({ ...v1, keys_types: null, new_image_types: null, old_image_types: null })).toEqual({ status: 'match', hash: v1.record_hash });
    expect(recomputeRecordHash({ ...v1, actor: 'mallory' }).status).toBe('mismatch');
  });

  it('a version-2 row without its type columns cannot be checked, and says which are missing', () => {
    const v2 = normalizeRecord(loadEvent('all-types').Records[0]);
    const { new_image_types: _n, ...row } = v2 as Record<string, unknown>;
    expect(recomputeRecordHash(row)).toEqual({ status: 'not-recomputable', reason: 'hashed columns not exported: new_image_types' });
    expect(recomputeRecordHash(v2 as never)).toEqual({ status: 'match', hash: v2.record_hash });
  });

  it('an unknown schema_version is invalid, not a match', () => {
    expect(recomputeRecordHash({ ...v1, schema_version: 9 })).toMatchObject({ status: 'invalid' });
  });
});

test('every hashed field of v1 is still hashed, in the same order, in v2 (the form only grows)', () => {
  const v1Names = hashedFieldsOf(1).map((f) => f.name);
  expect(hashedFieldsOf(2).map((f) => f.name).filter((n) => v1Names.includes(n))).toEqual(v1Names);
  expect((CHANGE_RECORD_FIELDS as readonly FieldDefinition[]).filter((f) => f.sinceVersion === 2).map((f) => f.name)).toEqual(['keys_types', 'new_image_types', 'old_image_types']);
});
