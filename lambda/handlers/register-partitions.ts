/**
 * The partition-registration Lambda, fed by an SQS queue of S3 "Object Created" events for
 * changes/: parse, call the pure core (lambda/partitions/partition-events.ts), report failed
 * messages as an SQS partial batch response so only they are retried and, at last, dead-lettered.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readPartitionSettings } from '../partitions/environment';
import { gluePartitionCatalog } from '../partitions/glue-catalog';
import { KnownPartitions, processPartitionBatch } from '../partitions/partition-events';

const settings = readPartitionSettings(process.env);
const logger = new Logger({ serviceName: 'ddb-audit-partitions' });
// The SDK's standard retry mode retries throttling and 5xx; what still fails goes back to SQS.
const catalog = gluePartitionCatalog(new GlueClient({}), settings);
// Lives as long as this instance: a partition already registered costs no Glue call here again.
const known = new KnownPartitions();

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const result = await processPartitionBatch(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    { settings, catalog, known, logger: { info: (m, f) => logger.info(m, f), error: (m, f) => logger.error(m, f) } },
  );
  logger.info('partition batch done', { ...result.outcomes });
  return { batchItemFailures: result.batchItemFailures };
}
