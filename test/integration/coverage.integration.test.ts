/**
 * `ddb-audit coverage` and the bundled query source-coverage on real Parquet: the local pipeline
 * (the real collector handler, the real SDK, the local Firehose writing Parquet) and DuckDB.
 *  1. The demo workload: one row per table, with exactly the changes the workload wrote and no gap.
 *  2. A generated scenario with one rotation and one filled gap: changes on the old stream, the gap
 *     rows the watch writes (open, closed), changes on the new stream, a baseline snapshot row and
 *     the 'filled' row the backfill writes; the report shows the gap, its bounds and that it is filled.
 * Then `evidence export --query source-coverage` packages the coverage and `evidence verify` accepts it.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { silentLogger } from '../../lambda/core/logger';
import { recordHash } from '../../lambda/core/record-hash';
import { gapIdOf, gapRecord } from '../../lambda/watch/gap-record';
import { WATCH_STATE_KEY, type WatchState } from '../../lambda/watch/watch-state';
import { runQuery } from '../../cli/query';
import { generateWorkload, SOURCE_TABLES, demoSourceOptions, type LedgerEntry } from '../../local/demo/workload';
import { CollectorHandler, LOCAL_OVERFLOW_BUCKET, LOCAL_STREAM_NAME, LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { run as coverage } from '../../bin/commands/coverage';
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

/** A snapshot row as `ddb-audit backfill` writes it (op 'r', event_name SNAPSHOT, event_time the export time). */
function snapshotRow(from: ChangeRecord, exportTime: string): ChangeRecord {
  const { record_hash: _h, processed_at, overflow_uri, overflow_fields, ...content } = from;
  const snapshot = { ...content, op: 'r', event_name: 'SNAPSHOT', event_id: `snapshot/${from.item_key}`, event_time: exportTime, dt: exportTime.slice(0, 10), old_image: null, sequence_number: null, stream_arn: null };
  return { ...snapshot, processed_at, overflow_uri, overflow_fields, record_hash: recordHash(snapshot) };
}

async function cli(run: typeof coverage, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await run(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
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
  let oldChanges: LedgerEntry[];
  let newChanges: LedgerEntry[];
  const gapId = gapIdOf(TABLE_ARN, OLD_STREAM);
  const gap = { gapId, tableArn: TABLE_ARN, oldStreamArn: OLD_STREAM, from: '2026-03-02T09:55:00.000Z', detectedAt: '2026-03-02T10:00:00.000Z' };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-coverage-rotation-'));
    const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions([ROTATED]), writer: 'inline', loadHandler: loadHandlerIsolated });
    try {
      // Changes on the old stream, on day 1 and the morning of day 2.
      const before = generateWorkload({ changes: 60, seed: 11, batchSize: 20, ledger: true, tables: [ROTATED], start: new Date('2026-03-01T06:00:00Z'), end: new Date('2026-03-02T09:50:00Z') });
      await deliverAll(pipeline, before.events());
      oldChanges = before.ledger;
      // The watch sees the stream replaced, then (after rotate and deploy) the mapping on the new one.
      await deliverRecords(pipeline, [
        gapRecord({ ...gap, newStreamArn: NEW_STREAM, to: null, state: 'open', at: '2026-03-02T10:00:00.000Z' }),
        gapRecord({ ...gap, newStreamArn: NEW_STREAM, to: '2026-03-02T12:00:00.000Z', state: 'closed', at: '2026-03-02T12:30:00.000Z' }),
      ]);
      // Changes on the new stream: the same workload shape, read from the new ARN.
      const after = generateWorkload({ changes: 40, seed: 12, batchSize: 20, ledger: true, tables: [ROTATED], start: new Date('2026-03-02T12:05:00Z'), end: new Date('2026-03-03T08:00:00Z') });
      const events = [...after.events()].map((e) => ({ Records: e.Records.map((r) => ({ ...r, eventSourceARN: NEW_STREAM })) }));
      await deliverAll(pipeline, events);
      newChanges = after.ledger;
      await pipeline.firehose.flush();
      // The backfill re-delivers the window from an export and marks the gap filled.
      const sample = (await runQuery({ name: 'evidence-changes', params: { from: FROM, to: TO, account_id: ROTATED.accountId, table_name: ROTATED.tableName }, dataDir })).rows[0] as unknown as ChangeRecord;
      await deliverRecords(pipeline, [
        snapshotRow({ ...sample, changed_attributes: null, redacted_attributes: null } as ChangeRecord, '2026-03-02T12:00:00.000Z'),
        gapRecord({ ...gap, newStreamArn: NEW_STREAM, to: '2026-03-02T12:00:00.000Z', state: 'filled', at: '2026-03-03T09:00:00.000Z', filledBy: EXPORT_ARN }),
      ]);
      await pipeline.firehose.flush();
    } finally {
      await pipeline.close();
    }
    const state: WatchState = { version: 1, updatedAt: '2026-03-03T09:00:00.000Z', sources: { [TABLE_ARN]: { tableArn: TABLE_ARN, configuredStreamArn: NEW_STREAM, latestStreamArn: NEW_STREAM, health: 'healthy', problems: [], unknownReasons: [], streamStatus: 'ENABLED', mappingState: 'Enabled', command: null, checkedAt: '2026-03-03T09:00:00.000Z', lastHealthyAt: '2026-03-03T09:00:00.000Z', openGap: null } } };
    mkdirSync(join(dataDir, 'watch'), { recursive: true });
    writeFileSync(join(dataDir, WATCH_STATE_KEY), JSON.stringify(state));
    writeFileSync(join(dataDir, 'cdk.json'), JSON.stringify({ context: { audit: { sources: [{ streamArn: NEW_STREAM }, { streamArn: 'arn:aws:dynamodb:eu-west-1:999999999999:table/Silent/stream/x' }] } } }));
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('shows the source, its changes on both streams, the baseline, and the gap with its bounds, filled', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', join(dataDir, 'cdk.json'), '--format', 'json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const rows = result.out.trim().split('\n').map((l) => JSON.parse(l));
    const rotated = rows.find((r) => r.tableName === ROTATED.tableName);
    expect(rotated).toMatchObject({
      accountId: ROTATED.accountId,
      tableArn: TABLE_ARN,
      onboarded: true,
      changes: oldChanges.length + newChanges.length,
      baselineExportAt: '2026-03-02T12:00:00.000Z',
      gaps: [{ gapId, state: 'filled', oldStreamArn: OLD_STREAM, newStreamArn: NEW_STREAM, from: '2026-03-02T09:55:00.000Z', to: '2026-03-02T12:00:00.000Z', filled: true, filledBy: EXPORT_ARN }],
      streamStatus: expect.stringContaining('healthy: stream ENABLED, mapping Enabled'),
    });
    // The gap rows and the snapshot are not counted as changes.
    expect(rotated.firstChangeAt >= '2026-03-01T06:00:00.000Z' && rotated.firstChangeAt < gap.from).toBe(true);
    expect(rotated.lastChangeAt > '2026-03-02T12:05:00.000Z').toBe(true);
    // An onboarded source with no row at all is shown, not left out.
    expect(rows.find((r) => r.tableName === 'Silent')).toMatchObject({ onboarded: true, changes: 0, firstRowAt: null, streamStatus: 'unknown (not in the watch state)' });
  });

  it('prints the gap, its bounds and the ARNs for a person', async () => {
    const result = await cli(coverage, '--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', join(dataDir, 'cdk.json'));
    expect(result.out).toContain(`${gapId}  filled (filled by ${EXPORT_ARN})  from 2026-03-02T09:55:00.000Z to 2026-03-02T12:00:00.000Z  ${OLD_STREAM} -> ${NEW_STREAM}`);
    expect(result.out).toContain('baseline export:      2026-03-02T12:00:00.000Z');
  });

  it('shows an open gap as not filled when the backfill has not run (period before the fill)', async () => {
    const rows = (await runQuery({ name: 'source-coverage', params: { from: FROM, to: '2026-03-02' }, dataDir })).rows;
    expect(rows.filter((r) => r.row_kind === 'gap')).toEqual([expect.objectContaining({ gap_id: gapId, gap_state: 'closed', gap_filled: false, gap_to: '2026-03-02T12:00:00.000Z' })]);
    expect(rows.find((r) => r.row_kind === 'source')).toMatchObject({ gaps: 1, unfilled_gaps: 1 });
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
