/**
 * The retention Lambda (config retention.apply = "per-object"), fed by an SQS queue of S3 "Object
 * Created" events: parse, call the pure core (lambda/retention/apply-retention.ts), report failed
 * messages as an SQS partial batch response so only they are retried and, at last, dead-lettered.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processRetentionBatch } from '../retention/apply-retention';
import { readRetentionSettings } from '../retention/environment';
import { s3RetentionStore } from '../retention/s3-retention';

const settings = readRetentionSettings(process.env);
const logger = new Logger({ serviceName: 'ddb-audit-retention' });
const store = s3RetentionStore(new S3Client({}));

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const result = await processRetentionBatch(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    { settings, store, logger: { info: (m, f) => logger.info(m, f), error: (m, f) => logger.error(m, f) } },
  );
  logger.info('retention batch done', { ...result.outcomes });
  return { batchItemFailures: result.batchItemFailures };
}
