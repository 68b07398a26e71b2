/**
 * The stream-lifecycle watch in each state a source can be in, through the real SDK clients with
 * their send() mocked: DynamoDB, DynamoDB Streams and Lambda have no local peer here, so
 * aws-sdk-client-mock (at the command level) is the nearest to the real path we can run.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import type { ChangeRecord } from '../../schemas/change-record';
import { recordHash } from '../../lambda/core/record-hash';
import { silentLogger } from '../../lambda/core/logger';
import { shardCount, sourcesDue, type WatchSource } from '../../lambda/watch/check-sources';
import { gapIdOf, type GapImage } from '../../lambda/watch/gap-record';
import { rateLimiter, type Clock } from '../../lambda/watch/rate-limit';
import { runWatch, UNHEALTHY_SOURCE_LOG_PREFIX, type RunWatchDependencies } from '../../lambda/watch/run-watch';
import { assessSource, type SourceObservation } from '../../lambda/watch/source-health';
import { parseWatchSources } from '../../lambda/watch/watch-environment';
import type { WatchState } from '../../lambda/watch/watch-state';

const TABLE = 'arn:aws:dynamodb:eu-west-1:444455556666:table/Orders';
const OLD = `${TABLE}/stream/2026-03-01T00:00:00.000`;
const NEW = `${TABLE}/stream/2026-03-02T08:00:00.000`;
const SOURCE: WatchSource = { tableArn: TABLE, streamArn: OLD };

const ddb = mockClient(DynamoDBClient);
const streams = mockClient(DynamoDBStreamsClient);
const lambda = mockClient(LambdaClient);

function throttle(name = 'ThrottlingException'): Error {
  return Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: 400 } });
}

function tableAnswers(latest: string | null, enabled = true, viewType = 'NEW_AND_OLD_IMAGES') {
  ddb.on(DescribeTableCommand).resolves({ Table: { TableArn: TABLE, LatestStreamArn: latest ?? undefined, StreamSpecification: { StreamEnabled: enabled, StreamViewType: enabled ? (viewType as 'NEW_AND_OLD_IMAGES') : undefined } } });
}
function streamAnswers(arn: string, status: string, created = '2026-03-01T00:00:00.000Z') {
  streams.on(DescribeStreamCommand, { StreamArn: arn }).resolves({ StreamDescription: { StreamArn: arn, StreamStatus: status as 'ENABLED', StreamViewType: 'NEW_AND_OLD_IMAGES', CreationRequestDateTime: new Date(created) } });
}
function mappingAnswers(arn: string, state = 'Enabled', lastProcessingResult = 'OK') {
  lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'u-1', EventSourceArn: arn, State: state, LastProcessingResult: lastProcessingResult }] });
}

/** A clock that never waits for real: sleeps advance it, and are recorded. */
function fakeClock(start = 0): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } };
}

interface Harness {
  deps: RunWatchDependencies;
  saved: string[];
  delivered: ChangeRecord[];
  errors: { message: string; fields: unknown }[];
  metrics: Record<string, number>;
  clock: ReturnType<typeof fakeClock>;
}

function harness(sources: WatchSource[], state: WatchState | undefined, now: string, options: { undeliverable?: boolean } = {}): Harness {
  const saved: string[] = [];
  const delivered: ChangeRecord[] = [];
  const errors: { message: string; fields: unknown }[] = [];
  const metrics: Record<string, number> = {};
  const clock = fakeClock();
  const deps: RunWatchDependencies = {
    sources,
    clients: { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), streams: new DynamoDBStreamsClient({ region: 'eu-west-1' }), lambda: new LambdaClient({ region: 'eu-west-1' }) },
    check: { collectorFunctionName: 'ddb-audit-collector', intervalMinutes: 5, maxCallsPerSecond: 50, runIndex: 0, acquire: rateLimiter(50, clock), acquireDescribeStream: rateLimiter(5, clock), clock },
    store: { load: async () => (state ? JSON.stringify(state) : undefined), save: async (text) => void saved.push(text) },
    deliver: async (records) => {
      if (options.undeliverable) return records.map((_, i) => i);
      delivered.push(...records);
      return [];
    },
    logger: { ...silentLogger, error: (message: string, fields?: unknown) => void errors.push({ message, fields }) } as RunWatchDependencies['logger'],
    addMetric: (name, value) => void (metrics[name] = value),
    now: () => now,
  };
  return { deps, saved, delivered, errors, metrics, clock };
}

beforeEach(() => {
  ddb.reset();
  streams.reset();
  lambda.reset();
});

describe('the stream-lifecycle watch', () => {
  it('reports a source healthy when its table, stream and mapping all agree', async () => {
    // Prepare
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(OLD);
    const h = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    // Act
    const report = await runWatch(h.deps);
    // Assess
    expect(report.healthy).toBe(1);
    expect(report.gapRecords).toEqual([]);
    expect(h.metrics).toMatchObject({ UnhealthySources: 0, UnknownSources: 0, CheckedSources: 1 });
    expect(JSON.parse(h.saved[0] as string).sources[TABLE]).toMatchObject({ health: 'healthy', streamStatus: 'ENABLED', mappingState: 'Enabled', lastHealthyAt: '2026-03-02T10:00:00.000Z' });
    // The table was described by ARN (a cross-account call needs it) and the stream with Limit 1.
    expect(ddb.commandCalls(DescribeTableCommand)[0]?.args[0].input).toEqual({ TableName: TABLE });
    expect(streams.commandCalls(DescribeStreamCommand)[0]?.args[0].input).toEqual({ StreamArn: OLD, Limit: 1 });
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)[0]?.args[0].input).toMatchObject({ FunctionName: 'ddb-audit-collector', MaxItems: 100 });
  });

  it('reports a disabled stream as unhealthy, opens a gap from the last healthy run, and logs the table and the command', async () => {
    tableAnswers(null, false);
    streamAnswers(OLD, 'DISABLED');
    mappingAnswers(OLD);
    const previous: WatchState = { version: 1, updatedAt: '2026-03-02T09:55:00.000Z', sources: {} };
    const first = harness([SOURCE], previous, '2026-03-02T09:55:00.000Z');
    // a healthy run first, so the gap has a lower bound
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    await runWatch(first.deps);
    tableAnswers(null, false);
    streamAnswers(OLD, 'DISABLED');
    const h = harness([SOURCE], JSON.parse(first.saved[0] as string), '2026-03-02T10:00:00.000Z');

    const report = await runWatch(h.deps);

    expect(report.unhealthy.map((u) => u.problems)).toEqual([['stream-disabled']]);
    expect(h.metrics.UnhealthySources).toBe(1);
    expect(h.errors[0]).toEqual({ message: UNHEALTHY_SOURCE_LOG_PREFIX, fields: expect.objectContaining({ table_arn: TABLE, configured_stream_arn: OLD, current_stream_arn: null, command: expect.stringContaining(`ddb-audit sources rotate --table-arn ${TABLE}`) }) });
    expect(h.delivered).toHaveLength(1);
    const gap = h.delivered[0] as ChangeRecord;
    expect(gap).toMatchObject({ op: 'g', event_name: 'GAP', account_id: '444455556666', region: 'eu-west-1', table_name: 'Orders', dt: '2026-03-02' });
    expect(JSON.parse(gap.new_image as string)).toMatchObject({ state: 'open', old_stream_arn: OLD, new_stream_arn: null, gap_from: '2026-03-02T09:55:00.000Z', gap_to: null });
  });

  it('reports a new stream ARN, names old and new ARN and the rotate command, and closes the gap once the mapping reads the new stream', async () => {
    // Run 1: the table has a new stream; the mapping still reads the old one.
    tableAnswers(NEW);
    streamAnswers(OLD, 'DISABLED');
    streamAnswers(NEW, 'ENABLED', '2026-03-02T08:00:00.000Z');
    mappingAnswers(OLD);
    const h1 = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    const r1 = await runWatch(h1.deps);
    expect(r1.unhealthy[0]).toMatchObject({ latestStreamArn: NEW });
    expect(r1.unhealthy[0]!.problems).toContain('stream-replaced');
    expect(h1.errors[0]?.fields).toMatchObject({ configured_stream_arn: OLD, current_stream_arn: NEW, command: `ddb-audit sources rotate --table-arn ${TABLE} --stream-arn ${NEW} && npx cdk deploy --all` });
    const open = JSON.parse(h1.delivered[0]!.new_image as string) as GapImage;
    expect(open).toMatchObject({ state: 'open', gap_id: gapIdOf(TABLE, OLD), old_stream_arn: OLD, new_stream_arn: NEW, gap_from: null });

    // Run 2: still not rotated: no second gap for the same old stream.
    const h2 = harness([SOURCE], JSON.parse(h1.saved[0] as string), '2026-03-02T10:05:00.000Z');
    await runWatch(h2.deps);
    expect(h2.delivered).toEqual([]);

    // Run 3: rotated and deployed: config and mapping on NEW.
    mappingAnswers(NEW);
    const h3 = harness([{ tableArn: TABLE, streamArn: NEW }], JSON.parse(h2.saved[0] as string), '2026-03-02T10:30:00.000Z');
    const r3 = await runWatch(h3.deps);
    expect(r3.healthy).toBe(1);
    expect(h3.delivered).toHaveLength(1);
    const closed = h3.delivered[0] as ChangeRecord;
    expect(JSON.parse(closed.new_image as string)).toMatchObject({ state: 'closed', gap_id: open.gap_id, old_stream_arn: OLD, new_stream_arn: NEW, gap_to: '2026-03-02T08:00:00.000Z' });
    expect(closed.event_id).not.toBe(h1.delivered[0]!.event_id);
    expect(JSON.parse(h3.saved[0] as string).sources[TABLE].openGap).toBeNull();
  });

  it('closes a gap at now - 24 h when the new stream is older than its retention (its first records are trimmed)', async () => {
    tableAnswers(NEW);
    streamAnswers(NEW, 'ENABLED', '2026-03-01T00:00:00.000Z');
    mappingAnswers(NEW);
    const state: WatchState = { version: 1, updatedAt: 'x', sources: { [TABLE]: { tableArn: TABLE, configuredStreamArn: OLD, latestStreamArn: NEW, health: 'unhealthy', problems: ['stream-replaced'], unknownReasons: [], streamStatus: 'DISABLED', mappingState: 'Enabled', command: null, checkedAt: 'x', lastHealthyAt: null, openGap: { gapId: 'g1', tableArn: TABLE, oldStreamArn: OLD, newStreamArn: NEW, from: null, to: null, detectedAt: '2026-03-01T00:05:00.000Z' } } } };
    const h = harness([{ tableArn: TABLE, streamArn: NEW }], state, '2026-03-03T12:00:00.000Z');
    await runWatch(h.deps);
    expect(JSON.parse(h.delivered[0]!.new_image as string).gap_to).toBe('2026-03-02T12:00:00.000Z');
  });

  it.each([
    ['Disabled', 'OK', 'mapping-disabled'],
    ['Enabled', 'PROBLEM: Function call failed', 'mapping-problem'],
  ])('reports a mapping in state %s with result "%s" as %s', async (state, result, problem) => {
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(OLD, state, result);
    const h = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    const report = await runWatch(h.deps);
    expect(report.unhealthy[0]?.problems).toEqual([problem]);
    expect(h.metrics.UnhealthySources).toBe(1);
    expect(h.delivered).toEqual([]);
  });

  it('reports a source without a mapping on its stream as unhealthy (mapping-missing)', async () => {
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(`${TABLE}/stream/other`);
    const report = await runWatch(harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z').deps);
    expect(report.unhealthy[0]?.problems).toEqual(['mapping-missing']);
  });

  it('backs off when throttled, retries, and reports "unknown" (never "healthy") when throttling persists', async () => {
    ddb.on(DescribeTableCommand).rejects(throttle());
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(OLD);
    const h = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    const report = await runWatch(h.deps);
    expect(report.healthy).toBe(0);
    expect(report.unknown[0]).toMatchObject({ health: 'unknown', unknownReasons: [expect.stringContaining('throttled (ThrottlingException) after 4 attempts')] });
    expect(ddb.commandCalls(DescribeTableCommand)).toHaveLength(4);
    // exponential backoff between the attempts
    expect(h.clock.slept.filter((ms) => ms >= 200)).toEqual([200, 400, 800]);
    expect(h.metrics.UnknownSources).toBe(1);
    expect(JSON.parse(h.saved[0] as string).sources[TABLE].lastHealthyAt).toBeNull();
  });

  it('recovers from a throttle that clears within the retries', async () => {
    ddb.on(DescribeTableCommand).rejectsOnce(throttle('LimitExceededException')).resolves({ Table: { LatestStreamArn: OLD, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } });
    streamAnswers(OLD, 'ENABLED');
    lambda.on(ListEventSourceMappingsCommand).rejectsOnce(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' })).resolves({ EventSourceMappings: [{ UUID: 'u', EventSourceArn: OLD, State: 'Enabled', LastProcessingResult: 'OK' }] });
    const report = await runWatch(harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z').deps);
    expect(report.healthy).toBe(1);
  });

  it('reports every source "unknown" when the mappings cannot be listed', async () => {
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    lambda.on(ListEventSourceMappingsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const report = await runWatch(harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z').deps);
    expect(report.unknown[0]?.unknownReasons).toEqual(['ListEventSourceMappings: AccessDeniedException: denied']);
  });

  it('fails the run and keeps the old state when a gap record cannot be delivered, so the next run writes it again', async () => {
    tableAnswers(null, false);
    streamAnswers(OLD, 'DISABLED');
    mappingAnswers(OLD);
    const h = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z', { undeliverable: true });
    await expect(runWatch(h.deps)).rejects.toThrow('1 of 1 gap records not delivered; state not saved');
    expect(h.saved).toEqual([]);
  });

  it('spaces calls to the limit per second', async () => {
    tableAnswers(OLD);
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(OLD);
    const sources = Array.from({ length: 20 }, (_, i) => ({ tableArn: `${TABLE}${i}`, streamArn: `${TABLE}${i}/stream/x` }));
    const h = harness(sources, undefined, '2026-03-02T10:00:00.000Z');
    await runWatch(h.deps);
    const calls = ddb.commandCalls(DescribeTableCommand).length + streams.commandCalls(DescribeStreamCommand).length + lambda.commandCalls(ListEventSourceMappingsCommand).length;
    // 50 calls per second: the fake clock advanced at least (calls - 1) * 20 ms.
    expect(h.clock.now()).toBeGreaterThanOrEqual((calls - 1) * 20);
  });
});

describe('the watch at scale', () => {
  it('checks 10,000 sources in one 5-minute run at 50 calls per second, and shards them at 10 calls per second', () => {
    expect(shardCount(10_000, 5, 50)).toBe(1);
    expect(shardCount(10_000, 5, 10)).toBe(5);
  });

  it('every source falls in exactly one shard of the runs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 5 }), (n, perSecond) => {
        const sources = Array.from({ length: n }, (_, i) => ({ tableArn: `arn:aws:dynamodb:eu-west-1:111122223333:table/t${i}`, streamArn: `s${i}` }));
        const shards = shardCount(n, 1, perSecond);
        const seen = new Map<string, number>();
        for (let run = 0; run < shards; run++) for (const s of sourcesDue(sources, { intervalMinutes: 1, maxCallsPerSecond: perSecond, runIndex: run })) seen.set(s.tableArn, (seen.get(s.tableArn) ?? 0) + 1);
        return seen.size === n && [...seen.values()].every((c) => c === 1);
      }),
      { numRuns: 25 },
    );
  });
});

describe('assessSource (fail closed)', () => {
  const tableObs = fc.oneof(
    fc.record({ kind: fc.constant('ok' as const), streamEnabled: fc.boolean(), latestStreamArn: fc.constantFrom(OLD, NEW, null), viewType: fc.constantFrom('NEW_AND_OLD_IMAGES', 'KEYS_ONLY', null) }),
    fc.constant({ kind: 'missing' as const }),
    fc.record({ kind: fc.constant('unknown' as const), reason: fc.string() }),
  );
  const streamObs = fc.oneof(
    fc.record({ kind: fc.constant('ok' as const), status: fc.constantFrom('ENABLED', 'DISABLED', 'ENABLING', 'DISABLING'), viewType: fc.constantFrom('NEW_AND_OLD_IMAGES', 'KEYS_ONLY', null), createdAt: fc.constant(null) }),
    fc.constant({ kind: 'not-checked' as const }),
    fc.record({ kind: fc.constant('unknown' as const), reason: fc.string() }),
  );
  const mappingObs = fc.oneof(
    fc.record({ kind: fc.constant('ok' as const), uuid: fc.constant('u'), state: fc.constantFrom('Enabled', 'Disabled', 'Enabling', 'Updating'), lastProcessingResult: fc.constantFrom('OK', 'PROBLEM: x', 'No records processed', null), eventSourceArn: fc.constant(OLD) }),
    fc.constant({ kind: 'missing' as const }),
    fc.record({ kind: fc.constant('unknown' as const), reason: fc.string() }),
  );

  it('is healthy only when every check answered and agreed', () => {
    fc.assert(
      fc.property(tableObs, streamObs, mappingObs, (table, stream, mapping) => {
        const o: SourceObservation = { tableArn: TABLE, configuredStreamArn: OLD, table, stream, mapping };
        const h = assessSource(o);
        const allAgree =
          table.kind === 'ok' && table.streamEnabled && (table.latestStreamArn === OLD || table.latestStreamArn === null) &&
          (stream.kind === 'not-checked' || (stream.kind === 'ok' && stream.status === 'ENABLED' && (stream.viewType === null || table.viewType === null || stream.viewType === table.viewType))) &&
          mapping.kind === 'ok' && mapping.state === 'Enabled' && !String(mapping.lastProcessingResult).startsWith('PROBLEM');
        return (h.health === 'healthy') === allAgree && (h.health !== 'unhealthy' || h.problems.length > 0);
      }),
    );
  });
});

describe('gap records', () => {
  it('carry a record_hash that verifies, and the same gap and state always give the same event_id', async () => {
    tableAnswers(NEW);
    streamAnswers(OLD, 'ENABLED');
    mappingAnswers(OLD);
    const a = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    const b = harness([SOURCE], undefined, '2026-03-02T10:00:00.000Z');
    await runWatch(a.deps);
    await runWatch(b.deps);
    const rec = a.delivered[0] as ChangeRecord;
    const { record_hash, processed_at: _p, overflow_uri: _o, overflow_fields: _f, ...content } = rec;
    expect(recordHash(content)).toBe(record_hash);
    expect(b.delivered[0]?.event_id).toBe(rec.event_id);
  });
});

describe('WATCH_SOURCES', () => {
  it('rejects an entry that is not a stream ARN, naming it', () => {
    expect(() => parseWatchSources(JSON.stringify([OLD, 'arn:aws:dynamodb:eu-west-1:1:table/x']))).toThrow('WATCH_SOURCES[1] is not a stream ARN: "arn:aws:dynamodb:eu-west-1:1:table/x"');
    expect(parseWatchSources(JSON.stringify([OLD]))).toEqual([SOURCE]);
  });
});
