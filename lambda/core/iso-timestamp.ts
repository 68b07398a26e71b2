/**
 * The collector's one timestamp spelling, ISO-8601 UTC with milliseconds ("2026-03-01T12:34:56.789Z"),
 * in both directions: the normalizer writes event_time in it, and record_hash reads it back as epoch
 * milliseconds. Both run once per record, and the records of a batch share a day or two, so each
 * direction handles the date part once per day and the time of day by arithmetic: several times
 * cheaper than `new Date(ms).toISOString()` and `Date.parse` per record.
 */

let formattedDayStart = NaN;
let formattedDayPrefix = '';

/** Epoch milliseconds (0 to year 9999) as ISO-8601 UTC with milliseconds. */
export function formatIsoMillis(ms: number): string {
  const dayStart = ms - (ms % 86_400_000);
  if (dayStart !== formattedDayStart) {
    formattedDayPrefix = new Date(dayStart).toISOString().slice(0, 11);
    formattedDayStart = dayStart;
  }
  const inDay = ms - dayStart;
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor(inDay / 60_000) % 60;
  const seconds = Math.floor(inDay / 1000) % 60;
  const millis = inDay % 1000;
  return `${formattedDayPrefix}${hours < 10 ? '0' : ''}${hours}:${minutes < 10 ? '0' : ''}${minutes}:${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

const ISO_MILLIS = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)\.(\d{3})Z$/;
let parsedDay = '';
let parsedDayMillis = NaN;

/**
 * A timestamp as epoch milliseconds, NaN when it is not one. The collector's own spelling takes the
 * shortcut; any other spelling goes through Date.parse, so the result is always what Date.parse says.
 */
export function parseIsoMillis(value: string): number {
  const m = ISO_MILLIS.exec(value);
  if (m !== null) {
    if (m[1] !== parsedDay) {
      parsedDayMillis = Date.parse(`${m[1]}T00:00:00.000Z`);
      parsedDay = m[1] as string;
    }
    if (!Number.isNaN(parsedDayMillis)) return parsedDayMillis + ((+(m[2] as string) * 60 + +(m[3] as string)) * 60 + +(m[4] as string)) * 1000 + +(m[5] as string);
  }
  return Date.parse(value);
}
