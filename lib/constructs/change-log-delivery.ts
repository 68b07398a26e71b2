/**
 * The Firehose delivery streams: change records (JSON) in, Parquet out, partitioned by
 * account_id/table_name/dt exactly as schemas/partitioning.ts lays the log out.
 *
 * Processing order matters and the L2 does not check it: records are first split into change
 * records (the collector packs several per Firehose record as NDJSON, since Firehose bills per
 * 5 KB record), and only then are the partition keys read from each change record.
 *
 * Several streams, identical but for their names, when the config's sources need more active
 * partitions than one stream allows (lambda/core/delivery-routing.ts sizes and routes them). They
 * share the destination role, the encryption role and the log group, so a stream adds two
 * resources (the stream and its error log stream) plus its alarms, and no IAM statement: the
 * grants name stream 0 and the fixed name prefix of the others.
 *
 * The destination role is written by hand from Firehose's documented S3-destination policy: the
 * L2's own grant is bucket read/write, which includes deleting objects of the compliance log.
 */
import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PARTITION_KEYS } from '../../schemas/change-record';
import { CHANGES_PREFIX, ERRORS_PREFIX, FIREHOSE_ERROR_PREFIX, FIREHOSE_S3_PREFIX, PARTITION_JQ_QUERY } from '../../schemas/partitioning';
import { DELIVERY_STREAM_NAME_PREFIX } from '../../lambda/core/delivery-routing';
import { nagResourceText } from './collector-function';

export interface ChangeLogDeliveryProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  /** The Glue table whose columns are the Parquet schema. */
  readonly table: glue.CfnTable;
  /** Firehose's minimum with dynamic partitioning is 60 s. */
  readonly bufferIntervalSeconds: number;
  /** Firehose's minimum with format conversion is 64 MiB. */
  readonly bufferSizeMiB: number;
  /** How the collector packs change records into Firehose records. */
  readonly packing: 'ndjson' | 'single';
  /** How many delivery streams to create (lambda/core/delivery-routing.ts planDeliveryStreams). @default 1 */
  readonly streamCount?: number;
}

export class ChangeLogDelivery extends Construct {
  /** Stream 0 (its construct id and generated name predate multiple streams; keeping them means no replacement on upgrade). */
  public readonly deliveryStream: firehose.DeliveryStream;
  /** Every stream, index = stream (stream 0 first); stream i > 0 is named DELIVERY_STREAM_NAME_PREFIX + i. */
  public readonly deliveryStreams: firehose.DeliveryStream[];
  /** Assumed by Firehose to read the Glue schema and write the change log. */
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ChangeLogDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      // The trust condition Firehose documents for its role: sts:ExternalId = the account id
      // (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html, "Grant Firehose access
      // to an Amazon S3 destination"). No source found says Firehose sends aws:SourceAccount.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': stack.account } } }),
      description: 'ddb-audit Firehose: reads the Glue schema, writes Parquet to the change log',
    });
    const policy = new iam.Policy(this, 'RolePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteChangeLog',
          actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
          // Firehose names its objects (partition prefix, timestamp, random suffix): only the two prefixes are fixed.
          resources: [props.bucket.bucketArn, props.bucket.arnForObjects(`${CHANGES_PREFIX}*`), props.bucket.arnForObjects(`${ERRORS_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptChangeLog',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadParquetSchema',
          actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.table.databaseName }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.table.databaseName}/${props.table.ref}` }),
          ],
        }),
      ],
    });

    // Built from the shared query string (not jq16's own rendering) so the local Firehose and
    // the deployed one run the very same JQ.
    const extractPartitionKeys = new firehose.MetadataExtractionProcessor(
      { metadataExtractionQuery: PARTITION_JQ_QUERY, jsonParsingEngine: firehose.JsonParsingEngine.JQ_1_6 },
      [...PARTITION_KEYS],
    );
    const processors: firehose.IDataProcessor[] =
      props.packing === 'ndjson' ? [firehose.RecordDeAggregationProcessor.json(), extractPartitionKeys] : [extractPartitionKeys];

    const streamCount = props.streamCount ?? 1;
    if (!Number.isInteger(streamCount) || streamCount < 1) throw new Error(`ChangeLogDelivery: streamCount must be a positive integer, got ${streamCount}`);
    const destination = (logGroup: logs.ILogGroup) =>
      new firehose.S3Bucket(props.bucket, {
        // Immutable: the L2 would otherwise add its broader grants to our role.
        role: this.role.withoutPolicyUpdates(),
        loggingConfig: new firehose.EnableLogging(logGroup),
        dataOutputPrefix: FIREHOSE_S3_PREFIX,
        errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
        bufferingInterval: Duration.seconds(props.bufferIntervalSeconds),
        bufferingSize: Size.mebibytes(props.bufferSizeMiB),
        encryptionKey: props.key,
        dynamicPartitioning: { enabled: true },
        processors,
        dataFormatConversion: {
          schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(props.table),
          inputFormat: firehose.InputFormat.OPENX_JSON,
          outputFormat: firehose.OutputFormat.PARQUET,
        },
      });
    this.deliveryStream = new firehose.DeliveryStream(this, 'Stream', {
      encryption: firehose.StreamEncryption.customerManagedKey(props.key),
      destination: destination(this.logGroup),
    });
    this.deliveryStreams = [this.deliveryStream];
    const encryptionRole = this.deliveryStream.node.tryFindChild('Service Role') as iam.Role | undefined;
    for (let i = 1; i < streamCount; i++) {
      // Each stream's error log stream is a child of the log group construct it is given, under a fixed
      // id, so each stream gets its own reference to the one shared log group.
      const logGroup = logs.LogGroup.fromLogGroupName(this, `LogsOfStream-${i}`, this.logGroup.logGroupName);
      const stream = new firehose.DeliveryStream(this, `Stream-${i}`, {
        deliveryStreamName: `${DELIVERY_STREAM_NAME_PREFIX}${i}`,
        encryption: firehose.StreamEncryption.customerManagedKey(props.key),
        role: encryptionRole,
        destination: destination(logGroup),
      });
      this.deliveryStreams.push(stream);
    }
    // The L2 adds the log stream Firehose writes its delivery errors to; grant exactly that stream.
    const logStream = this.logGroup.node.tryFindChild('S3Destination') as logs.LogStream | undefined;
    if (!logStream) throw new Error('ChangeLogDelivery: the delivery stream did not create its S3Destination log stream; aws-cdk-lib changed, update this grant');
    const logStreamArn = (name: string) =>
      stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${this.logGroup.logGroupName}:log-stream:${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'WriteDeliveryErrors',
        actions: ['logs:PutLogEvents'],
        // One stream: exactly its log stream. Several: the shared log group's streams, one entry whatever the count.
        resources: [logStreamArn(streamCount > 1 ? '*' : logStream.logStreamName)],
      }),
    );
    // Firehose checks the role when the stream is created; the grants must be there first.
    for (const stream of this.deliveryStreams) stream.node.addDependency(policy);

    if (streamCount > 1) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(stack, logStreamArn('*'))}]`,
        reason: 'The error log streams of all delivery streams, in the one log group they share: one entry whatever the stream count.',
      });
    }
    const bucketLogicalId = stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
    for (const prefix of [CHANGES_PREFIX, ERRORS_PREFIX]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
        reason: `Firehose generates object keys under ${prefix} (partition values, timestamp, random suffix); the prefix is as narrow as a key can be known.`,
      });
    }
    // The L2 gives the stream an encryption role with KeyGrants.encryptDecrypt on our key (DirectPut does not use it).
    const serviceRole = encryptionRole;
    if (serviceRole) {
      // Same documented trust condition as our own role (the L2 writes an unconditioned one).
      const cfnRole = serviceRole.node.defaultChild as iam.CfnRole;
      cfnRole.addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition', { StringEquals: { 'sts:ExternalId': stack.account } });
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(serviceRole).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: `aws-cdk-lib's delivery-stream encryption grant; ${action} is scoped to the one audit key and covers that verb's variants only.`,
        });
      }
    }
  }
}
