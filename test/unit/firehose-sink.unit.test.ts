/**
 * Sink logic against a scripted in-memory Firehose (test/support/scripted-firehose.ts): exact
 * failure sequences are needed here. The same sink talks to the local Firehose over HTTP with the
 * real SDK client in test/integration.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { deliverChangeRecords, overflowKey, SinkOptions } from '../../lambda/core/firehose-sink';
import { MAX_CALL_BYTES, MAX_RECORD_BYTES, MAX_RECORDS_PER_CALL, base64Size } from '../../lambda/core/firehose-limits';
import { silentLogger } from '../../lambda/core/logger';
import { normalizeRecord } from '../../lambda/core/normalize';
import { RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

function changeRecords(count: number, imageBytes = 100): ChangeRecord[] {
  const filler = 'x'.repeat(imageBytes);
  return Array.from({ length: count }, (_, i) =>
    normalizeRecord(
      {
        eventID: `event-${i}`,
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSourceARN: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000',
        dynamodb: {
          ApproximateCreationDateTime: 1772366400 + i,
          Keys: { pk: { S: `order#${i}` } },
          NewImage: { pk: { S: `order#${i}` }, filler: { S: filler } },
          SequenceNumber: String(100000000000000000000n + BigInt(i)),
          SizeBytes: imageBytes,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      },
      { processedAt: '2026-11-26T00:00:00.000Z' },
    ),
  );
}

const noSleep = async () => {};
function options(overrides: Partial<SinkOptions> = {}): SinkOptions {
  return {
    deliveryStreamName: 'audit-changes',
    packing: 'ndjson',
    overflowBucket: 'change-log',
    overflowPrefix: 'overflow/',
    remainingTimeMs: () => 60_000,
    sleep: noSleep,
    random: () => 0.5,
    ...overrides,
  };
}

describe('deliverChangeRecords', () => {
  it('packs many changes into one Firehose record as NDJSON, in order', async () => {
    const firehose = new ScriptedFirehose();
    const records = changeRecords(10);
    const report = await deliverChangeRecords(records, { firehose, s3: new RecordingS3() }, options(), silentLogger);
    expect(report).toMatchObject({ delivered: 10, undelivered: [], calls: 1, oversize: 0 });
    expect(firehose.calls[0]).toHaveLength(1);
    expect(firehose.acceptedRecords().map((r) => r.event_id)).toEqual(records.map((r) => r.event_id));
  });

  it('sends one change per Firehose record when packing is single', async () => {
    const firehose = new ScriptedFirehose();
    await deliverChangeRecords(changeRecords(7), { firehose, s3: new RecordingS3() }, options({ packing: 'single' }), silentLogger);
    expect(firehose.calls[0]).toHaveLength(7);
    expect(firehose.calls[0]?.every((entry) => entry.toString().split('\n').filter(Boolean).length === 1)).toBe(true);
  });

  it('splits at 500 sub-records per packed record and 500 records per call', async () => {
    const firehose = new ScriptedFirehose();
    const packed = await deliverChangeRecords(changeRecords(1001, 10), { firehose, s3: new RecordingS3() }, options(), silentLogger);
    expect(firehose.calls[0]?.map((entry) => entry.toString().split('\n').filter(Boolean).length)).toEqual([500, 500, 1]);
    expect(packed.delivered).toBe(1001);

    const single = new ScriptedFirehose();
    await deliverChangeRecords(changeRecords(1001, 10), { firehose: single, s3: new RecordingS3() }, options({ packing: 'single' }), silentLogger);
    expect(single.calls.map((c) => c.length)).toEqual([MAX_RECORDS_PER_CALL, MAX_RECORDS_PER_CALL, 1]);
  });

  it('keeps every record under 1,000 KB and every call under 4 MB', async () => {
    const firehose = new ScriptedFirehose();
    // 60 changes of ~200 KB: packed records fill to the record limit, calls to the call limit.
    const report = await deliverChangeRecords(changeRecords(60, 200_000), { firehose, s3: new RecordingS3() }, options(), silentLogger);
    expect(report.delivered).toBe(60);
    expect(firehose.calls.length).toBeGreaterThan(1);
    for (const call of firehose.calls) {
      expect(call.reduce((sum, e) => sum + base64Size(e.length), 0)).toBeLessThanOrEqual(MAX_CALL_BYTES);
      for (const entry of call) expect(entry.length).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    }
    expect(firehose.acceptedRecords()).toHaveLength(60);
  });

  it('resends only the failed entries of a partial failure', async () => {
    const firehose = new ScriptedFirehose((entries, call) => (call === 1 ? { fail: entries.map((_, i) => i % 2 === 1) } : undefined));
    const records = changeRecords(6);
    const report = await deliverChangeRecords(records, { firehose, s3: new RecordingS3() }, options({ packing: 'single' }), silentLogger);
    expect(report).toMatchObject({ delivered: 6, undelivered: [], retriedEntries: 3 });
    expect(firehose.calls.map((c) => c.length)).toEqual([6, 3]);
    expect(firehose.acceptedRecords().map((r) => r.event_id).sort()).toEqual(records.map((r) => r.event_id).sort());
  });

  it('retries a throttled call with capped exponential backoff and jitter', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });
    const firehose = new ScriptedFirehose((_e, call) => (call <= 3 ? { throw: throttled } : undefined));
    const delays: number[] = [];
    const report = await deliverChangeRecords(
      changeRecords(3),
      { firehose, s3: new RecordingS3() },
      options({ sleep: async (ms) => void delays.push(ms), random: () => 0.999, baseDelayMs: 100, maxDelayMs: 250 }),
      silentLogger,
    );
    expect(report.delivered).toBe(3);
    expect(delays).toEqual([99, 199, 249]);
  });

  it('reports what is still undelivered when the attempts run out', async () => {
    const firehose = new ScriptedFirehose((entries) => ({ fail: entries.map((e) => e.toString().includes('"event-2"') || e.toString().includes('"event-4"')) }));
    const report = await deliverChangeRecords(changeRecords(6), { firehose, s3: new RecordingS3() }, options({ packing: 'single', maxRounds: 3 }), silentLogger);
    expect(report.undelivered).toEqual([2, 4]);
    expect(report.delivered).toBe(4);
    expect(firehose.calls).toHaveLength(3);
  });

  it('stops retrying when the Lambda is about to time out', async () => {
    let remaining = 20_000;
    const firehose = new ScriptedFirehose((entries) => {
      remaining -= 8_000;
      return { fail: entries.map(() => true) };
    });
    const report = await deliverChangeRecords(changeRecords(2), { firehose, s3: new RecordingS3() }, options({ remainingTimeMs: () => remaining, safetyMarginMs: 5_000 }), silentLogger);
    expect(report.undelivered).toEqual([0, 1]);
    expect(firehose.calls).toHaveLength(2);
  });

  it('writes a change too large for one record whole to S3 and sends a pointer with the same hash', async () => {
    const firehose = new ScriptedFirehose();
    const s3 = new RecordingS3();
    const [small, big] = [changeRecords(1)[0]!, changeRecords(1, 1_200_000)[0]!];
    const report = await deliverChangeRecords([small, big], { firehose, s3 }, options(), silentLogger);
    expect(report).toMatchObject({ delivered: 2, oversize: 1 });
    const key = `change-log/${overflowKey(big, 'overflow/')}`;
    expect(JSON.parse(s3.objects.get(key) ?? 'null')).toEqual(big);
    const pointer = firehose.acceptedRecords()[1];
    expect(pointer).toMatchObject({ event_id: big.event_id, record_hash: big.record_hash, new_image: null, old_image: null, overflow_uri: `s3://${key}`, keys: big.keys });
  });

  it('reports an oversize change undelivered when the overflow write fails, and delivers the rest', async () => {
    const firehose = new ScriptedFirehose();
    const records = [changeRecords(1)[0]!, changeRecords(1, 1_200_000)[0]!];
    const report = await deliverChangeRecords(records, { firehose, s3: new RecordingS3(true) }, options(), silentLogger);
    expect(report.undelivered).toEqual([1]);
    expect(firehose.acceptedRecords()).toHaveLength(1);
  });
});
