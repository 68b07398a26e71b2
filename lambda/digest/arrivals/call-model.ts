/**
 * How many requests an hourly digest run makes, modelled: the figure `npm run scale` reports as
 * digest_list_calls_per_hour_at_1m_objects, and what test/unit/digest-arrivals.unit.test.ts counts on
 * a mocked client. Pure arithmetic from the code's own constants, so the model moves with the code.
 *
 * With the arrivals ledger (deployed):
 *   - ListObjectsV2: one per recent day folder of digests/ (RECENT_DIGEST_DAYS; a day folder holds
 *     48 keys, under the 1,000 a page returns), whatever the size of the log;
 *   - DynamoDB Query: one per ledger partition read (3), plus one per further MB of arrivals, and one
 *     DescribeTable (the ledger's start);
 *   - GetObject: one per arrival (it hashes the object and reports LastModified and retention), plus
 *     the digests of the lookback (covered keys), the newest digest and its signature, the public key;
 *   - PutObject: the digest and its signature.
 * Without it (the listing design, and `ddb-audit log digest` on a local folder): one ListObjectsV2 per
 * 1,000 objects of the whole log, every hour.
 */
import { LOOKBACK_HOURS } from '../digest-format';
import { RECENT_DIGEST_DAYS } from '../write-digests';
import { ledgerHoursForDigest } from './arrival-ledger';

/** S3 returns at most 1,000 keys per ListObjectsV2 page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). */
export const LIST_PAGE_KEYS = 1000;
/** A DynamoDB Query returns at most 1 MB per page (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html). */
export const QUERY_PAGE_BYTES = 1024 * 1024;
/** A ledger item's size, generously: an object key of about 150 bytes, two timestamps, source, TTL. */
export const LEDGER_ITEM_BYTES = 300;

export interface DigestRunCalls {
  readonly listObjects: number;
  readonly getObject: number;
  readonly putObject: number;
  readonly ledgerQueries: number;
  /** DescribeTable: the ledger's creation time, once a run. */
  readonly ledgerDescribeTable: number;
}

/** Requests of one hourly run that digests one hour, with the arrivals ledger. */
export function digestCallsPerHour(objectsPerHour: number): DigestRunCalls {
  const partitions = ledgerHoursForDigest(0).length;
  const pagesPerPartition = Math.max(1, Math.ceil((objectsPerHour * LEDGER_ITEM_BYTES) / QUERY_PAGE_BYTES));
  return {
    listObjects: RECENT_DIGEST_DAYS,
    // Each arrival once; the lookback's digests (covered keys); the newest digest and its signature,
    // checked before extending the chain; the public key, published once.
    getObject: objectsPerHour + LOOKBACK_HOURS + 3,
    putObject: 2,
    ledgerQueries: partitions * pagesPerPartition,
    ledgerDescribeTable: 1,
  };
}

/**
 * ListObjectsV2 calls per hourly digest with the arrivals ledger: constant in the size of the log
 * (`objectsInLog` is taken to show it does not enter), a few day folders of digests/.
 */
export function digestListCallsPerHour(objectsInLog: number, objectsPerHour: number): number {
  if (!(objectsInLog >= 0) || !(objectsPerHour >= 0)) throw new Error(`digestListCallsPerHour: counts must be non-negative numbers, got ${objectsInLog} and ${objectsPerHour}`);
  return digestCallsPerHour(objectsPerHour).listObjects;
}

/** ListObjectsV2 calls per hourly digest when changes/ is listed every hour (the design before the ledger, and local folders). */
export function listingDigestListCallsPerHour(objectsInLog: number): number {
  return Math.max(1, Math.ceil(objectsInLog / LIST_PAGE_KEYS)) + RECENT_DIGEST_DAYS;
}
