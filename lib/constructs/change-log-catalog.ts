/**
 * The Glue database and table Athena reads the change log through. Columns come from
 * schemas/derive.ts; partitions are projected (account_id and table_name from the config, dt as a
 * date range), so onboarding a table needs no crawler and no MSCK REPAIR.
 */
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GlueColumnSpec, glueDataColumns, gluePartitionKeys } from '../../schemas/derive';
import { PARTITION_KEYS } from '../../schemas/change-record';
import { CHANGES_PREFIX, GLUE_DATABASE_NAME, GLUE_TABLE_NAME, PROJECTION_LOCATION_TEMPLATE_SUFFIX } from '../../schemas/partitioning';

export interface ChangeLogCatalogProps {
  readonly bucket: s3.IBucket;
  /** Projected values of account_id (the configured source accounts, plus "unknown"). */
  readonly accountIds: readonly string[];
  /** Projected values of table_name (the configured table names, plus "unknown"). */
  readonly tableNames: readonly string[];
  /** First projected dt, yyyy-MM-dd. */
  readonly projectionStartDate: string;
}

export class ChangeLogCatalog extends Construct {
  public readonly database: glue.Database;
  public readonly table: glue.S3Table;

  constructor(scope: Construct, id: string, props: ChangeLogCatalogProps) {
    super(scope, id);
    this.database = new glue.Database(this, 'Database', {
      databaseName: GLUE_DATABASE_NAME,
      description: 'ddb-audit: the DynamoDB change log',
    });
    // Typed by the schema's partition keys: a key added there fails to compile here until projected.
    const projection: Record<(typeof PARTITION_KEYS)[number], glue.PartitionProjectionConfiguration> = {
      account_id: glue.PartitionProjectionConfiguration.enum({ values: [...props.accountIds] }),
      table_name: glue.PartitionProjectionConfiguration.enum({ values: [...props.tableNames] }),
      dt: glue.PartitionProjectionConfiguration.date({ min: props.projectionStartDate, max: 'NOW', format: 'yyyy-MM-dd' }),
    };
    this.table = new glue.S3Table(this, 'Table', {
      database: this.database,
      tableName: GLUE_TABLE_NAME,
      description: 'One row per DynamoDB change (schemas/change-record.ts). Filter on account_id, table_name and dt.',
      storage: glue.S3TableStorage.fromBucket(props.bucket),
      s3Prefix: CHANGES_PREFIX,
      dataFormat: glue.DataFormat.PARQUET,
      columns: glueDataColumns().map(toColumn),
      partitionKeys: gluePartitionKeys().map(toColumn),
      partitionProjection: projection,
      parameters: {
        'storage.location.template': `s3://${props.bucket.bucketName}/${PROJECTION_LOCATION_TEMPLATE_SUFFIX}`,
      },
      // SSE-KMS is transparent to readers; has_encrypted_data is for client-side encryption only.
      hasEncryptedData: false,
    });
  }

  /** The L1 table, which Firehose's record format conversion takes as its schema. */
  public get cfnTable(): glue.CfnTable {
    return this.table.node.defaultChild as glue.CfnTable;
  }
}

function toColumn(spec: GlueColumnSpec): glue.Column {
  return { name: spec.name, type: glue.Schema.custom(spec.type, !spec.type.includes('<')), comment: spec.comment };
}
