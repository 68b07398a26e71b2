/**
 * The audit account's main stack, synthesized once from the example cdk.json config with the real
 * CDK synthesizer (and the real esbuild bundling of the collector).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GLUE_PARQUET_FORMAT, glueDataColumns, gluePartitionKeys } from '../../schemas/derive';
import { partitionInput } from '../../lambda/partitions/partition-input';
import { parseStreamArn } from '../../lambda/core/stream-arn';
import { PARTITION_INDEXES } from '../../lib/constructs/change-log-catalog';
import {
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_S3_PREFIX,
  GLUE_DATABASE_NAME,
  GLUE_TABLE_NAME,
  OVERFLOW_PREFIX,
  PARTITION_JQ_QUERY,
} from '../../schemas/partitioning';
import { METRIC, METRICS_NAMESPACE, NORMALIZATION_ERROR_LOG_MESSAGE, SERVICE_NAME } from '../../lambda/core/telemetry';
import { collectorRoleName, COLLECTOR_FUNCTION_NAME } from '../../lib/stream-policy';
import { AuditConfig } from '../../schemas/audit-config';
import { buildTestApp, exampleConfig, queriesFolder } from '../support/audit-app';

type Resources = Record<string, { Type: string; Properties: any; DependsOn?: string[] }>;

let config: AuditConfig;
let template: Template;
let resources: Resources;

beforeAll(() => {
  config = exampleConfig();
  const queries = queriesFolder({
    'who-changed.sql': '-- who-changed: changes by actor\n-- Purpose: Who changed what,\n--   and when.\n-- Parameters: none\nSELECT 1\n',
    'deletes.sql': 'SELECT 2\n',
    'notes.txt': 'not a query',
  });
  const { stacks } = buildTestApp(config, { queriesDir: queries });
  template = Template.fromStack(stacks.audit);
  resources = template.toJSON().Resources as Resources;
});

function only(type: string): { id: string; props: any; dependsOn: string[] } {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  expect(found).toHaveLength(1);
  const [id, r] = found[0]!;
  return { id, props: r.Properties, dependsOn: r.DependsOn ?? [] };
}

function bucketByLogicalIdPart(part: string): { id: string; props: any } {
  const found = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::S3::Bucket' && id.includes(part));
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: found[0]![1].Properties };
}

function policyStatements(logicalIdPart: string): any[] {
  const found = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes(logicalIdPart));
  expect(found).toHaveLength(1);
  return found[0]![1].Properties.PolicyDocument.Statement;
}

/** The symmetric audit key (the stack also holds the digest construct's asymmetric signing key). */
function auditKeyId(): string {
  const found = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties.KeyUsage === undefined);
  expect(found).toHaveLength(1);
  return found[0]![0];
}
const keyArn = () => ({ 'Fn::GetAtt': [auditKeyId(), 'Arn'] });

describe('KMS key', () => {
  test('is a customer managed key with rotation, kept when the stack is deleted', () => {
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('change-log bucket', () => {
  test('has Object Lock enabled without default retention (per-object, the default), versioning and EventBridge notifications', () => {
    const { props } = bucketByLogicalIdPart('ChangeLog');
    expect(config.retention.apply).toBeUndefined();
    expect(props.ObjectLockEnabled).toBe(true);
    // No Rule: a default retention would make S3 require a checksum on every Firehose PutObject.
    expect(props.ObjectLockConfiguration?.Rule).toBeUndefined();
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
  });

  test('blocks public access, encrypts with the audit key and logs access to the access-log bucket', () => {
    const { props } = bucketByLogicalIdPart('ChangeLog');
    expect(props.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn() });
    expect(props.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: bucketByLogicalIdPart('AccessLogs').id }, LogFilePrefix: 'change-log/' });
  });

  test('denies plain-HTTP access and deleting objects or versions, for every principal', () => {
    const { id } = bucketByLogicalIdPart('ChangeLog');
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === id)!;
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const denyDelete = statements.find((s) => s.Sid === 'DenyDeletingChangeLog');
    expect(denyDelete).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(denyDelete.Action).toEqual(expect.arrayContaining(['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']));
  });
});

describe('failure and Athena results buckets', () => {
  test('the failure bucket is KMS-encrypted, logged, and sends S3 events to EventBridge', () => {
    const { props } = bucketByLogicalIdPart('MappingFailures');
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(props.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(props.LoggingConfiguration.LogFilePrefix).toBe('mapping-failures/');
    expect(props.ObjectLockEnabled).toBeUndefined();
  });

  test('the results bucket is KMS-encrypted and expires results', () => {
    const { props } = bucketByLogicalIdPart('AthenaResults');
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual(keyArn());
    expect(props.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 30, Status: 'Enabled' });
  });

  test('every bucket refuses plain HTTP', () => {
    const buckets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
    const tlsOnly = Object.values(resources)
      .filter((r) => r.Type === 'AWS::S3::BucketPolicy')
      .filter((r) => r.Properties.PolicyDocument.Statement.some((s: any) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false'))
      .map((r) => r.Properties.Bucket.Ref);
    // access logs, change log, mapping failures, Athena results, digest inventory reports
    expect(buckets).toHaveLength(5);
    expect(tlsOnly.sort()).toEqual(buckets.sort());
  });
});

describe('Glue table', () => {
  test('has the data columns and partition keys derived from the change-record schema', () => {
    const table = only('AWS::Glue::Table').props.TableInput;
    expect(table.Name).toBe(GLUE_TABLE_NAME);
    expect(table.StorageDescriptor.Columns).toEqual(glueDataColumns().map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })));
    expect(table.PartitionKeys).toEqual(gluePartitionKeys().map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })));
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: GLUE_DATABASE_NAME } });
  });

  test('has no partition projection: partitions are registered, filtered through Glue partition indexes', () => {
    const params = only('AWS::Glue::Table').props.TableInput.Parameters;
    expect(Object.keys(params).filter((k) => k.startsWith('projection.') || k === 'storage.location.template')).toEqual([]);
    // Athena uses the indexes only with this table property (docs/queries.md, "The catalog").
    expect(params['partition_filtering.enabled']).toBe('true');
    const indexes = Object.values(resources).filter((r) => r.Type === 'Custom::GluePartitionIndex').map((r) => ({ name: r.Properties.IndexName, keys: r.Properties.Keys }));
    expect(indexes).toEqual(PARTITION_INDEXES.map((i) => ({ name: i.indexName, keys: i.keyNames })));
    expect(indexes).toContainEqual({ name: 'by_dt', keys: ['dt'] });
    expect(indexes).toContainEqual({ name: 'by_source_dt', keys: ['account_id', 'table_name', 'dt'] });
  });

  test('a registered partition carries the table\'s storage descriptor, at the prefix Firehose writes', () => {
    const table = only('AWS::Glue::Table').props.TableInput.StorageDescriptor;
    const partition = partitionInput('bkt', { account_id: '222222222222', table_name: 'Orders.v2-x_y', dt: '2026-12-01' });
    const sd = partition.StorageDescriptor!;
    expect({ InputFormat: sd.InputFormat, OutputFormat: sd.OutputFormat, SerdeInfo: sd.SerdeInfo, Compressed: sd.Compressed, StoredAsSubDirectories: sd.StoredAsSubDirectories }).toEqual({
      InputFormat: table.InputFormat,
      OutputFormat: table.OutputFormat,
      SerdeInfo: table.SerdeInfo,
      Compressed: table.Compressed,
      StoredAsSubDirectories: table.StoredAsSubDirectories,
    });
    expect(table.InputFormat).toBe(GLUE_PARQUET_FORMAT.inputFormat);
    expect(sd.Columns).toEqual(table.Columns.map((c: { Name: string; Type: string }) => ({ Name: c.Name, Type: c.Type })));
    expect(sd.Location).toBe('s3://bkt/changes/account_id=222222222222/table_name=Orders.v2-x_y/dt=2026-12-01/');
    expect(partition.Values).toEqual(['222222222222', 'Orders.v2-x_y', '2026-12-01']);
  });

  test('holds nothing from the config, so removing a source keeps its history queryable', () => {
    // Prepare: every value of the config a catalog could have been built from (the audit account
    // itself is the catalog's own CatalogId, not a partition value).
    const parsed = config.sources.map((s) => parseStreamArn(s.streamArn)!);
    const configValues = [...parsed.map((p) => p.accountId), ...parsed.map((p) => p.tableName), 'ddb-audit-heartbeat', 'unknown', config.projectionStartDate].filter((v): v is string => typeof v === 'string');
    expect(configValues.length).toBeGreaterThan(6);
    // Act
    const catalog = Object.values(resources).filter((r) => r.Type.startsWith('AWS::Glue::') || r.Type === 'Custom::GluePartitionIndex');
    // Every string in the catalog's resources, cut where a list or path would join values
    // ("a,b", "account_id=a/"); the column comments are prose and stay whole.
    const tokens = new Set(stringLeaves(catalog).flatMap((s) => s.split(/[,/=]/)));
    // Assess
    expect(tokens.size).toBeGreaterThan(50);
    expect(configValues.filter((v) => tokens.has(v))).toEqual([]);
  });
});

describe('partition registration', () => {
  const byId = (prefix: string, type: string) => Object.entries(resources).filter(([id, r]) => id.startsWith(prefix) && r.Type === type);
  const ref = (v: any): string => v?.Ref ?? v?.['Fn::GetAtt']?.[0];

  test('sends every new object under changes/ of the change-log bucket through a KMS queue with a dead-letter queue', () => {
    const rule = (byId('PartitionsObjectCreated', 'AWS::Events::Rule') as [string, any][])[0]![1];
    expect(rule.Properties.Name).toBe('ddb-audit-change-log-partitions');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: bucketByLogicalIdPart('ChangeLog').id }] }, object: { key: [{ prefix: 'changes/' }] } },
    });
    expect(rule.Properties.Targets[0].RoleArn).toBeUndefined();
    const queue = resources[ref(rule.Properties.Targets[0].Arn)]!.Properties;
    expect(queue.KmsMasterKeyId).toEqual(keyArn());
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(resources[ref(queue.RedrivePolicy.deadLetterTargetArn)]!.Properties.KmsMasterKeyId).toEqual(keyArn());
    // The queue accepts messages from this one rule only.
    const queuePolicy = (byId('PartitionsQueuePolicy', 'AWS::SQS::QueuePolicy') as [string, any][])[0]![1];
    const send = queuePolicy.Properties.PolicyDocument.Statement.find((st: any) => st.Sid === 'PartitionsRuleSends');
    expect(JSON.stringify(send.Condition.ArnEquals['aws:SourceArn'])).toContain(':rule/ddb-audit-change-log-partitions');
  });

  test('the function reads the queue with partial batch responses and bounded concurrency, and may only create partitions of the table', () => {
    const esm = (Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping' && ref(r.Properties.FunctionName)?.startsWith('PartitionsFunction')) as [string, any][])[0]![1];
    expect(esm.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(esm.Properties.BatchSize).toBe(10);
    expect(esm.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    const fn = (byId('PartitionsFunction', 'AWS::Lambda::Function') as [string, any][])[0]![1];
    expect(fn.Properties.Environment.Variables).toMatchObject({ CHANGE_LOG_BUCKET: { Ref: bucketByLogicalIdPart('ChangeLog').id }, GLUE_DATABASE: { Ref: only('AWS::Glue::Database').id }, GLUE_TABLE: { Ref: only('AWS::Glue::Table').id } });
    const policy = (byId('PartitionsPolicy', 'AWS::IAM::Policy') as [string, any][])[0]![1];
    const glueStatements = policy.Properties.PolicyDocument.Statement.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('glue:')));
    expect(glueStatements).toHaveLength(1);
    expect(glueStatements[0].Action).toBe('glue:BatchCreatePartition');
    // The catalog, the database and the one table (Glue authorizes partition calls on all three).
    const resource = JSON.stringify(glueStatements[0].Resource);
    expect(glueStatements[0].Resource).toHaveLength(3);
    expect(resource).toContain(':table/');
    expect(resource).toContain(`{"Ref":"${only('AWS::Glue::Table').id}"}`);
    expect(JSON.stringify(glueStatements[0].Resource)).not.toContain('*');
  });

  test('alarms on dead-lettered events, their age, and the rule failing to deliver', () => {
    const names = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties.AlarmName);
    expect(names).toEqual(expect.arrayContaining(['ddb-audit-PartitionsDeadLetters', 'ddb-audit-PartitionsQueueAge']));
    const ruleAlarm = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'FailedInvocations' && JSON.stringify(r.Properties.Dimensions).includes('ddb-audit-change-log-partitions'));
    expect(ruleAlarm?.Properties.AlarmName).toMatch(/^ddb-audit-/);
  });
});

describe('Firehose delivery stream', () => {
  test('deaggregates NDJSON before extracting the partition keys with the shared JQ query', () => {
    const dest = only('AWS::KinesisFirehose::DeliveryStream').props.ExtendedS3DestinationConfiguration;
    expect(dest.ProcessingConfiguration.Processors).toEqual([
      { Type: 'RecordDeAggregation', Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }] },
      {
        Type: 'MetadataExtraction',
        Parameters: [
          { ParameterName: 'MetadataExtractionQuery', ParameterValue: PARTITION_JQ_QUERY },
          { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
        ],
      },
    ]);
    expect(dest.DynamicPartitioningConfiguration).toEqual({ Enabled: true });
  });

  test('writes Parquet converted with the Glue table under the partitioned prefix, failures under the error prefix', () => {
    const dest = only('AWS::KinesisFirehose::DeliveryStream').props.ExtendedS3DestinationConfiguration;
    expect(dest.Prefix).toBe(FIREHOSE_S3_PREFIX);
    expect(dest.ErrorOutputPrefix).toBe(FIREHOSE_ERROR_PREFIX);
    expect(dest.DataFormatConversionConfiguration).toMatchObject({
      Enabled: true,
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: {} } },
      SchemaConfiguration: { TableName: { Ref: only('AWS::Glue::Table').id } },
    });
  });

  test('buffers as configured and encrypts at rest and in S3 with the audit key', () => {
    const stream = only('AWS::KinesisFirehose::DeliveryStream').props;
    expect(stream.ExtendedS3DestinationConfiguration.BufferingHints).toEqual({ IntervalInSeconds: config.delivery!.bufferIntervalSeconds, SizeInMBs: config.delivery!.bufferSizeMiB });
    expect(stream.ExtendedS3DestinationConfiguration.EncryptionConfiguration).toEqual({ KMSEncryptionConfig: { AWSKMSKeyARN: keyArn() } });
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyARN: keyArn(), KeyType: 'CUSTOMER_MANAGED_CMK' });
  });

  test('its role may write the change log but not delete from it, and waits for its policy', () => {
    const statements = policyStatements('DeliveryRolePolicy');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 'glue:GetTable', 'kms:GenerateDataKey', 'logs:PutLogEvents']));
    expect(actions.filter((a: string) => /Delete|\*/.test(a))).toEqual([]);
    const stream = only('AWS::KinesisFirehose::DeliveryStream');
    expect(stream.dependsOn.some((d) => d.startsWith('DeliveryRolePolicy'))).toBe(true);
  });

  test('its role may write exactly the log stream Firehose reports delivery errors to', () => {
    const logging = only('AWS::KinesisFirehose::DeliveryStream').props.ExtendedS3DestinationConfiguration.CloudWatchLoggingOptions;
    expect(logging.Enabled).toBe(true);
    const grant = policyStatements('DeliveryRolePolicy').find((s) => s.Sid === 'WriteDeliveryErrors');
    expect(grant.Action).toBe('logs:PutLogEvents');
    const parts: unknown[] = grant.Resource['Fn::Join'][1];
    expect(parts).toContainEqual(logging.LogGroupName);
    expect(parts).toContainEqual(logging.LogStreamName);
  });
});

describe('collector function', () => {
  test('runs Node.js on ARM64 with tracing, under the fixed name and role name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: COLLECTOR_FUNCTION_NAME,
      Runtime: Match.stringLikeRegexp('^nodejs(22|24)\\.x$'),
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: collectorRoleName(config.region) });
  });

  test('gets the environment the handler requires and source maps enabled', () => {
    const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === COLLECTOR_FUNCTION_NAME)!;
    const env = fn.Properties.Environment.Variables;
    expect(env.DELIVERY_STREAM_NAME).toEqual({ Ref: only('AWS::KinesisFirehose::DeliveryStream').id });
    expect(env.OVERFLOW_BUCKET).toEqual({ Ref: bucketByLogicalIdPart('ChangeLog').id });
    expect(env.OVERFLOW_PREFIX).toBe(OVERFLOW_PREFIX);
    expect(env.PACKING).toBe('ndjson');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe(SERVICE_NAME);
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps --max-semi-space-size=64');
    expect(env.SOURCE_OPTIONS).toBeUndefined();
  });

  test('logs to a KMS-encrypted log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${COLLECTOR_FUNCTION_NAME}`, RetentionInDays: 365, KmsKeyId: keyArn() });
  });

  test('may put records on its delivery streams (stream 0 and the fixed name prefix of the others) and write objects only under the overflow prefix', () => {
    const statements = policyStatements('CollectorPolicy');
    expect(statements.find((s) => s.Sid === 'DeliverChangeRecords')).toEqual({
      Sid: 'DeliverChangeRecords',
      Effect: 'Allow',
      Action: 'firehose:PutRecordBatch',
      Resource: [
        { 'Fn::GetAtt': [only('AWS::KinesisFirehose::DeliveryStream').id, 'Arn'] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':firehose:eu-west-1:111111111111:deliverystream/ddb-audit-changes-*']] },
      ],
    });
    expect(statements.find((s) => s.Sid === 'WriteOversizeChanges')).toEqual({
      Sid: 'WriteOversizeChanges',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketByLogicalIdPart('ChangeLog').id, 'Arn'] }, `/${OVERFLOW_PREFIX}*`]] },
    });
    expect(statements.find((s) => s.Sid === 'WriteDiscardedBatches').Action).toEqual(['s3:PutObject', 's3:ListBucket']);
  });
});

describe('Athena workgroup', () => {
  test('enforces engine v3, KMS-encrypted results in the results bucket and the bytes-scanned cutoff', () => {
    const wg = only('AWS::Athena::WorkGroup').props;
    expect(wg.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      BytesScannedCutoffPerQuery: 10240 * 1024 * 1024,
      ResultConfiguration: {
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: keyArn() },
        OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucketByLogicalIdPart('AthenaResults').id }, '/results/']] },
      },
    });
  });

  test('has one named query per .sql file, described by its Purpose header', () => {
    const queries = Object.values(resources).filter((r) => r.Type === 'AWS::Athena::NamedQuery').map((r) => r.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(['deletes', 'who-changed']);
    const whoChanged = queries.find((q) => q.Name === 'who-changed');
    expect(whoChanged).toMatchObject({ Database: GLUE_DATABASE_NAME, WorkGroup: 'ddb-audit', Description: 'Who changed what, and when.' });
    expect(whoChanged.QueryString).toContain('SELECT 1');
  });
});

describe('alarms', () => {
  const alarmNamed = (name: string) => {
    const alarm = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName === `ddb-audit-${name}`);
    expect(alarm).toBeDefined();
    return alarm!.Properties;
  };

  test('go to a KMS-encrypted topic with the configured e-mail subscribed', () => {
    const topic = only('AWS::SNS::Topic');
    expect(topic.props.KmsMasterKeyId).toEqual(keyArn());
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: config.alarmEmail, TopicArn: { Ref: topic.id } });
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(9);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic.id }]);
  });

  test('watch IteratorAge on the function dimension Lambda documents', () => {
    expect(alarmNamed('CollectorIteratorAge')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.any(String) } }],
      Threshold: 600000,
    });
  });

  test('watch Lambda errors and throttles, and Firehose freshness, conversions, partitions and S3 delivery', () => {
    expect(alarmNamed('CollectorErrors')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors' });
    expect(alarmNamed('CollectorThrottles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles' });
    const firehose = { Name: 'DeliveryStreamName', Value: { Ref: only('AWS::KinesisFirehose::DeliveryStream').id } };
    expect(alarmNamed('FirehoseDataFreshness')).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness', Dimensions: [firehose] });
    expect(alarmNamed('FirehoseFailedConversions')).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'FailedConversion.Records', Dimensions: [firehose] });
    expect(alarmNamed('FirehosePartitionCountExceeded')).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'PartitionCountExceeded', Dimensions: [firehose] });
    expect(alarmNamed('FirehoseS3DeliveryFailing')).toMatchObject({ MetricName: 'DeliveryToS3.Success', ComparisonOperator: 'LessThanThreshold' });
  });

  test('count the collector log lines carrying the normalization-error message', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: `{ $.message = "${NORMALIZATION_ERROR_LOG_MESSAGE}" }`,
      MetricTransformations: [{ MetricNamespace: METRICS_NAMESPACE, MetricName: 'NormalizationErrorLogEvents', MetricValue: '1' }],
    });
    expect(alarmNamed('CollectorNormalizationErrors')).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: 'NormalizationErrorLogEvents', Threshold: 1 });
  });

  test('watch the collector metric of redact paths that name a key attribute', () => {
    expect(alarmNamed('CollectorRedactPathOnKey')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.redactPathsOnKeyAttributes,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  test('announce any object written to the failure bucket', () => {
    // The other rule in the stack is the digest's hourly schedule.
    const rules = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::Events::Rule' && id.startsWith('AlarmsFailureObject'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: bucketByLogicalIdPart('MappingFailures').id }] } },
    });
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { Ref: only('AWS::SNS::Topic').id } })]);
  });

  test('are shown on a dashboard with the pipeline metrics', () => {
    const body = JSON.stringify(only('AWS::CloudWatch::Dashboard').props.DashboardBody);
    for (const metric of ['IteratorAge', 'IncomingRecords', 'DeliveryToS3.DataFreshness', 'ChangesDelivered', 'TriggeredRules']) expect(body).toContain(metric);
  });
});

function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}
