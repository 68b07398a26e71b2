/**
 * One watch run: observe every source due this run, within a limit on calls per second.
 *
 * Calls and their quotas (read from AWS documentation; the watch stays far inside them):
 *  - DescribeTable, once per source due: the table's current stream (LatestStreamArn,
 *    StreamSpecification). DynamoDB's control plane throttles at 2,500 requests per second
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-control-plane.html).
 *  - DescribeStream, "at a maximum rate of 10 times per second"
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html).
 *    That is the binding quota: 10,000 streams would take 1,000 s. So the watch describes at most
 *    DESCRIBE_STREAM_PER_SECOND (half the quota, leaving the rest to `doctor` and people) and only a
 *    rotating share of the streams each run; DescribeTable already shows a disabled or replaced
 *    stream on every run, so a stream's own status is a second opinion, not the first signal.
 *  - ListEventSourceMappings of the collector function, paged (100 per page): 100 calls for 10,000
 *    sources per run, instead of one call per source.
 * Every call waits for the shared limiter. A throttled call is retried with exponential backoff and,
 * when it still fails, its check is 'unknown', never 'healthy'.
 *
 * Sharding: when the sources cannot all be checked within a run's budget (maxCallsPerSecond x 80 % of
 * the interval), each run checks the share whose hash falls in this run's slot, so every source is
 * checked every `shards` runs and the number of calls per run stays bounded whatever the count.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { sha256Hex } from '../core/sha256';
import type { Acquire, Clock } from './rate-limit';
import type { MappingObservation, SourceObservation, StreamObservation, TableObservation } from './source-health';

/** Half DescribeStream's documented 10 per second. */
export const DESCRIBE_STREAM_PER_SECOND = 5;
/** Share of the interval a run may spend calling, so a run ends before the next starts. */
export const RUN_BUDGET_SHARE = 0.8;

export interface WatchSource {
  readonly tableArn: string;
  readonly streamArn: string;
}

export interface WatchClients {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly streams: Pick<DynamoDBStreamsClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

export interface CheckOptions {
  readonly collectorFunctionName: string;
  readonly intervalMinutes: number;
  readonly maxCallsPerSecond: number;
  /** Index of this run: floor(scheduled time / interval). Chooses the shard and the streams described. */
  readonly runIndex: number;
  readonly acquire: Acquire;
  /** A second limiter for DescribeStream alone. */
  readonly acquireDescribeStream: Acquire;
  readonly clock: Clock;
  /** Attempts per call when throttled, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** Calls in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Streams that must be described this run whatever their slot (e.g. the new stream of an open gap). */
  readonly alwaysDescribe?: ReadonlySet<string>;
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'LimitExceededException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return THROTTLING.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 429;
}

class ExhaustedThrottling extends Error {}

/** Calls `call` after the limiter, retrying throttling with exponential backoff and full jitter-free delays (deterministic). */
async function limited<T>(call: () => Promise<T>, acquire: Acquire, options: CheckOptions): Promise<T> {
  const attempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    await acquire();
    try {
      return await call();
    } catch (err) {
      if (!isThrottling(err)) throw err;
      if (attempt >= attempts) throw new ExhaustedThrottling(`throttled (${(err as Error).name}) after ${attempts} attempts`);
      await options.clock.sleep(base * 2 ** (attempt - 1));
    }
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof ExhaustedThrottling) return err.message;
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${String(e.message ?? err).slice(0, 200)}`;
}

function slotOf(text: string, slots: number): number {
  return parseInt(sha256Hex(text).slice(0, 8), 16) % slots;
}

/** How many runs it takes to check every source once. */
export function shardCount(sources: number, intervalMinutes: number, maxCallsPerSecond: number): number {
  const callsPerRun = Math.floor(maxCallsPerSecond * intervalMinutes * 60 * RUN_BUDGET_SHARE);
  // One DescribeTable per source, plus the mapping pages (100 per page).
  const perRun = Math.max(1, callsPerRun - Math.ceil(sources / 100));
  return Math.max(1, Math.ceil(sources / perRun));
}

/** The sources this run checks. */
export function sourcesDue(sources: readonly WatchSource[], options: Pick<CheckOptions, 'intervalMinutes' | 'maxCallsPerSecond' | 'runIndex'>): WatchSource[] {
  const shards = shardCount(sources.length, options.intervalMinutes, options.maxCallsPerSecond);
  if (shards === 1) return [...sources];
  return sources.filter((s) => slotOf(s.tableArn, shards) === options.runIndex % shards);
}

/** Whether this run describes the stream: a rotating share that fits DESCRIBE_STREAM_PER_SECOND. */
function describeStreamDue(source: WatchSource, due: number, options: CheckOptions): boolean {
  if (options.alwaysDescribe?.has(source.streamArn)) return true;
  const perRun = Math.max(1, Math.floor(DESCRIBE_STREAM_PER_SECOND * options.intervalMinutes * 60 * RUN_BUDGET_SHARE));
  const slots = Math.max(1, Math.ceil(due / perRun));
  return slotOf(`stream\n${source.streamArn}`, slots) === options.runIndex % slots;
}

/** Every mapping of the collector, by event source ARN; or why they could not be listed. */
async function listMappings(clients: WatchClients, options: CheckOptions): Promise<Map<string, MappingObservation> | { reason: string }> {
  const byArn = new Map<string, MappingObservation>();
  let marker: string | undefined;
  try {
    do {
      const page = await limited(() => clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: options.collectorFunctionName, Marker: marker, MaxItems: 100 })), options.acquire, options);
      for (const m of page.EventSourceMappings ?? []) {
        if (!m.EventSourceArn) continue;
        byArn.set(m.EventSourceArn, { kind: 'ok', uuid: m.UUID ?? '', state: m.State ?? 'unknown', lastProcessingResult: m.LastProcessingResult ?? null, eventSourceArn: m.EventSourceArn });
      }
      marker = page.NextMarker;
    } while (marker);
    return byArn;
  } catch (err) {
    return { reason: reasonOf(err) };
  }
}

async function describeTable(clients: WatchClients, tableArn: string, options: CheckOptions): Promise<TableObservation> {
  try {
    // DescribeTable accepts the table ARN as TableName, which a cross-account call needs.
    const out = await limited(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: tableArn })), options.acquire, options);
    const spec = out.Table?.StreamSpecification;
    return { kind: 'ok', streamEnabled: spec?.StreamEnabled === true, latestStreamArn: out.Table?.LatestStreamArn ?? null, viewType: spec?.StreamViewType ?? null };
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return { kind: 'missing' };
    return { kind: 'unknown', reason: reasonOf(err) };
  }
}

export async function describeStream(clients: WatchClients, streamArn: string, options: CheckOptions): Promise<StreamObservation> {
  try {
    const both: Acquire = async () => {
      await options.acquireDescribeStream();
      await options.acquire();
    };
    // Limit 1: the watch needs the status, not the shard list.
    const out = await limited(() => clients.streams.send(new DescribeStreamCommand({ StreamArn: streamArn, Limit: 1 })), both, options);
    const d = out.StreamDescription;
    return { kind: 'ok', status: d?.StreamStatus ?? 'unknown', viewType: d?.StreamViewType ?? null, createdAt: d?.CreationRequestDateTime ? new Date(d.CreationRequestDateTime).toISOString() : null };
  } catch (err) {
    return { kind: 'unknown', reason: reasonOf(err) };
  }
}

async function inPool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export async function observeSources(sources: readonly WatchSource[], clients: WatchClients, options: CheckOptions): Promise<SourceObservation[]> {
  const due = sourcesDue(sources, options);
  if (due.length === 0) return [];
  const mappings = await listMappings(clients, options);
  return inPool(due, options.concurrency ?? 8, async (source) => {
    const table = await describeTable(clients, source.tableArn, options);
    const stream = describeStreamDue(source, due.length, options) ? await describeStream(clients, source.streamArn, options) : ({ kind: 'not-checked' } as const);
    const mapping: MappingObservation = mappings instanceof Map ? (mappings.get(source.streamArn) ?? { kind: 'missing' }) : { kind: 'unknown', reason: mappings.reason };
    return { tableArn: source.tableArn, configuredStreamArn: source.streamArn, table, stream, mapping };
  });
}
