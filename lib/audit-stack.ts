/**
 * The audit account's main stack: everything except the event source mappings of the source
 * tables (see ./mappings-stack.ts for why they live apart). Each concern is one construct under
 * lib/constructs/; a new concern (e.g. the integrity digests) is one more construct here.
 *
 * The heartbeat's own mapping lives here: its table is in this stack and this account, so nothing
 * outside the stack has to exist first.
 */
import { CfnOutput, Fn, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AuditConfig } from '../schemas/audit-config';
import { AUDIT_STACK_OUTPUT, AuditStackOutputKey, HEARTBEAT_TABLE_NAME } from '../schemas/deployment';
import { GLUE_DATABASE_NAME, GLUE_TABLE_NAME } from '../schemas/partitioning';
import {
  bytesScannedCutoffMiB,
  collectorSourceOptions,
  digestReservedConcurrency,
  projectionStartDate,
  resolveDelivery,
  resolveHeartbeat,
  retentionApply,
  sourceAccounts,
} from './config/load';
import { AuditBuckets } from './constructs/audit-buckets';
import { AuditKey } from './constructs/audit-key';
import { ChangeLogCatalog } from './constructs/change-log-catalog';
import { CloudTrailCatalog } from './constructs/cloudtrail-catalog';
import { CLOUDTRAIL_NOT_CONFIGURED_PREFIX } from '../schemas/cloudtrail-events';
import { ChangeLogDelivery } from './constructs/change-log-delivery';
import { ChangeLogDigest, RETAINED_PREFIXES } from './constructs/digest';
import { CollectorFunction } from './constructs/collector-function';
import { Heartbeat } from './constructs/heartbeat';
import { ObjectRetention } from './constructs/object-retention';
import { PartitionRegistration } from './constructs/partition-registration';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { QueryWorkgroup, WORKGROUP_NAME } from './constructs/query-workgroup';
import { ReplayRole, replayRoleArn } from './constructs/replay-role';
import { collectorRoleArn } from './stream-policy';
import { deliveryStreamPlan } from './config/load';

/** Export of the change-log bucket's ARN (the watch stack writes oversize gap records under overflow/). */
export const CHANGE_LOG_BUCKET_ARN_EXPORT = 'DdbAuditCollector-ChangeLogBucketArn';

export interface AuditStackProps extends StackProps {
  readonly config: AuditConfig;
  /** @default the repository's athena-queries/ */
  readonly queriesDir?: string;
}

export class AuditStack extends Stack {
  public readonly key: AuditKey;
  public readonly buckets: AuditBuckets;
  public readonly catalog: ChangeLogCatalog;
  public readonly delivery: ChangeLogDelivery;
  public readonly collector: CollectorFunction;
  public readonly queries: QueryWorkgroup;
  public readonly alarms: PipelineAlarms;
  public readonly dashboard: PipelineDashboard;
  public readonly digest: ChangeLogDigest;
  public readonly replay: ReplayRole;
  public readonly partitions: PartitionRegistration;
  /** Present when retention.apply is "per-object" (the default). */
  public readonly retention?: ObjectRetention;
  /** Present when heartbeat.enabled is true (the default). */
  public readonly heartbeat?: Heartbeat;
  /**
   * The table cloudtrail_events: over the trail of attribution.cloudTrail, with the attributed
   * view's DDL; without one, empty on purpose so that actor-activity still runs (its construct).
   */
  public readonly attribution: CloudTrailCatalog;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    const delivery = resolveDelivery(config);
    // Sized from the config (throws a one-line AuditConfigError when no stream count fits the quota).
    const streamPlan = deliveryStreamPlan(config);
    const heartbeat = resolveHeartbeat(config);
    const apply = retentionApply(config);

    this.key = new AuditKey(this, 'Key');
    this.buckets = new AuditBuckets(this, 'Buckets', {
      key: this.key.key,
      retentionMode: config.retention.mode,
      retentionDays: config.retention.days,
      retentionApply: apply,
      // Literal ARNs (fixed role names): the bucket policy need not wait for the roles.
      failureWriterRoleArn: collectorRoleArn({ auditAccountId: config.auditAccountId, region: config.region, partition: this.partition }),
      failureReaderRoleArn: replayRoleArn(this),
    });
    // Registered partitions: nothing in the catalog comes from the config, so a removed source stays queryable.
    this.catalog = new ChangeLogCatalog(this, 'Catalog', { bucket: this.buckets.changeLog });
    this.delivery = new ChangeLogDelivery(this, 'Delivery', {
      bucket: this.buckets.changeLog,
      key: this.key.key,
      table: this.catalog.cfnTable,
      bufferIntervalSeconds: delivery.bufferIntervalSeconds,
      bufferSizeMiB: delivery.bufferSizeMiB,
      packing: delivery.packing,
      streamCount: streamPlan.streamCount,
    });
    this.collector = new CollectorFunction(this, 'Collector', {
      deliveryStream: this.delivery.deliveryStream,
      deliveryStreamCount: streamPlan.streamCount,
      overflowBucket: this.buckets.changeLog,
      failureBucket: this.buckets.failures,
      key: this.key.key,
      packing: delivery.packing,
      sourceOptions: collectorSourceOptions(config),
    });
    this.queries = new QueryWorkgroup(this, 'Queries', {
      resultsBucket: this.buckets.athenaResults,
      key: this.key.key,
      bytesScannedCutoffPerQueryMiB: bytesScannedCutoffMiB(config),
      queriesDir: props.queriesDir,
    });
    const trail = config.attribution?.cloudTrail;
    this.attribution = new CloudTrailCatalog(this, 'Attribution', {
      databaseName: GLUE_DATABASE_NAME,
      // Without a trail: a prefix of the change-log bucket that nothing writes, never read (no partition).
      ...(trail ? { bucketName: trail.bucket, prefix: trail.prefix, organizationId: trail.organizationId } : { emptyLocation: `s3://${this.buckets.changeLog.bucketName}/${CLOUDTRAIL_NOT_CONFIGURED_PREFIX}` }),
      // The trail's account enum (docs/attribution.md: an enum of the onboarded accounts, for want of a
      // registered-partition feed from a bucket in another account).
      accountIds: sourceAccounts(config).length > 0 ? sourceAccounts(config) : [config.auditAccountId],
      regions: [config.region],
      projectionStartDate: projectionStartDate(config),
      workGroupName: WORKGROUP_NAME,
    });
    this.attribution.node.addDependency(this.catalog.database, this.queries.workgroup);
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      key: this.key.key,
      alarmEmail: config.alarmEmail,
      collector: this.collector.function,
      collectorLogGroup: this.collector.logGroup,
      deliveryStreams: this.delivery.deliveryStreams,
      bufferIntervalSeconds: delivery.bufferIntervalSeconds,
      failureBucket: this.buckets.failures,
    });
    if (apply === 'per-object') {
      this.retention = new ObjectRetention(this, 'Retention', {
        bucket: this.buckets.changeLog,
        key: this.key.key,
        mode: config.retention.mode,
        days: config.retention.days,
        prefixes: RETAINED_PREFIXES,
        alarms: this.alarms,
      });
    }
    this.partitions = new PartitionRegistration(this, 'Partitions', { bucket: this.buckets.changeLog, key: this.key.key, table: this.catalog.table, alarms: this.alarms });
    // Hourly signed digests of the change-log objects: the tamper-evident chain `ddb-audit log verify` walks.
    this.digest = new ChangeLogDigest(this, 'Digest', {
      bucket: this.buckets.changeLog,
      bucketKey: this.key.key,
      serverAccessLogsBucket: this.buckets.accessLogs,
      alarmTopic: this.alarms.topic,
      reservedConcurrency: digestReservedConcurrency(config),
    });
    if (heartbeat.enabled) {
      this.heartbeat = new Heartbeat(this, 'Heartbeat', {
        intervalMinutes: heartbeat.intervalMinutes,
        bufferIntervalSeconds: delivery.bufferIntervalSeconds,
        key: this.key.key,
        collector: this.collector.function,
        collectorRole: this.collector.role,
        changeLogBucket: this.buckets.changeLog,
        failureBucket: this.buckets.failures,
        alarms: this.alarms,
      });
    }
    this.replay = new ReplayRole(this, 'Replay', {
      failureBucket: this.buckets.failures,
      changeLogBucket: this.buckets.changeLog,
      deliveryStream: this.delivery.deliveryStream,
      deliveryStreamCount: streamPlan.streamCount,
      key: this.key.key,
      auditStackName: this.stackName,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      collector: this.collector.function,
      deliveryStreams: this.delivery.deliveryStreams,
      alarms: this.alarms.alarms,
      failureObjectRule: this.alarms.failureObjectRule,
    });

    // The runbook's and `ddb-audit doctor`'s entry points (names fixed in schemas/deployment.ts).
    const outputs: Record<AuditStackOutputKey, { value: string; description: string }> = {
      [AUDIT_STACK_OUTPUT.changeLogBucket]: { value: this.buckets.changeLog.bucketName, description: 'Change-log bucket (changes/, overflow/, errors/, digests/)' },
      [AUDIT_STACK_OUTPUT.failureBucket]: { value: this.buckets.failures.bucketName, description: 'Failure bucket: discarded batches with unredacted payloads (sensitive; readable by the replay role only)' },
      [AUDIT_STACK_OUTPUT.deliveryStreams]: { value: Fn.join(',', this.delivery.deliveryStreams.map((s) => s.deliveryStreamName)), description: 'Firehose delivery stream(s), comma-separated' },
      [AUDIT_STACK_OUTPUT.athenaWorkgroup]: { value: this.queries.workgroup.name, description: 'Athena workgroup of the bundled queries' },
      [AUDIT_STACK_OUTPUT.glueTable]: { value: `${GLUE_DATABASE_NAME}.${GLUE_TABLE_NAME}`, description: 'Glue database.table of the change log' },
      [AUDIT_STACK_OUTPUT.digestKeyArn]: { value: this.digest.signingKey.keyArn, description: 'KMS key that signs the hourly digests' },
      [AUDIT_STACK_OUTPUT.alarmTopicArn]: { value: this.alarms.topic.topicArn, description: 'SNS topic every alarm notifies' },
      [AUDIT_STACK_OUTPUT.collectorFunction]: { value: this.collector.function.functionName, description: 'Collector Lambda function' },
      [AUDIT_STACK_OUTPUT.heartbeatTable]: { value: this.heartbeat ? HEARTBEAT_TABLE_NAME : '', description: 'Heartbeat table ("" when the heartbeat is disabled)' },
    };
    for (const [key, output] of Object.entries(outputs)) new CfnOutput(this, key, { ...output });
    // Named, so the watch stack's cdk-nag acknowledgement of its overflow grant can name it
    // (an automatic cross-stack export's name carries a hash; lib/watch-stack.ts).
    new CfnOutput(this, 'ChangeLogBucketArnExport', { value: this.buckets.changeLog.bucketArn, exportName: CHANGE_LOG_BUCKET_ARN_EXPORT, description: 'Change-log bucket ARN, imported by the watch stack' });
  }
}
