/**
 * One Lambda invocation's work: normalize a stream batch, deliver it, and say where to retry from.
 * Everything with side effects is passed in, so the handler is a thin adapter and this is tested
 * against the local Firehose or fakes.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { DeliveryReport, SinkClients, SinkOptions } from './firehose-sink';
import { boundedLogText, type MinimalLogger } from './logger';
import { normalizeRecords } from './normalize';
import { deliverRouted } from './routed-delivery';
import { DELIVERY_FAILURE_LOG_MESSAGE, METRIC, NORMALIZATION_ERROR_LOG_MESSAGE, REDACT_PATH_ON_KEY_LOG_MESSAGE } from './telemetry';

export interface MinimalMetrics {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
}

export interface BatchDependencies {
  readonly clients: SinkClients;
  readonly sink: Omit<SinkOptions, 'remainingTimeMs'>;
  /**
   * Every delivery stream of the deployment, index = stream (see delivery-routing.ts); each change
   * goes to its source's stream. @default [sink.deliveryStreamName]
   */
  readonly deliveryStreamNames?: readonly string[];
  readonly sourceOptions: CollectorSourceOptionsByTable;
  readonly logger: MinimalLogger;
  readonly metrics: MinimalMetrics;
  readonly now?: () => Date;
}

/** The partial batch response the event source mapping understands (ReportBatchItemFailures). */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface BatchOutcome {
  readonly response: BatchResponse;
  readonly records: ChangeRecord[];
  readonly undelivered: number[];
}

export async function processBatch(event: unknown, deps: BatchDependencies, remainingTimeMs: () => number): Promise<BatchOutcome> {
  const now = deps.now ?? (() => new Date());
  const streamRecords = extractRecords(event, deps.logger);
  if (streamRecords.length === 0) return { response: { batchItemFailures: [] }, records: [], undelivered: [] };

  // Redact paths on key attributes are not applied (keys are never redacted): reported once per table and path per batch.
  const pathsOnKeys = new Map<string, { table_arn: string; path: string }>();
  const records = normalizeRecords(streamRecords, {
    sourceOptions: deps.sourceOptions,
    processedAt: now().toISOString(),
    onRedactPathOnKeyAttribute: (tableArn, path) => void pathsOnKeys.set(JSON.stringify([tableArn, path]), { table_arn: tableArn, path }),
  });
  for (const found of pathsOnKeys.values()) deps.logger.error(REDACT_PATH_ON_KEY_LOG_MESSAGE, { ...found, reason: 'a redact path names a key attribute; keys are never redacted, so it was not applied: remove it from the config' });
  let errors = 0;
  for (const record of records) {
    if (record.normalization_error === null) continue;
    errors++;
    // The reason can name attribute paths, and a malformed record's identity fields can be anything: bounded (logger.ts).
    deps.logger.error(NORMALIZATION_ERROR_LOG_MESSAGE, {
      event_id: bounded(record.event_id),
      sequence_number: bounded(record.sequence_number),
      stream_arn: bounded(record.stream_arn),
      reason: bounded(record.normalization_error),
    });
  }

  const report = await deliverByStream(records, deps, remainingTimeMs);
  const response: BatchResponse = { batchItemFailures: [] };
  if (report.undelivered.length > 0) {
    const retryFrom = retrySequenceNumber(streamRecords, report.undelivered[0] as number);
    response.batchItemFailures.push({ itemIdentifier: retryFrom });
    deps.logger.error(DELIVERY_FAILURE_LOG_MESSAGE, { undelivered: report.undelivered.length, retry_from_sequence_number: bounded(retryFrom) });
  }

  const first = records[0] as ChangeRecord;
  const last = records[records.length - 1] as ChangeRecord;
  deps.logger.info('batch processed', {
    stream_arn: bounded(first.stream_arn),
    batch_size: records.length,
    first_sequence_number: bounded(first.sequence_number),
    last_sequence_number: bounded(last.sequence_number),
    delivered: report.delivered,
    retried: report.retriedEntries,
    failed: report.undelivered.length,
    oversize: report.oversize,
    normalization_errors: errors,
    firehose_calls: report.calls,
  });
  deps.metrics.addMetric(METRIC.changesReceived, 'Count', records.length);
  deps.metrics.addMetric(METRIC.changesDelivered, 'Count', report.delivered);
  deps.metrics.addMetric(METRIC.entriesRetried, 'Count', report.retriedEntries);
  deps.metrics.addMetric(METRIC.changesFailed, 'Count', report.undelivered.length);
  deps.metrics.addMetric(METRIC.normalizationErrors, 'Count', errors);
  deps.metrics.addMetric(METRIC.oversizeChanges, 'Count', report.oversize);
  deps.metrics.addMetric(METRIC.redactPathsOnKeyAttributes, 'Count', pathsOnKeys.size);
  const newest = newestEventTime(records);
  if (newest !== undefined) deps.metrics.addMetric(METRIC.newestRecordAgeMs, 'Milliseconds', Math.max(0, now().getTime() - newest));

  return { response, records, undelivered: report.undelivered };
}

/**
 * Delivers each change to its source's stream (routed-delivery.ts). A batch comes from one stream
 * of one table, so this is one call in practice; the grouping only matters for a batch no mapping sends.
 */
function deliverByStream(records: readonly ChangeRecord[], deps: BatchDependencies, remainingTimeMs: () => number): Promise<DeliveryReport> {
  return deliverRouted(records, deps.deliveryStreamNames ?? [deps.sink.deliveryStreamName], deps.clients, { ...deps.sink, remainingTimeMs }, deps.logger);
}

function bounded(text: string | null): string | null {
  return text === null ? null : boundedLogText(text);
}

function extractRecords(event: unknown, logger: MinimalLogger): unknown[] {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (Array.isArray(records)) return records;
  // Not a stream batch at all: there is no stream record to keep, so say so loudly and carry on.
  logger.error(NORMALIZATION_ERROR_LOG_MESSAGE, { reason: 'event has no Records array: not a DynamoDB stream batch' });
  return [];
}

/**
 * The sequence number to retry from: that of the earliest undelivered record, or of the nearest
 * earlier record when it has none (a malformed record). Retrying earlier only repeats deliveries,
 * which de-duplication absorbs; retrying later would lose changes. With no usable sequence number
 * at all, an empty identifier makes the event source mapping retry the whole batch.
 */
export function retrySequenceNumber(streamRecords: readonly unknown[], earliestUndelivered: number): string {
  for (let i = earliestUndelivered; i >= 0; i--) {
    const seq = (streamRecords[i] as { dynamodb?: { SequenceNumber?: unknown } } | null)?.dynamodb?.SequenceNumber;
    if (typeof seq === 'string' && seq !== '') return seq;
  }
  return '';
}

function newestEventTime(records: readonly ChangeRecord[]): number | undefined {
  // event_time is always ISO-8601 UTC with milliseconds, so the newest is also the greatest string:
  // one Date.parse for the batch instead of one per record.
  let newest: string | undefined;
  for (const record of records) {
    if (record.event_time !== null && (newest === undefined || record.event_time > newest)) newest = record.event_time;
  }
  return newest === undefined ? undefined : Date.parse(newest);
}
