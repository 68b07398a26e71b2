/**
 * Soak: at least a million changes through the local pipeline with faults on, driven the way the
 * event source mapping drives the collector, then a count of what reached the Parquet log.
 *
 *   generated stream batches (7 tables, 3 accounts, ~1 KB records; 1 in 10,000 malformed)
 *     -> mapping driver (retry from batchItemFailures, bisect on function error, on-failure records)
 *     -> the real collector handler and its real SDK clients
 *     -> local Firehose over HTTP (throttled calls, failed entries, calls that hang past the
 *        function timeout, down windows longer than the collector's own retries)
 *     -> Parquet, read back by DuckDB: every input event_id must be there (lost = 0)
 *
 * Batches discarded after the retry limit, if any, are replayed with `ddb-audit replay` at the end,
 * as an operator would; `discarded_batches` says how many there were.
 *
 * Usage: npm run soak [-- --changes N]   (or SOAK_CHANGES=N; default 1,000,000)
 * The last line is one JSON object: changes_in, unique_out, duplicates, lost, peak_rss_mb,
 * rss_growth_mb, and more. Exit status 1 when anything was lost or corrupted.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run as replay } from '../bin/commands/replay';
import { demoSourceOptions, SOURCE_TABLES, streamArn } from '../local/demo/workload';
import { startLocalPipeline } from '../local/pipeline';
import { auditDelivery, ExpectedIds } from '../test/support/delivery-audit';
import { EventSourceMappingDriver } from '../test/support/mapping-driver';
import { generateStreamRecords } from './stream-records';

const FAULTS = { throttleRate: 0.05, failedEntryRate: 0.1, seed: 7 };
/**
 * The function timeout, kept short so faults reach the mapping: the collector stops retrying 5 s
 * before it (its safety margin) and reports the rest as batchItemFailures.
 */
const FUNCTION_TIMEOUT_MS = 10_000;
/** Every DOWN_EVERY batches the endpoint goes down for DOWN_MS (longer than the collector retries). */
const DOWN_EVERY = 400;
const DOWN_MS = 6000;
/** Every HANG_EVERY batches, calls made in a 200 ms window hang past the function timeout. */
const HANG_EVERY = 500;
const HANG_MS = FUNCTION_TIMEOUT_MS + 1000;
const MALFORMED_EVERY = 10_000;
const BATCH_SIZE = 500;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { changes: { type: 'string' }, keep: { type: 'boolean' } } });
  const changes = Number(values.changes ?? process.env.SOAK_CHANGES ?? 1_000_000);
  if (!Number.isSafeInteger(changes) || changes < 1) throw new Error(`--changes must be a positive integer, got ${values.changes ?? process.env.SOAK_CHANGES}`);
  const log = (line: string) => process.stderr.write(`soak: ${line}\n`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-soak-'));
  const failureDir = join(dataDir, 'failure-destination');
  const expected = new ExpectedIds();
  const rss = new RssTracker();
  const started = Date.now();
  const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions(), faults: FAULTS, buffer: { sizeBytes: 8 * 1024 * 1024, maxTotalBytes: 48 * 1024 * 1024 } });
  const driver = new EventSourceMappingDriver(pipeline.handler, {
    maximumRetryAttempts: 10,
    functionTimeoutMs: FUNCTION_TIMEOUT_MS,
    onFailure: (record) => {
      const dir = join(failureDir, 'aws', 'lambda', 'soak', record.DDBStreamBatchInfo.shardId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${Date.now()}-${record.requestContext.requestId}`), JSON.stringify(record));
    },
  });
  let replayed = 0;
  let malformed = 0;
  try {
    let sent = 0;
    let batch = 0;
    let nextLog = Math.max(1, Math.floor(changes / 20));
    for (const streamRecords of soakBatches(changes, BATCH_SIZE)) {
      const records = streamRecords.map((record) => (++malformed % MALFORMED_EVERY === 0 ? breakRecord(record) : record));
      await expected.add(records.map((r) => r.eventID as string));
      batch++;
      if (batch % DOWN_EVERY === 0) {
        await pipeline.firehose.down();
        setTimeout(() => void pipeline.firehose.up(), DOWN_MS).unref();
      } else if (batch % HANG_EVERY === 0) {
        pipeline.firehose.setFaults({ ...FAULTS, delayMs: HANG_MS });
        setTimeout(() => pipeline.firehose.setFaults(FAULTS), 200).unref();
      }
      await driver.process(records);
      sent += records.length;
      rss.sample(sent / changes);
      if (sent >= nextLog) {
        log(`${sent.toLocaleString('en-US')} / ${changes.toLocaleString('en-US')} changes, ${Math.round((sent / (Date.now() - started)) * 1000)}/s, rss ${rss.currentMb()} MB`);
        nextLog += Math.max(1, Math.floor(changes / 20));
      }
    }
    await driver.settle();
    await pipeline.firehose.up();
    pipeline.firehose.setFaults({});
    if (driver.stats.discardedBatches > 0) {
      log(`replaying ${driver.stats.discardedBatches} discarded batches from ${failureDir}`);
      const status = await replay(['--from', failureDir], { stdout: (t) => process.stderr.write(t), stderr: (t) => process.stderr.write(t), readStdin: async () => '', cwd: process.cwd(), env: { ...process.env } });
      if (status !== 0) throw new Error(`ddb-audit replay exited with ${status}`);
      replayed = driver.stats.discardedRecords;
    }
    await pipeline.firehose.flush();
  } finally {
    await pipeline.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const peakRssMb = rss.peakMb();
  const firehose = pipeline.firehose.stats();
  log(`pipeline done in ${Math.round(seconds)} s; verifying ${firehose.files.length} Parquet files with DuckDB`);
  const audit = await auditDelivery(dataDir, expected);
  expected.remove();
  const result = {
    changes_in: audit.changesIn,
    unique_out: audit.uniqueOut,
    duplicates: audit.duplicates,
    lost: audit.lost,
    peak_rss_mb: peakRssMb,
    rss_growth_mb: rss.growthMb(),
    rss_early_mb: rss.earlyMb,
    rss_late_mb: rss.lateMb,
    seconds: Math.round(seconds),
    changes_per_s: Math.round(changes / seconds),
    rows_out: audit.rowsOut,
    unexpected: audit.unexpected,
    hash_mismatches: audit.hashMismatches,
    error_records: audit.errorRecords,
    malformed_in: Math.floor(malformed / MALFORMED_EVERY),
    invocations: driver.stats.invocations,
    partial_failures: driver.stats.partialFailures,
    function_errors: driver.stats.functionErrors,
    timeouts: driver.stats.timeouts,
    discarded_batches: driver.stats.discardedBatches,
    replayed_records: replayed,
    firehose_calls: firehose.calls,
    throttled_calls: firehose.throttled,
    failed_entries: firehose.failedEntries,
    parquet_files: firehose.files.length,
  };
  if (values.keep) log(`data kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return audit.lost === 0 && audit.unexpected === 0 && audit.hashMismatches === 0 && audit.changesIn === changes ? 0 : 1;
}

/**
 * Stream batches of realistic ~1 KB records (bench/stream-records.ts: every type, mixed
 * INSERT/MODIFY/REMOVE), each batch from one of the demo's seven tables in turn, spread over two
 * days. Made batch by batch and forgotten once delivered: the generator holds no state that grows
 * with the run, so RSS growth is the pipeline's own.
 */
function* soakBatches(changes: number, batchSize: number): Generator<DynamoDBRecord[]> {
  const start = Date.parse('2026-03-01T00:00:00Z') / 1000;
  let sequence = 10n ** 21n;
  for (let offset = 0, batch = 0; offset < changes; offset += batchSize, batch++) {
    const table = SOURCE_TABLES[batch % SOURCE_TABLES.length] as (typeof SOURCE_TABLES)[number];
    const records = generateStreamRecords(Math.min(batchSize, changes - offset), { seed: batch + 1, streamArn: streamArn(table) });
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      record.eventID = `soak-${(offset + i).toString(36).padStart(8, '0')}`;
      record.dynamodb.SequenceNumber = (sequence++).toString();
      record.dynamodb.ApproximateCreationDateTime = start + Math.floor(((offset + i) / changes) * 2 * 86400);
    }
    yield records as DynamoDBRecord[];
  }
}

/** An unknown type tag in the key: the record must come out as an error record, and not block its shard. */
function breakRecord(record: DynamoDBRecord): DynamoDBRecord {
  return { ...record, dynamodb: { ...record.dynamodb, Keys: { ...record.dynamodb?.Keys, broken: { Q: 'x' } as never } } };
}

/**
 * RSS over the run. "Early" is the median of samples between 10 % and 20 % of the changes (after
 * warm-up and the first buffers), "late" the median of the last 10 %: growth between them is what
 * a leak would show; peak is the process's maxRSS (worker thread included, between samples too).
 */
class RssTracker {
  private readonly early: number[] = [];
  private readonly late: number[] = [];
  earlyMb = 0;
  lateMb = 0;

  sample(progress: number): void {
    const mb = process.memoryUsage.rss() / 1048576;
    if (progress >= 0.1 && progress < 0.2) this.early.push(mb);
    if (progress >= 0.9) this.late.push(mb);
  }

  currentMb(): number {
    return Math.round(process.memoryUsage.rss() / 1048576);
  }

  peakMb(): number {
    return Math.round((process.resourceUsage().maxRSS * 1024) / 1048576);
  }

  growthMb(): number {
    this.earlyMb = Math.round(median(this.early));
    this.lateMb = Math.round(median(this.late));
    return this.lateMb - this.earlyMb;
  }
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

main().then(
  (status) => process.exit(status),
  (err: Error) => {
    process.stderr.write(`soak: failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
