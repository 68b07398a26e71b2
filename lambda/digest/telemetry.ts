/**
 * Names shared by the digest Lambda's metrics and logs and the alarms that watch them
 * (lib/constructs/digest.ts): one definition, so renaming a metric moves both sides.
 */
import { METRICS_NAMESPACE } from '../core/telemetry';

export const DIGEST_METRICS_NAMESPACE = METRICS_NAMESPACE;
export const DIGEST_SERVICE_NAME = 'ddb-audit-digest';
/** Service name of the daily reconciliation's logs and metrics (its alarm's dimension). */
export const RECONCILE_SERVICE_NAME = 'ddb-audit-digest-reconcile';

export const DIGEST_METRIC = {
  /** Digests written by one run (normally 1 an hour). */
  digestsWritten: 'DigestsWritten',
  /**
   * Hours that were due but still had no digest when the run ended; 0 when caught up. The
   * missed-hour alarm fires on any value above 0 and on no value at all (no run in the hour).
   */
  undigestedHours: 'UndigestedHours',
  /** Change-log objects listed by the digests written. */
  objectsDigested: 'ObjectsDigested',
  /** Objects listed late (delivered before the hour of the digest that lists them). */
  lateObjects: 'LateObjects',
  /**
   * Digests an earlier run wrote but did not sign (it died between the two writes), which this run
   * checked and signed so the chain went on. Normally 0; any other value means a run failed midway.
   */
  signaturesRecovered: 'SignaturesRecovered',
  /** Objects the digests written listed without Object Lock retention (verify reports each as unlocked-object). */
  unlockedObjects: 'UnlockedObjects',
  /**
   * Keys the arrivals ledger named but S3 did not have when the digest ran: an object deleted before
   * it was digested (the bucket policy denies deletes), or an item nobody should have written. Normally 0.
   */
  vanishedArrivals: 'VanishedArrivals',
  /** Objects the daily reconciliation found in S3 Inventory that no digest lists and the ledger did not name (an event lost). Normally 0. */
  reconciledObjects: 'ReconciledObjects',
} as const;

/** Log message of a run that signed a digest an earlier run left unsigned. */
export const DIGEST_SIGNATURE_RECOVERED_LOG_MESSAGE = 'DIGEST_SIGNATURE_RECOVERED';

/** Log message of a run that failed; the chain is not extended until the cause is fixed. */
export const DIGEST_FAILURE_LOG_MESSAGE = 'DIGEST_FAILURE';

/** Environment variables the digest Lambda reads (set by the ChangeLogDigest construct). */
export const DIGEST_ENV = {
  bucket: 'CHANGE_LOG_BUCKET',
  signingKeyId: 'DIGEST_SIGNING_KEY_ID',
  /** The arrivals ledger table (lambda/digest/arrivals/dynamodb-ledger.ts). */
  arrivalsTable: 'DIGEST_ARRIVALS_TABLE',
} as const;

/** Log message of a run whose ledger named objects that do not exist. */
export const DIGEST_VANISHED_ARRIVALS_LOG_MESSAGE = 'DIGEST_VANISHED_ARRIVALS';
