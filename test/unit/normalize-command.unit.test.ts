import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/ddb-audit';
import { captureIo } from '../support/capture-io';

const EVENTS = join(__dirname, '..', 'events');
const ROOT = join(__dirname, '..', '..');

function lines(text: string[]): any[] {
  return text.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('ddb-audit normalize', () => {
  it('prints one change record per stream record, in input order, applying the project config', async () => {
    const io = captureIo({ cwd: ROOT });
    const code = await main(['normalize', join(EVENTS, 'all-types.json')], io);
    expect(code).toBe(0);
    const [record] = lines(io.out);
    // cdk.json onboards Payments in 033333333333 with actorAttribute updatedBy.
    expect(record).toMatchObject({ account_id: '033333333333', table_name: 'Payments', actor: 'alice@example.com', actor_source: 'attribute:updatedBy' });
  });

  it('reads standard input and exits 0 even when records carry normalization_error', async () => {
    const io = captureIo({ stdin: readFileSync(join(EVENTS, 'malformed.json'), 'utf8'), cwd: EVENTS });
    expect(await main(['normalize'], io)).toBe(0);
    const records = lines(io.out);
    expect(records).toHaveLength(6);
    expect(records.filter((r) => r.normalization_error)).toHaveLength(5);
  });

  it.each([
    ['not json', 'standard input is not JSON'],
    ['{"records": []}', 'standard input is not a DynamoDB stream event: expected an object with a "Records" array'],
    ['[1,2]', 'not a DynamoDB stream event'],
  ])('fails with a one-line reason when the input is not a stream event: %s', async (stdin, message) => {
    const io = captureIo({ stdin, cwd: EVENTS });
    expect(await main(['normalize'], io)).toBe(2);
    expect(io.err.join('')).toContain(message);
    expect(io.err.join('').trim().split('\n')).toHaveLength(1);
    expect(io.out).toEqual([]);
  });

  it('fails naming the file when it cannot be read', async () => {
    const io = captureIo({ cwd: EVENTS });
    expect(await main(['normalize', 'no-such-file.json'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/cannot read .*no-such-file.json: ENOENT/);
  });

  it('refuses to run with an invalid project config rather than skip its redaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-'));
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ context: { audit: { auditAccountId: '1', region: 'eu-west-1', retention: { mode: 'GOVERNANCE', days: 1 }, sources: [] } } }));
    const io = captureIo({ cwd: dir });
    expect(await main(['normalize', join(EVENTS, 'aws-docs-sample.json')], io)).toBe(2);
    expect(io.err.join('')).toContain('auditAccountId: "1" is not a 12-digit AWS account id');
  });

  it('runs as the installed ddb-audit command', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'ddb-audit.js'), 'normalize', join(EVENTS, 'aws-docs-sample.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(lines([out]).map((r) => r.op)).toEqual(['c', 'u', 'd']);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'ddb-audit.js'), 'normalize'], { cwd: ROOT, input: 'nope', encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
