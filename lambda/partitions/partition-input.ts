/**
 * The Glue PartitionInput of one change-log partition. Its StorageDescriptor is the table's
 * (lib/constructs/change-log-catalog.ts): the same columns from schemas/derive.ts and the same
 * Parquet classes, so Athena reads every partition with the table's schema. The location is given
 * explicitly (Firehose's prefix, schemas/partitioning.ts), so nothing depends on Hive's path escaping.
 *
 * Column comments are left out: each partition stores its own column list, and 100 partitions of
 * ~30 commented columns would make one BatchCreatePartition request hundreds of KB for no reader.
 */
import type { PartitionInput } from '@aws-sdk/client-glue';
import { GLUE_PARQUET_FORMAT, glueDataColumns } from '../../schemas/derive';
import { partitionLocation, partitionValueList, type PartitionValues } from '../../schemas/partitioning';

const COLUMNS = glueDataColumns().map((c) => ({ Name: c.name, Type: c.type }));

export function partitionInput(bucket: string, values: PartitionValues): PartitionInput {
  return {
    Values: partitionValueList(values),
    StorageDescriptor: {
      Columns: COLUMNS,
      Location: partitionLocation(bucket, values),
      InputFormat: GLUE_PARQUET_FORMAT.inputFormat,
      OutputFormat: GLUE_PARQUET_FORMAT.outputFormat,
      SerdeInfo: { SerializationLibrary: GLUE_PARQUET_FORMAT.serializationLibrary },
      Compressed: false,
      StoredAsSubDirectories: false,
    },
  };
}
