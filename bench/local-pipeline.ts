/**
 * Benchmark section: the local pipeline end to end. DynamoDB stream events (Lambda batches of
 * 1,000) go through the real collector handler and the real Firehose SDK client into the local
 * Firehose, which deaggregates, partitions and writes Parquet (in a worker thread).
 *
 * What is timed: the handler (normalize, serialize, pack, send through the SDK), the local
 * Firehose (HTTP, protocol, deaggregation, partitioning, buffering, Parquet) and the final flush.
 * What is not: generating the workload. 20,000 changes are generated up front (all tables and
 * change kinds, see local/demo/workload.ts) and replayed, each replayed change with its own event
 * id, sequence number and time (spread over three days, so 21 partitions), so the collector and
 * the local Firehose see 1,000,000 distinct changes while the generator costs nothing in the loop.
 * Then it shows partition pruning: DuckDB's EXPLAIN ANALYZE of a query for one account, table
 * and day, and how many Parquet files that scan read out of all files written.
 *
 * Run alone: npx tsx bench/local-pipeline.ts [CHANGES]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderQuery } from '../cli/query';
import { openLocalConnection } from '../cli/query/duckdb-engine';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { demoSourceOptions, generateWorkload } from '../local/demo/workload';
import { startLocalPipeline } from '../local/pipeline';

export interface LocalPipelineBenchResult {
  local_records_per_s: number;
  local_peak_rss_mb: number;
  local_changes: number;
  local_seconds: number;
  local_avg_change_bytes: number;
  local_parquet_files: number;
  local_partitions: number;
  /** Parquet files DuckDB read for a one-account, one-table, one-day query, and all files written. */
  local_pruned_query_files_read: number;
  local_total_files: number;
}

export interface LocalPipelineBenchOptions {
  /** @default 1,000,000 */
  readonly changes?: number;
  /** Where to write; a temporary folder (removed afterwards) by default. */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export async function benchLocalPipeline(options: LocalPipelineBenchOptions = {}): Promise<LocalPipelineBenchResult> {
  const changes = options.changes ?? 1_000_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ddb-audit-bench-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  try {
    const end = new Date('2026-03-03T00:00:00Z');
    const start = new Date(end.getTime() - 3 * 86400_000);
    const pool = [...generateWorkload({ changes: Math.min(changes, POOL_CHANGES), seed: 1234, batchSize: 1000, start, end }).events()];
    const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions(), buffer: { sizeBytes: 8 * 1024 * 1024, maxTotalBytes: 48 * 1024 * 1024 } });
    const started = process.hrtime.bigint();
    let sent = 0;
    let nextLog = changes / 10;
    try {
      for (const event of replay(pool, changes, start.getTime(), end.getTime())) {
        const response = await pipeline.invoke(event, 300_000);
        if (response.batchItemFailures.length > 0) throw new Error('the collector reported undelivered changes');
        sent += event.Records.length;
        if (sent >= nextLog) {
          log(`local pipeline: ${sent.toLocaleString('en-US')} / ${changes.toLocaleString('en-US')} changes`);
          nextLog += changes / 10;
        }
      }
      await pipeline.firehose.flush();
    } finally {
      await pipeline.close();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    // maxRSS covers the whole process, worker thread included, between samples too.
    peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
    const stats = pipeline.firehose.stats();
    if (stats.rowsWritten !== changes) throw new Error(`wrote ${stats.rowsWritten} rows for ${changes} changes`);

    const partitions = new Set(stats.files.map((f) => f.split('/').slice(0, 4).join('/')));
    const pruned = await prunedScan(dataDir);
    log(`local pipeline: one account/table/day query read ${pruned.filesRead} of ${stats.files.length} Parquet files (${partitions.size} partitions)`);
    log(pruned.plan);
    return {
      local_records_per_s: Math.round(changes / seconds),
      local_peak_rss_mb: Math.round(peakRss / 1048576),
      local_changes: changes,
      local_seconds: Math.round(seconds * 10) / 10,
      local_avg_change_bytes: Math.round(stats.bytesWritten / changes),
      local_parquet_files: stats.files.length,
      local_partitions: partitions.size,
      local_pruned_query_files_read: pruned.filesRead,
      local_total_files: stats.files.length,
    };
  } finally {
    clearInterval(sampler);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

const POOL_CHANGES = 20_000;

/**
 * `changes` changes from the pool's events, in order and round again, each with a fresh event id,
 * sequence number (increasing, 22 digits) and event time (spread evenly over [start, end]).
 * Shallow copies: the images are shared, and the collector only reads them.
 */
function* replay(pool: readonly DynamoDBStreamEvent[], changes: number, start: number, end: number): Generator<DynamoDBStreamEvent> {
  let i = 0;
  for (let round = 0; i < changes; round++) {
    for (const event of pool) {
      if (i >= changes) return;
      const records = event.Records.slice(0, changes - i).map((record) => {
        const n = i++;
        const time = Math.floor((start + ((end - start) * n) / changes) / 1000);
        return { ...record, eventID: `r${n.toString(16).padStart(8, '0')}`, dynamodb: { ...record.dynamodb, SequenceNumber: `${start}${String(n).padStart(9, '0')}`, ApproximateCreationDateTime: time } };
      });
      yield { Records: records };
    }
  }
}

/** EXPLAIN ANALYZE of the bundled table-changes query for one account, table and day. */
async function prunedScan(dataDir: string): Promise<{ filesRead: number; plan: string }> {
  const { sql } = renderQuery('table-changes', { from: '2026-03-01', to: '2026-03-01', account_id: '012345678901', table_name: 'Orders' });
  const connection = await openLocalConnection(dataDir);
  try {
    await connection.run("PRAGMA enable_profiling = 'json'");
    const reader = await connection.runAndReadAll(`EXPLAIN ANALYZE ${sql.replace(/^(--.*\n)+/, '')}`);
    const profile = JSON.parse(String(reader.getRows()[0]?.[1] ?? '{}'));
    let filesRead = 0;
    const plan: string[] = [];
    const walk = (node: { operator_name?: string; extra_info?: Record<string, unknown>; children?: unknown[] }) => {
      const read = node.extra_info?.['Total Files Read'];
      if (read !== undefined) {
        filesRead += Number(read);
        plan.push(`${(node.operator_name ?? '').trim()}: Total Files Read ${String(read)}; ${JSON.stringify(node.extra_info?.Filters ?? node.extra_info?.['File Filters'] ?? '')}`);
      }
      for (const child of node.children ?? []) walk(child as typeof node);
    };
    walk(profile);
    return { filesRead, plan: plan.join('\n') };
  } finally {
    connection.closeSync();
  }
}

if (require.main === module) {
  const count = process.argv[2] ? Number(process.argv[2]) : undefined;
  benchLocalPipeline({ changes: count }).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
}
