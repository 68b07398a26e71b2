/**
 * Reading the event source mapping's on-failure records: what Lambda writes to the S3 failure
 * destination when it discards a DynamoDB stream batch (retries or record age exhausted).
 *
 * One record is a JSON object:
 *   { requestContext, responseContext, version, timestamp,
 *     DDBStreamBatchInfo: { shardId, startSequenceNumber, endSequenceNumber, batchSize, streamArn, ... },
 *     payload }                 <- the full invocation event, { "Records": [...] }, as JSON text
 * Only S3 destinations carry `payload`; SQS and SNS destinations get the metadata alone, and then
 * the changes can only be read back from the stream itself, within its 24 hours.
 *
 * Accepted here: one record per file (as Lambda writes them), NDJSON of several, or a JSON array,
 * and `payload` as JSON text or as an already-parsed object. Pure: no I/O.
 */

export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number | null;
  readonly streamArn: string;
}

/** One discarded batch: where it came from and its stream records, exactly as Lambda received them. */
export interface FailedBatch {
  readonly batch: StreamBatchInfo;
  /** requestContext.condition, e.g. RetryAttemptsExhausted or RecordAgeExceeded. */
  readonly condition: string | null;
  readonly timestamp: string | null;
  readonly records: unknown[];
}

/** Input that is not an on-failure record; the message names the source and what is wrong. */
export class FailureRecordError extends Error {
  override name = 'FailureRecordError';
}

/** Parses the text of one failure object (or file) into its discarded batches, in order. */
export function parseFailureRecords(text: string, source: string): FailedBatch[] {
  return splitJsonDocuments(text, source).map(({ value, where }) => toFailedBatch(value, `${source}${where}`));
}

function splitJsonDocuments(text: string, source: string): { value: unknown; where: string }[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new FailureRecordError(`${source} is empty: expected an on-failure record (JSON)`);
  try {
    const whole = JSON.parse(trimmed) as unknown;
    if (Array.isArray(whole)) {
      if (whole.length === 0) throw new FailureRecordError(`${source} is an empty JSON array: expected on-failure records`);
      return whole.map((value, i) => ({ value, where: ` [${i}]` }));
    }
    return [{ value: whole, where: '' }];
  } catch (err) {
    if (err instanceof FailureRecordError) throw err;
    // Not one JSON document: newline-delimited records.
  }
  const documents: { value: unknown; where: string }[] = [];
  const lines = trimmed.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      documents.push({ value: JSON.parse(line) as unknown, where: ` line ${i + 1}` });
    } catch (err) {
      throw new FailureRecordError(`${source} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  }
  return documents;
}

function toFailedBatch(value: unknown, where: string): FailedBatch {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FailureRecordError(`${where}: expected an on-failure record (a JSON object), got ${kind(value)}`);
  const record = value as Record<string, unknown>;
  const info = record.DDBStreamBatchInfo;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    const other = ['KinesisBatchInfo', 'SQSBatchInfo'].find((k) => k in record);
    throw new FailureRecordError(`${where}: not a DynamoDB stream on-failure record: DDBStreamBatchInfo is missing${other ? ` (it has ${other})` : ''}`);
  }
  const batch = batchInfo(info as Record<string, unknown>, where);
  const requestContext = record.requestContext as Record<string, unknown> | undefined;
  return {
    batch,
    condition: typeof requestContext?.condition === 'string' ? requestContext.condition : null,
    timestamp: typeof record.timestamp === 'string' ? record.timestamp : null,
    records: payloadRecords(record.payload, batch, where),
  };
}

function batchInfo(info: Record<string, unknown>, where: string): StreamBatchInfo {
  const text = (name: string): string => {
    const value = info[name];
    if (typeof value !== 'string' || value === '') throw new FailureRecordError(`${where}: DDBStreamBatchInfo.${name}: expected a non-empty string, got ${kind(value)}`);
    return value;
  };
  return {
    shardId: text('shardId'),
    startSequenceNumber: text('startSequenceNumber'),
    endSequenceNumber: text('endSequenceNumber'),
    batchSize: Number.isSafeInteger(info.batchSize) ? (info.batchSize as number) : null,
    streamArn: text('streamArn'),
  };
}

function payloadRecords(payload: unknown, batch: StreamBatchInfo, where: string): unknown[] {
  if (payload === undefined || payload === null) {
    // What an SQS or SNS destination receives: say what is lost and where it still is.
    throw new FailureRecordError(
      `${where}: has no payload (SQS and SNS destinations carry metadata only); read sequence numbers ${batch.startSequenceNumber}..${batch.endSequenceNumber} of ${batch.shardId} from ${batch.streamArn} before they expire (24 hours)`,
    );
  }
  let event: unknown = payload;
  if (typeof payload === 'string') {
    try {
      event = JSON.parse(payload) as unknown;
    } catch (err) {
      throw new FailureRecordError(`${where}: payload is not JSON: ${(err as Error).message}`);
    }
  }
  const records = (event as { Records?: unknown } | null)?.Records;
  if (event === null || typeof event !== 'object' || !Array.isArray(records)) throw new FailureRecordError(`${where}: payload is not a DynamoDB stream event: expected an object with a "Records" array`);
  return records;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.slice(0, 40)}"`;
  return typeof value;
}
