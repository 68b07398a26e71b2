/**
 * Deploys the stream-lifecycle watch (runtime: lambda/handlers/stream-watch.ts, core lambda/watch/),
 * in its own audit-account stack DdbAuditWatch (../watch-stack.ts says why):
 *
 *   EventBridge Scheduler rate(watch.intervalMinutes) --(templated target lambda:Invoke, asynchronous)-->
 *     function ddb-audit-stream-watch, role ddb-audit-watch-<region>
 *       DescribeTable / DescribeStream (cross-account: the source stacks' statements name the role),
 *       ListEventSourceMappings of the collector, gap records through the collector's Firehose
 *       streams (each to its table's stream), its state object in its own bucket,
 *       its source list in a layer file (WATCH_SOURCES_FILE)
 *   alarms ddb-audit-WatchUnhealthySources (metric filter on the DDB_AUDIT_SOURCE_UNHEALTHY log line)
 *   and ddb-audit-WatchErrors (the function's Errors).
 *
 * Choices, each resting on AWS documentation:
 * - EventBridge Scheduler, like the heartbeat: its `<aws.scheduler.scheduled-time>` context attribute
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html)
 *   gives the handler the scheduled time it derives the run index (shard, rotating DescribeStream
 *   share) from. Scheduler invokes Lambda asynchronously
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html), so Lambda's own
 *   asynchronous retries are turned off (retryAttempts 0): a failed run is repeated by the next run,
 *   which re-derives everything from the saved state, and a retry could overlap it.
 * - Timeout 90 % of the interval (at most Lambda's 900 s): a run spends at most 80 % of its interval
 *   calling (lambda/watch/check-sources.ts RUN_BUDGET_SHARE), so it ends before the next starts.
 * - The state's home is a bucket of its own: KMS (the audit key), versioned (a bad write can be
 *   rolled back and read back by `ddb-audit coverage`), noncurrent versions expire after
 *   STATE_VERSION_DAYS (the object is rewritten every run). Not a DynamoDB item: the state is ~600
 *   bytes per source, ~6 MB at 10,000, and an item holds at most 400 KB
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html). Not the
 *   failure bucket (unredacted payloads, readable by the replay role only) nor the Object Lock change
 *   log (every rewritten version would be retained).
 * - The source list (the configured stream ARNs) is a JSON file in a Lambda layer built at synth,
 *   read once at cold start (WATCH_SOURCES_FILE), exactly as the collector's per-source options
 *   (./collector-function.ts). Not an environment variable: they total at most 4 KB
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). Not inlined with
 *   esbuild `define`: the bundling command line passed Linux's 128 KB limit on one argument
 *   (E2BIG) at about 3,000 sources. A layer and the function together may be 250 MB unzipped
 *   (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; CodeSizeUnzipped,
 *   "the maximum size of a function's deployment package and layers when they're extracted",
 *   https://docs.aws.amazon.com/lambda/latest/api/API_AccountLimit.html); a stream ARN is about
 *   90 bytes, so 10,000 sources are 880 KB (bench/scale.ts measures it), 0.35 % of it.
 * - Gap records go to the delivery stream that carries their table's changes
 *   (lambda/core/routed-delivery.ts, the collector's routing), so the watch gets the same three
 *   constant-size variables as the collector (DELIVERY_STREAM_NAME, _PREFIX, _COUNT) and the same
 *   two-entry PutRecordBatch grant (stream 0 by ARN, the others by their fixed name prefix).
 *
 * IAM is constant in size whatever the number of sources: DescribeTable and DescribeStream on the
 * region's table and stream ARN patterns of any account (each listed with its reason in
 * test/infra/security-review.cdkunit.test.ts). A cross-account call also needs the source's
 * resource policy to name this role, which only the source stacks' statements do
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html).
 * lambda:ListEventSourceMappings is granted on `*`: it is a list action without a resource type in
 * Lambda's action table (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { DELIVERY_STREAM_NAME_PREFIX } from '../../lambda/core/delivery-routing';
import { METRICS_NAMESPACE } from '../../lambda/core/telemetry';
import { UNHEALTHY_SOURCE_LOG_PREFIX } from '../../lambda/watch/telemetry';
import { COLLECTOR_FUNCTION_NAME, watchRoleName } from '../stream-policy';
import { deliveryStreamPatternArn, nagResourceText } from './collector-function';
import { functionDefaults } from './function-defaults';
import { heartbeatRateExpression } from './heartbeat';
import { ALARM_NAME_PREFIX } from './pipeline-alarms';

/** Fixed names: the log group is named after the function, and runbooks name the schedule. */
export const WATCH_FUNCTION_NAME = 'ddb-audit-stream-watch';
export const WATCH_SCHEDULE_NAME = 'ddb-audit-stream-watch';
/** Days a previous version of the state object is kept. */
export const STATE_VERSION_DAYS = 7;
/** Metric-filter metric (no dimensions) counting DDB_AUDIT_SOURCE_UNHEALTHY log lines. */
export const UNHEALTHY_SOURCE_LOG_METRIC = 'UnhealthySourceLogEvents';
/** Where the source list is inside the layer; Lambda mounts layers under /opt. */
export const WATCH_SOURCES_LAYER_PATH = 'ddb-audit/watch-sources.json';
export const WATCH_SOURCES_FILE = `/opt/${WATCH_SOURCES_LAYER_PATH}`;
/** Lambda's maximum function timeout. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** The watch function's timeout for an interval: 90 % of it, at most Lambda's 900 s. */
export function watchTimeoutSeconds(intervalMinutes: number): number {
  return Math.min(LAMBDA_MAX_TIMEOUT_SECONDS, Math.floor(intervalMinutes * 60 * 0.9));
}

export interface StreamWatchProps {
  /** Every onboarded source's configured stream ARN, in config order. */
  readonly streamArns: readonly string[];
  /** Minutes between runs (1 to 15). */
  readonly intervalMinutes: number;
  /** Limit on the watch's API calls per second. */
  readonly maxCallsPerSecond: number;
  /** Stream 0 of the collector's delivery streams: gap records go through the same sink as changes. */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** How many delivery streams the deployment has; streams 1..count-1 are DELIVERY_STREAM_NAME_PREFIX + i. @default 1 */
  readonly deliveryStreamCount?: number;
  /** The change-log bucket: the sink writes a record too large for Firehose whole under OVERFLOW_PREFIX. */
  readonly overflowBucket: s3.IBucket;
  /** The audit key: encrypts the state bucket and the log group. */
  readonly key: kms.IKey;
  /**
   * The deployment's alarm topic (PipelineAlarms.topic). A topic, not PipelineAlarms: the watch lives
   * in its own stack, and PipelineAlarms.notify would list its alarms in the audit stack's dashboard,
   * a reference back from the audit stack (a cycle).
   */
  readonly alarmTopic: sns.ITopic;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export class StreamWatch extends Construct {
  public readonly role: iam.Role;
  public readonly function: nodejs.NodejsFunction;
  /** The layer holding the source list file. */
  public readonly sourcesLayer: lambda.LayerVersion;
  public readonly logGroup: logs.LogGroup;
  public readonly stateBucket: s3.Bucket;
  public readonly policy: iam.Policy;
  public readonly schedule: scheduler.CfnSchedule;
  public readonly schedulerRole: iam.Role;
  public readonly unhealthyAlarm: cloudwatch.Alarm;
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StreamWatchProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Number.isInteger(props.intervalMinutes) || props.intervalMinutes < 1 || props.intervalMinutes > 15) {
      throw new Error(`StreamWatch: intervalMinutes must be an integer from 1 to 15, got ${props.intervalMinutes}`);
    }
    if (!(props.maxCallsPerSecond > 0)) throw new Error(`StreamWatch: maxCallsPerSecond must be positive, got ${props.maxCallsPerSecond}`);

    this.stateBucket = new s3.Bucket(this, 'State', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(STATE_VERSION_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Rebuilt by the next run if lost; the log's gap records are the durable part.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // No server access logs: the watch lives in its own stack, and logging into the audit stack's
    // access-logs bucket makes CDK add a logging.s3 grant there without an aws:SourceArn condition
    // (the audit stack cannot name a bucket of a stack that depends on it). The object is written by
    // the watch role alone, every run, and versioned: its history is the last 7 days of versions.
    Validations.of(this.stateBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: "The watch's own state object, rewritten each run by the watch role only and versioned; access logging into the audit stack's log bucket would need an unconditioned logging.s3 grant there (cross-stack).",
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: watchRoleName(stack.region),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "ddb-audit stream watch: describes onboarded tables and streams and the collector's mappings; writes gap records",
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${WATCH_FUNCTION_NAME}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const defaults = functionDefaults('stream-watch');
    this.sourcesLayer = new lambda.LayerVersion(this, 'Sources', {
      code: lambda.Code.fromAsset(watchSourcesDirectory(props.streamArns)),
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      description: 'ddb-audit stream watch: the onboarded stream ARNs, in config order',
    });
    const streamCount = props.deliveryStreamCount ?? 1;
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      functionName: WATCH_FUNCTION_NAME,
      description: 'ddb-audit stream watch: checks every onboarded stream and mapping, records gaps',
      memorySize: 512,
      timeout: Duration.seconds(watchTimeoutSeconds(props.intervalMinutes)),
      role: this.role,
      logGroup: this.logGroup,
      layers: [this.sourcesLayer],
      // The next scheduled run repeats a failed one; an asynchronous retry could overlap it.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, props.intervalMinutes * 60)),
      environment: {
        ...defaults.environment,
        COLLECTOR_FUNCTION_NAME,
        INTERVAL_MINUTES: String(props.intervalMinutes),
        MAX_CALLS_PER_SECOND: String(props.maxCallsPerSecond),
        STATE_BUCKET: this.stateBucket.bucketName,
        WATCH_SOURCES_FILE,
        DELIVERY_STREAM_NAME: props.deliveryStream.deliveryStreamName,
        DELIVERY_STREAM_PREFIX: DELIVERY_STREAM_NAME_PREFIX,
        DELIVERY_STREAM_COUNT: String(streamCount),
        OVERFLOW_BUCKET: props.overflowBucket.bucketName,
        OVERFLOW_PREFIX,
      },
    });

    const arn = (resourceName: string) => stack.formatArn({ service: 'dynamodb', account: '*', resource: 'table', resourceName });
    this.policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'DescribeSourceTables', actions: ['dynamodb:DescribeTable'], resources: [arn('*')] }),
        new iam.PolicyStatement({ sid: 'DescribeSourceStreams', actions: ['dynamodb:DescribeStream'], resources: [arn('*/stream/*')] }),
        new iam.PolicyStatement({ sid: 'ListCollectorMappings', actions: ['lambda:ListEventSourceMappings'], resources: ['*'] }),
        // Stream 0 by ARN, the others by their fixed name prefix: the collector's two entries, whatever the count.
        new iam.PolicyStatement({ sid: 'DeliverGapRecords', actions: ['firehose:PutRecordBatch'], resources: [props.deliveryStream.deliveryStreamArn, deliveryStreamPatternArn(stack)] }),
        new iam.PolicyStatement({ sid: 'WriteOversizeRecords', actions: ['s3:PutObject'], resources: [props.overflowBucket.arnForObjects(`${OVERFLOW_PREFIX}*`)] }),
        new iam.PolicyStatement({ sid: 'ReadWriteState', actions: ['s3:GetObject', 's3:PutObject'], resources: [this.stateBucket.arnForObjects('watch/*')] }),
        new iam.PolicyStatement({
          sid: 'UseKeyThroughS3',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    this.role.attachInlinePolicy(this.policy);
    this.function.node.addDependency(this.policy);
    this.acknowledgeWildcards(stack, props);

    // The schedule's role may invoke this one function and nothing else.
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'ddb-audit stream watch: EventBridge Scheduler invokes the watch function',
      inlinePolicies: {
        InvokeWatch: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ sid: 'InvokeWatch', actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] })] }),
      },
    });
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: WATCH_SCHEDULE_NAME,
      description: 'ddb-audit: stream-lifecycle watch of every onboarded source',
      scheduleExpression: heartbeatRateExpression(props.intervalMinutes),
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.function.functionArn,
        roleArn: this.schedulerRole.roleArn,
        // The handler reads `time` (the run index derives from it), as in an EventBridge scheduled event.
        input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>' }),
        // A late run is worth nothing: the next one comes within the interval.
        retryPolicy: { maximumEventAgeInSeconds: Math.max(60, props.intervalMinutes * 60), maximumRetryAttempts: 0 },
      },
    });
    this.schedule.node.addDependency(this.schedulerRole);

    const filter = new logs.MetricFilter(this, 'UnhealthyFilter', {
      logGroup: this.logGroup,
      // Powertools writes one JSON object per line with the message under "message" (lambda/watch/run-watch.ts).
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', UNHEALTHY_SOURCE_LOG_PREFIX),
      metricNamespace: METRICS_NAMESPACE,
      metricName: UNHEALTHY_SOURCE_LOG_METRIC,
      metricValue: '1',
    });
    const period = Duration.minutes(Math.max(5, props.intervalMinutes));
    this.unhealthyAlarm = new cloudwatch.Alarm(this, 'Unhealthy', {
      alarmName: `${ALARM_NAME_PREFIX}WatchUnhealthySources`,
      alarmDescription:
        `The stream watch found a source whose stream is disabled, replaced or changed, or whose mapping is missing, disabled or failing: changes of that table are not reaching the log. ` +
        `Each such source has one log line ${UNHEALTHY_SOURCE_LOG_PREFIX} naming the table, the configured and current stream ARNs and the command to run: ` +
        `aws logs filter-log-events --log-group-name /aws/lambda/${WATCH_FUNCTION_NAME} --filter-pattern ${UNHEALTHY_SOURCE_LOG_PREFIX} (docs/coverage.md).`,
      metric: filter.metric({ statistic: 'Sum', period }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No line means no unhealthy source; a watch that does not run is the errors alarm's and doctor's to see.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    notify(this.unhealthyAlarm, props.alarmTopic);
    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: `${ALARM_NAME_PREFIX}WatchErrors`,
      alarmDescription: `The stream watch failed a run (e.g. gap records not delivered, or its state not readable): the next run repeats it. Read /aws/lambda/${WATCH_FUNCTION_NAME}.`,
      metric: this.function.metricErrors({ statistic: 'Sum', period }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    notify(this.errorsAlarm, props.alarmTopic);
  }

  private acknowledgeWildcards(stack: Stack, props: StreamWatchProps): void {
    const region = stack.region;
    const pattern = (resourceName: string) => `arn:<AWS::Partition>:dynamodb:${region}:*:table/${resourceName}`;
    const acks: [string, string][] = [
      [pattern('*'), 'DescribeTable on every table of the region, any account: a listed ARN per source would pass IAM\'s 10,240-character inline-policy limit. Cross-account it also needs the table policy statement the source stacks add (this role only); DescribeTable reads metadata, never items.'],
      [pattern('*/stream/*'), 'DescribeStream on every stream of the region, any account, for the same reason; cross-account it also needs the stream policy statement naming this role. No GetRecords: the watch never reads changes.'],
      ['*', 'lambda:ListEventSourceMappings has no resource type in Lambda\'s action table; the watch lists the collector\'s mappings only (FunctionName).'],
      [nagResourceText(stack, deliveryStreamPatternArn(stack)), 'The delivery streams after the first, by their fixed name prefix, as the collector: one entry whatever the stream count; PutRecordBatch only.'],
      [nagResourceText(stack, props.overflowBucket.arnForObjects(`${OVERFLOW_PREFIX}*`)), 'The sink writes a record too large for Firehose as its own object under the overflow prefix, named at run time; PutObject only.'],
      [nagResourceText(stack, this.stateBucket.arnForObjects('watch/*')), "The watch's own state object(s) under watch/ in its own bucket."],
    ];
    for (const [resource, reason] of acks) Validations.of(this.policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}

/** A fresh folder holding the source list at the layer path; its content alone decides the asset hash. */
function watchSourcesDirectory(streamArns: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-watch-sources-'));
  mkdirSync(join(dir, 'ddb-audit'));
  writeFileSync(join(dir, WATCH_SOURCES_LAYER_PATH), JSON.stringify(streamArns));
  return dir;
}

/** As PipelineAlarms.notify: the topic hears both the alarm and its return to OK. */
function notify(alarm: cloudwatch.Alarm, topic: sns.ITopic): void {
  alarm.addAlarmAction(new actions.SnsAction(topic));
  alarm.addOkAction(new actions.SnsAction(topic));
}
