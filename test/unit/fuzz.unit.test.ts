/**
 * Fuzzing the collector's core (processBatch: normalize + deliver) with generated stream batches:
 * valid records of every type, operation and view type, items up to the 400 KB limit, and
 * malformed records of every kind (see test/support/malformed-arbitraries.ts).
 *
 * Whatever comes in: nothing throws, every input record yields exactly one change record in input
 * order (a normal one when valid, an error record keeping the original when not), the bytes that
 * reach Firehose (or the overflow object) are valid UTF-8 JSON that parses back to exactly that
 * record, and every JSON-text field parses. Firehose and S3 are in-memory scripts here (no
 * network in unit tests); the wire path is covered by the integration tests. FUZZ_RUNS=5000 runs
 * the main property longer.
 */
import fc from 'fast-check';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import type { ChangeRecord } from '../../schemas/change-record';
import { CHANGE_RECORD_FIELDS } from '../../schemas/change-record';
import { MAX_RECORD_BYTES } from '../../lambda/core/firehose-limits';
import { silentLogger } from '../../lambda/core/logger';
import { normalizeRecords } from '../../lambda/core/normalize';
import { processBatch } from '../../lambda/core/process-batch';
import type { Packing } from '../../lambda/core/packing';
import { anyRecord, bigRecord, FUZZ_TABLE_ARN, Labeled, makeBigRecord, nested } from '../support/malformed-arbitraries';
import { RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

const ITEM_SIZED = new Set<string>(CHANGE_RECORD_FIELDS.filter((f) => 'itemSized' in f && f.itemSized).map((f) => f.name));
const JSON_TEXT_FIELDS = CHANGE_RECORD_FIELDS.filter((f) => 'json' in f && f.json).map((f) => f.name as keyof ChangeRecord);

const sourceOptions = fc.constantFrom<CollectorSourceOptionsByTable>({}, { [FUZZ_TABLE_ARN]: { actorAttribute: 'pk', redact: ['a.b', '"q"', 'huge', '__proto__'] } });

async function run(labeled: readonly Labeled[], packing: Packing, options: CollectorSourceOptionsByTable) {
  const firehose = new ScriptedFirehose();
  const s3 = new RecordingS3();
  const outcome = await processBatch(
    { Records: labeled.map((l) => l.record) },
    { clients: { firehose, s3 }, sink: { deliveryStreamName: 'fuzz', packing, overflowBucket: 'overflow-bucket', overflowPrefix: 'overflow/' }, sourceOptions: options, logger: silentLogger, metrics: { addMetric: () => undefined } },
    () => 60_000,
  );
  return { outcome, firehose, s3 };
}

/** What reached Firehose, decoded as Firehose decodes it (UTF-8), one change record per line, in order. */
function deliveredLines(firehose: ScriptedFirehose): string[] {
  return firehose.accepted.flatMap((entry) => entry.toString('utf8').split('\n').filter((line) => line !== ''));
}

function expectDeliveredExactly(outcome: Awaited<ReturnType<typeof run>>['outcome'], firehose: ScriptedFirehose, s3: RecordingS3): void {
  const lines = deliveredLines(firehose);
  expect(lines).toHaveLength(outcome.records.length);
  lines.forEach((line, i) => {
    const sent = JSON.parse(line) as ChangeRecord;
    const record = outcome.records[i] as ChangeRecord;
    if (sent.overflow_uri === null) {
      expect(sent).toEqual(record);
      return;
    }
    // A pointer: the whole record is the overflow object, byte for byte.
    const stored = s3.objects.get(sent.overflow_uri.replace('s3://', ''));
    expect(stored).toBeDefined();
    expect(JSON.parse(stored as string)).toEqual(record);
    expectPointerOf(sent, record, line);
  });
}

/**
 * The pointer contract: it fits in one Firehose record; the images and raw_record never stay; each field
 * in overflow_fields was item-sized and set, and is null in the pointer; every other field is the record's.
 */
function expectPointerOf(sent: ChangeRecord, record: ChangeRecord, line: string): void {
  expect(Buffer.byteLength(`${line}\n`, 'utf8')).toBeLessThanOrEqual(MAX_RECORD_BYTES);
  const moved = new Set(sent.overflow_fields ?? []);
  expect([...moved].every((name) => ITEM_SIZED.has(name))).toBe(true);
  for (const name of ['new_image', 'old_image', 'raw_record'] as const) expect(sent[name]).toBeNull();
  const expected: Record<string, unknown> = { ...record, overflow_uri: sent.overflow_uri, overflow_fields: sent.overflow_fields };
  for (const name of moved) {
    expect(record[name as keyof ChangeRecord]).not.toBeNull();
    expected[name] = null;
  }
  for (const name of ['new_image', 'old_image', 'raw_record'] as const) if (record[name] === null) expected[name] = null;
  expect(sent).toEqual(expected);
}

function expectJsonFieldsParse(record: ChangeRecord): void {
  for (const field of JSON_TEXT_FIELDS) {
    const text = record[field];
    if (text !== null) expect(() => JSON.parse(text as string)).not.toThrow();
  }
}

describe('processBatch under fuzzed stream batches', () => {
  it('never throws, gives one change record per input record in order, and delivers each as JSON that parses back to it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyRecord, { maxLength: 25 }), fc.constantFrom<Packing>('ndjson', 'single'), sourceOptions, async (labeled, packing, options) => {
        // Act
        const { outcome, firehose, s3 } = await run(labeled, packing, options);
        // Assess
        expect(outcome.response.batchItemFailures).toEqual([]);
        expect(outcome.records).toHaveLength(labeled.length);
        outcome.records.forEach((record, i) => {
          const input = labeled[i] as Labeled;
          const original = input.record as { eventID?: unknown; dynamodb?: { SequenceNumber?: unknown } } | null;
          if (input.valid) {
            expect({ how: input.how, error: record.normalization_error }).toEqual({ how: input.how, error: null });
            expect(record.event_id).toBe(original?.eventID);
            expect(record.sequence_number).toBe(original?.dynamodb?.SequenceNumber);
          } else {
            expect({ how: input.how, error: typeof record.normalization_error }).toEqual({ how: input.how, error: 'string' });
            expect(record.raw_record).not.toBeNull();
            if (typeof original?.eventID === 'string') expect(record.event_id).toBe(original.eventID);
            // Without redaction configured for it, the original is kept whole.
            if (record.redacted_attributes === null) expect(record.raw_record).toBe(JSON.stringify(input.record) ?? JSON.stringify(String(input.record)));
          }
          expect(record.record_hash).toMatch(/^[0-9a-f]{64}$/);
          expectJsonFieldsParse(record);
        });
        expectDeliveredExactly(outcome, firehose, s3);
        // A second delivery of the same records (a retried batch) is recognizable: same event_id, same record_hash.
        const again = normalizeRecords(labeled.map((l) => l.record), { sourceOptions: options, processedAt: '2030-01-01T00:00:00.000Z' });
        expect(again.map((r) => [r.event_id, r.record_hash])).toEqual(outcome.records.map((r) => [r.event_id, r.record_hash]));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150) },
    );
  });

  it('keeps items up to the 400 KB limit whole: in one Firehose record, or in the overflow object behind a pointer', async () => {
    let overflowed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(bigRecord, { minLength: 1, maxLength: 3 }), fc.constantFrom<Packing>('ndjson', 'single'), async (labeled, packing) => {
        // Act
        const { outcome, firehose, s3 } = await run(labeled, packing, {});
        // Assess
        expect(outcome.response.batchItemFailures).toEqual([]);
        outcome.records.forEach((record, i) => {
          const input = (labeled[i] as Labeled).record as { dynamodb: { NewImage?: { body: { S: string } }; OldImage?: { body: { S: string } } } };
          expect(record.normalization_error).toBeNull();
          if (input.dynamodb.NewImage) expect(JSON.parse(record.new_image as string).body).toBe(input.dynamodb.NewImage.body.S);
          if (input.dynamodb.OldImage) expect(JSON.parse(record.old_image as string).body).toBe(input.dynamodb.OldImage.body.S);
        });
        expectDeliveredExactly(outcome, firehose, s3);
        overflowed += s3.objects.size;
      }),
      {
        numRuns: 12,
        // Always include the worst case: a MODIFY of a full 400 KB item whose JSON escapes to ~2.4 MB per image.
        examples: [[[makeBigRecord({ eventName: 'MODIFY', viewType: 'NEW_AND_OLD_IMAGES', size: 399_000, char: '\u0001', id: 'worst-case', sequence: 10n ** 21n })], 'ndjson']],
      },
    );
    expect(overflowed).toBeGreaterThan(0);
  });

  it('delivers a record nested far beyond JSON.stringify\'s stack as an error record that says why its original is missing', async () => {
    // Prepare: DynamoDB allows 32 levels; 100,000 can only be forged input, and no JSON text of it can be made here
    const record = { eventID: 'deep', eventName: 'INSERT', eventSourceARN: 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz/stream/2026-01-01T00:00:00.000', dynamodb: { ApproximateCreationDateTime: 1772366400, Keys: { pk: nested(100_000, 'M') }, SequenceNumber: '100000000000000000001', StreamViewType: 'KEYS_ONLY' } };
    // Act
    const { outcome, firehose, s3 } = await run([{ record, valid: false, how: 'deep' }], 'ndjson', {});
    // Assess
    expect(outcome.records[0]?.normalization_error).toMatch(/nested deeper than 32 levels/);
    expect(JSON.parse(outcome.records[0]?.raw_record as string)).toEqual({ unserializable: '[object Object]', reason: 'Maximum call stack size exceeded' });
    expectDeliveredExactly(outcome, firehose, s3);
  });

  it('treats an event without a Records array as an empty batch, without throwing', async () => {
    for (const event of [null, {}, { Records: 'x' }, [], 42]) {
      const outcome = await processBatch(event, { clients: { firehose: new ScriptedFirehose(), s3: new RecordingS3() }, sink: { deliveryStreamName: 'f', packing: 'ndjson', overflowBucket: 'b', overflowPrefix: 'o/' }, sourceOptions: {}, logger: silentLogger, metrics: { addMetric: () => undefined } }, () => 60_000);
      expect(outcome).toEqual({ response: { batchItemFailures: [] }, records: [], undelivered: [] });
    }
  });
});
