/**
 * The arrivals ledger: which change-log objects arrived in which hour, recorded from S3 "Object
 * Created" events as they happen (./record-arrivals.ts), so the hourly digest reads only the
 * hour's arrivals instead of listing the whole changes/ prefix (../write-digests.ts).
 *
 * An arrival is keyed by the hour it was *recorded* (the recording function's clock), not by the
 * object's LastModified or the event's time. Why: the digest of hour H runs after H has ended, so
 * every arrival recorded in H is in the ledger by then, however late its event came; a digest that
 * reads the partitions around its hour therefore sees every recorded arrival at least once, and
 * the object's real LastModified is taken from the GetObject that hashes it.
 *
 * The ledger is a hint, never evidence: the digest hashes every object it names and records what
 * S3 returns. A missing arrival (an event S3 or EventBridge lost) makes the digest miss an object,
 * which the daily reconciliation (./reconcile.ts) finds and records, so the next digest lists it
 * late; an arrival for an object that does not exist is counted (VanishedArrivals), not listed.
 */
import { HOUR_MS } from '../digest-format';

export type ArrivalSource = 'event' | 'reconciliation';

export interface Arrival {
  /** The object key, e.g. changes/account_id=…/table_name=…/dt=…/x.parquet. */
  readonly key: string;
  /** When the ledger recorded it; its hour is the ledger partition. */
  readonly recordedAt: Date;
  /** The S3 event's time (reconciliation: the object's LastModified). */
  readonly eventTime: Date;
  readonly source: ArrivalSource;
}

export interface ArrivalLedger {
  /** Records arrivals; recording the same key again in the same hour changes nothing that matters (idempotent). */
  record(arrival: Arrival): Promise<void>;
  /** Every arrival recorded in the hour starting at `hourStartMs`, all pages, strongly consistent. */
  recordedIn(hourStartMs: number): Promise<Arrival[]>;
  /**
   * When the ledger began recording (the table's creation). Objects delivered before then are in no
   * ledger, so hours that close to it are digested from a listing. @default always recording
   */
  startedAt?(): Promise<Date>;
}

/**
 * Hours from the ledger's start that are still digested from a listing: the hour it started in
 * (objects delivered before the event rule was live) and the next (its late uploads), with margin
 * for the rule being created minutes after the table.
 */
export const LISTING_HOURS_AFTER_LEDGER_START = 2;

/** Ledger partition of an instant: its UTC hour, e.g. 2026-12-01T19. */
export function arrivalHourLabel(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13);
}

/**
 * Arrivals are kept this long, then expire (DynamoDB TTL). Long enough for any digest outage the
 * missed-hour alarm reports to be caught up from the ledger, and for the reconciliation's window.
 */
export const ARRIVAL_RETENTION_DAYS = 35;

/**
 * Ledger partitions a digest of `hourStartMs` reads: the hour before (clock-skew margin between
 * the recording function and S3), the hour itself, and the hour after (objects whose upload or event
 * finished after the hour ended, but whose LastModified is in it).
 */
export function ledgerHoursForDigest(hourStartMs: number): number[] {
  return [hourStartMs - HOUR_MS, hourStartMs, hourStartMs + HOUR_MS];
}
