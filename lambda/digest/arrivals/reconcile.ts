/**
 * The daily reconciliation: finds change-log objects that S3 holds but no digest lists, because
 * their Object Created event was lost (S3 to EventBridge is "durable", at least once, but the rule
 * target, the queue or the arrivals function can still fail for longer than their retries), and
 * records them in the arrivals ledger so the next digest lists them, marked late. Each one found is
 * counted (ReconciledObjects, alarmed): an event was lost, which someone should look at.
 *
 * Source: the newest daily S3 Inventory report of changes/ (./s3-inventory.ts), not a listing:
 *   - it lists objects by LastModified, which S3 sets on arrival, so an object Firehose wrote late
 *     under an old dt= prefix (a backdated record) is found like any other; no dt prefix is trusted;
 *   - it costs a small fee per million objects listed and no ListObjectsV2 calls
 *     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html).
 * Its guarantees, as documented there: a report is produced daily (the first within 48 hours of
 * configuring it) and is eventually consistent, so an object may be missing from one report. So the
 * window is RECONCILE_WINDOW_DAYS of LastModified before the report, checked by each daily run: an
 * object one report missed is in the next. A report older than MAX_INVENTORY_AGE_HOURS fails the
 * run (an alarm), rather than reporting a clean result from nothing.
 *
 * What counts as listed: any digest from the hour of the window's start to the newest, so an object
 * listed late is not reported. Objects in hours not yet digested are left to the digest.
 */
import { CHANGES_PREFIX } from '../../../schemas/partitioning';
import { digestKey, floorHour, HOUR_MS, parseDigest } from '../digest-format';
import type { ObjectStore } from '../store';
import type { ArrivalLedger } from './arrival-ledger';

/** Days of LastModified before the report that each run checks: one missed daily report, and then some. */
export const RECONCILE_WINDOW_DAYS = 3;
/** A newer report than this is expected: S3 Inventory is daily, and the first report comes within 48 hours. */
export const MAX_INVENTORY_AGE_HOURS = 48;

export interface InventoryRow {
  readonly key: string;
  readonly lastModified: Date;
}

export interface ReconcileOptions {
  /** The report's rows (every object of the inventoried prefix). */
  readonly rows: AsyncIterable<InventoryRow>;
  /** When S3 started the report (its manifest's creationTimestamp). */
  readonly reportTime: Date;
  /** The change log, to read its digests. */
  readonly store: ObjectStore;
  readonly ledger: ArrivalLedger;
  readonly now: Date;
  /** @default RECONCILE_WINDOW_DAYS */
  readonly windowDays?: number;
}

export interface ReconcileResult {
  /** Rows inside the window. */
  readonly checked: number;
  /** Objects no digest lists, now recorded in the ledger for the next digest. */
  readonly recorded: string[];
  /** Rows in the window delivered in hours no digest has reached yet (the digest's job, not a finding). */
  readonly notYetDigested: number;
  /** The newest digest read (its hour), or undefined when no digest exists in the window. */
  readonly newestDigestHour?: number;
}

export async function reconcileArrivals(options: ReconcileOptions): Promise<ReconcileResult> {
  const { store, ledger, now, reportTime } = options;
  const ageHours = (now.getTime() - reportTime.getTime()) / HOUR_MS;
  if (!(ageHours <= MAX_INVENTORY_AGE_HOURS)) {
    throw new Error(`the newest S3 Inventory report started ${reportTime.toISOString()}, ${Math.floor(ageHours)} hours ago (more than ${MAX_INVENTORY_AGE_HOURS}); cannot check for lost arrivals until a newer one is delivered`);
  }
  const windowStart = reportTime.getTime() - (options.windowDays ?? RECONCILE_WINDOW_DAYS) * 24 * HOUR_MS;

  // Every key listed by a digest from the window's first hour on; digests of later hours may list window objects late.
  const listed = new Set<string>();
  let newestDigestHour: number | undefined;
  for (let hour = floorHour(windowStart); hour <= floorHour(now.getTime()); hour += HOUR_MS) {
    const bytes = await store.read(digestKey(hour));
    if (!bytes) continue;
    for (const entry of parseDigest(bytes).objects) listed.add(entry.key);
    newestDigestHour = hour;
  }

  let checked = 0;
  let notYetDigested = 0;
  const missing: { key: string; lastModified: Date }[] = [];
  for await (const row of options.rows) {
    const t = row.lastModified.getTime();
    if (!row.key.startsWith(CHANGES_PREFIX) || !(t >= windowStart) || !(t < reportTime.getTime())) continue;
    checked++;
    if (listed.has(row.key)) continue;
    if (newestDigestHour === undefined || t >= newestDigestHour + HOUR_MS) {
      notYetDigested++;
      continue;
    }
    missing.push({ key: row.key, lastModified: row.lastModified });
  }
  if (checked > 0 && newestDigestHour === undefined) {
    throw new Error(`no digest exists from ${new Date(floorHour(windowStart)).toISOString()} on, but the S3 Inventory report lists ${checked} object(s) delivered since: the digest is not running`);
  }
  for (const m of missing) await ledger.record({ key: m.key, eventTime: m.lastModified, recordedAt: now, source: 'reconciliation' });
  return { checked, recorded: missing.map((m) => m.key), notYetDigested, newestDigestHour };
}
