/**
 * One CloudWatch dashboard that follows a change through the pipeline: stream -> collector ->
 * Firehose -> S3, then the alarms.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/core/telemetry';

export interface PipelineDashboardProps {
  readonly collector: lambda.IFunction;
  /** Every delivery stream, stream 0 first: each graph has one line per stream. */
  readonly deliveryStreams: readonly firehose.IDeliveryStream[];
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly failureObjectRule: events.IRule;
}

const PERIOD = Duration.minutes(5);
/** CloudWatch's limit of alarms in one alarm status widget. */
const ALARMS_PER_STATUS_WIDGET = 100;

export class PipelineDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const fn = props.collector;
    // Powertools EMF metrics carry the service dimension.
    const collectorMetric = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period: PERIOD });
    // One line per stream (a graph holds up to 500 metrics, a dashboard 2,500; see docs/scale-and-cost.md).
    const firehoseMetric = (metricName: string, statistic = 'Sum') =>
      props.deliveryStreams.map((stream, i) => stream.metric(metricName, { statistic, period: PERIOD, label: props.deliveryStreams.length === 1 ? undefined : `${metricName} (stream ${i})` }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'ddb-audit',
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: '## ddb-audit: DynamoDB streams → collector Lambda → Firehose (Parquet) → S3 change log',
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stream lag (IteratorAge, max over all mappings)',
        left: [fn.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD })],
        right: [collectorMetric(METRIC.newestRecordAgeMs, 'Maximum')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Collector invocations',
        left: [fn.metricInvocations({ period: PERIOD }), fn.metricErrors({ period: PERIOD }), fn.metricThrottles({ period: PERIOD })],
        right: [fn.metricDuration({ statistic: 'p99', period: PERIOD })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Changes through the collector',
        left: [
          collectorMetric(METRIC.changesReceived),
          collectorMetric(METRIC.changesDelivered),
          collectorMetric(METRIC.changesFailed),
          collectorMetric(METRIC.entriesRetried),
        ],
        right: [collectorMetric(METRIC.normalizationErrors), collectorMetric(METRIC.oversizeChanges)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Firehose in and out',
        left: [...firehoseMetric('IncomingRecords'), ...firehoseMetric('DeliveryToS3.Records')],
        right: firehoseMetric('ThrottledRecords'),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Firehose freshness (s) and S3 success ratio',
        left: firehoseMetric('DeliveryToS3.DataFreshness', 'Maximum'),
        right: firehoseMetric('DeliveryToS3.Success', 'Minimum'),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Conversion, partitions and discarded batches',
        left: [...firehoseMetric('FailedConversion.Records'), ...firehoseMetric('PartitionCountExceeded', 'Maximum'), ...firehoseMetric('PartitionCount', 'Maximum')],
        right: [
          new cloudwatch.Metric({
            namespace: 'AWS/Events',
            metricName: 'TriggeredRules',
            dimensionsMap: { RuleName: props.failureObjectRule.ruleName },
            statistic: 'Sum',
            period: PERIOD,
            label: 'Discarded batches (failure bucket objects)',
          }),
        ],
        width: 8,
      }),
    );
    // An alarm status widget shows at most 100 alarms, so one widget per hundred.
    for (let i = 0; i < props.alarms.length; i += ALARMS_PER_STATUS_WIDGET) {
      const title = props.alarms.length <= ALARMS_PER_STATUS_WIDGET ? 'Alarms' : `Alarms ${i + 1}-${Math.min(i + ALARMS_PER_STATUS_WIDGET, props.alarms.length)}`;
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title, alarms: props.alarms.slice(i, i + ALARMS_PER_STATUS_WIDGET), width: 24 }));
    }
  }
}
