/**
 * Delivers change records to Firehose, and reports exactly which ones did not get there.
 *
 * Steps, in order:
 *   1. Serialize each change record as one JSON line.
 *   2. A line too large for one Firehose record (a MODIFY of a 400 KB item carries two images) is
 *      written whole to S3 under the overflow prefix; a pointer record (overflow_uri, record_hash and
 *      every field but the images and raw_record) goes through Firehose in its place. Nothing is truncated.
 *   3. Pack lines into records (see packing.ts) and records into calls within Firehose's limits.
 *   4. Send. Entries that fail (FailedPutCount > 0) or whose whole call failed are sent again, and
 *      only those, with capped exponential backoff and full jitter, until they succeed, the attempt
 *      limit is reached or the Lambda's remaining time runs short.
 *   5. Return the indexes of change records still undelivered; the handler turns the earliest into a
 *      batchItemFailures entry so the event source mapping retries from there (at-least-once:
 *      consumers de-duplicate on event_id).
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChangeRecord } from '../../schemas/change-record';
import { MAX_RECORD_BYTES } from './firehose-limits';
import { changeRecordLine, groupIntoCalls, Line, PackedRecord, Packing, packRecords } from './packing';
import type { MinimalLogger } from './logger';

export interface SinkClients {
  readonly firehose: Pick<FirehoseClient, 'send'>;
  readonly s3: Pick<S3Client, 'send'>;
}

export interface SinkOptions {
  readonly deliveryStreamName: string;
  readonly packing: Packing;
  readonly overflowBucket: string;
  /** Key prefix of oversize changes, ending in "/". */
  readonly overflowPrefix: string;
  /** Milliseconds left before the Lambda times out. */
  readonly remainingTimeMs: () => number;
  /** Stop retrying when less than this is left, so the handler can still answer. @default 5000 */
  readonly safetyMarginMs?: number;
  /** Sending rounds, the first included. @default 8 */
  readonly maxRounds?: number;
  /** @default 100 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface DeliveryReport {
  readonly delivered: number;
  /** Indexes (into the input) of change records that were not delivered, ascending. */
  readonly undelivered: number[];
  /** Firehose entries sent again after a failure. */
  readonly retriedEntries: number;
  /** Changes written to the overflow prefix. */
  readonly oversize: number;
  readonly calls: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function deliverChangeRecords(records: readonly ChangeRecord[], clients: SinkClients, options: SinkOptions, logger: MinimalLogger): Promise<DeliveryReport> {
  const undelivered = new Set<number>();
  const lines: Line[] = [];
  let oversize = 0;

  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ChangeRecord;
    const text = changeRecordLine(record);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= MAX_RECORD_BYTES) {
      lines.push({ text, bytes, index: i });
      continue;
    }
    oversize++;
    const pointer = await writeOverflow(record, text, clients.s3, options, logger);
    if (pointer === undefined) {
      undelivered.add(i);
      continue;
    }
    const pointerText = `${JSON.stringify(pointer)}\n`;
    lines.push({ text: pointerText, bytes: Buffer.byteLength(pointerText, 'utf8'), index: i });
  }

  const sent = await sendWithRetries(packRecords(lines, options.packing), clients.firehose, options, logger);
  for (const index of sent.failedIndexes) undelivered.add(index);
  const undeliveredList = [...undelivered].sort((a, b) => a - b);
  return { delivered: records.length - undeliveredList.length, undelivered: undeliveredList, retriedEntries: sent.retriedEntries, oversize, calls: sent.calls };
}

/** S3 key of an oversize change: content-addressed, so a retried batch rewrites the same key. */
export function overflowKey(record: ChangeRecord, prefix: string): string {
  return `${prefix}account_id=${record.account_id}/table_name=${record.table_name}/dt=${record.dt}/${record.record_hash}.json`;
}

async function writeOverflow(record: ChangeRecord, text: string, s3: SinkClients['s3'], options: SinkOptions, logger: MinimalLogger): Promise<ChangeRecord | undefined> {
  const key = overflowKey(record, options.overflowPrefix);
  try {
    await s3.send(new PutObjectCommand({ Bucket: options.overflowBucket, Key: key, Body: text, ContentType: 'application/x-ndjson' }));
  } catch (err) {
    logger.error('overflow write failed', { event_id: record.event_id, key, error: (err as Error).message });
    return undefined;
  }
  return { ...record, new_image: null, old_image: null, raw_record: null, overflow_uri: `s3://${options.overflowBucket}/${key}` };
}

interface SendResult {
  readonly failedIndexes: number[];
  readonly retriedEntries: number;
  readonly calls: number;
}

async function sendWithRetries(records: PackedRecord[], firehose: SinkClients['firehose'], options: SinkOptions, logger: MinimalLogger): Promise<SendResult> {
  const maxRounds = options.maxRounds ?? 8;
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5000;
  const margin = options.safetyMarginMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  let pending = records;
  let retriedEntries = 0;
  let calls = 0;
  for (let round = 0; pending.length > 0 && round < maxRounds; round++) {
    if (round > 0) {
      // Full jitter: spreads the retries of many concurrent shards instead of synchronizing them.
      const delay = Math.floor(random() * Math.min(maxDelay, baseDelay * 2 ** (round - 1)));
      if (options.remainingTimeMs() - delay < margin) break;
      await sleep(delay);
      retriedEntries += pending.length;
    }
    const failed: PackedRecord[] = [];
    for (const call of groupIntoCalls(pending)) {
      if (options.remainingTimeMs() < margin) {
        failed.push(...call);
        continue;
      }
      calls++;
      failed.push(...(await sendCall(call, firehose, options.deliveryStreamName, logger)));
    }
    pending = failed;
  }
  const failedIndexes = pending.flatMap((record) => record.indexes);
  return { failedIndexes, retriedEntries, calls };
}

/** Sends one call; returns the entries that did not get in. */
async function sendCall(call: PackedRecord[], firehose: SinkClients['firehose'], deliveryStreamName: string, logger: MinimalLogger): Promise<PackedRecord[]> {
  try {
    const response = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: call.map((r) => ({ Data: r.data })) }));
    if (!response.FailedPutCount) return [];
    const responses = response.RequestResponses ?? [];
    const failed = call.filter((_record, i) => responses[i]?.ErrorCode !== undefined || responses[i] === undefined);
    const firstError = responses.find((r) => r.ErrorCode !== undefined);
    logger.warn('Firehose refused some entries', { failed: failed.length, sent: call.length, errorCode: firstError?.ErrorCode, errorMessage: firstError?.ErrorMessage });
    return failed;
  } catch (err) {
    // The SDK already retried throttling and 5xx; anything that reaches here failed the whole call.
    logger.warn('PutRecordBatch call failed', { entries: call.length, error: (err as Error).name, message: (err as Error).message });
    return call;
  }
}
