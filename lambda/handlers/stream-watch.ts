/**
 * The stream-lifecycle watch Lambda, run on a schedule: a thin adapter over lambda/watch/run-watch.ts.
 * Clients, logger and configuration are set up once per execution environment.
 * The SDK's own retries are off (maxAttempts 1): the watch's limiter and backoff are the one retry
 * policy, so its calls per second are what it counts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { deliverRouted } from '../core/routed-delivery';
import { METRICS_NAMESPACE } from '../core/telemetry';
import { DESCRIBE_STREAM_PER_SECOND } from '../watch/check-sources';
import { rateLimiter, realClock } from '../watch/rate-limit';
import { runWatch, type WatchReport } from '../watch/run-watch';
import { readWatchEnvironment } from '../watch/watch-environment';
import { WATCH_STATE_KEY } from '../watch/watch-state';

const SERVICE = 'ddb-audit-stream-watch';
// Read once per execution environment, the source list file included (lambda/watch/watch-environment.ts).
const config = readWatchEnvironment(process.env);
const logger = new Logger({ serviceName: SERVICE });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });
const dynamodb = new DynamoDBClient({ maxAttempts: 1 });
const streams = new DynamoDBStreamsClient({ maxAttempts: 1 });
const lambda = new LambdaClient({ maxAttempts: 1 });
const firehose = new FirehoseClient({});
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });

export async function handler(event: { time?: string }, context: Context): Promise<Pick<WatchReport, 'checked' | 'healthy'> & { unhealthy: number; unknown: number; gaps: number }> {
  logger.addContext(context);
  const scheduled = Date.parse(event?.time ?? '') || Date.now();
  try {
    const report = await runWatch({
      sources: config.sources,
      clients: { dynamodb, streams, lambda },
      check: {
        collectorFunctionName: config.collectorFunctionName,
        intervalMinutes: config.intervalMinutes,
        maxCallsPerSecond: config.maxCallsPerSecond,
        runIndex: Math.floor(scheduled / (config.intervalMinutes * 60_000)),
        acquire: rateLimiter(config.maxCallsPerSecond),
        acquireDescribeStream: rateLimiter(DESCRIBE_STREAM_PER_SECOND),
        clock: realClock,
      },
      store: {
        load: async () => {
          try {
            const out = await s3.send(new GetObjectCommand({ Bucket: config.stateBucket, Key: WATCH_STATE_KEY }));
            return await out.Body?.transformToString();
          } catch (err) {
            if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
            throw err;
          }
        },
        save: async (text) => {
          await s3.send(new PutObjectCommand({ Bucket: config.stateBucket, Key: WATCH_STATE_KEY, Body: text, ContentType: 'application/json', ChecksumAlgorithm: 'SHA256' }));
        },
      },
      deliver: async (records) => {
        // Each gap record to the stream that carries its table's changes, by the collector's own routing.
        const report = await deliverRouted(
          records,
          config.deliveryStreamNames,
          { firehose, s3 },
          { deliveryStreamName: config.deliveryStreamName, packing: 'single', overflowBucket: config.overflowBucket, overflowPrefix: config.overflowPrefix, remainingTimeMs: () => context.getRemainingTimeInMillis() },
          logger,
        );
        return report.undelivered;
      },
      logger,
      addMetric: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
      now: () => new Date().toISOString(),
    });
    return { checked: report.checked, healthy: report.healthy, unhealthy: report.unhealthy.length, unknown: report.unknown.length, gaps: report.gapRecords.length };
  } finally {
    metrics.publishStoredMetrics();
  }
}
