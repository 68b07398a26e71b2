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
    const io = captureIo({ stdin: readFileSync(join(EVENTS, 'malformed.json'), 'utf8'), cwd: ROOT });
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
    const io = captureIo({ stdin, cwd: ROOT });
    expect(await main(['normalize'], io)).toBe(2);
    expect(io.err.join('')).toContain(message);
    expect(io.err.join('').trim().split('\n')).toHaveLength(1);
    expect(io.out).toEqual([]);
  });

  it('fails naming the file when it cannot be read', async () => {
    const io = captureIo({ cwd: EVENTS });
    expect(await main(['normalize', 'no-such-file.json', '--no-config'], io)).toBe(2);
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

  describe('without a config', () => {
    const noConfigDir = () => mkdtempSync(join(tmpdir(), 'ddb-audit-no-config-'));

    it('refuses to run from a folder without cdk.json, before reading the input, printing nothing on stdout', async () => {
      const dir = noConfigDir();
      let readStdin = false;
      const io = { ...captureIo({ cwd: dir }), readStdin: async () => ((readStdin = true), '') };
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['normalize'], { ...io, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) });
      expect(code).toBe(2);
      expect(err.join('')).toBe(`ddb-audit normalize: no config: ${join(dir, 'cdk.json')} does not exist, and redaction and actor attributes come from it; pass --cdk-json PATH, or --no-config to normalize without redaction\n`);
      expect(out).toEqual([]);
      expect(readStdin).toBe(false);
    });

    it('--no-config normalizes without the config and warns on stderr', async () => {
      const withConfig = captureIo({ cwd: ROOT });
      await main(['normalize', join(EVENTS, 'all-types.json')], withConfig);
      const io = captureIo({ cwd: noConfigDir() });
      expect(await main(['normalize', join(EVENTS, 'all-types.json'), '--no-config'], io)).toBe(0);
      expect(io.err.join('')).toBe(
        "ddb-audit normalize: warning: --no-config: no redaction and no actor attribute are applied, so the records hold every value as the stream has it, and record_hash differs from the collector's for any source whose config redacts\n",
      );
      const [plain] = lines(io.out);
      const [configured] = lines(withConfig.out);
      expect(configured.actor).toBe('alice@example.com');
      expect(plain).toMatchObject({ actor: null, actor_source: null });
    });

    it('refuses --no-config together with --cdk-json', async () => {
      const io = captureIo({ cwd: ROOT });
      expect(await main(['normalize', '--no-config', '--cdk-json', 'cdk.json'], io)).toBe(2);
      expect(io.err.join('')).toBe('ddb-audit normalize: --cdk-json and --no-config are exclusive: name the config, or say there is none\n');
    });

    it('prints error messages with control characters escaped', async () => {
      const io = captureIo({ cwd: ROOT });
      expect(await main(['normalize', 'x\u001b[2K\rOK.json'], io)).toBe(2);
      const err = io.err.join('');
      expect(err).toContain('x\\x1b[2K\\x0dOK.json');
      expect(err.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    });
  });
});
