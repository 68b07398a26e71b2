/**
 * Output to a terminal may be colored and fitted to its width; output to a pipe is plain text with
 * no escape code, ever; NO_COLOR turns colors off (cli/program/output-style.ts, cli/text-table.ts).
 */
import fc from 'fast-check';
import { outputStyle } from '../../cli/program/output-style';
import { fitWidths, renderTable } from '../../cli/text-table';
import { formatResult } from '../../cli/query/format';
import { runCli } from '../../bin/program';
import { captureIo } from '../support/capture-io';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ESC = '\u001b';
const COLUMNS = [{ name: 'actor', type: 'VARCHAR' }, { name: 'keys', type: 'VARCHAR' }, { name: 'event_name', type: 'VARCHAR' }];

describe('where output goes', () => {
  test('a terminal gets colors and its width; NO_COLOR or TERM=dumb keeps the width but drops colors; a pipe gets neither', () => {
    expect(outputStyle({ stdoutIsTTY: true, columns: 100, env: {} })).toEqual({ color: true, width: 100 });
    expect(outputStyle({ stdoutIsTTY: true, columns: 100, env: { NO_COLOR: '1' } })).toEqual({ color: false, width: 100 });
    expect(outputStyle({ stdoutIsTTY: true, columns: 100, env: { NO_COLOR: '' } })).toEqual({ color: true, width: 100 });
    expect(outputStyle({ stdoutIsTTY: true, columns: 100, env: { TERM: 'dumb' } })).toEqual({ color: false, width: 100 });
    expect(outputStyle({ stdoutIsTTY: false, columns: 100, env: {} })).toEqual({ color: false, width: undefined });
    expect(outputStyle({ env: {} })).toEqual({ color: false, width: undefined });
  });
});

describe('the table', () => {
  const row = fc.record({ actor: fc.string({ maxLength: 60 }), keys: fc.string({ maxLength: 60 }), event_name: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE') });

  test('property: on a terminal every line fits its width (when each column can keep 6 characters), and only the header carries escape codes', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), fc.integer({ min: 30, max: 200 }), (rows, width) => {
        const out = formatResult('table', COLUMNS, rows, { color: true, width });
        const lines = out.trimEnd().split('\n');
        expect((lines[0] as string).startsWith(`${ESC}[1m`)).toBe(true);
        for (const line of lines.slice(1)) {
          expect(line).not.toContain(ESC);
          expect([...line].length).toBeLessThanOrEqual(width);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('property: to a pipe (no style, or no color) no line holds an escape code, whatever the values', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), fc.option(fc.integer({ min: 20, max: 200 }), { nil: undefined }), (rows, width) => {
        for (const out of [formatResult('table', COLUMNS, rows), formatResult('table', COLUMNS, rows, { color: false, width })]) expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 200 },
    );
  });

  test('fitting takes from the widest column first, and never below 6 characters', () => {
    expect(fitWidths([10, 40, 8], 40)).toEqual([10, 18, 8]);
    expect(fitWidths([10, 40, 8], undefined)).toEqual([10, 40, 8]);
    expect(fitWidths([30, 30], 4)).toEqual([6, 6]);
    const out = renderTable(['name', 'value'], [['a', 'x'.repeat(50)]], { style: { color: false, width: 30 } });
    expect(out.split('\n')[1]).toBe(`a     ${'x'.repeat(23)}…`);
  });
});

describe('the commands use it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'terminal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cdkJson = join(dir, 'cdk.json');
  writeFileSync(cdkJson, JSON.stringify({ context: { audit: { sources: [{ streamArn: `arn:aws:dynamodb:eu-west-1:222222222222:table/${'Orders'.repeat(20)}/stream/2026-01-15T10:00:00.000`, redact: ['a'] }] } } }));

  test('sources list fits an 80-column terminal, with a bold header; piped it is whole and plain', async () => {
    const tty = captureIo({ env: {} });
    await runCli(['sources', 'list', '--cdk-json', cdkJson], { ...tty, stdoutIsTTY: true, columns: 80 });
    const lines = tty.out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\u001b\[1m#/);
    for (const line of lines.slice(1)) expect([...line].length).toBeLessThanOrEqual(80);
    const piped = captureIo({ env: {} });
    await runCli(['sources', 'list', '--cdk-json', cdkJson], piped);
    expect(piped.out.join('')).not.toContain(ESC);
    expect(piped.out.join('')).toContain('Orders'.repeat(20));
  });
});
