/**
 * `ddb-audit coverage` and the bundled query source-coverage on real Parquet: the local pipeline
 * (the real collector handler, the real SDK, the local Firehose writing Parquet) and DuckDB.
 *  1. The demo workload: one row per table, with exactly the changes the workload wrote and no gap.
 *  2. A generated scenario with one rotation and one filled gap, through the commands and cores that
 *     make it: `sources add`; changes on the old stream; the watch's core (mocked DynamoDB, Streams
 *     and Lambda) opening a gap when the table's stream is replaced; `sources rotate`; the watch
 *     closing the gap; changes on the new stream; `coverage` showing the gap NOT FILLED; `backfill
 *     --gap-id` from an export fixture (dry run, then for real); `coverage` showing it filled by the
 *     export ARN, with its bounds and the baseline.
 * Then `evidence export --query source-coverage` packages the coverage and `evidence verify` accepts it.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { silentLogger } from '../../lambda/core/logger';
import { gapIdOf } from '../../lambda/watch/gap-record';
import type { WatchSource } from '../../lambda/watch/check-sources';
import { rateLimiter } from '../../lambda/watch/rate-limit';
import { runWatch, type WatchReport } from '../../lambda/watch/run-watch';
import { WATCH_STATE_KEY } from '../../lambda/watch/watch-state';
import { loadAuditConfig, resolveSources } from '../../lib/config/load';
import { writeExport } from '../support/dynamodb-export';
import { runQuery } from '../../cli/query';
import { generateWorkload, SOURCE_TABLES, demoSourceOptions, type LedgerEntry } from '../../local/demo/workload';
import { CollectorHandler, LOCAL_OVERFLOW_BUCKET, LOCAL_STREAM_NAME, LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { run as coverage } from '../../bin/commands/coverage';
import { run as sources } from '../../bin/commands/sources';
import { run as backfill } from '../../bin/commands/backfill';
import { run as evidence } from '../../bin/commands/evidence';
import { captureIo } from '../support/capture-io';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';

const FROM = '2026-03-01';
const TO = '2026-03-03';
const ROTATED = SOURCE_TABLES.find((t) => t.accountId === '444455556666' && t.tableName === 'Orders')!;
const TABLE_ARN = `arn:aws:dynamodb:${ROTATED.region}:${ROTATED.accountId}:table/${ROTATED.tableName}`;
const OLD_STREAM = `${TABLE_ARN}/stream/2026-01-15T10:00:00.000`;
const NEW_STREAM = `${TABLE_ARN}/stream/2026-03-02T12:00:00.000`;
const EXPORT_ARN = `${TABLE_ARN}/export/01709380800000-abcdef12`;
/** A full export taken at the gap's end (the new stream's creation): the fill docs/coverage.md describes. */
const EXPORT_TIME = '2026-03-02T12:00:00.000Z';
const SILENT_STREAM = `arn:aws:dynamodb:${ROTATED.region}:999999999999:table/Silent/stream/2026-01-01T00:00:00.000`;

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

async function deliverAll(pipeline: LocalPipeline, events: Iterable<DynamoDBStreamEvent>): Promise<void> {
  for (const event of events) {
    const response = await pipeline.invoke(event, 20_000);
    expect(response.batchItemFailures).toEqual([]);
  }
}

/** Rows written by something other than the collector (the watch, the backfill), through the same sink to the same local Firehose. */
async function deliverRecords(pipeline: LocalPipeline, records: ChangeRecord[]): Promise<void> {
  const clients = {
    firehose: new FirehoseClient({ endpoint: pipeline.firehose.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    s3: new S3Client({ endpoint: pipeline.firehose.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
  const report = await deliverChangeRecords(records, clients, { deliveryStreamName: LOCAL_STREAM_NAME, packing: 'single', overflowBucket: LOCAL_OVERFLOW_BUCKET, overflowPrefix: OVERFLOW_PREFIX, remainingTimeMs: () => 60_000 }, silentLogger);
  expect(report.undelivered).toEqual([]);
}

async function cli(run: typeof coverage, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await run(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

async function cliIn(run: typeof coverage, cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd, env });
  const code = await run(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** The source the watch checks, read from the config as its deployment would (table ARN and configured stream). */
function watchSourceOf(cdkJson: string): WatchSource {
  const source = resolveSources(loadAuditConfig(cdkJson)).find((s) => s.arn.tableArn === TABLE_ARN)!;
  return { tableArn: source.arn.tableArn, streamArn: source.config.streamArn };
}

// DynamoDB (DescribeTable), DynamoDB Streams (DescribeStream) and Lambda (ListEventSourceMappings)
// have no local peer: aws-sdk-client-mock answers them, at the command level, as AWS would in each
// state. The gap rows go through the collector's sink to the local Firehose, as the watch sends them.
const ddb = mockClient(DynamoDBClient);
const streamsApi = mockClient(DynamoDBStreamsClient);
const lambdaApi = mockClient(LambdaClient);

/** One run of the watch's real core at `now`, with AWS answering as `world` says; its state kept in <data>/watch/state.json. */
async function watchRun(pipeline: LocalPipeline, dataDir: string, watched: WatchSource[], now: string, world: { latest: string; streams: Record<string, string>; mappingOn: string }): Promise<WatchReport> {
  ddb.reset();
  streamsApi.reset();
  lambdaApi.reset();
  ddb.on(DescribeTableCommand, { TableName: TABLE_ARN }).resolves({ Table: { TableArn: TABLE_ARN, LatestStreamArn: world.latest, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } });
  for (const [arn, status] of Object.entries(world.streams)) {
    const created = new Date(arn.slice(arn.indexOf('/stream/') + '/stream/'.length) + 'Z');
    streamsApi.on(DescribeStreamCommand, { StreamArn: arn }).resolves({ StreamDescription: { StreamArn: arn, StreamStatus: status as 'ENABLED', StreamViewType: 'NEW_AND_OLD_IMAGES', CreationRequestDateTime: created } });
  }
  lambdaApi.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'u-1', EventSourceArn: world.mappingOn, State: 'Enabled', LastProcessingResult: 'OK' }] });
  const statePath = join(dataDir, WATCH_STATE_KEY);
  const clock = { now: () => 0, sleep: async () => undefined };
  return runWatch({
    sources: watched,
    clients: { dynamodb: new DynamoDBClient({ region: ROTATED.region }), streams: new DynamoDBStreamsClient({ region: ROTATED.region }), lambda: new LambdaClient({ region: ROTATED.region }) },
    check: { collectorFunctionName: 'ddb-audit-collector', intervalMinutes: 5, maxCallsPerSecond: 50, runIndex: 0, acquire: rateLimiter(1000, clock), acquireDescribeStream: rateLimiter(1000, clock), clock },
    store: {
      load: async () => (existsSync(statePath) ? readFileSync(statePath, 'utf8') : undefined),
      save: async (text) => {
        mkdirSync(join(dataDir, 'watch'), { recursive: true });
        writeFileSync(statePath, text);
      },
    },
    deliver: async (records) => {
      await deliverRecords(pipeline, [...records]);
      return [];
    },
    logger: silentLogger,
    addMetric: () => undefined,
    now: () => now,
  });
}

/** An item of the rotated Orders table as a DynamoDB export holds it. */
function exportedOrder(n: number): Record<string, unknown> {
  return { orderId: { S: `order-${n}` }, status: { S: 'paid' }, total: { N: String(10 * n) }, updatedBy: { S: 'export' } };
}

describe('coverage on the demo data', () => {
  let dataDir: string;
  let ledger: LedgerEntry[];

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-coverage-demo-'));
    const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions(), writer: 'inline', loadHandler: loadHandlerIsolated });
    try {
      const workload = generateWorkload({ changes: 400, seed: 3, batchSize: 50, ledger: true, start: new Date(`${FROM}T00:10:00Z`), end: new Date(`${FROM}T23:50:00Z`) });
      await deliverAll(pipeline, workload.events());
      ledger = workload.ledger;
      await pipeline.firehose.flush();
    } finally {
      await pipeline.close();
    }
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('has one row per demo table with exactly the changes written, no baseline and no gap', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--no-config', '--format', 'json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const rows = result.out.trim().split('\n').map((l) => JSON.parse(l));
    const expected = new Map<string, number>();
    for (const e of ledger) expected.set(`${e.accountId}/${e.tableName}`, (expected.get(`${e.accountId}/${e.tableName}`) ?? 0) + 1);
    expect(new Map(rows.map((r) => [`${r.accountId}/${r.tableName}`, r.changes]))).toEqual(expected);
    for (const r of rows) {
      expect(r).toMatchObject({ baselineExportAt: null, gaps: [], errorRecords: 0, unreplayedBatches: null, streamStatus: 'unknown (no watch state)' });
      // Event times are spread over the workload's window.
      expect(r.firstChangeAt >= `${FROM}T00:10:00.000Z` && r.firstChangeAt <= r.lastChangeAt && r.lastChangeAt <= `${FROM}T23:50:00.000Z`).toBe(true);
    }
  });

  it('refuses a data folder that does not exist instead of reporting nothing', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', join(dataDir, 'nope'), '--no-config');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^ddb-audit coverage: --data .*nope: no such folder/);
  });
});

describe('coverage of one rotation and one filled gap', () => {
  let dataDir: string;
  let exportDir: string;
  let cdkJson: string;
  let oldChanges: LedgerEntry[];
  let newChanges: LedgerEntry[];
  let beforeFill: { code: number; out: string; err: string };
  let dryRun: { code: number; out: string; err: string };
  let filled: { code: number; out: string; err: string };
  const gapId = gapIdOf(TABLE_ARN, OLD_STREAM);
  const credentials = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-coverage-rotation-'));
    exportDir = mkdtempSync(join(tmpdir(), 'ddb-audit-coverage-export-'));
    // Dummy credentials for the backfill's SDK clients: the local Firehose does not check signatures.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';

    // Onboard: the example config moved to the workload's region, with no sources, then `sources add`
    // of the table's stream, and of a table that never changes.
    const example = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
    cdkJson = join(dataDir, 'cdk.json');
    writeFileSync(cdkJson, JSON.stringify({ ...example, context: { ...example.context, audit: { ...example.context.audit, region: ROTATED.region, sources: [] } } }, null, 2));
    expect(await cli(sources, 'add', '--stream-arn', OLD_STREAM, '--actor-attribute', 'updatedBy', '--key-attributes', 'orderId', '--cdk-json', cdkJson)).toMatchObject({ code: 0, err: '' });
    expect(await cli(sources, 'add', '--stream-arn', SILENT_STREAM, '--cdk-json', cdkJson)).toMatchObject({ code: 0, err: '' });

    const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions([ROTATED]), writer: 'inline', loadHandler: loadHandlerIsolated });
    try {
      // Changes on the old stream, on day 1 and the morning of day 2.
      const before = generateWorkload({ changes: 60, seed: 11, batchSize: 20, ledger: true, tables: [ROTATED], start: new Date('2026-03-01T06:00:00Z'), end: new Date('2026-03-02T09:50:00Z') });
      await deliverAll(pipeline, before.events());
      oldChanges = before.ledger;

      // The watch (its real core, lambda/watch/run-watch.ts) sees the table healthy at 09:55 and its
      // stream replaced at 10:00 (the mapping still Enabled on the old ARN): it opens the gap.
      const watched = () => [watchSourceOf(cdkJson)];
      await watchRun(pipeline, dataDir, watched(), '2026-03-02T09:55:00.000Z', { latest: OLD_STREAM, streams: { [OLD_STREAM]: 'ENABLED' }, mappingOn: OLD_STREAM });
      const opened = await watchRun(pipeline, dataDir, watched(), '2026-03-02T10:00:00.000Z', { latest: NEW_STREAM, streams: { [OLD_STREAM]: 'DISABLED', [NEW_STREAM]: 'ENABLED' }, mappingOn: OLD_STREAM });
      expect(opened.unhealthy.map((h) => h.command)).toEqual([expect.stringContaining(`sources rotate --table-arn ${TABLE_ARN} --stream-arn ${NEW_STREAM}`)]);

      // The operator runs the command the watch names; after the deploy the mapping reads the new
      // stream, and the watch's next run closes the gap.
      expect(await cli(sources, 'rotate', '--table-arn', TABLE_ARN, '--stream-arn', NEW_STREAM, '--cdk-json', cdkJson)).toMatchObject({ code: 0, err: '' });
      expect(watched()).toEqual([{ tableArn: TABLE_ARN, streamArn: NEW_STREAM }]);
      const closed = await watchRun(pipeline, dataDir, watched(), '2026-03-02T12:30:00.000Z', { latest: NEW_STREAM, streams: { [NEW_STREAM]: 'ENABLED' }, mappingOn: NEW_STREAM });
      expect(closed.gapRecords.map((r) => JSON.parse(r.new_image as string).state)).toEqual(['closed']);

      // Changes on the new stream: the same workload shape, read from the new ARN.
      const after = generateWorkload({ changes: 40, seed: 12, batchSize: 20, ledger: true, tables: [ROTATED], start: new Date('2026-03-02T12:05:00Z'), end: new Date('2026-03-03T08:00:00Z') });
      const events = [...after.events()].map((e) => ({ Records: e.Records.map((r) => ({ ...r, eventSourceARN: NEW_STREAM })) }));
      await deliverAll(pipeline, events);
      newChanges = after.ledger;
      await pipeline.firehose.flush();

      beforeFill = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', cdkJson);

      // A full export taken at the gap's end, backfilled with the gap's id: first a dry run, then for real.
      writeExport(exportDir, [[exportedOrder(1), exportedOrder(2)], [exportedOrder(3)]], { exportArn: EXPORT_ARN, tableArn: TABLE_ARN, exportTime: EXPORT_TIME });
      const env = { AWS_REGION: ROTATED.region, AWS_ENDPOINT_URL_FIREHOSE: pipeline.firehose.endpoint, AWS_ENDPOINT_URL_S3: pipeline.firehose.endpoint, DELIVERY_STREAM_NAME: LOCAL_STREAM_NAME, OVERFLOW_BUCKET: LOCAL_OVERFLOW_BUCKET };
      const fill = ['--export', exportDir, '--key-attributes', 'orderId', '--gap-id', gapId, '--data', dataDir, '--cdk-json', cdkJson];
      dryRun = await cliIn(backfill, exportDir, env, ...fill, '--dry-run');
      filled = await cliIn(backfill, exportDir, env, ...fill);
      await pipeline.firehose.flush();
    } finally {
      await pipeline.close();
    }
  }, 120_000);

  afterAll(() => {
    for (const [name, value] of Object.entries(credentials)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('before the backfill, shows the gap the watch recorded, closed by the rotation, with its bounds and NOT FILLED', () => {
    expect(beforeFill).toMatchObject({ code: 0, err: '' });
    expect(beforeFill.out).toContain(`${gapId}  closed NOT FILLED  from 2026-03-02T09:55:00.000Z to 2026-03-02T12:00:00.000Z  ${OLD_STREAM} -> ${NEW_STREAM}`);
    expect(beforeFill.out).toContain('gaps:                 1 (1 not filled)');
    expect(beforeFill.out).toContain('baseline export:      none');
  });

  it('the backfill dry run prints the snapshot rows and, last, the filled gap row it would send', () => {
    expect(dryRun).toMatchObject({ code: 0 });
    const lines = dryRun.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((r) => r.op)).toEqual(['r', 'r', 'r', 'g']);
    expect(JSON.parse(lines[3].new_image)).toMatchObject({ gap_id: gapId, state: 'filled', filled_by: EXPORT_ARN, gap_to: '2026-03-02T12:00:00.000Z' });
    expect(filled).toMatchObject({ code: 0, err: '' });
    expect(filled.out).toContain(`3 sent, 0 failed; gap ${gapId} marked filled (gap/${gapId}/filled/`);
  });

  it('after the backfill, shows the source, its changes on both streams, the baseline, and the gap with its bounds, filled by the export', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', cdkJson, '--format', 'json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const rows = result.out.trim().split('\n').map((l) => JSON.parse(l));
    const rotated = rows.find((r) => r.tableName === ROTATED.tableName);
    expect(rotated).toMatchObject({
      accountId: ROTATED.accountId,
      tableArn: TABLE_ARN,
      onboarded: true,
      changes: oldChanges.length + newChanges.length,
      baselineExportAt: EXPORT_TIME,
      gaps: [{ gapId, state: 'filled', oldStreamArn: OLD_STREAM, newStreamArn: NEW_STREAM, from: '2026-03-02T09:55:00.000Z', to: '2026-03-02T12:00:00.000Z', filled: true, filledBy: EXPORT_ARN }],
      streamStatus: 'healthy: stream ENABLED, mapping Enabled, checked 2026-03-02T12:30:00.000Z',
    });
    // The gap rows and the snapshot are not counted as changes.
    expect(rotated.firstChangeAt >= '2026-03-01T06:00:00.000Z' && rotated.firstChangeAt < '2026-03-02T09:55:00.000Z').toBe(true);
    expect(rotated.lastChangeAt > '2026-03-02T12:05:00.000Z').toBe(true);
    // An onboarded source with no row at all is shown, not left out.
    expect(rows.find((r) => r.tableName === 'Silent')).toMatchObject({ onboarded: true, changes: 0, firstRowAt: null, streamStatus: 'unknown (not in the watch state)' });
  });

  it('prints the gap, its bounds and the ARNs for a person', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', cdkJson);
    expect(result.out).toContain(`${gapId}  filled (filled by ${EXPORT_ARN})  from 2026-03-02T09:55:00.000Z to 2026-03-02T12:00:00.000Z  ${OLD_STREAM} -> ${NEW_STREAM}`);
    expect(result.out).toContain('gaps:                 1 (0 not filled)');
    expect(result.out).toContain(`baseline export:      ${EXPORT_TIME}`);
  });

  it('backfill refuses, from the real log, an export taken before the gap ended and an id that is no gap of the table, printing nothing', async () => {
    const early = mkdtempSync(join(exportDir, 'early-'));
    writeExport(early, [[exportedOrder(1)]], { exportArn: `${TABLE_ARN}/export/01709370000000-00000000`, tableArn: TABLE_ARN, exportTime: '2026-03-02T11:00:00.000Z' });
    const before = await cliIn(backfill, early, {}, '--export', early, '--key-attributes', 'orderId', '--gap-id', gapId, '--data', dataDir, '--cdk-json', cdkJson, '--dry-run');
    expect(before).toMatchObject({ code: 2, out: '', err: `ddb-audit backfill: --gap-id ${gapId} ends at 2026-03-02T12:00:00.000Z, after the export's time 2026-03-02T11:00:00.000Z: the changes between them would still be missing; export the table again (its export time at or after 2026-03-02T12:00:00.000Z)\n` });
    const unknown = await cliIn(backfill, exportDir, {}, '--export', exportDir, '--key-attributes', 'orderId', '--gap-id', gapIdOf(TABLE_ARN, NEW_STREAM), '--data', dataDir, '--cdk-json', cdkJson, '--dry-run');
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toMatch(/^ddb-audit backfill: --gap-id [0-9a-f]{32}: the log has no gap row \(op g\) of arn:aws:dynamodb:us-east-1:444455556666:table\/Orders with this id;/);
  });

  it('the gap\'s own history (item-history of its key) is one row per state: open, closed, filled', async () => {
    const rows = (await runQuery({ name: 'item-history', params: { from: FROM, to: TO, account_id: ROTATED.accountId, table_name: ROTATED.tableName, item_key: JSON.stringify({ gap_id: gapId }) }, dataDir })).rows;
    expect(rows.map((r) => [r.op, JSON.parse(r.new_image as string).state])).toEqual([['g', 'open'], ['g', 'closed'], ['g', 'filled']]);
  });

  it('counts failure batches whose changes are not in the log as not replayed', async () => {
    const failures = join(dataDir, 'failures');
    mkdirSync(failures, { recursive: true });
    const batch = (ids: string[]) => ({
      requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ddb-audit-collector', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-03-02T13:00:00.000Z',
      DDBStreamBatchInfo: { shardId: 'shardId-1', startSequenceNumber: '1'.padStart(21, '0'), endSequenceNumber: '2'.padStart(21, '0'), approximateArrivalOfFirstRecord: '2026-03-02T12:59:00Z', approximateArrivalOfLastRecord: '2026-03-02T12:59:00Z', batchSize: ids.length, streamArn: NEW_STREAM },
      payload: JSON.stringify({ Records: ids.map((id) => ({ eventID: id, eventName: 'INSERT', eventSourceARN: NEW_STREAM, dynamodb: {} })) }),
    });
    writeFileSync(join(failures, 'replayed.json'), JSON.stringify(batch([newChanges[0]!.eventId])));
    writeFileSync(join(failures, 'pending.json'), JSON.stringify(batch(['never-delivered-1', newChanges[1]!.eventId])));
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', join(dataDir, 'cdk.json'), '--failures', failures, '--format', 'json');
    expect(result.err).toBe('');
    const rotated = result.out.trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.tableName === ROTATED.tableName);
    expect(rotated.unreplayedBatches).toBe(1);
  });

  it('evidence export --query source-coverage packages the coverage, and evidence verify accepts the package', async () => {
    const key = join(dataDir, 'keys', 'signing.pem');
    mkdirSync(join(dataDir, 'keys'));
    expect((await cli(evidence, 'keygen', '--out', key)).code).toBe(0);
    const out = join(dataDir, 'evidence-coverage');
    const exported = await cli(evidence, 'export', '--query', 'source-coverage', '--param', `from=${FROM}`, '--param', `to=${TO}`, '--out', out, '--data', dataDir, '--sign-key', key, '--reason', 'coverage statement Q1');
    expect(exported).toMatchObject({ code: 0 });
    expect(exported.out).toMatch(/query source-coverage on duckdb .*: 2 rows/);
    const verified = await cli(evidence, 'verify', out, '--public-key', `${key}.pub`);
    expect(verified.code).toBe(0);
  });
});
