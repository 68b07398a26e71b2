/**
 * The collector Lambda: DynamoDB stream batch in, change records to Firehose, partial batch response out.
 * A thin adapter over lambda/core/process-batch.ts. Clients, logger and configuration are set up once
 * per execution environment, and a missing environment variable fails the cold start with its name.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { processBatch, BatchResponse } from '../core/process-batch';
import { readCollectorEnvironment } from '../core/collector-environment';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../core/telemetry';

// Read once per execution environment, the per-source options file included (its parse cost is in docs/scale-and-cost.md).
const config = readCollectorEnvironment(process.env);
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const firehose = new FirehoseClient({});
// A custom S3 endpoint (the local pipeline's) serves buckets by path, not by virtual host.
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });

export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<BatchResponse> {
  logger.addContext(context);
  try {
    const outcome = await processBatch(
      event,
      {
        clients: { firehose, s3 },
        sink: { deliveryStreamName: config.deliveryStreamName, packing: config.packing, overflowBucket: config.overflowBucket, overflowPrefix: config.overflowPrefix },
        deliveryStreamNames: config.deliveryStreamNames,
        sourceOptions: config.sourceOptions,
        logger,
        metrics: { addMetric: (name, unit, value) => metrics.addMetric(name, unit, value) },
      },
      () => context.getRemainingTimeInMillis(),
    );
    return outcome.response;
  } finally {
    metrics.publishStoredMetrics();
  }
}
