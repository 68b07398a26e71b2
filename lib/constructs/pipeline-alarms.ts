/**
 * Alarms on every way the pipeline can lose or delay changes, all to one KMS-encrypted SNS topic.
 *
 * Who may publish. With enforceSSL the topic policy holds only a Deny, and that replaces SNS's
 * default policy, so every publisher is allowed here explicitly, on the topic and on its key:
 *   - CloudWatch alarms named ddb-audit-*, conditioned on aws:SourceAccount and aws:SourceArn
 *     (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html, "Allow any
 *     CloudWatch alarm ..."; key use: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html,
 *     "Enable compatibility between event sources from AWS services and encrypted topics");
 *   - each EventBridge rule that targets the topic, by its ARN (aws:SourceArn), with no RoleArn on the
 *     target (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 * Whether EventBridge presents aws:SourceArn to KMS for an encrypted topic is not shown by any
 * test here. So each such rule also gets an alarm on its FailedInvocations, which reaches the topic
 * through CloudWatch, the other path: a rule that cannot publish is reported, not silent.
 *
 * Lambda documents IteratorAge with the FunctionName dimension only (no per-mapping dimension was
 * found), and an alarm on a dimension that never reports stays silent forever; so the iterator-age
 * alarm watches the function, which is the oldest record across every mapping.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DELIVERY_FAILURE_LOG_MESSAGE, METRIC, METRICS_NAMESPACE, NORMALIZATION_ERROR_LOG_MESSAGE, REDACT_PATH_ON_KEY_LOG_MESSAGE, SERVICE_NAME } from '../../lambda/core/telemetry';
import { ResourcePolicyTarget, RULE_NAME_PREFIX, ruleArnFromName } from './rule-targets';

/** Every alarm's name starts with this: the topic lets CloudWatch publish for alarm:ddb-audit-* only. */
export const ALARM_NAME_PREFIX = 'ddb-audit-';

/** Fixed name of the rule that announces failure-bucket objects (its ARN is named in the key policy). */
export const FAILURE_OBJECT_RULE_NAME = `${RULE_NAME_PREFIX}failure-object-created`;

/** Metric-filter metrics (no dimensions) counting the collector's error log lines. */
export const LOG_METRIC = {
  normalizationErrors: 'NormalizationErrorLogEvents',
  deliveryFailures: 'DeliveryFailureLogEvents',
} as const;

export interface PipelineAlarmsProps {
  /** Encrypts the topic; its policy gets the publishers' statements, so it must be a key of this stack. */
  readonly key: kms.Key;
  /** Subscribed by e-mail when given. */
  readonly alarmEmail?: string;
  readonly collector: lambda.IFunction;
  readonly collectorLogGroup: logs.ILogGroup;
  /** Every delivery stream, stream 0 first; each gets the same four alarms (constant per stream). */
  readonly deliveryStreams: readonly firehose.IDeliveryStream[];
  /** Used to set a freshness threshold the buffer alone cannot cross. */
  readonly bufferIntervalSeconds: number;
  readonly failureBucket: s3.IBucket;
  /**
   * IteratorAge above this means the log is falling behind the source tables.
   * @default Duration.minutes(10)
   */
  readonly maxIteratorAge?: Duration;
}

export class PipelineAlarms extends Construct {
  public readonly topic: sns.Topic;
  /** The audit key, which encrypts the topic. */
  public readonly key: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Fires on every object the event source mappings write to the failure bucket. */
  public readonly failureObjectRule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'ddb-audit alarms', masterKey: props.key, enforceSSL: true });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.key = props.key;
    this.allowCloudWatchAlarms();

    const fiveMinutes = Duration.minutes(5);
    const fn = props.collector;

    this.add('CollectorIteratorAge', {
      alarmDescription: 'The collector is falling behind its DynamoDB streams (oldest record age across all mappings). Records expire after 24 h.',
      metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: fiveMinutes }),
      threshold: (props.maxIteratorAge ?? Duration.minutes(10)).toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    this.add('CollectorErrors', {
      alarmDescription: 'Collector invocations failed as a whole; the mapping retries the batch, then sends it to the failure bucket.',
      metric: fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
    });
    this.add('CollectorThrottles', {
      alarmDescription: 'Collector invocations were throttled (account concurrency); the streams fall behind.',
      metric: fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
    });
    // The on-failure destination is the last copy of a discarded batch: a failed write to it (e.g. a
    // bucket policy that does not see the collector role as the writer) must not pass in silence.
    // Lambda "sends a DestinationDeliveryFailures metric" when it cannot deliver a record to a destination,
    // permission errors included (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
    // the metrics page lists it for asynchronous invocation and supported event source mappings
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). Not seen for a stream mapping here.
    this.add('CollectorDestinationDeliveryFailures', {
      alarmDescription: 'Lambda could not write a discarded batch to the failure bucket: those changes are neither in the log nor kept for replay. Check the failure bucket policy and the collector role (docs/deploy.md).',
      metric: fn.metric('DestinationDeliveryFailures', { statistic: 'Sum', period: fiveMinutes }),
      threshold: 1,
    });
    this.add('CollectorNormalizationErrors', {
      alarmDescription: `Stream records could not be normalized (log message ${NORMALIZATION_ERROR_LOG_MESSAGE}); they were delivered as error records with raw_record set.`,
      metric: this.logMetric(props.collectorLogGroup, 'NormalizationErrors', NORMALIZATION_ERROR_LOG_MESSAGE, LOG_METRIC.normalizationErrors),
      threshold: 1,
    });
    this.add('CollectorDeliveryFailures', {
      alarmDescription: `Batches ended with undelivered changes (log message ${DELIVERY_FAILURE_LOG_MESSAGE}); the mapping retries from the earliest one.`,
      metric: this.logMetric(props.collectorLogGroup, 'DeliveryFailures', DELIVERY_FAILURE_LOG_MESSAGE, LOG_METRIC.deliveryFailures),
      threshold: 1,
    });
    this.add('CollectorRedactPathOnKey', {
      alarmDescription: `A configured redact path names a key attribute (log message ${REDACT_PATH_ON_KEY_LOG_MESSAGE}); keys are never redacted, so it is not applied. Remove the path from the config.`,
      // The collector's EMF metric (Powertools adds the service dimension), as the dashboard reads it.
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: METRIC.redactPathsOnKeyAttributes, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: fiveMinutes }),
      threshold: 1,
    });
    // Stream 0's alarms keep their ids and names; stream i's end in -i. Constant per stream.
    props.deliveryStreams.forEach((stream, i) => {
      const suffix = i === 0 ? '' : `-${i}`;
      const of = i === 0 ? '' : `Delivery stream ${i}: `;
      this.add(`FirehoseDataFreshness${suffix}`, {
        alarmDescription: of + 'The oldest change in Firehose has waited well past the buffer interval to reach S3.',
        metric: stream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period: fiveMinutes }),
        threshold: props.bufferIntervalSeconds + 600,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
      });
      this.add(`FirehoseS3DeliveryFailing${suffix}`, {
        alarmDescription: of + 'Firehose could not write to the change-log bucket (KMS, bucket policy or Object Lock); it retries for 24 h.',
        metric: stream.metric('DeliveryToS3.Success', { statistic: 'Minimum', period: fiveMinutes }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
      this.add(`FirehoseFailedConversions${suffix}`, {
        alarmDescription: of + 'Change records failed Parquet conversion and went to the errors/ prefix instead of the log.',
        metric: stream.metric('FailedConversion.Records', { statistic: 'Sum', period: fiveMinutes }),
        threshold: 1,
      });
      this.add(`FirehosePartitionCountExceeded${suffix}`, {
        alarmDescription: of + 'Firehose exceeded its active-partition quota; records over the quota go to the errors/ prefix. Ask for a higher quota.',
        metric: stream.metric('PartitionCountExceeded', { statistic: 'Maximum', period: fiveMinutes }),
        threshold: 1,
      });
    });

    // Any object in the failure bucket is a discarded batch: changes that are not in the log.
    this.failureObjectRule = new events.Rule(this, 'FailureObjectCreated', {
      ruleName: FAILURE_OBJECT_RULE_NAME,
      description: 'ddb-audit: an event source mapping discarded a batch (object written to the failure bucket)',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.failureBucket.bucketName] } },
      },
    });
    this.publishFromRule(
      this.failureObjectRule,
      FAILURE_OBJECT_RULE_NAME,
      events.RuleTargetInput.fromText(
        `ddb-audit: an event source mapping discarded a batch. Its invocation record is s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')}. Replay it (see the runbook): these changes are not in the log.`,
      ),
    );
    this.alarmOnFailedInvocations('FailureObjectRuleFailedInvocations', FAILURE_OBJECT_RULE_NAME, 'The failure-bucket rule could not deliver its alert to the alarm topic: discarded batches are not being announced. Check the topic and key policies (docs/deploy.md).');
  }

  /**
   * Sends a rule's matches to the alarm topic: the topic policy and the key policy allow
   * events.amazonaws.com for exactly this rule (aws:SourceArn), and the target has no RoleArn.
   * @param ruleName the rule's fixed name (its ARN must be known without a token, see ./rule-targets.ts)
   */
  public publishFromRule(rule: events.Rule, ruleName: string, message: events.RuleTargetInput): void {
    const sourceArn = ruleArnFromName(this, ruleName);
    const condition = { ArnEquals: { 'aws:SourceArn': sourceArn } };
    const sid = `Rule${ruleName.replace(/[^A-Za-z0-9]/g, '')}`;
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${sid}Publishes`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: condition,
      }),
    );
    this.allowOnKey(`${sid}UsesAlarmTopicKey`, 'events.amazonaws.com', condition);
    rule.addTarget(new ResourcePolicyTarget(this.topic.topicArn, message));
  }

  /**
   * An alarm on a rule's FailedInvocations (AWS/Events, RuleName dimension; EventBridge sends it only
   * when it is not zero, so no data is no failure): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public alarmOnFailedInvocations(id: string, ruleName: string, description: string): cloudwatch.Alarm {
    return this.add(id, {
      alarmDescription: description,
      metric: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: ruleName }, statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 1,
    });
  }

  /** Sends an alarm's ALARM and OK transitions to the topic; its name must start with ALARM_NAME_PREFIX. */
  public notify(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }

  private allowCloudWatchAlarms(): void {
    const { account, region, partition } = Stack.of(this);
    const conditions = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${ALARM_NAME_PREFIX}*` },
    };
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions,
      }),
    );
    this.allowOnKey('CloudWatchAlarmsUseAlarmTopicKey', 'cloudwatch.amazonaws.com', conditions);
  }

  /** kms:Decrypt + kms:GenerateDataKey*, what SNS documents for a publisher to an encrypted topic. */
  private allowOnKey(sid: string, service: string, conditions: Record<string, Record<string, string>>): void {
    const added = this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions,
      }),
    );
    if (!added.statementAdded) throw new Error(`PipelineAlarms: could not add ${sid} to the alarm topic's key policy; pass a key created in this stack`);
  }

  private add(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator'> & Partial<Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator'>>): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${ALARM_NAME_PREFIX}${id}`,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened (no traffic, no errors), not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    this.notify(alarm);
    return alarm;
  }

  private logMetric(logGroup: logs.ILogGroup, id: string, message: string, metricName: string): cloudwatch.IMetric {
    const filter = new logs.MetricFilter(this, `${id}Filter`, {
      logGroup,
      // Powertools writes one JSON object per line with the message under "message".
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', message),
      metricNamespace: METRICS_NAMESPACE,
      metricName,
      metricValue: '1',
    });
    return filter.metric({ statistic: 'Sum', period: Duration.minutes(5) });
  }
}
