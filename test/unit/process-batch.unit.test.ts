/**
 * The batch contract with the event source mapping, against the scripted Firehose
 * (test/support/scripted-firehose.ts) for exact failure placement.
 */
import { processBatch, retrySequenceNumber, BatchDependencies } from '../../lambda/core/process-batch';
import { METRIC, NORMALIZATION_ERROR_LOG_MESSAGE } from '../../lambda/core/telemetry';
import { loadEvent } from '../events/load';
import { RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

function dependencies(firehose: ScriptedFirehose) {
  const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const metrics: Record<string, number> = {};
  const log = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void logs.push({ level, message, extra: extra[0] ?? {} });
  const deps: BatchDependencies = {
    clients: { firehose, s3: new RecordingS3() },
    sink: { deliveryStreamName: 'audit-changes', packing: 'single', overflowBucket: 'log', overflowPrefix: 'overflow/', maxRounds: 2, sleep: async () => {} },
    sourceOptions: {},
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    metrics: { addMetric: (name, _unit, value) => void (metrics[name] = value) },
    now: () => new Date('2026-03-01T12:05:00.000Z'),
  };
  return { deps, logs, metrics };
}

describe('processBatch', () => {
  it('delivers every record and reports no failures when Firehose accepts all', async () => {
    const firehose = new ScriptedFirehose();
    const { deps, logs, metrics } = dependencies(firehose);
    const outcome = await processBatch(loadEvent('aws-docs-sample'), deps, () => 60_000);
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(firehose.acceptedRecords().map((r) => r.sequence_number)).toEqual(['100000000000000000111', '100000000000000000222', '100000000000000000333']);
    expect(metrics).toMatchObject({ [METRIC.changesReceived]: 3, [METRIC.changesDelivered]: 3, [METRIC.changesFailed]: 0, [METRIC.newestRecordAgeMs]: 180_000 });
    expect(logs.find((l) => l.message === 'batch processed')?.extra).toMatchObject({ batch_size: 3, first_sequence_number: '100000000000000000111', last_sequence_number: '100000000000000000333', delivered: 3, failed: 0 });
  });

  it('reports the sequence number of the earliest undelivered record so the mapping retries from there', async () => {
    const firehose = new ScriptedFirehose((entries) => ({ fail: entries.map((e) => !e.toString().includes('"100000000000000000111"')) }));
    const { deps } = dependencies(firehose);
    const outcome = await processBatch(loadEvent('aws-docs-sample'), deps, () => 60_000);
    expect(outcome.response).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000000000000222' }] });
    expect(outcome.undelivered).toEqual([1, 2]);
  });

  it('delivers malformed records as error records, logs each at error level, and never blocks the batch', async () => {
    const firehose = new ScriptedFirehose();
    const { deps, logs, metrics } = dependencies(firehose);
    const outcome = await processBatch(loadEvent('malformed'), deps, () => 60_000);
    expect(outcome.response.batchItemFailures).toEqual([]);
    const delivered = firehose.acceptedRecords();
    expect(delivered).toHaveLength(6);
    expect(delivered.filter((r) => r.normalization_error !== null)).toHaveLength(5);
    expect(logs.filter((l) => l.level === 'error' && l.message === NORMALIZATION_ERROR_LOG_MESSAGE)).toHaveLength(5);
    expect(metrics[METRIC.normalizationErrors]).toBe(5);
  });

  it('answers an event without Records with an empty response and an error log', async () => {
    const { deps, logs } = dependencies(new ScriptedFirehose());
    const outcome = await processBatch({ hello: 'world' }, deps, () => 60_000);
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(logs.some((l) => l.level === 'error' && String(l.extra.reason).includes('no Records array'))).toBe(true);
  });
});

describe('retrySequenceNumber', () => {
  const records = [{ dynamodb: { SequenceNumber: '100' } }, 'garbage', { dynamodb: { SequenceNumber: '300' } }];

  it('uses the undelivered record’s own sequence number', () => {
    expect(retrySequenceNumber(records, 2)).toBe('300');
  });

  it('falls back to the nearest earlier record when the undelivered one has none', () => {
    expect(retrySequenceNumber(records, 1)).toBe('100');
  });

  it('returns an empty identifier, which retries the whole batch, when none is usable', () => {
    expect(retrySequenceNumber(['garbage'], 0)).toBe('');
  });
});

describe('processBatch logging', () => {
  it('logs a normalization error with its text bounded, however long the attribute path it names', async () => {
    // Prepare: an unknown type tag under a nesting of 64 KB attribute names (the reason names the whole path)
    const name = 'n'.repeat(60_000);
    const record = { ...loadEvent('aws-docs-sample').Records[0], eventID: 'e'.repeat(200_000) };
    record.dynamodb = { ...record.dynamodb, NewImage: { [name]: { M: { [name]: { Q: '1' } } } } };
    const { deps, logs } = dependencies(new ScriptedFirehose());
    // Act
    const outcome = await processBatch({ Records: [record] }, deps, () => 60_000);
    // Assess
    expect(outcome.records[0]?.normalization_error?.length).toBeGreaterThan(120_000);
    const logged = logs.find((l) => l.message === NORMALIZATION_ERROR_LOG_MESSAGE);
    expect(String(logged?.extra.reason)).toMatch(/^dynamodb\.NewImage\.n+… \(\d+ more characters\)$/);
    expect(JSON.stringify(logs).length).toBeLessThan(20_000);
  });
});
