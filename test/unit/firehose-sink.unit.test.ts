/**
 * Sink logic against a scripted in-memory Firehose (test/support/scripted-firehose.ts): exact
 * failure sequences are needed here. The same sink talks to the local Firehose over HTTP with the
 * real SDK client in test/integration.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { Logger } from '@aws-lambda-powertools/logger';
import { deliverChangeRecords, ISOLATION_CALL_BUDGET, LOGGED_ERROR_MESSAGES, overflowKey, SinkOptions, summarizeEntryErrors } from '../../lambda/core/firehose-sink';
import { MAX_CALL_BYTES, MAX_RECORD_BYTES, MAX_RECORDS_PER_CALL, base64Size } from '../../lambda/core/firehose-limits';
import { silentLogger } from '../../lambda/core/logger';
import { groupIntoCalls } from '../../lambda/core/packing';
import { normalizeRecord } from '../../lambda/core/normalize';
import { CallScript, RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

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

/** What the deployed Firehose refuses: a record over 1,000 KiB, refused for the whole call (as the local Firehose does). */
const validationError = (message: string) => Object.assign(new Error(message), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
const enforcingLimits: CallScript = (entries) => {
  const big = entries.findIndex((e) => e.length > 1000 * 1024);
  return big >= 0 ? { throw: validationError(`record ${big} is ${entries[big]?.length} bytes; Firehose accepts at most 1024000`) } : undefined;
};

/** The example of issue 12: 200 KB of attribute names made of control characters, which JSON escapes six-fold. */
function controlCharacterNamesModify(id: string): ChangeRecord {
  const names = Array.from({ length: 4 }, (_, i) => `${'\u0001'.repeat(50_000)}${i}`);
  const image = (v: string) => Object.fromEntries([['pk', { S: id }], ...names.map((n) => [n, { S: v }])]);
  return normalizeRecord(
    { eventID: id, eventName: 'MODIFY', eventVersion: '1.1', eventSourceARN: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000', dynamodb: { ApproximateCreationDateTime: 1772366400, Keys: { pk: { S: id } }, OldImage: image('1'), NewImage: image('2'), SequenceNumber: '100000000000000000999', SizeBytes: 200_040, StreamViewType: 'NEW_AND_OLD_IMAGES' } },
    { processedAt: '2026-11-26T00:00:00.000Z' },
  );
}

describe('deliverChangeRecords under hostile items', () => {
  it('delivers a change whose changed_attributes alone exceeds a Firehose record, and every change packed with it', async () => {
    // Prepare
    const hostile = controlCharacterNamesModify('hostile-1');
    expect(Buffer.byteLength(JSON.stringify(hostile.changed_attributes))).toBeGreaterThan(MAX_RECORD_BYTES);
    const records = [...changeRecords(3), hostile, ...changeRecords(3).map((r) => ({ ...r, event_id: `after-${r.event_id}` }))];
    const firehose = new ScriptedFirehose(enforcingLimits);
    const s3 = new RecordingS3();
    // Act
    const report = await deliverChangeRecords(records, { firehose, s3 }, options(), silentLogger);
    // Assess
    expect(report).toMatchObject({ delivered: 7, undelivered: [], oversize: 1 });
    expect(firehose.calls.every((call) => call.every((entry) => entry.length <= MAX_RECORD_BYTES))).toBe(true);
    const accepted = firehose.acceptedRecords();
    expect(accepted.map((r) => r.event_id)).toEqual(records.map((r) => r.event_id));
    const pointer = accepted[3];
    expect(pointer).toMatchObject({ record_hash: hostile.record_hash, new_image: null, old_image: null, changed_attributes: null, keys: hostile.keys, item_key: hostile.item_key });
    expect(pointer.overflow_fields).toEqual(['new_image', 'old_image', 'changed_attributes']);
    expect(JSON.parse(s3.objects.get(pointer.overflow_uri.replace('s3://', '')) ?? 'null')).toEqual(hostile);
  });

  it('isolates the one line Firehose refuses for its content, sends it as its smallest pointer, and delivers the others', async () => {
    // Prepare: Firehose refuses (ValidationException, the whole call) any call holding this change's event_id
    const records = changeRecords(40);
    const poison = records[17] as ChangeRecord;
    const firehose = new ScriptedFirehose((entries) => (entries.some((e) => e.includes(`"${poison.event_id}"`)) ? { throw: validationError('refused') } : undefined));
    const s3 = new RecordingS3();
    // Act
    const report = await deliverChangeRecords(records, { firehose, s3 }, options(), silentLogger);
    // Assess
    expect(report).toMatchObject({ delivered: 40, undelivered: [] });
    const accepted = firehose.acceptedRecords();
    expect(accepted).toHaveLength(40);
    expect(accepted.filter((r) => r.overflow_uri === null).map((r) => r.event_id).sort()).toEqual(records.filter((r) => r !== poison).map((r) => r.event_id).sort());
    const pointer = accepted.find((r) => r.overflow_uri !== null);
    expect(pointer).toMatchObject({ record_hash: poison.record_hash, event_id: null, account_id: poison.account_id });
    expect(pointer.overflow_fields).toEqual(expect.arrayContaining(['event_id', 'new_image', 'keys']));
    expect(JSON.parse(s3.objects.get(pointer.overflow_uri.replace('s3://', '')) ?? 'null')).toEqual(poison);
    // One packed record of 40 lines: 1 call, 1 split into lines, then halving down to the one line, then the pointer.
    expect(firehose.calls.length).toBeLessThan(20);
  });

  it('gives up on a change whose smallest pointer is refused too, without holding back the others or looping', async () => {
    const records = changeRecords(10);
    const firehose = new ScriptedFirehose((entries) => (entries.some((e) => e.includes('"event-3"') || e.includes(`"${records[3]?.record_hash}"`)) ? { throw: validationError('refused') } : undefined));
    const report = await deliverChangeRecords(records, { firehose, s3: new RecordingS3() }, options({ packing: 'single' }), silentLogger);
    expect(report.undelivered).toEqual([3]);
    expect(firehose.acceptedRecords().map((r) => r.event_id).sort()).toEqual(records.filter((_, i) => i !== 3).map((r) => r.event_id).sort());
  });

  it('spends a bounded number of calls when Firehose refuses everything for its content', async () => {
    const firehose = new ScriptedFirehose(() => ({ throw: validationError('stream-wide') }));
    const report = await deliverChangeRecords(changeRecords(2000, 10), { firehose, s3: new RecordingS3() }, options({ maxRounds: 3 }), silentLogger);
    expect(report.undelivered).toHaveLength(2000);
    expect(firehose.calls.length).toBeLessThanOrEqual(3 * 4 + ISOLATION_CALL_BUDGET + 2 * 2000);
    expect(firehose.calls.length).toBeLessThan(600);
  });

  it('counts the whole request body against the 4 MB call limit, not only the records', () => {
    // 7,500 bytes is 10,000 in base64: 400 of them are exactly 4,000,000 bytes before the JSON around them.
    const calls = groupIntoCalls(Array.from({ length: 1000 }, () => ({ data: Buffer.alloc(7_500, 1) })));
    for (const call of calls) {
      const body = JSON.stringify({ DeliveryStreamName: 'd'.repeat(64), Records: call.map((e) => ({ Data: e.data.toString('base64') })) });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    }
  });
});

describe('deliverChangeRecords logging', () => {
  // The Powertools logger writes warnings to stderr (its own Console over process.stdout and process.stderr).
  function powertoolsOutput(): { lines: () => Record<string, unknown>[]; restore: () => void } {
    const written: string[] = [];
    const record = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(record), jest.spyOn(process.stderr, 'write').mockImplementation(record)];
    return { lines: () => written.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)), restore: () => spies.forEach((spy) => spy.mockRestore()) };
  }

  it('logs the error code and message of a failed call through the Powertools logger', async () => {
    const output = powertoolsOutput();
    try {
      const logger = new Logger({ serviceName: 'sink-test' });
      const firehose = new ScriptedFirehose((_e, call) => (call === 1 ? { throw: Object.assign(new Error('Firehose is unavailable right now'), { name: 'ServiceUnavailableException' }) } : undefined));
      await deliverChangeRecords(changeRecords(2), { firehose, s3: new RecordingS3() }, options(), logger);
      const warning = output.lines().find((l) => l.message === 'PutRecordBatch call failed');
      expect(warning).toMatchObject({ error_code: 'ServiceUnavailableException', error_message: 'Firehose is unavailable right now' });
    } finally {
      output.restore();
    }
  });

  it('summarizes the entry errors of a partial failure: a count per error code and the first messages, bounded', async () => {
    const logged: Record<string, unknown>[] = [];
    const logger = { ...silentLogger, warn: (message: string, ...extra: Record<string, unknown>[]) => void logged.push({ message, ...extra[0] }) };
    const firehose = new ScriptedFirehose((entries, call) => (call === 1 ? { fail: entries.map(() => true) } : undefined));
    await deliverChangeRecords(changeRecords(300), { firehose, s3: new RecordingS3() }, options({ packing: 'single' }), logger);
    const warning = logged.find((l) => l.message === 'Firehose refused some entries');
    expect(warning).toMatchObject({ failed: 300, sent: 300, error_codes: { ServiceUnavailableException: 300 }, error_messages: ['ServiceUnavailableException: Slow down.'] });
  });

  it('keeps at most a few distinct messages, each cut short, whatever Firehose returns', () => {
    const responses = Array.from({ length: 500 }, (_, i) => ({ ErrorCode: i % 2 ? 'InternalFailure' : 'ServiceUnavailableException', ErrorMessage: `${i} ${'x'.repeat(100_000)}` }));
    const summary = summarizeEntryErrors(responses, 501);
    expect(summary.error_codes).toEqual({ InternalFailure: 250, ServiceUnavailableException: 250, MissingResponse: 1 });
    expect(summary.error_messages).toHaveLength(LOGGED_ERROR_MESSAGES);
    expect(summary.error_messages.every((m) => m.length < 1200)).toBe(true);
  });
});

describe('deliverChangeRecords when Firehose refuses single entries for their content', () => {
  it('splits a packed entry refused with InvalidArgumentException into its lines and sends the refused one as its smallest pointer', async () => {
    // Prepare: any entry holding this change is failed one by one with a content error code (not retryable as it is)
    const records = changeRecords(30);
    const poison = records[11] as ChangeRecord;
    const firehose = new ScriptedFirehose((entries) => ({ fail: entries.map((e) => e.includes(`"${poison.event_id}"`)) }));
    const original = firehose.send.bind(firehose);
    firehose.send = async (command) => {
      const reply = await original(command);
      return { ...reply, RequestResponses: reply.RequestResponses?.map((r) => (r.ErrorCode ? { ErrorCode: 'InvalidArgumentException', ErrorMessage: 'record is not valid' } : r)) };
    };
    const s3 = new RecordingS3();
    // Act
    const report = await deliverChangeRecords(records, { firehose, s3 }, options(), silentLogger);
    // Assess
    expect(report).toMatchObject({ delivered: 30, undelivered: [] });
    const accepted = firehose.acceptedRecords();
    expect(accepted.filter((r) => r.overflow_uri === null)).toHaveLength(29);
    expect(accepted.find((r) => r.overflow_uri !== null)).toMatchObject({ record_hash: poison.record_hash, event_id: null });
    expect(firehose.calls.length).toBeLessThan(6);
  });
});
