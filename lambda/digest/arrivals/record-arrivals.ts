/**
 * The digest arrivals function's pure core. Input: SQS messages whose body is the EventBridge
 * "Object Created" event S3 sends for the change-log bucket
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html), parsed by the same code
 * as the retention function's (lambda/retention/apply-retention.ts). Each object under changes/ is
 * recorded in the arrivals ledger under the hour it is recorded.
 *
 * Delivery: S3 sends these events to EventBridge with "durable" delivery, at least once
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-s3.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html),
 * and SQS delivers at least once too. A duplicate writes the same ledger item again (same hour) or
 * one more item in a later hour, which the digest skips because an earlier digest already lists the
 * key. Order does not matter: the ledger is a set per hour.
 *
 * Each message succeeds or fails on its own (SQS partial batch response): a message that is not such
 * an event is refused with a one-line reason and stays in the queue, then the dead-letter queue
 * (alarmed); it is never dropped and never holds back another.
 */
import { CHANGES_PREFIX } from '../../../schemas/partitioning';
import { parseObjectCreatedMessage } from '../../retention/apply-retention';
import type { ArrivalLedger } from './arrival-ledger';

/** Prefixes the digest covers: only changes/ (overflow/ and errors/ are not digested). */
export const DIGESTED_PREFIXES = [CHANGES_PREFIX] as const;

/** Log message of an object whose arrival could not be recorded (the queue retries it, then dead-letters it). */
export const ARRIVAL_FAILURE_LOG_MESSAGE = 'ARRIVAL_NOT_RECORDED';

export interface ArrivalMessage {
  readonly messageId: string;
  readonly body: string;
}

export interface ArrivalLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ArrivalBatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly recorded: number;
  readonly failed: number;
}

export async function recordArrivalBatch(
  messages: readonly ArrivalMessage[],
  deps: { bucket: string; ledger: ArrivalLedger; logger: ArrivalLogger; now?: () => Date },
): Promise<ArrivalBatchResult> {
  const now = deps.now ?? (() => new Date());
  const settled = await Promise.all(
    messages.map(async (message) => {
      let key: string | undefined;
      try {
        const ref = parseObjectCreatedMessage(message.body, { bucket: deps.bucket, prefixes: DIGESTED_PREFIXES });
        key = ref.key;
        await deps.ledger.record({ key: ref.key, eventTime: ref.createdAt, recordedAt: now(), source: 'event' });
        return undefined;
      } catch (err) {
        const error = err as Error;
        deps.logger.error(ARRIVAL_FAILURE_LOG_MESSAGE, { messageId: message.messageId, key, errorName: error.name, errorMessage: error.message });
        return message.messageId;
      }
    }),
  );
  const failures = settled.filter((id): id is string => id !== undefined);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })), recorded: messages.length - failures.length, failed: failures.length };
}
