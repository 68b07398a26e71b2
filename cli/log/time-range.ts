/** --from / --to of `ddb-audit log verify`: a day (yyyy-MM-dd), an hour (yyyy-MM-ddTHH) or an ISO-8601 instant. */

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}$/;

/**
 * Epoch ms of the first hour T covers (`edge` 'start') or its last hour (`edge` 'end'): a day runs
 * from 00:00 to 23:00 UTC inclusive, so `--from 2026-03-01 --to 2026-03-31` is the whole of March.
 */
export function parseTimeBound(text: string, edge: 'start' | 'end', option: string): number {
  let ms: number;
  if (DAY.test(text)) ms = Date.parse(`${text}T00:00:00Z`) + (edge === 'end' ? 23 * 3_600_000 : 0);
  else if (HOUR.test(text)) ms = Date.parse(`${text}:00:00Z`);
  else ms = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`${option} "${text}" is not yyyy-MM-dd, yyyy-MM-ddTHH or an ISO-8601 time with a zone (e.g. 2026-03-01T13:00:00Z)`);
  return ms;
}
