/**
 * Nothing lost under faults: the real collector handler, with its real Firehose and S3 SDK clients,
 * delivers to the local Firehose over HTTP while the endpoint throttles, fails entries, hangs past
 * the function timeout or goes down. The event source mapping's behaviour (retry from the
 * reported sequence number, bisect on function error, discard to the on-failure destination after
 * the retry limit) comes from test/support/mapping-driver.ts. After de-duplication on event_id
 * every input change must be in the Parquet output, read back by DuckDB, exactly once; duplicates
 * are counted and must be identical copies (same record_hash).
 *
 * Each scenario gets a fresh pipeline and handler: the SDK's retry budget is per client and drains
 * after a few dozen failed retries, which would leak one scenario's faults into the next.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { run as replay } from '../../bin/commands/replay';
import type { FaultOptions } from '../../local/firehose';
import { demoSourceOptions, generateWorkload, SOURCE_TABLES } from '../../local/demo/workload';
import { CollectorHandler, LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { auditDelivery, DeliveryAudit, ExpectedIds } from '../support/delivery-audit';
import { EventSourceMappingDriver, MappingDriverOptions, MappingStats, OnFailureRecord } from '../support/mapping-driver';
import { captureIo } from '../support/capture-io';

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

const SESSIONS = SOURCE_TABLES.find((t) => t.tableName === 'Sessions') as (typeof SOURCE_TABLES)[number];

interface ScenarioOptions {
  readonly changes: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly packing?: 'ndjson' | 'single';
  readonly faults?: FaultOptions;
  readonly mapping?: MappingDriverOptions;
  readonly tables?: typeof SOURCE_TABLES;
  /** Rewrites some stream records into malformed ones (keeping their eventID). */
  readonly malform?: (record: DynamoDBRecord, index: number) => DynamoDBRecord;
  /** Called before each batch is handed to the mapping (to take the endpoint down, clear faults...). */
  readonly beforeBatch?: (batch: number, pipeline: LocalPipeline) => Promise<void> | void;
  /** Called after every batch was processed, with the pipeline still open. */
  readonly afterDrive?: (pipeline: LocalPipeline, context: { dataDir: string; expected: ExpectedIds; failureDir: string }) => Promise<void>;
}

interface ScenarioResult {
  readonly audit: DeliveryAudit;
  readonly mapping: MappingStats;
  readonly firehose: ReturnType<LocalPipeline['firehose']['stats']>;
  readonly malformed: number;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-faults-'));
  const failureDir = join(dataDir, 'failure-destination');
  dirs.push(dataDir);
  const expected = new ExpectedIds();
  const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions(), packing: options.packing, writer: 'inline', faults: options.faults, loadHandler: loadHandlerIsolated });
  let malformed = 0;
  let driver: EventSourceMappingDriver | undefined;
  try {
    driver = new EventSourceMappingDriver(pipeline.handler, { ...options.mapping, onFailure: (record) => writeFailureObject(failureDir, record) });
    const workload = generateWorkload({ changes: options.changes, seed: options.seed, batchSize: options.batchSize, tables: options.tables ?? [SESSIONS], start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-01T23:00:00Z') });
    let batch = 0;
    for (const event of workload.events()) {
      const records = event.Records.map((r) => {
        const changed = options.malform?.(r, malformed) ?? r;
        if (changed !== r) malformed++;
        return changed;
      });
      await expected.add(records.map((r) => r.eventID as string));
      await options.beforeBatch?.(batch++, pipeline);
      await driver.process(records);
    }
    await driver.settle();
    await options.afterDrive?.(pipeline, { dataDir, expected, failureDir });
    await pipeline.firehose.flush();
  } finally {
    await driver?.settle();
    await pipeline.close();
  }
  const audit = await auditDelivery(dataDir, expected);
  expected.remove();
  return { audit, mapping: (driver as EventSourceMappingDriver).stats, firehose: pipeline.firehose.stats(), malformed };
}

/** Where Lambda puts an invocation record in an S3 failure destination: aws/lambda/<mapping>/<shard>/yyyy/MM/dd/<time>-<uuid>. */
function writeFailureObject(root: string, record: OnFailureRecord): void {
  const now = new Date();
  const dir = join(root, 'aws', 'lambda', '6f1e2d3c-0000-4000-8000-000000000001', record.DDBStreamBatchInfo.shardId, now.toISOString().slice(0, 10).replace(/-/g, '/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${now.toISOString().slice(0, 19).replace(/:/g, '.')}-${randomUUID()}`), JSON.stringify(record));
}

/** The invariant every scenario must hold: each change in the log, duplicates identical, nothing foreign. */
function expectNothingLost(result: ScenarioResult, changes: number): void {
  const { audit } = result;
  expect({ lost: audit.lost, lostSample: audit.lostSample }).toEqual({ lost: 0, lostSample: [] });
  expect(audit.changesIn).toBe(changes);
  expect(audit.uniqueOut).toBe(changes);
  expect(audit.unexpected).toBe(0);
  expect(audit.hashMismatches).toBe(0);
  expect(audit.rowsOut).toBe(changes + audit.duplicates);
}

describe('the collector under injected Firehose faults, driven like an event source mapping', () => {
  beforeAll(() => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });

  it('loses nothing when a third of the calls are throttled (400 LimitExceeded and 503)', async () => {
    const result = await runScenario({ changes: 600, batchSize: 100, seed: 11, faults: { throttleRate: 0.3, seed: 2 } });
    expect(result.firehose.throttled).toBeGreaterThan(0);
    expectNothingLost(result, 600);
  });

  it.each([
    [0.01, 600, 300],
    [0.1, 600, 300],
    [0.5, 40, 40],
  ])('loses nothing when %p of the entries fail (FailedPutCount), one change per entry', async (rate, changes, batchSize) => {
    const result = await runScenario({ changes, batchSize, seed: 12, packing: 'single', faults: { failedEntryRate: rate, seed: 3 } });
    expect(result.firehose.failedEntries).toBeGreaterThan(0);
    expectNothingLost(result, changes);
  });

  it('loses nothing when a call hangs past the function timeout: the mapping bisects, and the late call lands as duplicates', async () => {
    // Prepare: calls hang until the first invocation has timed out; the mapping's retries go through
    let endHang = () => {};
    const result = await runScenario({
      changes: 200,
      batchSize: 200,
      seed: 13,
      faults: { delayMs: 6500 },
      mapping: { functionTimeoutMs: 5600, onFunctionError: () => endHang() },
      beforeBatch: (_batch, pipeline) => {
        endHang = () => pipeline.firehose.setFaults({});
      },
    });
    // Assess
    expect(result.mapping.timeouts).toBe(1);
    expect(result.mapping.bisections).toBe(1);
    expectNothingLost(result, 200);
    expect(result.audit.duplicates).toBe(200);
  });

  it('loses nothing when the endpoint is down for a while: the collector reports the batch, the mapping retries it', async () => {
    const result = await runScenario({
      changes: 300,
      batchSize: 100,
      seed: 14,
      mapping: { functionTimeoutMs: 5800 },
      beforeBatch: async (batch, pipeline) => {
        if (batch !== 1) return;
        await pipeline.firehose.down();
        setTimeout(() => void pipeline.firehose.up(), 2000);
      },
    });
    expect(result.mapping.partialFailures).toBeGreaterThan(0);
    expectNothingLost(result, 300);
  });

  it('delivers malformed records as error records, under failed entries, without blocking the shard', async () => {
    // Prepare: every 25th record is broken in one of five ways; none may stop the records behind it
    const breakages: ((r: DynamoDBRecord) => DynamoDBRecord)[] = [
      (r) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: { ...r.dynamodb?.NewImage, weird: { Q: '1' } as never } } }),
      (r) => ({ ...r, eventSourceARN: 'arn:aws:dynamodb:us-east-1:12345:table/Nope' }),
      (r) => ({ ...r, dynamodb: undefined }),
      (r) => ({ ...r, dynamodb: { ...r.dynamodb, SizeBytes: 'large' as never } }),
      (r) => ({ ...r, eventName: 'UPSERT' as never }),
    ];
    let seen = 0;
    const result = await runScenario({
      changes: 500,
      batchSize: 250,
      seed: 15,
      packing: 'single',
      faults: { failedEntryRate: 0.1, seed: 4 },
      malform: (record, broken) => (++seen % 25 === 0 ? (breakages[broken % breakages.length] as (r: DynamoDBRecord) => DynamoDBRecord)(record) : record),
    });
    // Assess
    expect(result.malformed).toBe(20);
    expectNothingLost(result, 500);
    expect(result.audit.errorRecords).toBe(20);
  });

  it('loses changes when the mapping discards a batch after its retries, and `ddb-audit replay` of the failure destination brings them back', async () => {
    // Prepare: the endpoint is down for the whole second batch, whose retries (2) run out
    let lostBeforeReplay: DeliveryAudit | undefined;
    let replayStatus: number | undefined;
    let replayOutput = '';
    const result = await runScenario({
      changes: 300,
      batchSize: 100,
      seed: 16,
      mapping: { functionTimeoutMs: 5500, maximumRetryAttempts: 2 },
      beforeBatch: async (batch, pipeline) => {
        if (batch === 1) await pipeline.firehose.down();
        if (batch === 2) await pipeline.firehose.up();
      },
      afterDrive: async (pipeline, { dataDir, expected, failureDir }) => {
        await pipeline.firehose.flush();
        const before = new ExpectedIds();
        await before.add(await expected.all());
        lostBeforeReplay = await auditDelivery(dataDir, before);
        before.remove();
        // Act: the operator's replay, with the collector's own environment (stream, packing, endpoints)
        const io = captureIo({ env: { ...process.env } });
        replayStatus = await replay(['--from', failureDir], io);
        replayOutput = io.out.join('');
      },
    });
    // Assess
    expect(result.mapping.discardedBatches).toBe(1);
    expect(result.mapping.discardedRecords).toBe(100);
    expect(lostBeforeReplay?.lost).toBe(100);
    expect(replayStatus).toBe(0);
    expect(replayOutput).toMatch(/replayed 100 records from 1 failure record in 1 file: 100 re-delivered, 0 failed/);
    expectNothingLost(result, 300);
  });
});
