/**
 * Per-object Object Lock retention (config retention.apply = "per-object"): the pure core of the
 * retention function. Input: SQS messages whose body is the EventBridge "Object Created" event S3
 * sends for the change-log bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
 * For each object it reads the current retention and, only when that is missing, shorter or in a
 * weaker mode than configured, sets it with PutObjectRetention.
 *
 * Rules, in order:
 *   1. A message that is not such an event, names another bucket, or a key outside the retained
 *      prefixes is refused with a one-line reason; it is reported as a failed item, so SQS keeps it
 *      and moves it to the dead-letter queue (alarmed), never dropped.
 *   2. Retention is never shortened and never weakened: the date set is the later of the existing
 *      date and now + days, and an existing COMPLIANCE mode stays COMPLIANCE.
 *   3. Idempotent: an object whose retention already reaches creation time + days in a mode at least
 *      as strong as configured is left alone, so redelivered messages change nothing.
 *   4. Each message succeeds or fails on its own (SQS partial batch response): one object that cannot
 *      be locked never holds back another.
 */

import { ObjectCreatedEventError, ObjectCreatedRef, parseObjectCreatedEvent } from '../core/object-created-event';

export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface RetentionSettings {
  /** The change-log bucket: events for any other bucket are refused. */
  readonly bucket: string;
  readonly mode: RetentionMode;
  readonly days: number;
  /** Key prefixes whose objects get retention (changes/, overflow/, errors/, digests/). */
  readonly prefixes: readonly string[];
}

/** One object version named by an S3 Object Created event. */
export type ObjectVersionRef = ObjectCreatedRef;

export interface ObjectRetention {
  readonly mode: RetentionMode;
  readonly retainUntil: Date;
}

/** What the core needs from S3 (lambda/retention/s3-retention.ts adapts the SDK). */
export interface RetentionStore {
  /** The object's current retention, or undefined when it has none. */
  getRetention(ref: ObjectVersionRef): Promise<ObjectRetention | undefined>;
  putRetention(ref: ObjectVersionRef, retention: ObjectRetention): Promise<void>;
}

export type RetentionOutcome = 'already-retained' | 'set' | 'extended';

export class RetentionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionInputError';
  }
}

const DAY_MS = 86_400_000;

/**
 * Reads one SQS message body (lambda/core/object-created-event.ts); throws RetentionInputError naming
 * what is wrong. Also read by the digest arrivals (lambda/digest/arrivals).
 */
export function parseObjectCreatedMessage(body: string, settings: Pick<RetentionSettings, 'bucket' | 'prefixes'>): ObjectVersionRef {
  let ref: ObjectVersionRef;
  try {
    ref = parseObjectCreatedEvent(body);
  } catch (err) {
    if (err instanceof ObjectCreatedEventError) throw new RetentionInputError(err.message);
    throw err;
  }
  if (ref.bucket !== settings.bucket) throw new RetentionInputError(`event is for bucket "${ref.bucket}", not the change-log bucket "${settings.bucket}"`);
  if (!settings.prefixes.some((p) => ref.key.startsWith(p))) {
    throw new RetentionInputError(`object key "${ref.key}" is outside the retained prefixes ${settings.prefixes.join(', ')}`);
  }
  return ref;
}

/**
 * The retention to set, or undefined when the existing one already satisfies the settings.
 * Never earlier than the existing date, never GOVERNANCE over COMPLIANCE.
 */
export function plannedRetention(existing: ObjectRetention | undefined, ref: ObjectVersionRef, settings: RetentionSettings, now: Date): ObjectRetention | undefined {
  const required = ref.createdAt.getTime() + settings.days * DAY_MS;
  const strongEnough = existing !== undefined && (existing.mode === 'COMPLIANCE' || settings.mode === 'GOVERNANCE');
  if (existing && strongEnough && existing.retainUntil.getTime() >= required) return undefined;
  const mode: RetentionMode = existing?.mode === 'COMPLIANCE' ? 'COMPLIANCE' : settings.mode;
  const retainUntil = new Date(Math.max(existing?.retainUntil.getTime() ?? 0, now.getTime() + settings.days * DAY_MS));
  return { mode, retainUntil };
}

/** Makes one object's retention satisfy the settings. */
export async function applyRetention(ref: ObjectVersionRef, settings: RetentionSettings, store: RetentionStore, now: Date): Promise<RetentionOutcome> {
  const existing = await store.getRetention(ref);
  const planned = plannedRetention(existing, ref, settings, now);
  if (!planned) return 'already-retained';
  await store.putRetention(ref, planned);
  return existing ? 'extended' : 'set';
}

export interface RetentionMessage {
  readonly messageId: string;
  readonly body: string;
}

export interface RetentionLogger {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** Log message of an object whose retention could not be set (the queue retries it, then dead-letters it). */
export const RETENTION_FAILURE_LOG_MESSAGE = 'RETENTION_NOT_SET';

export interface RetentionBatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly outcomes: Record<RetentionOutcome | 'failed', number>;
}

/** One SQS batch: every message is handled on its own, and each failure is returned for redelivery. */
export async function processRetentionBatch(
  messages: readonly RetentionMessage[],
  deps: { settings: RetentionSettings; store: RetentionStore; logger: RetentionLogger; now?: () => Date },
): Promise<RetentionBatchResult> {
  const now = deps.now ?? (() => new Date());
  const outcomes: RetentionBatchResult['outcomes'] = { 'already-retained': 0, set: 0, extended: 0, failed: 0 };
  const settled = await Promise.all(
    messages.map(async (message) => {
      let ref: ObjectVersionRef | undefined;
      try {
        ref = parseObjectCreatedMessage(message.body, deps.settings);
        const outcome = await applyRetention(ref, deps.settings, deps.store, now());
        outcomes[outcome]++;
        if (outcome !== 'already-retained') deps.logger.info('retention applied', { outcome, key: ref.key, versionId: ref.versionId });
        return undefined;
      } catch (err) {
        outcomes.failed++;
        const error = err as Error;
        deps.logger.error(RETENTION_FAILURE_LOG_MESSAGE, { messageId: message.messageId, key: ref?.key, versionId: ref?.versionId, errorName: error.name, errorMessage: error.message });
        return message.messageId;
      }
    }),
  );
  return { batchItemFailures: settled.filter((id): id is string => id !== undefined).map((itemIdentifier) => ({ itemIdentifier })), outcomes };
}
