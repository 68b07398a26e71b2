/** The partition catalog over Glue: BatchCreatePartition for the change-log table. */
import { BatchCreatePartitionCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { PartitionValues } from '../../schemas/partitioning';
import { partitionInput } from './partition-input';
import { BATCH_CREATE_PARTITION_MAX, type PartitionCatalog } from './register-partitions';

export interface ChangeLogTable {
  readonly database: string;
  readonly table: string;
  /** The change-log bucket: every partition's location is under its changes/ prefix. */
  readonly bucket: string;
}

export function gluePartitionCatalog(glue: Pick<GlueClient, 'send'>, target: ChangeLogTable): PartitionCatalog {
  return {
    async createPartitions(partitions: readonly PartitionValues[]) {
      if (partitions.length === 0 || partitions.length > BATCH_CREATE_PARTITION_MAX) throw new Error(`createPartitions takes 1 to ${BATCH_CREATE_PARTITION_MAX} partitions, got ${partitions.length}`);
      const reply = await glue.send(
        new BatchCreatePartitionCommand({ DatabaseName: target.database, TableName: target.table, PartitionInputList: partitions.map((p) => partitionInput(target.bucket, p)) }),
      );
      return (reply.Errors ?? []).map((e) => ({ values: e.PartitionValues ?? [], errorCode: e.ErrorDetail?.ErrorCode ?? 'UnknownError', message: e.ErrorDetail?.ErrorMessage ?? '' }));
    },
  };
}
