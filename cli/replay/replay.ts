/**
 * Replaying discarded batches: the stream records of each on-failure record are normalized and
 * delivered exactly as the collector does it (same normalizer, same per-source options, same
 * Firehose sink with its packing, overflow and retries), so a replayed change is the record the
 * collector would have written. The event_id and record_hash come from the stream record alone,
 * which makes a replay, or a second replay, a duplicate that de-duplication on event_id absorbs.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { deliverChangeRecords, SinkClients, SinkOptions } from '../../lambda/core/firehose-sink';
import type { MinimalLogger } from '../../lambda/core/logger';
import { normalizeRecords } from '../../lambda/core/normalize';
import { FailedBatch, FailureRecordError, parseFailureRecords } from './failure-records';
import type { FailureSource } from './sources';

export interface ReplayDependencies {
  readonly sourceOptions: CollectorSourceOptionsByTable;
  readonly logger: MinimalLogger;
  /** Absent for a dry run: nothing is sent. */
  readonly delivery?: { readonly clients: SinkClients; readonly sink: Omit<SinkOptions, 'remainingTimeMs'> };
  /** Receives the change records of every batch (a dry run prints them). */
  readonly onRecords?: (records: readonly ChangeRecord[], batch: FailedBatch) => void;
  readonly now?: () => Date;
}

/** What happened to one failure file or object. */
export interface SourceReport {
  readonly source: string;
  /** On-failure records (discarded batches) in it. */
  readonly failureRecords: number;
  /** Stream records in their payloads. */
  readonly read: number;
  readonly redelivered: number;
  /** Records still undelivered after the sink's retries (replay again: it is harmless). */
  readonly failed: number;
  /** Records delivered as error records (normalization_error set), included in `redelivered`. */
  readonly normalizationErrors: number;
  /** Why the source could not be read at all (names the source); its records are then neither read nor sent. */
  readonly error?: string;
  /** When some records failed: what Firehose and S3 answered (the sink's first warnings, with error code and message). */
  readonly deliveryErrors?: string[];
}

/** Distinct delivery problems kept per source. */
export const MAX_DELIVERY_ERRORS = 5;

export async function replaySource(source: FailureSource, deps: ReplayDependencies): Promise<SourceReport> {
  let batches: FailedBatch[];
  try {
    batches = parseFailureRecords(await source.read(), source.name);
  } catch (err) {
    // Parse errors already name the source (and the line); read errors (S3 access, I/O) do not.
    const message = err instanceof FailureRecordError ? (err as Error).message : `${source.name}: ${(err as Error).message}`;
    return { source: source.name, failureRecords: 0, read: 0, redelivered: 0, failed: 0, normalizationErrors: 0, error: message };
  }
  let read = 0;
  let redelivered = 0;
  let failed = 0;
  let normalizationErrors = 0;
  const problems: string[] = [];
  const logger = recordingProblems(deps.logger, problems);
  for (const batch of batches) {
    const records = normalizeRecords(batch.records, { sourceOptions: deps.sourceOptions, processedAt: (deps.now?.() ?? new Date()).toISOString() });
    read += records.length;
    normalizationErrors += records.filter((r) => r.normalization_error !== null).length;
    deps.onRecords?.(records, batch);
    if (deps.delivery === undefined || records.length === 0) continue;
    // No Lambda deadline here: the sink's round limit bounds the retries.
    const report = await deliverChangeRecords(records, deps.delivery.clients, { ...deps.delivery.sink, remainingTimeMs: () => Number.MAX_SAFE_INTEGER }, logger);
    redelivered += report.delivered;
    failed += report.undelivered.length;
  }
  const report = { source: source.name, failureRecords: batches.length, read, redelivered, failed, normalizationErrors };
  return failed > 0 ? { ...report, deliveryErrors: problems } : report;
}

/**
 * The sink's warnings and errors, forwarded, and kept (bounded) for the report: a replay run without a
 * visible log must still say why a record did not get in.
 */
function recordingProblems(logger: MinimalLogger, problems: string[]): MinimalLogger {
  const keep = (message: string, extra: Record<string, unknown> | undefined) => {
    const detail = [extra?.error_code, extra?.error_message, ...(Array.isArray(extra?.error_messages) ? extra.error_messages : [])].filter((x) => typeof x === 'string' && x !== '');
    const text = detail.length > 0 ? `${message}: ${detail.join('; ')}` : message;
    if (problems.length < MAX_DELIVERY_ERRORS && !problems.includes(text)) problems.push(text);
  };
  return {
    debug: (message, ...extra) => logger.debug(message, ...extra),
    info: (message, ...extra) => logger.info(message, ...extra),
    warn: (message, ...extra) => {
      keep(message, extra[0]);
      logger.warn(message, ...extra);
    },
    error: (message, ...extra) => {
      keep(message, extra[0]);
      logger.error(message, ...extra);
    },
  };
}

export interface ReplayTotals {
  readonly sources: number;
  readonly unreadable: number;
  readonly failureRecords: number;
  readonly read: number;
  readonly redelivered: number;
  readonly failed: number;
  readonly normalizationErrors: number;
}

export function totals(reports: readonly SourceReport[]): ReplayTotals {
  const sum = (pick: (r: SourceReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
  return {
    sources: reports.length,
    unreadable: reports.filter((r) => r.error !== undefined).length,
    failureRecords: sum((r) => r.failureRecords),
    read: sum((r) => r.read),
    redelivered: sum((r) => r.redelivered),
    failed: sum((r) => r.failed),
    normalizationErrors: sum((r) => r.normalizationErrors),
  };
}
