/**
 * The digest arrivals Lambda, fed by an SQS queue of S3 "Object Created" events for changes/:
 * records each object in the arrivals ledger (lambda/digest/arrivals/record-arrivals.ts), and reports
 * failed messages as an SQS partial batch response so only they are retried and, at last, dead-lettered.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbArrivalLedger } from '../digest/arrivals/dynamodb-ledger';
import { readArrivalsEnvironment } from '../digest/arrivals/environment';
import { recordArrivalBatch } from '../digest/arrivals/record-arrivals';

const env = readArrivalsEnvironment(process.env);
const logger = new Logger({ serviceName: 'ddb-audit-digest-arrivals' });
const ledger = new DynamoDbArrivalLedger(new DynamoDBClient({}), env.table);

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const result = await recordArrivalBatch(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    { bucket: env.bucket, ledger, logger: { error: (m, f) => logger.error(m, f) } },
  );
  logger.info('arrivals recorded', { recorded: result.recorded, failed: result.failed });
  return { batchItemFailures: result.batchItemFailures };
}
