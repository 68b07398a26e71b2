/**
 * The one text-cell encoder of both CSV writers (`ddb-audit query --format csv`, cli/query/format.ts,
 * and an evidence package's rows.csv, cli/evidence/csv.ts).
 *
 * A table writer controls most text in the log (actor, keys, images), and a spreadsheet opening a
 * CSV evaluates a cell that starts with "=", "+", "-" or "@" as a formula: `=HYPERLINK(…)` becomes a
 * live link, `=cmd|…` can run a program (CSV injection). As OWASP recommends
 * (https://owasp.org/www-community/attacks/CSV_Injection; OWASP ASVS 1.2.10 adds NUL), a text cell
 * that starts with "=", "+", "-", "@", tab, carriage return or NUL gets a leading single quote, which
 * spreadsheets take as "this is text", and every text cell that needs it is quoted (RFC 4180).
 *
 * So that the encoding can be undone exactly (evidence verify re-hashes rows.csv), a text cell that
 * already starts with a single quote gets one more: decoding removes exactly one leading quote from
 * every cell that has one. Numbers and booleans are written bare and never changed. JSON and JSONL
 * outputs keep exact values; only CSV cells are neutralized.
 */

/** First characters a spreadsheet treats as the start of a formula, plus the quote itself (see above). */
const NEEDS_PREFIX = /^[=+\-@\t\r\u0000']/;

/** `text` as a spreadsheet will show it as text: a leading `'` when it could start a formula. */
function neutralizeFormula(text: string): string {
  return NEEDS_PREFIX.test(text) ? `'${text}` : text;
}

/** The exact inverse of neutralizeFormula. */
export function restoreFormula(text: string): string {
  return text.startsWith("'") ? text.slice(1) : text;
}

/**
 * One CSV text cell: neutralized, then quoted (doubling inner quotes) when `alwaysQuote` is set or
 * the text holds a quote, comma, CR or LF.
 */
export function csvTextCell(text: string, alwaysQuote: boolean): string {
  const safe = neutralizeFormula(text);
  return alwaysQuote || /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
