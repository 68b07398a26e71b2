/**
 * The digest Lambda, run hourly by EventBridge: writes every due hourly digest of the change log
 * (lambda/digest/write-digests.ts) to S3, signed with the KMS asymmetric key. It learns which objects
 * arrived from the arrivals ledger (DynamoDB, lambda/digest/arrivals/), so its work follows the hour. Clients and the
 * signer are set up once per execution environment; a missing environment variable fails the
 * cold start with its name. A digest is never overwritten (conditional put), so overlapping runs
 * cannot fork the chain; a digest a failed run left unsigned is checked and signed by the next run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DynamoDbArrivalLedger } from '../digest/arrivals/dynamodb-ledger';
import { kmsSigner } from '../digest/kms-signer';
import { S3Store } from '../digest/s3-store';
import type { Signer } from '../digest/signing';
import { DIGEST_ENV, DIGEST_FAILURE_LOG_MESSAGE, DIGEST_METRIC, DIGEST_METRICS_NAMESPACE, DIGEST_SERVICE_NAME, DIGEST_SIGNATURE_RECOVERED_LOG_MESSAGE, DIGEST_VANISHED_ARRIVALS_LOG_MESSAGE } from '../digest/telemetry';
import { writeDueDigests } from '../digest/write-digests';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const bucket = requireEnv(DIGEST_ENV.bucket);
const signingKeyId = requireEnv(DIGEST_ENV.signingKeyId);
const arrivalsTable = requireEnv(DIGEST_ENV.arrivalsTable);
const logger = new Logger({ serviceName: DIGEST_SERVICE_NAME });
const metrics = new Metrics({ namespace: DIGEST_METRICS_NAMESPACE, serviceName: DIGEST_SERVICE_NAME });
const s3 = new S3Client({});
const kms = new KMSClient({});
const arrivals = new DynamoDbArrivalLedger(new DynamoDBClient({}), arrivalsTable);
let signer: Promise<Signer> | undefined;

/** Leave this much of the timeout to finish the hour in progress and publish metrics. */
const SAFETY_MARGIN_MS = 120_000;

export async function handler(_event: unknown, context: Context): Promise<{ written: number; undigestedHours: number; recoveredSignatures: string[] }> {
  logger.addContext(context);
  try {
    signer ??= kmsSigner(kms, signingKeyId);
    const result = await writeDueDigests({
      store: new S3Store(s3, bucket),
      signer: await signer,
      now: new Date(),
      deadlineMs: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      arrivals,
    });
    const objects = result.written.reduce((n, w) => n + w.objects, 0);
    const late = result.written.reduce((n, w) => n + w.lateObjects, 0);
    metrics.addMetric(DIGEST_METRIC.digestsWritten, MetricUnit.Count, result.written.length);
    metrics.addMetric(DIGEST_METRIC.undigestedHours, MetricUnit.Count, result.undigestedHours);
    metrics.addMetric(DIGEST_METRIC.objectsDigested, MetricUnit.Count, objects);
    metrics.addMetric(DIGEST_METRIC.lateObjects, MetricUnit.Count, late);
    metrics.addMetric(DIGEST_METRIC.signaturesRecovered, MetricUnit.Count, result.recoveredSignatures.length);
    metrics.addMetric(DIGEST_METRIC.unlockedObjects, MetricUnit.Count, result.written.reduce((n, w) => n + w.unlockedObjects, 0));
    metrics.addMetric(DIGEST_METRIC.vanishedArrivals, MetricUnit.Count, result.vanishedArrivals.length);
    if (result.vanishedArrivals.length > 0) {
      logger.warn(DIGEST_VANISHED_ARRIVALS_LOG_MESSAGE, { bucket, keys: result.vanishedArrivals.slice(0, 100), count: result.vanishedArrivals.length, reason: 'the arrivals ledger names these objects but S3 does not have them' });
    }
    if (result.recoveredSignatures.length > 0) {
      logger.warn(DIGEST_SIGNATURE_RECOVERED_LOG_MESSAGE, { bucket, recoveredSignatures: result.recoveredSignatures, reason: 'an earlier run wrote these digests but not their signatures; checked and signed now' });
    }
    logger.info('digests written', { bucket, written: result.written, undigestedHours: result.undigestedHours, latestDigestKey: result.latestDigestKey, publicKeySha256: result.publicKeySha256, recoveredSignatures: result.recoveredSignatures, candidates: result.candidates });
    return { written: result.written.length, undigestedHours: result.undigestedHours, recoveredSignatures: result.recoveredSignatures };
  } catch (err) {
    signer = undefined;
    logger.error(DIGEST_FAILURE_LOG_MESSAGE, { bucket, error: err as Error });
    throw err;
  } finally {
    metrics.publishStoredMetrics();
  }
}
