/**
 * Alarms on every way the pipeline can lose or delay changes, all to one KMS-encrypted SNS topic.
 *
 * Lambda documents IteratorAge with the FunctionName dimension only (no per-mapping dimension was
 * found), and an alarm on a dimension that never reports stays silent forever; so the iterator-age
 * alarm watches the function, which is the oldest record across every mapping.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
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

/** Metric-filter metrics (no dimensions) counting the collector's error log lines. */
export const LOG_METRIC = {
  normalizationErrors: 'NormalizationErrorLogEvents',
  deliveryFailures: 'DeliveryFailureLogEvents',
} as const;

export interface PipelineAlarmsProps {
  readonly key: kms.IKey;
  /** Subscribed by e-mail when given. */
  readonly alarmEmail?: string;
  readonly collector: lambda.IFunction;
  readonly collectorLogGroup: logs.ILogGroup;
  readonly deliveryStream: firehose.IDeliveryStream;
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
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Fires on every object the event source mappings write to the failure bucket. */
  public readonly failureObjectRule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'ddb-audit alarms', masterKey: props.key, enforceSSL: true });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const fn = props.collector;
    const stream = props.deliveryStream;

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
    this.add('FirehoseDataFreshness', {
      alarmDescription: 'The oldest change in Firehose has waited well past the buffer interval to reach S3.',
      metric: stream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period: fiveMinutes }),
      threshold: props.bufferIntervalSeconds + 600,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    this.add('FirehoseS3DeliveryFailing', {
      alarmDescription: 'Firehose could not write to the change-log bucket (KMS, bucket policy or Object Lock); it retries for 24 h.',
      metric: stream.metric('DeliveryToS3.Success', { statistic: 'Minimum', period: fiveMinutes }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    this.add('FirehoseFailedConversions', {
      alarmDescription: 'Change records failed Parquet conversion and went to the errors/ prefix instead of the log.',
      metric: stream.metric('FailedConversion.Records', { statistic: 'Sum', period: fiveMinutes }),
      threshold: 1,
    });
    this.add('FirehosePartitionCountExceeded', {
      alarmDescription: 'Firehose exceeded its active-partition quota; records over the quota go to the errors/ prefix. Ask for a higher quota.',
      metric: stream.metric('PartitionCountExceeded', { statistic: 'Maximum', period: fiveMinutes }),
      threshold: 1,
    });

    // Any object in the failure bucket is a discarded batch: changes that are not in the log.
    this.failureObjectRule = new events.Rule(this, 'FailureObjectCreated', {
      description: 'ddb-audit: an event source mapping discarded a batch (object written to the failure bucket)',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.failureBucket.bucketName] } },
      },
    });
    // EventBridge publishes through a role of this account's, not a topic policy that would let the
    // events service principal publish for any account's rule (forged alarms to the security team).
    const publisher = new iam.Role(this, 'FailureAlertPublisher', {
      description: 'ddb-audit: lets the failure-object rule publish to the alarm topic',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
    });
    this.topic.grantPublish(publisher);
    Validations.of(publisher).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Topic.grantPublish adds kms:GenerateDataKey* on the one audit key that encrypts the alarm topic: SNS needs that action family to encrypt what is published.',
    });
    this.failureObjectRule.addTarget(
      new targets.SnsTopic(this.topic, {
        role: publisher,
        message: events.RuleTargetInput.fromText(
          `ddb-audit: an event source mapping discarded a batch. Its invocation record is s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')}. Replay it (see the runbook): these changes are not in the log.`,
        ),
      }),
    );
  }

  private add(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator'> & Partial<Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator'>>): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `ddb-audit-${id}`,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened (no traffic, no errors), not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
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
