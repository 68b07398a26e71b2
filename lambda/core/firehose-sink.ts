/**
 * Delivers change records to Firehose, and reports exactly which ones did not get there.
 *
 * Steps, in order:
 *   1. Serialize each change record as one JSON line.
 *   2. A line too large for one Firehose record (a MODIFY of a 400 KB item carries two images; attribute
 *      names of control characters, which JSON escapes six-fold, can make even changed_attributes over a
 *      megabyte) is written whole to S3 under the overflow prefix; a pointer goes through Firehose in its
 *      place: overflow_uri, record_hash, every field the item cannot grow, and the item-sized fields that
 *      still fit, with overflow_fields naming those that moved (overflow-pointer.ts). Nothing is truncated,
 *      and the pointer always fits, whatever the item holds.
 *   3. Pack lines into records (see packing.ts) and records into calls within Firehose's limits. No line
 *      over the record limit is ever sent.
 *   4. Send. Entries that fail (FailedPutCount > 0) or whose whole call failed are sent again, and
 *      only those, with capped exponential backoff and full jitter, until they succeed, the attempt
 *      limit is reached or the Lambda's remaining time runs short. A call Firehose refuses for its
 *      content (InvalidArgumentException, ValidationException, HTTP 413), which no retry can fix, is
 *      split until the one line it refuses is found (an entry failed alone with such a code is split
 *      into its lines); that line goes to the overflow object and its smallest pointer is sent
 *      instead, so one change never holds back another.
 *   5. Return the indexes of change records still undelivered; the handler turns the earliest into a
 *      batchItemFailures entry so the event source mapping retries from there (at-least-once:
 *      consumers de-duplicate on event_id).
 *
 * Limits: https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html ("Each record
 * in the request can be as large as 1,000 KB (before base64 encoding), up to a limit of 4 MB for the
 * entire request"; partial failures come back in RequestResponses with ErrorCode and ErrorMessage).
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChangeRecord } from '../../schemas/change-record';
import { MAX_RECORD_BYTES } from './firehose-limits';
import { boundedLogText, type MinimalLogger } from './logger';
import { overflowPointer } from './overflow-pointer';
import { changeRecordLine, groupIntoCalls, Line, PackedRecord, Packing, packRecords } from './packing';

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
    const pointer = await overflowLine(record, text, i, clients.s3, options, logger, false);
    if (pointer === undefined) undelivered.add(i);
    else lines.push(pointer);
  }

  // A content refusal's line, sent again as its smallest pointer (at most once per change).
  const fallback = async (line: Line): Promise<Line | undefined> => {
    const record = records[line.index] as ChangeRecord;
    if (record === undefined) return undefined;
    return overflowLine(record, changeRecordLine(record), line.index, clients.s3, options, logger, true);
  };
  const sent = await sendWithRetries(packRecords(lines, options.packing), clients.firehose, options, logger, fallback);
  for (const index of sent.failedIndexes) undelivered.add(index);
  const undeliveredList = [...undelivered].sort((a, b) => a - b);
  return { delivered: records.length - undeliveredList.length, undelivered: undeliveredList, retriedEntries: sent.retriedEntries, oversize, calls: sent.calls };
}

/** S3 key of an oversize change: content-addressed, so a retried batch rewrites the same key. */
export function overflowKey(record: ChangeRecord, prefix: string): string {
  return `${prefix}account_id=${record.account_id}/table_name=${record.table_name}/dt=${record.dt}/${record.record_hash}.json`;
}

/**
 * Writes the full line to the overflow object and returns its pointer's line, or undefined (logged)
 * when the write fails or, which the pointer's construction rules out, the pointer is still too large.
 */
async function overflowLine(record: ChangeRecord, text: string, index: number, s3: SinkClients['s3'], options: SinkOptions, logger: MinimalLogger, lastResort: boolean): Promise<Line | undefined> {
  const key = overflowKey(record, options.overflowPrefix);
  try {
    await s3.send(new PutObjectCommand({ Bucket: options.overflowBucket, Key: key, Body: text, ContentType: 'application/x-ndjson' }));
  } catch (err) {
    logger.error('overflow write failed', { event_id: boundedLogText(String(record.event_id)), key: boundedLogText(key), error_code: (err as Error).name, error_message: boundedLogText(String((err as Error).message)) });
    return undefined;
  }
  const pointer = overflowPointer(record, `s3://${options.overflowBucket}/${key}`, MAX_RECORD_BYTES, { lastResort });
  if (pointer.bytes > MAX_RECORD_BYTES) {
    logger.error('overflow pointer too large to send', { event_id: boundedLogText(String(record.event_id)), bytes: pointer.bytes, limit: MAX_RECORD_BYTES });
    return undefined;
  }
  return { text: pointer.text, bytes: pointer.bytes, index };
}

interface SendResult {
  readonly failedIndexes: number[];
  readonly retriedEntries: number;
  readonly calls: number;
}

type Fallback = (line: Line) => Promise<Line | undefined>;

async function sendWithRetries(records: PackedRecord[], firehose: SinkClients['firehose'], options: SinkOptions, logger: MinimalLogger, fallback: Fallback): Promise<SendResult> {
  const maxRounds = options.maxRounds ?? 8;
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5000;
  const margin = options.safetyMarginMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  let pending = records;
  const given: number[] = [];
  const fellBack = new Set<number>();
  let retriedEntries = 0;
  let calls = 0;
  const send = async (call: PackedRecord[]) => {
    calls++;
    return sendCall(call, firehose, options.deliveryStreamName, logger);
  };
  // Isolation is for one bad line among good ones; a refusal of everything (a stream-wide problem)
  // must not turn into thousands of calls, so the extra calls are budgeted per delivery.
  const isolation = { budget: ISOLATION_CALL_BUDGET };
  for (let round = 0; pending.length > 0 && round < maxRounds; round++) {
    if (round > 0) {
      // Full jitter: spreads the retries of many concurrent shards instead of synchronizing them.
      const delay = Math.floor(random() * Math.min(maxDelay, baseDelay * 2 ** (round - 1)));
      if (options.remainingTimeMs() - delay < margin) break;
      await sleep(delay);
      retriedEntries += pending.length;
    }
    const failed: PackedRecord[] = [];
    const refused: Line[] = [];
    for (const call of groupIntoCalls(pending)) {
      if (options.remainingTimeMs() < margin) {
        failed.push(...call);
        continue;
      }
      const outcome = await isolateRefusals(call, send, () => options.remainingTimeMs() < margin, isolation);
      failed.push(...outcome.failed);
      refused.push(...outcome.refused);
    }
    // A refused line is never sent as it was again: its change goes out once as its smallest pointer,
    // and only when that is refused too is it given up on (reported undelivered).
    for (const line of refused) {
      if (fellBack.has(line.index)) {
        logger.error('Firehose refused a change and its smallest pointer; it stays undelivered', { index: line.index, bytes: line.bytes });
        given.push(line.index);
        continue;
      }
      logger.error('Firehose refused a change for its content; sending its smallest pointer instead', { index: line.index, bytes: line.bytes });
      fellBack.add(line.index);
      const pointer = await fallback(line);
      if (pointer === undefined) given.push(line.index);
      else failed.push({ data: Buffer.from(pointer.text, 'utf8'), indexes: [pointer.index], lines: [pointer] });
    }
    pending = failed;
  }
  const failedIndexes = [...given, ...pending.flatMap((record) => record.indexes)];
  return { failedIndexes, retriedEntries, calls };
}

interface CallOutcome {
  /** Entries to send again (a partial failure, throttling, a service error). */
  readonly failed: PackedRecord[];
  /** Single lines Firehose refused for their content: sending them again cannot succeed. */
  readonly refused: Line[];
}

/**
 * Sends one call. When Firehose refuses the whole call for its content, the call is halved until the
 * refused entry is alone, and an entry of several lines is split into its lines, so that only the one
 * line Firehose refuses is held back: at most about 2 log2(n) extra calls for one such line in n.
 */
async function isolateRefusals(call: PackedRecord[], send: (call: PackedRecord[]) => Promise<SendOutcome>, outOfTime: () => boolean, isolation: { budget: number }): Promise<CallOutcome> {
  const outcome = await send(call);
  if (outcome.refusedWhole) {
    const entry = call[0] as PackedRecord;
    if (call.length === 1 && entry.lines.length === 1) return { failed: [], refused: [entry.lines[0] as Line] };
    // Out of time or budget: the call is sent again whole next round (and reported undelivered if it never gets in).
    if (outOfTime() || isolation.budget <= 0) return { failed: call, refused: [] };
    isolation.budget--;
    if (call.length === 1) return isolateRefusals(packRecords(entry.lines, 'single'), send, outOfTime, isolation);
    const middle = Math.ceil(call.length / 2);
    return merge([await isolateRefusals(call.slice(0, middle), send, outOfTime, isolation), await isolateRefusals(call.slice(middle), send, outOfTime, isolation)]);
  }
  // Entries refused one by one for their content (undocumented, but handled alike): a packed entry is
  // split into its lines, and a single line is the refused one.
  const parts: CallOutcome[] = [{ failed: outcome.failed, refused: [] }];
  for (const entry of outcome.refusedEntries) {
    if (entry.lines.length === 1) parts.push({ failed: [], refused: [entry.lines[0] as Line] });
    else if (outOfTime() || isolation.budget <= 0) parts.push({ failed: [entry], refused: [] });
    else {
      isolation.budget--;
      parts.push(await isolateRefusals(packRecords(entry.lines, 'single'), send, outOfTime, isolation));
    }
  }
  return merge(parts);
}

function merge(parts: readonly CallOutcome[]): CallOutcome {
  return { failed: parts.flatMap((p) => p.failed), refused: parts.flatMap((p) => p.refused) };
}

interface SendOutcome {
  /** Entries to send again. */
  readonly failed: PackedRecord[];
  /** Entries Firehose failed one by one with a content error code: sending them as they are cannot succeed. */
  readonly refusedEntries: PackedRecord[];
  /** Firehose refused the whole call for what it holds (not a throttle or a service error). */
  readonly refusedWhole: boolean;
}

// Errors that say the request itself is wrong (PutRecordBatch documents InvalidArgumentException; the
// JSON protocol's generic validation error is ValidationException): the SDK does not retry them, and
// neither should we, as they are. The per-entry error codes are not documented (PutRecordBatchResponseEntry,
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatchResponseEntry.html, says only
// "the error code for an individual record result"), so an entry failed with one of these is treated alike.
const CONTENT_REFUSALS = new Set(['InvalidArgumentException', 'ValidationException']);
/** Splits of refused calls per delivery: enough to find a few bad lines among 500 records of 500 lines each (2 log2 of 250,000 is 36 per line). */
export const ISOLATION_CALL_BUDGET = 128;
/** Distinct error messages logged per call: the counts per error code cover the rest. */
export const LOGGED_ERROR_MESSAGES = 5;

/** Sends one call; returns the entries that did not get in. */
async function sendCall(call: PackedRecord[], firehose: SinkClients['firehose'], deliveryStreamName: string, logger: MinimalLogger): Promise<SendOutcome> {
  try {
    const response = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: call.map((r) => ({ Data: r.data })) }));
    if (!response.FailedPutCount) return { failed: [], refusedEntries: [], refusedWhole: false };
    const responses = response.RequestResponses ?? [];
    const failed: PackedRecord[] = [];
    const refusedEntries: PackedRecord[] = [];
    call.forEach((record, i) => {
      const code = responses[i] === undefined ? 'MissingResponse' : responses[i]?.ErrorCode;
      if (code === undefined) return;
      (CONTENT_REFUSALS.has(code) ? refusedEntries : failed).push(record);
    });
    logger.warn('Firehose refused some entries', { failed: failed.length + refusedEntries.length, sent: call.length, ...summarizeEntryErrors(responses, call.length) });
    return { failed, refusedEntries, refusedWhole: false };
  } catch (err) {
    // The SDK already retried throttling and 5xx; anything that reaches here failed the whole call.
    const error = err as Error & { $metadata?: { httpStatusCode?: number } };
    const refusedWhole = CONTENT_REFUSALS.has(error.name) || error.$metadata?.httpStatusCode === 413;
    // `message` is a reserved key of the Powertools logger, which drops it: error_message it is.
    logger.warn('PutRecordBatch call failed', { entries: call.length, error_code: error.name, error_message: boundedLogText(String(error.message)), http_status: error.$metadata?.httpStatusCode, refused_for_content: refusedWhole });
    return { failed: call, refusedEntries: [], refusedWhole };
  }
}

/**
 * The errors of a partial failure, bounded whatever the call holds: a count per error code, and the
 * first few distinct messages (each cut to a bounded length).
 */
export function summarizeEntryErrors(responses: readonly { ErrorCode?: string; ErrorMessage?: string }[], sent: number): { error_codes: Record<string, number>; error_messages: string[] } {
  const codes: Record<string, number> = Object.create(null);
  const messages: string[] = [];
  for (let i = 0; i < sent; i++) {
    const response = responses[i];
    // A missing response counts as a failure (see sendCall): name it rather than hide it.
    const code = response === undefined ? 'MissingResponse' : response.ErrorCode;
    if (code === undefined) continue;
    codes[code] = (codes[code] ?? 0) + 1;
    const message = response === undefined ? 'Firehose returned fewer responses than records' : `${code}: ${boundedLogText(String(response.ErrorMessage ?? ''))}`;
    if (messages.length < LOGGED_ERROR_MESSAGES && !messages.includes(message)) messages.push(message);
  }
  return { error_codes: { ...codes }, error_messages: messages };
}
