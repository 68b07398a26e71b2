/**
 * The overflow pointer's size is bounded, and the bound is computed here from the schema and from the
 * limits of what the item cannot control (lambda/core/overflow-pointer.ts explains the steps).
 */
import fc from 'fast-check';
import { CHANGE_RECORD_FIELDS, ChangeRecord, FieldDefinition } from '../../schemas/change-record';
import { MAX_RECORD_BYTES } from '../../lambda/core/firehose-limits';
import { normalizeRecord } from '../../lambda/core/normalize';
import { ALWAYS_MOVED_FIELDS, KEPT_WHILE_FITTING_FIELDS, LAST_RESORT_FIELDS, overflowPointer } from '../../lambda/core/overflow-pointer';
import { anyRecord } from '../support/malformed-arbitraries';
import { EVERY_KIND, HOSTILE_ACTOR_ATTRIBUTE, hostileChange, hostileStreamRecord } from '../support/hostile-items';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;
const SOURCE_OPTIONS = { 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz': { actorAttribute: HOSTILE_ACTOR_ATTRIBUTE } };

/**
 * The largest S3 URI: "s3://", a bucket name of 63 characters
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), "/", and a key of
 * 1,024 bytes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html) spelled in the
 * character JSON escapes most.
 */
const WORST_URI = `s3://${'b'.repeat(63)}/${'\u0001'.repeat(1024)}`;

/**
 * The largest value the collector itself can give each non-nullable field, whatever the input:
 * schema_version is an int; processed_at is Date#toISOString (24 characters up to year 9999);
 * account_id is 12 digits or "unknown" and table_name 3 to 255 of [A-Za-z0-9_.-] or "unknown" (both
 * from lambda/core/stream-arn.ts's pattern); dt is yyyy-MM-dd; record_hash is 64 hex digits.
 * A non-nullable field added to the schema fails the first test below until it is listed here.
 */
const NON_NULLABLE_MAXIMA: Record<string, unknown> = {
  schema_version: -(2 ** 31),
  is_ttl_expiry: false,
  processed_at: '9999-12-31T23:59:59.999Z',
  account_id: 'unknown'.padEnd(12, '0'),
  table_name: 'T'.repeat(255),
  dt: '9999-12-31',
  record_hash: 'f'.repeat(64),
};

/** The last-resort pointer at its largest: every nullable field null, every other at its maximum. */
function worstLastResortPointer(): number {
  const record = Object.fromEntries(FIELDS.map((f) => [f.name, f.nullable ? 'x'.repeat(2_000_000) : NON_NULLABLE_MAXIMA[f.name]])) as unknown as ChangeRecord;
  return overflowPointer(record, WORST_URI, 0, { lastResort: true }).bytes;
}

describe('overflow pointer', () => {
  it('moves exactly the schema\'s item-sized fields first, and every nullable field as a last resort', () => {
    expect(FIELDS.filter((f) => !f.nullable).map((f) => f.name)).toEqual(Object.keys(NON_NULLABLE_MAXIMA));
    expect([...ALWAYS_MOVED_FIELDS, ...KEPT_WHILE_FITTING_FIELDS].sort()).toEqual(FIELDS.filter((f) => f.itemSized).map((f) => f.name).sort());
    expect(ALWAYS_MOVED_FIELDS).toEqual(expect.arrayContaining(['new_image', 'old_image', 'raw_record']));
    expect(KEPT_WHILE_FITTING_FIELDS).toEqual(expect.arrayContaining(['keys', 'item_key', 'changed_attributes', 'actor', 'normalization_error']));
    expect(LAST_RESORT_FIELDS).not.toContain('overflow_uri');
    expect(LAST_RESORT_FIELDS).not.toContain('overflow_fields');
  });

  it('is bounded by the schema alone: the last-resort pointer is at most a few KB, whatever the record holds', () => {
    const bound = worstLastResortPointer();
    // ~7.5 KB: 6 KB of them the escaped worst-case URI.
    expect(bound).toBeLessThan(12 * 1024);
    fc.assert(
      fc.property(anyRecord, fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 100_000 }), (labeled, char, size) => {
        // Prepare: a record the normalizer made, with every nullable string field grown past the limit
        const record = normalizeRecord(labeled.record, { processedAt: '2026-03-01T00:00:00.000Z' }) as unknown as Record<string, unknown>;
        const junk = `${char}\u0001`.repeat(size);
        for (const f of FIELDS) if (f.nullable && f.type === 'string') record[f.name] = junk;
        // Act
        const pointer = overflowPointer(record as unknown as ChangeRecord, WORST_URI, MAX_RECORD_BYTES);
        // Assess
        expect(pointer.bytes).toBeLessThanOrEqual(MAX_RECORD_BYTES);
        expect(overflowPointer(record as unknown as ChangeRecord, WORST_URI, 0, { lastResort: true }).bytes).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 15 },
    );
  });

  it('keeps every field DynamoDB decides (and the keys) for the worst item DynamoDB accepts, within a bound computed from its limits', () => {
    // The fields the item cannot control, at their largest as documented: SequenceNumber 40 digits
    // (API_streams_StreamRecord), StreamArn up to 1,024 characters (API_streams_DescribeStream),
    // StreamViewType NEW_AND_OLD_IMAGES, SizeBytes a long, userIdentity { type, principalId } of TTL.
    // Not documented, so taken at 4x what DynamoDB sends: eventID (32 hex digits) and eventVersion ("1.1").
    // actor_source names the configured attribute, here at 255 characters, and redacted_attributes the
    // configured paths (here 20 of 255). Anything larger moves at the last step (previous test).
    const escaped = (n: number) => 6 * n; // a character escapes to at most 6 bytes in JSON (\u0001)
    const documented = {
      event_id: 128, event_name: 6, op: 1, event_version: 12, event_time: 24, region: 20, stream_arn: escaped(1024), sequence_number: 40,
      stream_view_type: 18, size_bytes: 19, user_identity: 64, actor_source: 10 + escaped(255), redacted_attributes: 20 * (escaped(255) + 3),
    };
    // Keys: names of 255 characters, values of 2,048 and 1,024 bytes, each escaping to 6 bytes a byte; twice (keys and item_key).
    const keysBound = 2 * (2 + escaped(255) * 2 + escaped(2048) + escaped(1024) + 10);
    const namesAndPunctuation = FIELDS.reduce((n, f) => n + f.name.length + 8, 0) + 2 * 20 /* overflow_fields */ * 24;
    const bound = Object.values(documented).reduce((a, b) => a + b, 0) + keysBound + Buffer.byteLength(JSON.stringify(WORST_URI)) + namesAndPunctuation + 2 * 1024 /* the non-nullable fields, see above */;
    // ~90 KB, of which ~43 KB the two spellings of the largest key.
    expect(bound).toBeLessThan(MAX_RECORD_BYTES / 4);

    for (const change of EVERY_KIND) {
      // Prepare: the worst stream record DynamoDB can send for this item, identity fields at their largest
      const stream = hostileStreamRecord(change, 'e'.repeat(128), 10n ** 39n) as Record<string, any>;
      stream.eventSourceARN = `arn:aws-us-gov:dynamodb:us-gov-west-1:012345678901:table/${'T'.repeat(255)}/stream/${'\u0001'.repeat(1024 - 100 - 255)}`;
      const record = normalizeRecord(stream, { sourceOptions: SOURCE_OPTIONS });
      expect({ how: change.how, error: record.normalization_error }).toEqual({ how: change.how, error: null });
      // Act
      const pointer = overflowPointer(record, WORST_URI, MAX_RECORD_BYTES);
      // Assess
      expect({ how: change.how, within: pointer.bytes <= MAX_RECORD_BYTES }).toEqual({ how: change.how, within: true });
      const moved = pointer.pointer.overflow_fields ?? [];
      expect({ how: change.how, movedOnlyItemSized: moved.every((name) => FIELDS.find((f) => f.name === name)?.itemSized) }).toEqual({ how: change.how, movedOnlyItemSized: true });
      // With every item-sized field but the keys moved, what is left is within the bound computed above.
      const keysKept = overflowPointer({ ...record, changed_attributes: null, actor: null, normalization_error: null }, WORST_URI, MAX_RECORD_BYTES);
      expect(keysKept.pointer.keys).toBe(record.keys);
      expect({ how: change.how, bytes: keysKept.bytes <= bound }).toEqual({ how: change.how, bytes: true });
      if (change.how.startsWith('max-keys')) expect(pointer.pointer.item_key).toBe(record.item_key);
    }
  });

  it('says what moved, keeps everything else, and keeps the small fields queries select on while they fit', () => {
    fc.assert(
      fc.property(hostileChange, (change) => {
        const record = normalizeRecord(hostileStreamRecord(change, 'e1', 10n ** 20n), { sourceOptions: SOURCE_OPTIONS });
        const { pointer, bytes } = overflowPointer(record, 's3://overflow/x.json', MAX_RECORD_BYTES);
        expect(bytes).toBeLessThanOrEqual(MAX_RECORD_BYTES);
        const moved = new Set(pointer.overflow_fields);
        for (const f of FIELDS) {
          const name = f.name as keyof ChangeRecord;
          if (name === 'overflow_uri' || name === 'overflow_fields') continue;
          if (moved.has(name)) {
            expect(pointer[name]).toBeNull();
            expect(record[name]).not.toBeNull();
          } else if (!ALWAYS_MOVED_FIELDS.includes(name)) expect(pointer[name]).toEqual(record[name]);
          else expect(pointer[name]).toBeNull();
        }
        // Keys (at most ~43 KB escaped) always fit beside the rest of a DynamoDB record.
        expect(pointer.keys).toBe(record.keys);
        expect(pointer.item_key).toBe(record.item_key);
        expect(pointer.record_hash).toBe(record.record_hash);
      }),
      { numRuns: 15 },
    );
  });
});
