/**
 * Each delivery stream is ACTIVE and has delivered to S3 in the last hour without failures.
 *
 * DescribeDeliveryStream's DeliveryStreamStatus is CREATING | CREATING_FAILED | DELETING |
 * DELETING_FAILED | ACTIVE (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamDescription.html).
 * DeliveryToS3.Success is "the sum of successful Amazon S3 put commands over the sum of all Amazon
 * S3 put commands" in namespace AWS/Firehose, dimension DeliveryStreamName
 * (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html): its
 * Minimum below 1 means some puts failed, and no datapoint at all means no delivery was attempted.
 * With the heartbeat on, a delivery is due every buffer interval, so an hour without one is a FAIL;
 * without the heartbeat a quiet hour can be real, so it is a WARN.
 */
import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { notChecked, onError } from './common';

const HOUR_MS = 3_600_000;
/** The metric's period; Firehose publishes S3 delivery metrics per delivery, aggregated here per 5 minutes. */
const PERIOD_SECONDS = 300;
const MAX_QUERIES_PER_CALL = 500;

async function streamStatusLine(context: DoctorContext, name: string): Promise<CheckLine> {
  const what = `delivery stream ${name}`;
  try {
    const reply = await context.clients.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    const status = reply.DeliveryStreamDescription?.DeliveryStreamStatus;
    if (status === 'ACTIVE') return { status: 'PASS', check: 'delivery', what: `${what} ACTIVE` };
    return { status: 'FAIL', check: 'delivery', what, detail: `is ${status ?? 'of unknown status'}, not ACTIVE: the collector cannot deliver`, fix: status === 'CREATING' ? 'wait for the deploy to finish' : `cdk deploy DdbAuditCollector; ${runbook('delivery')}` };
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return { status: 'FAIL', check: 'delivery', what, detail: 'does not exist', fix: `cdk deploy DdbAuditCollector; ${runbook('delivery')}` };
    return onError('delivery', what, err, 'firehose:DescribeDeliveryStream');
  }
}

async function successLines(context: DoctorContext, names: readonly string[]): Promise<CheckLine[]> {
  const end = new Date(Math.floor(context.now.getTime() / 60_000) * 60_000);
  const start = new Date(end.getTime() - HOUR_MS);
  const results: MetricDataResult[] = [];
  try {
    // One query per stream, up to 500 queries per call (the GetMetricData limit,
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
    for (let first = 0; first < names.length; first += MAX_QUERIES_PER_CALL) {
      const reply = await context.clients.cloudWatch.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: names.slice(first, first + MAX_QUERIES_PER_CALL).map((name, j) => ({
            Id: `s${first + j}`,
            MetricStat: { Metric: { Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.Success', Dimensions: [{ Name: 'DeliveryStreamName', Value: name }] }, Period: PERIOD_SECONDS, Stat: 'Minimum' },
            ReturnData: true,
          })),
        }),
      );
      results.push(...(reply.MetricDataResults ?? []));
    }
  } catch (err) {
    return [onError('delivery', 'DeliveryToS3.Success in the last hour', err, 'cloudwatch:GetMetricData')];
  }
  const heartbeatOn = typeof context.state.deployment.heartbeatTable === 'string';
  return names.map((name, i): CheckLine => {
    const what = `delivery stream ${name} delivered to S3 in the last hour`;
    const values = results.find((r) => r.Id === `s${i}`)?.Values ?? [];
    if (values.length === 0) {
      return heartbeatOn
        ? { status: 'FAIL', check: 'delivery', what, detail: 'no DeliveryToS3.Success datapoint: nothing was delivered, although the heartbeat writes every 5 minutes', fix: runbook('delivery') }
        : { status: 'WARN', check: 'delivery', what, detail: 'no DeliveryToS3.Success datapoint: nothing was delivered (with the heartbeat disabled, a quiet hour cannot be told from a broken pipeline)', fix: 'enable the heartbeat (config heartbeat.enabled)' };
    }
    const lowest = Math.min(...values);
    if (lowest < 1) return { status: 'FAIL', check: 'delivery', what, detail: `some S3 puts failed (lowest DeliveryToS3.Success ${lowest}); Firehose retries for 24 hours, then writes to errors/`, fix: `read the stream's destination error logs (KMS key policy, bucket policy, Object Lock); ${runbook('delivery')}` };
    return { status: 'PASS', check: 'delivery', what, detail: `${values.length} five-minute periods with deliveries, all successful` };
  });
}

export const deliveryCheck: DoctorCheck = {
  id: 'delivery',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const names = context.state.deployment.deliveryStreams;
    if (names === undefined) return [notChecked('delivery', 'delivery streams', 'DeliveryStreamNames')];
    const status = await Promise.all(names.map((name) => streamStatusLine(context, name)));
    return [...status, ...(await successLines(context, names))];
  },
};
