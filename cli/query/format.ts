/** Query results as text: an aligned table for people, CSV (RFC 4180) and JSON Lines for tools. */
import type { QueryColumn } from './result';

export type OutputFormat = 'table' | 'csv' | 'json';

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function formatCsv(columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[]): string {
  const escape = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = [columns.map((c) => escape(c.name)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => escape(cellText(row[c.name]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function formatJsonLines(rows: readonly Record<string, unknown>[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/** A plain-text table; cells longer than maxWidth are cut with an ellipsis (the full value is in csv/json). */
export function formatTable(columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[], maxWidth = 40): string {
  const clip = (text: string) => {
    const flat = text.replace(/[\r\n\t]/g, ' ');
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const cells = rows.map((row) => columns.map((c) => clip(cellText(row[c.name]))));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd();
  const out = [line(columns.map((c) => c.name)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  return `${out.join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

export function formatResult(format: OutputFormat, columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[]): string {
  if (format === 'csv') return formatCsv(columns, rows);
  if (format === 'json') return formatJsonLines(rows);
  return formatTable(columns, rows);
}
