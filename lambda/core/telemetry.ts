/**
 * Names shared by the collector's logs and metrics and the alarms and dashboard that watch them.
 * One constant ties runtime to infrastructure: rename a metric here and both sides follow.
 */

/** CloudWatch namespace of the collector's Embedded Metric Format metrics. */
export const METRICS_NAMESPACE = 'DdbAudit';
/** Powertools service name: the `service` dimension of every metric and the `service` key of every log line. */
export const SERVICE_NAME = 'ddb-audit-collector';

export const METRIC = {
  /** Stream records received in the batch. */
  changesReceived: 'ChangesReceived',
  /** Change records Firehose accepted. */
  changesDelivered: 'ChangesDelivered',
  /** Firehose entries sent again after a partial failure or throttle. */
  entriesRetried: 'FirehoseEntriesRetried',
  /** Change records still undelivered when the batch ended (reported as batchItemFailures). */
  changesFailed: 'ChangesFailed',
  /** Stream records that could not be normalized and were delivered as error records. */
  normalizationErrors: 'NormalizationErrors',
  /** Changes too large for one Firehose record, written whole to the overflow prefix. */
  oversizeChanges: 'OversizeChanges',
  /** Age of the newest stream record in the batch when it was delivered, in milliseconds. */
  newestRecordAgeMs: 'NewestRecordAgeMilliseconds',
  /**
   * Configured redact paths found naming a key attribute of their table, once per path per batch:
   * keys are never redacted (item_key must stay usable), so the path is not applied. Alarmed.
   */
  redactPathsOnKeyAttributes: 'RedactPathsOnKeyAttributes',
} as const;

/** Log message of a stream record that could not be normalized; the alarm's metric filter matches it. */
export const NORMALIZATION_ERROR_LOG_MESSAGE = 'NORMALIZATION_ERROR';
/** Log message of a configured redact path that names a key attribute (not applied: keys are never redacted). */
export const REDACT_PATH_ON_KEY_LOG_MESSAGE = 'REDACT_PATH_ON_KEY_ATTRIBUTE';
/** Log message of a batch that ended with undelivered changes. */
export const DELIVERY_FAILURE_LOG_MESSAGE = 'DELIVERY_FAILURE';
