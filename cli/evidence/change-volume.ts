/**
 * The change-volume series that report.html charts: how many rows fall in each hour or each day of
 * the period. Pure, so the bucket rule is tested on its own and the browser test can count on it.
 *
 * The period is the one the query asked for (its `from` and `to` date parameters, whole UTC days,
 * inclusive), so days without changes show as zero; a query without both dates charts the UTC
 * days from its first to its last event_time. One point per hour when the period is at most
 * HOURLY_MAX_DAYS days (at most 168 points), otherwise one per day. A period of more than
 * MAX_DAILY_POINTS days (a `from=2000-01-01` style "everything" export) is narrowed to the days
 * that hold changes, so the page stays a few hundred KB whatever dates were typed: its size grows
 * with the period charted, never with the number of sources.
 */
import type { ExportValue } from './values';

/** Up to this many days, one point per hour (7 x 24 = 168 points). */
export const HOURLY_MAX_DAYS = 7;
/** More days than this (about ten years) and the chart covers only the days that hold changes. */
export const MAX_DAILY_POINTS = 3660;
/** The column the chart is drawn from: the change's stream time (ApproximateCreationDateTime). */
export const TIME_COLUMN = 'event_time';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface VolumePoint {
  /** Start of the bucket, epoch milliseconds (UTC). */
  readonly start: number;
  readonly count: number;
}

export interface VolumeSeries {
  readonly unit: 'hour' | 'day';
  /** Where the charted range comes from: the query's from/to dates, or the rows' own event times. */
  readonly range: 'period' | 'rows' | 'rows-narrowed';
  readonly points: readonly VolumePoint[];
  /** Rows with no event_time (e.g. normalization errors without a stream time): counted, not charted. */
  readonly untimed: number;
  /** Rows whose event_time falls outside the charted range. */
  readonly outside: number;
}

/** A yyyy-MM-dd parameter as the epoch milliseconds of that UTC midnight; undefined for '*' or anything else. */
function dayStart(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

const floorDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * The series for these rows, or undefined when the rows have no event_time column or none of them
 * has a time (nothing to draw: the report says so instead of drawing an empty axis).
 */
export function changeVolume(params: Readonly<Record<string, string>>, rows: readonly Record<string, ExportValue>[]): VolumeSeries | undefined {
  const times: number[] = [];
  let untimed = 0;
  for (const row of rows) {
    const value = row[TIME_COLUMN];
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) untimed++;
    else times.push(ms);
  }
  if (times.length === 0) return undefined;
  let first = times[0] as number;
  let last = first;
  for (const t of times) {
    if (t < first) first = t;
    if (t > last) last = t;
  }

  const from = dayStart(params.from);
  const to = dayStart(params.to);
  let range: VolumeSeries['range'] = 'period';
  let start: number;
  let end: number; // exclusive
  if (from !== undefined && to !== undefined && to >= from) {
    start = from;
    end = to + DAY_MS;
  } else {
    range = 'rows';
    start = floorDay(first);
    end = floorDay(last) + DAY_MS;
  }
  if ((end - start) / DAY_MS > MAX_DAILY_POINTS) {
    range = 'rows-narrowed';
    start = Math.max(start, floorDay(first));
    end = Math.min(end, floorDay(last) + DAY_MS);
    // The rows themselves may lie outside the asked period (a query without a dt predicate):
    // chart the span of the rows then, which the rows bound.
    if (end <= start) {
      start = floorDay(first);
      end = floorDay(last) + DAY_MS;
    }
  }
  const unit = (end - start) / DAY_MS <= HOURLY_MAX_DAYS ? 'hour' : 'day';
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  const counts = new Array<number>(Math.round((end - start) / step)).fill(0);
  let outside = 0;
  for (const t of times) {
    if (t < start || t >= end) outside++;
    else counts[Math.floor((t - start) / step)]! += 1;
  }
  return { unit, range, points: counts.map((count, i) => ({ start: start + i * step, count })), untimed, outside };
}
