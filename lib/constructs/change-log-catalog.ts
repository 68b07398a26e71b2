/**
 * The Glue database and table Athena reads the change log through. Columns and the Parquet format
 * come from schemas/derive.ts. Partitions are registered, not projected: each account/table/day
 * prefix becomes a Glue partition when its first object arrives (./partition-registration.ts), and
 * `ddb-audit catalog sync` registers whatever is missing (docs/queries.md, "The catalog").
 *
 * Why not partition projection: the enum projection of account_id x table_name would have to list
 * every source's values (1,000 accounts x 2,000 table names is 2,000,000 projected prefixes a day,
 * of which 10,000 exist). Athena's guidance is to keep an enum to "a few dozen" values and to use
 * registered partitions "if more than half of your projected partitions are empty"
 * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html), and an enum built from
 * the config would hide a removed source's history. Nothing in this table comes from the config.
 *
 * Partition indexes let Glue answer Athena's GetPartitions with only the partitions the filter
 * names instead of loading every partition of the table; Athena uses them once the table property
 * partition_filtering.enabled is "true"
 * (https://docs.aws.amazon.com/athena/latest/ug/glue-best-practices-partition-index.html,
 * https://docs.aws.amazon.com/glue/latest/dg/partition-indexes.html: at most 3 per table; =, <, <=,
 * >, >= and BETWEEN on string keys; OR, IN, LIKE and NOT are applied after the index).
 */
import * as glue from 'aws-cdk-lib/aws-glue';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GLUE_PARQUET_FORMAT, GlueColumnSpec, glueDataColumns, gluePartitionKeys } from '../../schemas/derive';
import { PARTITION_KEYS } from '../../schemas/change-record';
import { CHANGES_PREFIX, GLUE_DATABASE_NAME, GLUE_TABLE_NAME } from '../../schemas/partitioning';

type PartitionKey = (typeof PARTITION_KEYS)[number];

/** The id aws-cdk-lib gives its per-stack partition-index provider (aws-glue, table-base). */
const PARTITION_INDEX_PROVIDER_ID = '@aws-cdk--aws-glue-alpha.PartitionIndexProvider';

/**
 * The table's partition indexes (Glue allows 3). Every bundled query filters dt BETWEEN; most also
 * name one account and table, and a table name may be looked up across accounts.
 */
export const PARTITION_INDEXES: readonly { readonly indexName: string; readonly keyNames: readonly PartitionKey[] }[] = [
  { indexName: 'by_dt', keyNames: ['dt'] },
  { indexName: 'by_source_dt', keyNames: ['account_id', 'table_name', 'dt'] },
  { indexName: 'by_table_dt', keyNames: ['table_name', 'dt'] },
];

export interface ChangeLogCatalogProps {
  /** The change-log bucket; the table's location is its changes/ prefix. */
  readonly bucket: s3.IBucket;
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
    this.table = new glue.S3Table(this, 'Table', {
      database: this.database,
      tableName: GLUE_TABLE_NAME,
      description: 'One row per DynamoDB change (schemas/change-record.ts). Filter on dt, and on account_id and table_name where you can.',
      storage: glue.S3TableStorage.fromBucket(props.bucket),
      s3Prefix: CHANGES_PREFIX,
      // The same classes every registered partition carries (lambda/partitions/partition-input.ts).
      dataFormat: new glue.DataFormat({
        inputFormat: new glue.InputFormat(GLUE_PARQUET_FORMAT.inputFormat),
        outputFormat: new glue.OutputFormat(GLUE_PARQUET_FORMAT.outputFormat),
        serializationLibrary: new glue.SerializationLibrary(GLUE_PARQUET_FORMAT.serializationLibrary),
      }),
      columns: glueDataColumns().map(toColumn),
      partitionKeys: gluePartitionKeys().map(toColumn),
      partitionIndexes: PARTITION_INDEXES.map((i) => ({ indexName: i.indexName, keyNames: [...i.keyNames] })),
      parameters: { 'partition_filtering.enabled': 'true' },
      // SSE-KMS is transparent to readers; has_encrypted_data is for client-side encryption only.
      hasEncryptedData: false,
    });
    // CloudFormation's AWS::Glue::Table has no partition-index property, so CDK creates the indexes
    // with its own custom-resource provider (one per stack): CreatePartitionIndex, then a Step
    // Functions waiter until each index is ACTIVE, one index at a time. It runs only at deploy time.
    const provider = Stack.of(this).node.tryFindChild(PARTITION_INDEX_PROVIDER_ID);
    if (!provider) throw new Error(`ChangeLogCatalog: CDK's partition-index provider (${PARTITION_INDEX_PROVIDER_ID}) was not found; aws-cdk-lib changed how it creates partition indexes`);
    Validations.of(provider).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: "CDK's partition-index provider functions log with AWSLambdaBasicExecutionRole; they run only while CloudFormation creates or deletes an index." },
      // The provider framework may invoke its own handler functions with any version qualifier.
      ...provider.node
        .findAll()
        .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)
        .map((fn) => ({ id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn)}.Arn>:*]`, reason: "CDK's partition-index provider framework invokes its own functions (<function ARN>:* is any version of that one function)." })),
      { id: 'AwsSolutions-SF1', reason: "The provider framework's waiter state machine only polls until the index is ACTIVE; its runs are visible in Step Functions and the handler logs." },
      { id: 'AwsSolutions-SF2', reason: "The provider framework's waiter state machine: no X-Ray for a deploy-time poll loop owned by aws-cdk-lib." },
    );
  }

  /** The L1 table, which Firehose's record format conversion takes as its schema. */
  public get cfnTable(): glue.CfnTable {
    return this.table.node.defaultChild as glue.CfnTable;
  }
}

function toColumn(spec: GlueColumnSpec): glue.Column {
  return { name: spec.name, type: glue.Schema.custom(spec.type, !spec.type.includes('<')), comment: spec.comment };
}
