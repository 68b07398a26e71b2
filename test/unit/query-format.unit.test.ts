/**
 * cli/query/format.ts: what `ddb-audit query` prints. Table output escapes every control character
 * (a table writer's value cannot repaint the terminal), CSV neutralizes formulas with the same cell
 * encoder as evidence packages, JSON Lines keeps exact values.
 */
import fc from 'fast-check';
import { formatCsv, formatJsonLines, formatTable } from '../../cli/query/format';
import { csvLine, parseCsv } from '../../cli/evidence/csv';
import type { QueryColumn } from '../../cli/query/result';

const COLUMNS: QueryColumn[] = [
  { name: 'actor', type: 'VARCHAR' },
  { name: 'keys', type: 'VARCHAR' },
  { name: 'size_bytes', type: 'BIGINT' },
];
const C0_C1 = /[\u0000-\u001f\u007f-\u009f]/;

/** Strings rich in what a table writer could put in an attribute: controls, escapes, bidi overrides, any code point. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.array(fc.constantFrom('\u001b[2K', '\r', '\n', '\t', '\u0085', '\u009b', '\u202e', '\u0000', '\u007f', 'VALID', '=', '@', '+', '-', "'", '"', ','), { maxLength: 8 }).map((parts) => parts.join('')),
);

describe('table output', () => {
  test('a value cannot repaint the line: carriage return and escape sequences are shown as escapes', () => {
    const out = formatTable(COLUMNS, [{ actor: 'mallory\r\u001b[2KINTACT', keys: '{"pk":"a"}', size_bytes: 12 }]);
    expect(out).toContain('mallory\\x0d\\x1b[2KINTACT');
    expect(out).not.toMatch(/\r|\u001b/);
  });

  test('property: no output line contains a C0 or C1 control character, whatever the values and column names', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ actor: fc.option(hostileText, { nil: null }), keys: hostileText, size_bytes: fc.integer() }), { maxLength: 6 }), hostileText, (rows, extraName) => {
        const columns = [...COLUMNS, { name: extraName, type: 'VARCHAR' }];
        const out = formatTable(columns, rows.map((r) => ({ ...r, [extraName]: r.keys })));
        expect(out.endsWith('\n')).toBe(true);
        for (const line of out.slice(0, -1).split('\n')) expect(line).not.toMatch(C0_C1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CSV output', () => {
  test('formulas from the log are neutralized with a leading quote; numbers stay bare; JSON Lines keeps the exact value', () => {
    const rows = [{ actor: '=HYPERLINK("http://evil.example","x")', keys: '@SUM(A1)', size_bytes: -5 }];
    expect(formatCsv(COLUMNS, rows)).toBe('actor,keys,size_bytes\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",\'@SUM(A1),-5\r\n');
    expect(JSON.parse(formatJsonLines(rows))).toEqual(rows[0]);
  });

  test('property: no cell starts with a formula character, and the two CSV writers encode text alike', () => {
    fc.assert(
      fc.property(fc.array(hostileText, { minLength: 1, maxLength: 5 }), (values) => {
        const columns = values.map((_, i) => ({ name: `c${i}`, type: 'VARCHAR' }));
        const row = Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
        const [, queryFields] = parseCsv(formatCsv(columns, [row]));
        const [, evidenceFields] = parseCsv(csvLine(columns.map((c) => c.name)) + csvLine(values));
        for (const field of queryFields!) expect(field.text).not.toMatch(/^[=+\-@\t\r\u0000]/);
        expect(queryFields!.map((f) => f.text)).toEqual(evidenceFields!.map((f) => f.text));
      }),
      { numRuns: 300 },
    );
  });
});
