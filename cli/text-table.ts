/**
 * The aligned text table of `ddb-audit query` and `ddb-audit sources list`, fitted to a terminal.
 *
 * Cells arrive already made safe for a terminal (escapeForTerminal) and are only measured, padded
 * and clipped here. On a terminal (width given) the widest columns give up characters, cut with an
 * ellipsis, until the table fits; the full values stay in the csv/json outputs. To a pipe (no width)
 * nothing is fitted, and without color nothing but text is written: never an escape code.
 */
import { OutputStyle, paint } from './program/output-style';

export interface TableOptions {
  /** Longest cell shown; longer ones are cut with "…". @default 40 */
  readonly maxCellWidth?: number;
  /** Where it is printed: colors and the terminal's width. @default plain text, not fitted */
  readonly style?: OutputStyle;
  /** A line of dashes under the header. @default false */
  readonly rule?: boolean;
}

/** Narrowest a column is fitted down to (a header may be cut to it). */
const MIN_COLUMN_WIDTH = 6;
const GAP = 2;

function clip(text: string, width: number): string {
  return [...text].length > width ? `${[...text].slice(0, Math.max(1, width - 1)).join('')}…` : text;
}

function length(text: string): number {
  return [...text].length;
}

/** Column widths that fit `available` columns, taking from the widest first. */
export function fitWidths(natural: readonly number[], available: number | undefined): number[] {
  const widths = [...natural];
  if (available === undefined) return widths;
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * Math.max(0, widths.length - 1);
  while (total() > available) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++) if ((widths[i] as number) > (widths[widest] as number)) widest = i;
    if ((widths[widest] as number) <= MIN_COLUMN_WIDTH) break; // cannot fit: the terminal wraps the rest
    widths[widest] = (widths[widest] as number) - 1;
  }
  return widths;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const maxCell = options.maxCellWidth ?? 40;
  const cells = rows.map((row) => header.map((_, c) => clip(row[c] ?? '', maxCell)));
  const natural = header.map((h, c) => Math.max(length(h), ...cells.map((r) => length(r[c] as string))));
  const widths = fitWidths(natural, options.style?.width);
  const pad = (text: string, c: number) => {
    const shown = clip(text, widths[c] as number);
    return shown + ' '.repeat(Math.max(0, (widths[c] as number) - length(shown)));
  };
  const line = (values: readonly string[]) => values.map(pad).join(' '.repeat(GAP)).trimEnd();
  const style = options.style ?? { color: false, width: undefined };
  const out = [paint(style, 'bold', line(header))];
  if (options.rule) out.push(line(widths.map((w) => '-'.repeat(w))));
  out.push(...cells.map(line));
  return `${out.join('\n')}\n`;
}
