/**
 * The partition-registration function's core: SQS messages whose body is the EventBridge "Object
 * Created" event S3 sends for a new change-log object (lambda/core/object-created-event.ts), to
 * Glue partitions registered with BatchCreatePartition (./register-partitions.ts).
 *
 * Rules, in order:
 *   1. A message that is not such an event, names another bucket, or a key that is not
 *      changes/account_id=…/table_name=…/dt=…/<file> with valid values is refused with a one-line
 *      reason and reported as a failed item: SQS keeps it and, after its receives, moves it to the
 *      alarmed dead-letter queue. It is never dropped, and it never holds back another message.
 *   2. The messages of one batch that name the same partition become one PartitionInput (a buffer
 *      interval of one table writes several objects to one dt= prefix).
 *   3. A partition that already exists is a success; a partition Glue refuses fails exactly the
 *      messages that named it (SQS partial batch response), which SQS redelivers.
 *   4. A partition this function instance has already seen registered is not sent again
 *      (KnownPartitions, bounded): every object of a day would otherwise cost a Glue call (288 a
 *      day per table at a 300 s buffer), where one per partition per instance is enough.
 *
 * Object keys: EventBridge's S3 event reference does not say whether detail.object.key is
 * URL-encoded (S3's own notifications to SQS/SNS/Lambda encode it:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 * It does not matter here: a valid partition path holds no '%' or '+', so decoding %XX is the
 * identity on an unencoded key and recovers "=" and "/" from an encoded one; the values are then
 * checked against what the collector writes, so a wrong guess is refused, not registered.
 */
import { ObjectCreatedEventError, parseObjectCreatedEvent } from '../core/object-created-event';
import { partitionOfObjectKey, PartitionKeyError, type PartitionValues } from '../../schemas/partitioning';
import type { PartitionSettings } from './environment';
import { partitionId, registerPartitions, type PartitionCatalog } from './register-partitions';

/** Log message of a partition (or message) that could not be registered; SQS retries it, then dead-letters it. */
export const PARTITION_FAILURE_LOG_MESSAGE = 'PARTITION_NOT_REGISTERED';

export class PartitionEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartitionEventError';
  }
}

/** The partition one SQS message's event names; throws PartitionEventError naming what is wrong. */
export function partitionOfMessage(body: string, settings: Pick<PartitionSettings, 'bucket'>): PartitionValues {
  let key: string;
  try {
    const ref = parseObjectCreatedEvent(body);
    if (ref.bucket !== settings.bucket) throw new PartitionEventError(`event is for bucket "${ref.bucket}", not the change-log bucket "${settings.bucket}"`);
    key = ref.key;
  } catch (err) {
    if (err instanceof ObjectCreatedEventError) throw new PartitionEventError(err.message);
    throw err;
  }
  try {
    return partitionOfObjectKey(key.includes('%') ? decodePercent(key) : key);
  } catch (err) {
    if (err instanceof PartitionKeyError) throw new PartitionEventError(err.message);
    throw err;
  }
}

function decodePercent(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    throw new PartitionEventError(`object key ${JSON.stringify(key.slice(0, 300))} has a malformed %-escape`);
  }
}

/**
 * Partitions known to be registered, remembered by one function instance (module scope in the
 * handler), at most `limit` of them: the oldest is forgotten first. Forgetting costs one more
 * idempotent call; remembering wrongly is impossible, because only what Glue confirmed is added.
 * A partition deleted by hand while remembered is re-registered by the next cold start or by
 * `ddb-audit catalog sync`.
 */
export class KnownPartitions {
  private readonly ids = new Set<string>();
  constructor(private readonly limit = 20_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    if (this.ids.size >= this.limit) this.ids.delete(this.ids.values().next().value as string);
    this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

export interface PartitionMessage {
  readonly messageId: string;
  readonly body: string;
}

export interface PartitionLogger {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface PartitionBatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  /** Per partition (created, already registered, known to this instance, failed) and per message (refused). */
  readonly outcomes: { created: number; alreadyRegistered: number; known: number; failed: number; refused: number };
}

/** One SQS batch: parse, de-duplicate, register; every message that did not end registered is returned for redelivery. */
export async function processPartitionBatch(
  messages: readonly PartitionMessage[],
  deps: { settings: PartitionSettings; catalog: PartitionCatalog; logger: PartitionLogger; known?: KnownPartitions },
): Promise<PartitionBatchResult> {
  const failedIds = new Set<string>();
  const byPartition = new Map<string, { partition: PartitionValues; messageIds: string[] }>();
  for (const message of messages) {
    try {
      const partition = partitionOfMessage(message.body, deps.settings);
      const id = partitionId(partition);
      const entry = byPartition.get(id) ?? { partition, messageIds: [] };
      entry.messageIds.push(message.messageId);
      byPartition.set(id, entry);
    } catch (err) {
      failedIds.add(message.messageId);
      deps.logger.error(PARTITION_FAILURE_LOG_MESSAGE, { messageId: message.messageId, errorName: (err as Error).name, errorMessage: (err as Error).message });
    }
  }
  const refused = failedIds.size;
  const toRegister = [...byPartition.values()].map((e) => e.partition).filter((p) => !deps.known?.has(partitionId(p)));
  const result = await registerPartitions(toRegister, deps.catalog);
  for (const partition of [...result.created, ...result.alreadyRegistered]) deps.known?.add(partitionId(partition));
  for (const failure of result.failed) {
    const messageIds = byPartition.get(partitionId(failure.partition))?.messageIds ?? [];
    for (const id of messageIds) failedIds.add(id);
    deps.logger.error(PARTITION_FAILURE_LOG_MESSAGE, { partition: failure.partition, messageIds, errorName: failure.errorCode, errorMessage: failure.message });
  }
  for (const partition of result.created) deps.logger.info('partition registered', { partition });
  return {
    // In message order, so a test (and a reader of the logs) sees them as SQS sent them.
    batchItemFailures: messages.filter((m) => failedIds.has(m.messageId)).map((m) => ({ itemIdentifier: m.messageId })),
    outcomes: { created: result.created.length, alreadyRegistered: result.alreadyRegistered.length, known: byPartition.size - toRegister.length, failed: result.failed.length, refused },
  };
}
