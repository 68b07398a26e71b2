/**
 * The audit account's main stack: everything except the event source mappings (see
 * ./mappings-stack.ts for why they live apart). Each concern is one construct under
 * lib/constructs/; a new concern (e.g. the integrity digests) is one more construct here.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AuditConfig } from '../schemas/audit-config';
import { UNKNOWN_PARTITION_VALUE } from '../schemas/change-record';
import { bytesScannedCutoffMiB, collectorSourceOptions, projectionStartDate, resolveDelivery, resolveSources } from './config/load';
import { AuditBuckets } from './constructs/audit-buckets';
import { AuditKey } from './constructs/audit-key';
import { ChangeLogCatalog } from './constructs/change-log-catalog';
import { ChangeLogDelivery } from './constructs/change-log-delivery';
import { ChangeLogDigest } from './constructs/digest';
import { CollectorFunction } from './constructs/collector-function';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { QueryWorkgroup } from './constructs/query-workgroup';

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

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    const sources = resolveSources(config);
    const delivery = resolveDelivery(config);

    this.key = new AuditKey(this, 'Key');
    this.buckets = new AuditBuckets(this, 'Buckets', {
      key: this.key.key,
      retentionMode: config.retention.mode,
      retentionDays: config.retention.days,
    });
    this.catalog = new ChangeLogCatalog(this, 'Catalog', {
      bucket: this.buckets.changeLog,
      // "unknown" is where records with an unparsable source ARN land; they must stay queryable.
      accountIds: distinct([...sources.map((s) => s.arn.accountId), UNKNOWN_PARTITION_VALUE]),
      tableNames: distinct([...sources.map((s) => s.arn.tableName), UNKNOWN_PARTITION_VALUE]),
      projectionStartDate: projectionStartDate(config),
    });
    this.delivery = new ChangeLogDelivery(this, 'Delivery', {
      bucket: this.buckets.changeLog,
      key: this.key.key,
      table: this.catalog.cfnTable,
      bufferIntervalSeconds: delivery.bufferIntervalSeconds,
      bufferSizeMiB: delivery.bufferSizeMiB,
      packing: delivery.packing,
    });
    this.collector = new CollectorFunction(this, 'Collector', {
      deliveryStream: this.delivery.deliveryStream,
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
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      key: this.key.key,
      alarmEmail: config.alarmEmail,
      collector: this.collector.function,
      collectorLogGroup: this.collector.logGroup,
      deliveryStream: this.delivery.deliveryStream,
      bufferIntervalSeconds: delivery.bufferIntervalSeconds,
      failureBucket: this.buckets.failures,
    });
    // Hourly signed digests of the change-log objects: the tamper-evident chain `ddb-audit log verify` walks.
    this.digest = new ChangeLogDigest(this, 'Digest', { bucket: this.buckets.changeLog, bucketKey: this.key.key, alarmTopic: this.alarms.topic });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      collector: this.collector.function,
      deliveryStream: this.delivery.deliveryStream,
      alarms: this.alarms.alarms,
      failureObjectRule: this.alarms.failureObjectRule,
    });
  }
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
