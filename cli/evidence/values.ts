/**
 * One spelling per value in an evidence package, whichever engine produced the row: timestamps as
 * ISO-8601 UTC with milliseconds, integers as JSON numbers (as strings beyond 2^53), lists as
 * arrays (JSON text in CSV), binary as base64, SQL NULL as null.
 */

export type ExportValue = string | number | boolean | null | ExportValue[] | { [key: string]: ExportValue };

/** "2026-03-01 12:00:00.000", "2026-03-01 12:00:00.000 UTC" or ISO text -> ISO-8601 UTC; undefined if not a timestamp. */
export function timestampText(text: string): string | undefined {
  const trimmed = text.trim().replace(/ UTC$/, '');
  let iso = trimmed.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function isTimestampType(engineType: string): boolean {
  return /^timestamp/i.test(engineType.trim());
}

export function exportValue(value: unknown, engineType = ''): ExportValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'string') return isTimestampType(engineType) ? (timestampText(value) ?? value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => exportValue(v));
  if (typeof value === 'object') {
    const out: { [key: string]: ExportValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = exportValue(v);
    return out;
  }
  return String(value);
}
