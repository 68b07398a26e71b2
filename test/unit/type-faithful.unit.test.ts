/**
 * Type-faithful change records (issue 12, Medium 4): the plain images leave out S vs B and L vs
 * SS/NS/BS, so the *_types fields carry what they leave out; normalize then restore gives back the
 * stream record's images exactly, a type-only change is listed and changes record_hash.
 */
import fc from 'fast-check';
import { normalizeRecord } from '../../lambda/core/normalize';
import { recordHash } from '../../lambda/core/record-hash';
import { typedItem, TypedItemError } from '../../cli/item/typed-item';
import { parseJsonText } from '../../cli/item/json-text';
import { loadEvent } from '../events/load';
import { attributeValue, buildStreamRecord, item } from '../support/dynamodb-arbitraries';

const PROCESSED_AT = '2026-11-26T00:00:00.000Z';

/** DynamoDB does not keep the order of a set's members: compare sets as sorted lists. */
function canonicalSets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalSets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = (k === 'SS' || k === 'NS' || k === 'BS') && Array.isArray(v) ? [...v].map((m) => JSON.stringify(m)).sort() : canonicalSets(v);
  }
  return out;
}

function modify(oldImage: Record<string, unknown>, newImage: Record<string, unknown>) {
  const keys = { pk: { S: 'item#1' } };
  return buildStreamRecord({
    eventName: 'MODIFY',
    viewType: 'NEW_AND_OLD_IMAGES',
    keys,
    oldImage: { ...oldImage, ...keys },
    newImage: { ...newImage, ...keys },
    seconds: 1_772_452_800,
    sequence: 10n ** 25n,
    id: 'e-1',
    sizeBytes: 100,
  });
}

describe('type information', () => {
  it('round-trips any item exactly through normalize and restore (every type, nested, empty strings and lists)', () => {
    fc.assert(
      fc.property(item, item, fc.constantFrom({ S: 'k' }, { N: '-1.5E-130' }, { B: 'AAEC' }), (before, after, key) => {
        const keys = { pk: key };
        const record = buildStreamRecord({
          eventName: 'MODIFY',
          viewType: 'NEW_AND_OLD_IMAGES',
          keys,
          oldImage: { ...before, ...keys },
          newImage: { ...after, ...keys },
          seconds: 1_772_452_800,
          sequence: 10n ** 25n,
          id: 'e-2',
          sizeBytes: 100,
        });
        const out = normalizeRecord(record, { processedAt: PROCESSED_AT });
        expect(out.normalization_error).toBeNull();
        expect(canonicalSets(typedItem(out.new_image as string, out.new_image_types))).toEqual(canonicalSets(record.dynamodb.NewImage));
        expect(canonicalSets(typedItem(out.old_image as string, out.old_image_types))).toEqual(canonicalSets(record.dynamodb.OldImage));
        expect(typedItem(out.keys as string, out.keys_types)).toEqual(keys);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the all-types sample event, 38-digit numbers included', () => {
    const record = loadEvent('all-types').Records[0];
    const out = normalizeRecord(record, { processedAt: PROCESSED_AT });
    expect(canonicalSets(typedItem(out.new_image as string, out.new_image_types))).toEqual(canonicalSets(record.dynamodb.NewImage));
    expect(out.new_image_types).not.toBeNull();
  });

  it('writes no type field when the plain JSON implies every type (the common case costs nothing)', () => {
    const out = normalizeRecord(modify({ a: { S: 'x' }, n: { N: '1' }, m: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } } }, { a: { S: 'y' } }), { processedAt: PROCESSED_AT });
    expect([out.keys_types, out.new_image_types, out.old_image_types]).toEqual([null, null, null]);
  });

  it('writes only the annotations the plain JSON cannot say, nested by attribute name and list index', () => {
    const out = normalizeRecord(modify({}, { b: { B: 'AQ==' }, s: { SS: ['x'] }, m: { M: { z: { S: 'q' }, n: { NS: ['1'] } } }, l: { L: [{ S: 'a' }, { BS: ['AQ=='] }] } }), { processedAt: PROCESSED_AT });
    expect(JSON.parse(out.new_image_types as string)).toEqual({ b: 'B', s: 'SS', m: { n: 'NS' }, l: { 1: 'BS' } });
  });

  const typeOnlyChanges: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['S to B', { S: 'AQ==' }, { B: 'AQ==' }],
    ['SS to L', { SS: ['a'] }, { L: [{ S: 'a' }] }],
    ['NS to L', { NS: ['1'] }, { L: [{ N: '1' }] }],
    ['BS to SS', { BS: ['AQ=='] }, { SS: ['AQ=='] }],
    ['nested S to B', { M: { x: { L: [{ S: 'AQ==' }] } } }, { M: { x: { L: [{ B: 'AQ==' }] } } }],
  ];
  it.each(typeOnlyChanges)('lists a change of type alone (%s) and hashes it differently', (_name, before, after) => {
    const changed = normalizeRecord(modify({ v: before }, { v: after }), { processedAt: PROCESSED_AT });
    const same = normalizeRecord(modify({ v: before }, { v: before }), { processedAt: PROCESSED_AT });
    expect(changed.new_image).toBe(same.new_image); // the plain images cannot tell them apart
    expect(changed.changed_attributes).toEqual(['v']);
    expect(same.changed_attributes).toEqual([]);
    expect(changed.record_hash).not.toBe(same.record_hash);
    expect(recordHash(changed)).toBe(changed.record_hash);
  });

  it('lists any change of value or type, and nothing else, for random pairs of attributes', () => {
    fc.assert(
      fc.property(attributeValue, attributeValue, (a, b) => {
        const out = normalizeRecord(modify({ v: a }, { v: b }), { processedAt: PROCESSED_AT });
        const equal = JSON.stringify(canonicalSets(a)) === JSON.stringify(canonicalSets(b));
        // Maps compare regardless of attribute order, so only assert one way for unequal-looking maps.
        if (equal) expect(out.changed_attributes).toEqual([]);
        else if (!JSON.stringify(a).includes('"M"')) expect(out.changed_attributes).toEqual(['v']);
      }),
      { numRuns: 500 },
    );
  });

  it('types a redacted value as the S it became, in the image and its types alike', () => {
    const options = { 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz': { redact: ['secret'] } };
    const out = normalizeRecord(modify({}, { secret: { B: 'c2VjcmV0' } }), { processedAt: PROCESSED_AT, sourceOptions: options });
    expect(typedItem(out.new_image as string, out.new_image_types).secret).toEqual({ S: '[REDACTED]' });
    expect(out.new_image_types).toBeNull();
  });

  it('refuses types that do not fit the image instead of guessing', () => {
    expect(() => typedItem('{"a":1}', '{"a":"B"}')).toThrow(TypedItemError);
    expect(() => typedItem('{"a":"x"}', '{"b":"B"}')).toThrow('the types name attribute "b", which the image does not hold');
    expect(() => typedItem('{"a":["x"]}', '{"a":{"1":"B"}}')).toThrow('list index "1"');
    expect(() => typedItem('{"a":[]}', '{"a":"SS"}')).toThrow(TypedItemError);
  });

  it('keeps every digit of a number and treats __proto__ as an ordinary attribute name', () => {
    const item = typedItem('{"__proto__":{"n":12345678901234567890123456789012345678},"constructor":"x"}', '{"constructor":"B"}');
    expect(Object.keys(item)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(item)).toBe('{"__proto__":{"M":{"n":{"N":"12345678901234567890123456789012345678"}}},"constructor":{"B":"x"}}');
    expect(() => parseJsonText('{"a":1} x')).toThrow('text after the JSON value at position 8');
    expect(() => parseJsonText('{"a":1,"a":2}')).toThrow('duplicate member "a"');
  });
});
