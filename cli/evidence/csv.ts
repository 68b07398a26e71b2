/**
 * CSV as evidence packages write it (RFC 4180, "\n" line ends): a header of column names, then one
 * line per row. Strings (and lists/objects, as JSON text) are always quoted; numbers and booleans are
 * bare; SQL NULL is an empty, unquoted field. So NULL and the empty string ("") stay distinct, as in
 * Athena's own CSV results.
 */

export type CsvValue = string | number | boolean | null | readonly unknown[] | Record<string, unknown>;

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvCell(value: CsvValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  return quote(JSON.stringify(value));
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

/** The parsed CSV as row objects keyed by the header; unquoted empty fields are null. */
export function csvToRows(text: string): { header: string[]; rows: Record<string, string | null>[] } {
  const records = parseCsv(text);
  const [headerRecord, ...body] = records;
  if (!headerRecord) throw new CsvSyntaxError('no header line');
  const header = headerRecord.map((f) => f.text);
  const rows = body.map((fields, index) => {
    if (fields.length !== header.length) throw new CsvSyntaxError(`row ${index + 1}: ${fields.length} fields, header has ${header.length}`);
    const row: Record<string, string | null> = {};
    header.forEach((name, i) => {
      const field = fields[i] as CsvField;
      row[name] = !field.quoted && field.text === '' ? null : field.text;
    });
    return row;
  });
  return { header, rows };
}
