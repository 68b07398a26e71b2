/**
 * Registering change-log partitions in Glue: the pure core shared by the partition-registration
 * Lambda (S3 Object Created events through EventBridge and SQS) and `ddb-audit catalog sync`.
 *
 * Rules, in order:
 *   1. Idempotent. A partition Glue already has is a success ("AlreadyExistsException", per
 *      partition in BatchCreatePartition's Errors, or for the whole call), so redelivered events,
 *      concurrent invocations for the same new partition, and a sync over a live deployment change
 *      nothing and fail nothing.
 *   2. At most BATCH_CREATE_PARTITION_MAX partitions per call, each at most once per run.
 *   3. Every other error fails only the partitions it names (per-partition errors), or the one
 *      call it ended (a thrown error, after the SDK's own retries); the caller retries those.
 */
import { partitionValueList, type PartitionValues } from '../../schemas/partitioning';

/**
 * BatchCreatePartition takes at most 100 PartitionInputs per call (PartitionInputList, "Maximum
 * number of 100 items": https://docs.aws.amazon.com/glue/latest/webapi/API_BatchCreatePartition.html).
 */
export const BATCH_CREATE_PARTITION_MAX = 100;

/** Glue's error code for a partition that exists (https://docs.aws.amazon.com/glue/latest/webapi/API_BatchCreatePartition.html, Errors). */
export const ALREADY_EXISTS = 'AlreadyExistsException';

/** One entry of BatchCreatePartition's Errors: the partition's values and Glue's error. */
export interface PartitionCreateError {
  readonly values: readonly string[];
  readonly errorCode: string;
  readonly message: string;
}

/** What the core needs of Glue (lambda/partitions/glue-catalog.ts adapts the SDK). */
export interface PartitionCatalog {
  /** One BatchCreatePartition call of at most BATCH_CREATE_PARTITION_MAX partitions; resolves with its per-partition errors. */
  createPartitions(partitions: readonly PartitionValues[]): Promise<readonly PartitionCreateError[]>;
}

export interface RegistrationResult {
  readonly created: readonly PartitionValues[];
  readonly alreadyRegistered: readonly PartitionValues[];
  readonly failed: readonly { readonly partition: PartitionValues; readonly errorCode: string; readonly message: string }[];
}

/** A stable identity of a partition: its values in key order. */
export function partitionId(values: PartitionValues | readonly string[]): string {
  return JSON.stringify(Array.isArray(values) ? values : partitionValueList(values as PartitionValues));
}

export async function registerPartitions(partitions: readonly PartitionValues[], catalog: PartitionCatalog): Promise<RegistrationResult> {
  const unique = [...new Map(partitions.map((p) => [partitionId(p), p])).values()];
  const result = { created: [] as PartitionValues[], alreadyRegistered: [] as PartitionValues[], failed: [] as RegistrationResult['failed'][number][] };
  for (let i = 0; i < unique.length; i += BATCH_CREATE_PARTITION_MAX) await registerChunk(unique.slice(i, i + BATCH_CREATE_PARTITION_MAX), catalog, result);
  return result;
}

async function registerChunk(chunk: PartitionValues[], catalog: PartitionCatalog, result: { created: PartitionValues[]; alreadyRegistered: PartitionValues[]; failed: RegistrationResult['failed'][number][] }): Promise<void> {
  let errors: readonly PartitionCreateError[];
  try {
    errors = await catalog.createPartitions(chunk);
  } catch (err) {
    const error = err as { name?: string; message?: string };
    if (error.name === ALREADY_EXISTS) {
      // The whole call refused because of an existing partition, without saying which: one by one.
      if (chunk.length === 1) result.alreadyRegistered.push(chunk[0] as PartitionValues);
      else for (const partition of chunk) await registerChunk([partition], catalog, result);
      return;
    }
    for (const partition of chunk) result.failed.push({ partition, errorCode: error.name ?? 'Error', message: oneLine(error.message ?? String(err)) });
    return;
  }
  const errorById = new Map(errors.map((e) => [partitionId(e.values), e]));
  for (const partition of chunk) {
    const error = errorById.get(partitionId(partition));
    if (error === undefined) result.created.push(partition);
    else if (error.errorCode === ALREADY_EXISTS) result.alreadyRegistered.push(partition);
    else result.failed.push({ partition, errorCode: error.errorCode, message: oneLine(error.message) });
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
