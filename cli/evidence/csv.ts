/**
 * CSV as evidence packages write it (RFC 4180, "\n" line ends): a header of column names, then one
 * line per row. Strings (and lists/objects, as JSON text) are always quoted; numbers and booleans are
 * bare; SQL NULL is an empty, unquoted field. So NULL and the empty string ("") stay distinct, as in
 * Athena's own CSV results.
 *
 * Text cells go through cli/csv-cell.ts (shared with `query --format csv`): one that could start a
 * spreadsheet formula, or that starts with a single quote, gets a leading single quote (format
 * ddb-audit/evidence/v2 on). Reading undoes it exactly (csvToRows with restoreFormulas), so evidence
 * verify re-hashes the values the collector hashed; rows.jsonl holds them unchanged.
 */
import { csvTextCell, restoreFormula } from '../csv-cell';

export type CsvValue = string | number | boolean | null | readonly unknown[] | Record<string, unknown>;

export function csvCell(value: CsvValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return csvTextCell(value, true);
  return csvTextCell(JSON.stringify(value), true);
}

export function csvLine(values: readonly (CsvValue | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\n`;
}

/** A parsed field: its text, and whether it was quoted (an unquoted empty field is NULL). */
export interface CsvField {
  readonly text: string;
  readonly quoted: boolean;
}

export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
}

/** Parses RFC 4180 text into records of fields; tolerates "\r\n" line ends. */
export function parseCsv(text: string): CsvField[][] {
  const records: CsvField[][] = [];
  let record: CsvField[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  if (n === 0) return records;
  for (;;) {
    let field = '';
    let quoted = false;
    if (text[i] === '"') {
      const startLine = line;
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw new CsvSyntaxError(`line ${startLine}: unterminated quoted field`);
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new CsvSyntaxError(`line ${line}: text after a closing quote`);
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
      field = text.slice(start, i);
      if (field.includes('"')) throw new CsvSyntaxError(`line ${line}: quote inside an unquoted field`);
    }
    record.push({ text: field, quoted });
    if (i >= n) {
      records.push(record);
      return records;
    }
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    records.push(record);
    record = [];
    if (i >= n) return records;
  }
}

export interface CsvReadOptions {
  /**
   * Undo csvCell's formula neutralization (one leading single quote of each quoted field). Packages
   * of format ddb-audit/evidence/v1 were written without it. @default true
   */
  readonly restoreFormulas?: boolean;
}

/** The parsed CSV as row objects keyed by the header; unquoted empty fields are null. */
export function csvToRows(text: string, options: CsvReadOptions = {}): { header: string[]; rows: Record<string, string | null>[] } {
  const restore = options.restoreFormulas ?? true;
  const decode = (field: CsvField): string => (restore && field.quoted ? restoreFormula(field.text) : field.text);
  const records = parseCsv(text);
  const [headerRecord, ...body] = records;
  if (!headerRecord) throw new CsvSyntaxError('no header line');
  const header = headerRecord.map(decode);
  const rows = body.map((fields, index) => {
    if (fields.length !== header.length) throw new CsvSyntaxError(`row ${index + 1}: ${fields.length} fields, header has ${header.length}`);
    const row: Record<string, string | null> = {};
    header.forEach((name, i) => {
      const field = fields[i] as CsvField;
      row[name] = !field.quoted && field.text === '' ? null : decode(field);
    });
    return row;
  });
  return { header, rows };
}
