/**
 * Query results as text: an aligned table for people, CSV (RFC 4180) and JSON Lines for tools.
 *
 * The log's values come from table writers, so the two formats meant for people are defended:
 * table cells are printed through escapeForTerminal (no control character reaches the terminal, so
 * a value cannot move the cursor or repaint a line), and CSV text cells through csvTextCell (no cell
 * can start a spreadsheet formula). JSON Lines keeps exact values.
 */
import { csvTextCell } from '../csv-cell';
import { escapeForTerminal } from '../terminal-text';
import type { OutputStyle } from '../program/output-style';
import { renderTable } from '../text-table';
import type { QueryColumn } from './result';

export type OutputFormat = 'table' | 'csv' | 'json';

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** A CSV cell: numbers and booleans bare (a negative number is a number, not a formula), text through csvTextCell. */
function csvCell(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return csvTextCell(cellText(value), false);
}

export function formatCsv(columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map((c) => csvTextCell(c.name, false)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c.name])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function formatJsonLines(rows: readonly Record<string, unknown>[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/**
 * An aligned text table; cells longer than maxWidth are cut with an ellipsis (the full value is in
 * csv/json). With a terminal's style, colors may mark the header and the table fits its width.
 */
export function formatTable(columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[], maxWidth = 40, style?: OutputStyle): string {
  // Newlines and tabs read as spaces; every other control character (ESC, CR in a value, C1, bidi
  // overrides) becomes a visible escape. Clipping comes after escaping, so it cannot cut an escape's
  // meaning away, only shorten what is shown.
  const flat = (text: string) => escapeForTerminal(text.replace(/[\n\t]/g, ' '));
  const header = columns.map((c) => escapeForTerminal(c.name));
  const cells = rows.map((row) => columns.map((c) => flat(cellText(row[c.name]))));
  return `${renderTable(header, cells, { maxCellWidth: maxWidth, rule: true, style })}(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

export function formatResult(format: OutputFormat, columns: readonly QueryColumn[], rows: readonly Record<string, unknown>[], style?: OutputStyle): string {
  if (format === 'csv') return formatCsv(columns, rows);
  if (format === 'json') return formatJsonLines(rows);
  return formatTable(columns, rows, 40, style);
}
