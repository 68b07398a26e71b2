import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { CHANGE_RECORD_FIELDS } from '../../schemas/change-record';
import { hashedFieldNames } from '../../schemas/derive';
import { attributeToJson, mapToJson } from '../../lambda/core/attribute-json';
import { normalizeRecord, normalizeRecords } from '../../lambda/core/normalize';
import { canonicalContent, recordHash } from '../../lambda/core/record-hash';
import { loadEvent } from '../events/load';
import { attributeValue, buildStreamRecord, item, numberText, streamRecord } from '../support/dynamodb-arbitraries';

const PROCESSED_AT = '2026-11-26T00:00:00.000Z';
const PAYMENTS_TABLE = 'arn:aws:dynamodb:eu-west-1:033333333333:table/Payments';
const ORDERS_TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders';

describe('normalizeRecord on the AWS documentation sample event', () => {
  const [insert, modify, remove] = normalizeRecords(loadEvent('aws-docs-sample').Records, { processedAt: PROCESSED_AT });

  it('maps INSERT, MODIFY and REMOVE to op c, u and d with the stream identity', () => {
    expect([insert?.op, modify?.op, remove?.op]).toEqual(['c', 'u', 'd']);
    expect(insert).toMatchObject({
      event_id: 'c4ca4238a0b923820dcc509a6f75849b',
      event_name: 'INSERT',
      account_id: '222222222222',
      region: 'eu-west-1',
      table_name: 'ExampleTableWithStream',
      sequence_number: '100000000000000000111',
      stream_view_type: 'NEW_AND_OLD_IMAGES',
      size_bytes: 26,
      event_time: '2026-03-01T12:00:00.000Z',
      dt: '2026-03-01',
      processed_at: PROCESSED_AT,
      is_ttl_expiry: false,
      normalization_error: null,
      raw_record: null,
    });
  });

  it('writes images and keys as plain JSON and leaves absent images null', () => {
    expect(insert?.keys).toBe('{"Id":101}');
    expect(insert?.new_image).toBe('{"Message":"New item!","Id":101}');
    expect(insert?.old_image).toBeNull();
    expect(remove?.new_image).toBeNull();
    expect(remove?.old_image).toBe('{"Message":"This item has changed","Id":101}');
  });

  it('lists changed attributes: all new for INSERT, differing for MODIFY, all old for REMOVE', () => {
    expect(insert?.changed_attributes).toEqual(['Id', 'Message']);
    expect(modify?.changed_attributes).toEqual(['Message']);
    expect(remove?.changed_attributes).toEqual(['Id', 'Message']);
  });

  it('carries every schema field, and no other', () => {
    expect(Object.keys(insert ?? {}).sort()).toEqual(CHANGE_RECORD_FIELDS.map((f) => f.name).sort());
  });
});

describe('normalizeRecord on every DynamoDB type', () => {
  const record = normalizeRecord(loadEvent('all-types').Records[0], { processedAt: PROCESSED_AT, sourceOptions: { [PAYMENTS_TABLE]: { actorAttribute: 'updatedBy' } } });
  const image = record.new_image ?? '';

  it('keeps 38-digit numbers, exponents and integers above 2^53 with exactly the digits received', () => {
    expect(image).toContain('"balance":12345678901234567890123456789012345678');
    expect(image).toContain('"tiny":-1.5E-130');
    expect(image).toContain('"huge":9.9999999999999999999999999999999999999E+125');
    expect(image).toContain('"count":9007199254740993');
  });

  it('writes sets as sorted arrays, binary as base64, NULL as null', () => {
    const parsed = JSON.parse(image);
    expect(parsed.tags).toEqual(['blue', 'green', 'red']);
    expect(parsed.blobs).toEqual(['AQID', 'BAUG']);
    expect(parsed.avatar).toBe('iVBORw0KGgo=');
    expect(parsed.nothing).toBeNull();
    expect(parsed.active).toBe(true);
    expect(parsed.address.geo).toEqual({ lat: 45.764043, lon: 4.835659 });
    expect(parsed.history[1]).toEqual([true, ['a', 'b']]);
  });

  it('round-trips empty strings, unicode, quotes, backslashes and control characters through JSON', () => {
    const parsed = JSON.parse(image);
    expect(parsed.name).toBe('Zoë "Q" O\'Brien \\ 東京 🚀');
    expect(parsed.empty).toBe('');
    expect(parsed.control).toBe('tab\there\nnewline\u0001bell');
  });

  it('reports attributes changed at any depth, added and removed, but not reordered maps or sets', () => {
    // address.lines[2] changed deep inside; geo only reordered; tags only reordered; history's inner SS reordered.
    expect(record.changed_attributes).toEqual(['address', 'balance', 'deleted', 'legacy', 'updatedBy']);
  });

  it('gives a canonical item_key with key names sorted, and keys in the order received', () => {
    expect(record.item_key).toBe('{"pk":"user#0042","sk":"profile"}');
    expect(record.keys).toBe('{"sk":"profile","pk":"user#0042"}');
  });

  it('keeps leading zeros of the account id and the sequence number as received', () => {
    expect(record.account_id).toBe('033333333333');
    expect(record.sequence_number).toBe('4000000000000000000000000000000000000042');
  });

  it('takes the actor from the configured attribute of the new image', () => {
    expect(record).toMatchObject({ actor: 'alice@example.com', actor_source: 'attribute:updatedBy' });
  });
});

describe('the unmarshall traps the normalizer avoids', () => {
  it('unmarshall writes string sets as {} and throws on integers above 2^53, the normalizer does neither', () => {
    const tags = { SS: ['a', 'b'] };
    expect(JSON.stringify(unmarshall({ tags } as any))).toBe('{"tags":{}}');
    expect(() => JSON.stringify(unmarshall({ n: { N: '9007199254740993' } } as any, { wrapNumbers: false }))).toThrow();
    expect(mapToJson({ tags, n: { N: '9007199254740993' } }, 'image')).toBe('{"tags":["a","b"],"n":9007199254740993}');
  });
});

describe('TTL expiry', () => {
  const [ttl, userDelete] = normalizeRecords(loadEvent('ttl-expiry').Records, { processedAt: PROCESSED_AT, sourceOptions: { [ORDERS_TABLE]: { actorAttribute: 'updatedBy' } } });

  it('marks REMOVE by the DynamoDB service as a TTL expiry with the service as actor', () => {
    expect(ttl).toMatchObject({ is_ttl_expiry: true, actor: 'dynamodb.amazonaws.com', actor_source: 'ttl', op: 'd' });
    expect(JSON.parse(ttl?.user_identity ?? 'null')).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
  });

  it('treats a REMOVE without the service identity as a user delete, actor from the old image', () => {
    expect(userDelete).toMatchObject({ is_ttl_expiry: false, actor: 'dave', actor_source: 'attribute:updatedBy', user_identity: null });
  });
});

describe('stream view types', () => {
  const [keysOnly, newOnly, oldOnly, both] = normalizeRecords(loadEvent('view-types').Records, { processedAt: PROCESSED_AT });

  it('KEYS_ONLY carries keys but no images and no changed attributes', () => {
    expect(keysOnly).toMatchObject({ stream_view_type: 'KEYS_ONLY', keys: '{"customerId":"c-1"}', new_image: null, old_image: null, changed_attributes: null, normalization_error: null });
  });

  it('NEW_IMAGE and OLD_IMAGE carry one image, and a MODIFY then has no changed attributes', () => {
    expect(newOnly).toMatchObject({ new_image: '{"customerId":"c-1","tier":"platinum","modifiedBy":"frank"}', old_image: null, changed_attributes: null });
    expect(oldOnly).toMatchObject({ new_image: null, old_image: '{"customerId":"c-1","tier":"gold","modifiedBy":"erin"}', changed_attributes: null });
  });

  it('NEW_AND_OLD_IMAGES lists what changed', () => {
    expect(both?.changed_attributes).toEqual(['modifiedBy', 'tier']);
  });
});

describe('malformed records', () => {
  const records = loadEvent('malformed').Records;
  const out = normalizeRecords(records, { processedAt: PROCESSED_AT });

  it('yields exactly one record per input record, in order', () => {
    expect(out).toHaveLength(records.length);
    expect(out.map((r) => r.event_id)).toEqual(['missing-dynamodb', 'unknown-tag', 'bad-arn', 'bad-number', 'valid-after-bad', null]);
  });

  it('names what was wrong in normalization_error', () => {
    expect(out.map((r) => r.normalization_error)).toEqual([
      "dynamodb: expected the stream record's dynamodb block, got nothing",
      'dynamodb.NewImage.weird: unknown type tag "Q"',
      'eventSourceARN: "arn:aws:kinesis:eu-west-1:222222222222:stream/foo" is not a DynamoDB stream ARN: service is "kinesis", expected "dynamodb"',
      'dynamodb.NewImage.n.N: "12abc" is not a number',
      null,
      'record: expected an object, got the string "not even an object"',
    ]);
  });

  it('keeps the original record as raw_record and fills what could still be read', () => {
    expect(JSON.parse(out[1]?.raw_record ?? 'null')).toEqual(records[1]);
    expect(out[1]).toMatchObject({ account_id: '222222222222', table_name: 'Customers', sequence_number: '900000000000000000002', dt: '2026-03-04', op: 'c' });
    expect(out[2]).toMatchObject({ account_id: 'unknown', table_name: 'unknown' });
    expect(JSON.parse(out[5]?.raw_record ?? 'null')).toBe('not even an object');
    expect(out[4]?.raw_record).toBeNull();
  });

  it('dates a record without an event time by when it was processed', () => {
    expect(out[0]?.dt).toBe('2026-11-26');
    expect(out[0]?.event_time).toBeNull();
  });

  it('rejects values with two type tags and nesting deeper than DynamoDB allows', () => {
    expect(() => attributeToJson({ S: 'a', N: '1' }, 'x')).toThrow('x: an AttributeValue has exactly one type tag, got S, N');
    let deep: Record<string, unknown> = { S: 'leaf' };
    for (let i = 0; i < 40; i++) deep = { L: [deep] };
    expect(() => attributeToJson(deep, 'x')).toThrow('nested deeper than 32 levels');
  });

  it('turns JSON-invalid decimal spellings into JSON numbers without changing the digits', () => {
    expect(attributeToJson({ N: '+5' }, 'x')).toBe('5');
    expect(attributeToJson({ N: '.5' }, 'x')).toBe('0.5');
    expect(attributeToJson({ N: '007.50' }, 'x')).toBe('7.50');
    expect(() => attributeToJson({ N: '' }, 'x')).toThrow('x.N: "" is not a number');
    expect(() => attributeToJson({ N: 5 }, 'x')).toThrow('x.N: expected a number as a string, got number 5');
  });
});

describe('redaction', () => {
  const record = loadEvent('all-types').Records[0];
  const options = { [PAYMENTS_TABLE]: { actorAttribute: 'updatedBy', redact: ['balance', 'address.geo.lat', 'absent.path', 'name.not_a_map'] } };
  const out = normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: options });

  it('replaces configured paths in both images, nested through maps', () => {
    const newer = JSON.parse(out.new_image ?? '{}');
    const older = JSON.parse(out.old_image ?? '{}');
    expect(newer.balance).toBe('[REDACTED]');
    expect(older.balance).toBe('[REDACTED]');
    expect(newer.address.geo).toEqual({ lat: '[REDACTED]', lon: 4.835659 });
    expect(out.new_image).not.toContain('12345678901234567890123456789012345678');
  });

  it('still lists a change to a redacted attribute, and names the paths that were replaced', () => {
    expect(out.changed_attributes).toContain('balance');
    // name is a string: the path cannot descend into it, so the whole value is redacted (fail closed).
    expect(out.redacted_attributes).toEqual(['address.geo.lat', 'balance', 'name.not_a_map']);
    expect(JSON.parse(out.new_image ?? '{}').name).toBe('[REDACTED]');
  });

  it('does not change the stream record it was given', () => {
    expect(record.dynamodb.NewImage.balance).toEqual({ N: '12345678901234567890123456789012345678' });
  });

  it('redacts raw_record of an error record too', () => {
    const broken = structuredClone(record);
    broken.dynamodb.NewImage.bad = { X: '1' };
    const error = normalizeRecord(broken, { processedAt: PROCESSED_AT, sourceOptions: options });
    expect(error.normalization_error).toContain('unknown type tag "X"');
    expect(error.raw_record).not.toContain('12345678901234567890123456789012345678');
    expect(error.redacted_attributes).toEqual(['address.geo.lat', 'balance', 'name.not_a_map']);
  });

  it('redacts the actor when the actor attribute itself is redacted', () => {
    const actorRedacted = normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: { [PAYMENTS_TABLE]: { actorAttribute: 'updatedBy', redact: ['updatedBy'] } } });
    expect(actorRedacted.actor).toBe('[REDACTED]');
  });
});

describe('record_hash', () => {
  const record = loadEvent('all-types').Records[0];

  it('is the SHA-256 of the documented canonical form and ignores processed_at', () => {
    const a = normalizeRecord(record, { processedAt: '2026-01-01T00:00:00.000Z' });
    const b = normalizeRecord(record, { processedAt: '2027-01-01T00:00:00.000Z' });
    expect(a.record_hash).toBe(b.record_hash);
    expect(a.record_hash).toBe(recordHash(a));
    expect(a.record_hash).toMatch(/^[0-9a-f]{64}$/);
    const canonical = JSON.parse(canonicalContent(a));
    expect(canonical[0]).toBe('ddb-audit/record-hash/v3');
    expect(canonical).toContain(Date.parse('2026-03-02T12:00:00.000Z'));
  });

  it('changes when any hashed content changes', () => {
    const a = normalizeRecord(record, { processedAt: PROCESSED_AT });
    const changed = structuredClone(record);
    changed.dynamodb.NewImage.balance.N = '1';
    expect(normalizeRecord(changed, { processedAt: PROCESSED_AT }).record_hash).not.toBe(a.record_hash);
    expect(recordHash({ ...a, actor: 'mallory' })).not.toBe(a.record_hash);
  });
});

describe('properties', () => {
  it('any AttributeValue becomes valid JSON equal to the unmarshalled value', () => {
    fc.assert(
      fc.property(attributeValue, (av) => {
        const json = attributeToJson(av, 'v');
        expect(JSON.parse(json)).toEqual(referenceValue(av));
      }),
      { numRuns: 300 },
    );
  });

  it('writes sets of any size sorted by member text, leaving the received members in place', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 40 }), (members) => {
        const received = [...members];
        const json = attributeToJson({ SS: members }, 'v');
        expect(json).toBe(`[${members.map((m) => JSON.stringify(m)).sort().join(',')}]`);
        expect(members).toEqual(received);
      }),
      { numRuns: 300 },
    );
  });

  it('a MODIFY that only reorders maps and sets, at any depth, changes no attribute; changing one lists it', () => {
    fc.assert(
      fc.property(item, fc.nat(), (oldItem, pick) => {
        const keys = { pk: { S: 'k' } };
        const reordered = reorderMap(oldItem);
        const modify = (newImage: Record<string, unknown>) =>
          normalizeRecord(buildStreamRecord({ eventName: 'MODIFY', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: oldItem, newImage, seconds: 1772366400, sequence: 10n ** 20n, id: 'e1', sizeBytes: 1 }));
        expect(modify(reordered).changed_attributes).toEqual([]);
        const names = Object.keys(oldItem);
        const target = names[pick % names.length] as string;
        expect(modify({ ...reordered, [target]: { L: [reordered[target]] } }).changed_attributes).toEqual([target]);
      }),
      { numRuns: 200 },
    );
  });

  it('numbers keep their exact text at any depth', () => {
    fc.assert(
      fc.property(numberText, fc.integer({ min: 0, max: 5 }), (n, depth) => {
        let av: Record<string, unknown> = { N: n };
        for (let i = 0; i < depth; i++) av = i % 2 === 0 ? { L: [av] } : { M: { k: av } };
        const json = attributeToJson(av, 'v');
        expect(json.replace(/[[\]{}]|"k":/g, '')).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('every valid stream record normalizes without error to valid JSON fields and a reproducible hash', () => {
    fc.assert(
      fc.property(streamRecord, (record) => {
        const out = normalizeRecord(record, { processedAt: PROCESSED_AT });
        expect(out.normalization_error).toBeNull();
        for (const text of [out.keys, out.new_image, out.old_image]) if (text !== null) JSON.parse(text);
        expect(JSON.parse(JSON.stringify(out))).toEqual(out);
        expect(out.record_hash).toBe(recordHash(out));
      }),
      { numRuns: 200 },
    );
  });
});

/** The same item with every map's attributes and every set's members in reverse order, at any depth. */
function reorderMap(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).reverse().map(([name, av]) => [name, reorderValue(av as Record<string, any>)]));
}

function reorderValue(av: Record<string, any>): Record<string, unknown> {
  if (av.M !== undefined) return { M: reorderMap(av.M) };
  if (av.L !== undefined) return { L: av.L.map(reorderValue) };
  for (const tag of ['SS', 'NS', 'BS']) if (av[tag] !== undefined) return { [tag]: [...av[tag]].reverse() };
  return av;
}

/** An independent reference: unmarshall with numbers wrapped, sets as sorted arrays, numbers as doubles. */
function referenceValue(av: Record<string, unknown>): unknown {
  const plain = unmarshall({ v: av } as any, { wrapNumbers: true, convertWithoutMapWrapper: false } as any).v;
  return toPlain(plain);
}

function toPlain(value: any): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Set) return [...value].sort(compareMemberText).map(toPlain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object' && 'value' in value && Object.keys(value).length === 1 && typeof value.value === 'string') return Number(value.value);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  return value;
}

// Set members are sorted by their JSON text as received (numbers: their digits); sort the reference alike.
function compareMemberText(a: any, b: any): number {
  const text = (m: any) => (m instanceof Uint8Array ? JSON.stringify(Buffer.from(m).toString('base64')) : typeof m === 'string' ? JSON.stringify(m) : String(m.value));
  const x = text(a);
  const y = text(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

describe('record_hash canonical form', () => {
  /** The documented form of the record's schema_version, built independently of record-hash.ts. */
  function documentedForm(record: Record<string, any>): string {
    const version = record.schema_version as number;
    const parts = [JSON.stringify(`ddb-audit/record-hash/v${version}`)];
    for (const f of CHANGE_RECORD_FIELDS as readonly any[]) {
      if (!f.hashed || (f.sinceVersion ?? 1) > version) continue;
      let v = record[f.name];
      if (f.name === 'dt' && record.event_time === null) v = null;
      if (v === null || v === undefined) parts.push('null');
      else if (f.json) parts.push(version >= 2 ? `[${Buffer.from(v, 'utf16le').length / 2},${v}]` : v);
      else if (f.type === 'timestamp') parts.push(String(Date.parse(v)));
      else parts.push(JSON.stringify(v));
    }
    return `[${parts.join(',')}]`;
  }

  it('matches the documented form for any valid record, and for awkward plain strings', () => {
    fc.assert(
      fc.property(streamRecord, fc.string({ unit: 'binary', maxLength: 20 }), (record, actor) => {
        const out = normalizeRecord(record, { processedAt: PROCESSED_AT });
        expect(canonicalContent(out)).toBe(documentedForm(out));
        const awkward = { ...out, actor: `${actor}"\\\u0001\ud800🚀` };
        expect(canonicalContent(awkward)).toBe(documentedForm(awkward));
        // A record written as schema_version 1 (before the type fields) keeps its own form.
        const v1 = { ...out, schema_version: 1 };
        expect(canonicalContent(v1)).toBe(documentedForm(v1));
        expect(canonicalContent(v1)).not.toContain('keys_types');
      }),
      { numRuns: 200 },
    );
  });
});

describe('record_hash of timestamps', () => {
  const base = normalizeRecord(loadEvent('aws-docs-sample').Records[0], { processedAt: PROCESSED_AT });
  const EVENT_TIME = 1 + hashedFieldNames().indexOf('event_time'); // after the format tag

  it('reads any instant the collector writes as Date.parse does, however the records follow each other', () => {
    // Records of one day, of another day, and back: the per-day shortcut must not carry a day over.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 253402300799999 }), { minLength: 1, maxLength: 8 }), (instants) => {
        for (const ms of instants) {
          const eventTime = new Date(ms).toISOString();
          expect(JSON.parse(canonicalContent({ ...base, event_time: eventTime }))[EVENT_TIME]).toBe(ms);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('falls back to Date.parse for other spellings', () => {
    for (const eventTime of ['2026-03-01T12:00:00Z', '2026-03-01T24:00:00.000Z', '2026-03-01T12:00:00.5+02:00']) {
      expect(JSON.parse(canonicalContent({ ...base, event_time: eventTime }))[EVENT_TIME]).toBe(Date.parse(eventTime));
    }
  });
});

describe('record_hash of a row with a bad timestamp', () => {
  it('fails every time, not only the first', () => {
    const record = { ...normalizeRecord(loadEvent('aws-docs-sample').Records[0]), event_time: 'not a time' };
    expect(() => recordHash(record)).toThrow('event_time: "not a time" is not a timestamp');
    expect(() => recordHash(record)).toThrow('event_time: "not a time" is not a timestamp');
  });
});
