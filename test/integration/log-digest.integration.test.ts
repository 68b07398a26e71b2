/**
 * `ddb-audit log digest` and `ddb-audit log verify` over a data folder written by the real local
 * pipeline (collector handler -> local Firehose -> Parquet), intact and after tampering.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../local/demo/run-demo';
import { run as log } from '../../bin/commands/log';
import { captureIo } from '../support/capture-io';

const root = mkdtempSync(join(tmpdir(), 'log-it-'));
const data = join(root, 'data');
const publicKey = join(data, '.keys', 'digest-signing-key.pem.pub');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: root });
  const code = await log(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

function parquetKeys(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(data, rel), { withFileTypes: true })) {
      const key = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(key);
      else if (e.name.endsWith('.parquet')) out.push(key);
    }
  };
  walk('changes');
  return out.sort();
}

beforeAll(async () => {
  await runDemo({ dataDir: data, changes: 500, seed: 5, showRows: 0, write: () => {}, dataArg: data });
  // As if delivered over the last few hours, so several digests (and an empty hour) are written.
  parquetKeys().forEach((key, i) => {
    const at = new Date(Date.now() - (i % 2 === 0 ? 4 : 2) * 3_600_000);
    utimesSync(join(data, key), at, at);
  });
  const digest = await cli('digest', '--data', data, '--init', '--include-current-hour');
  expect(digest.code).toBe(0);
  expect(digest.out).toMatch(new RegExp(`wrote [4-5] digest\\(s\\), .* listing ${parquetKeys().length} object\\(s\\)`));
  expect(digest.err).toContain('created signing key');
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('verify passes on the intact log, hashing every Parquet object the pipeline wrote', async () => {
  const result = await cli('verify', '--data', data, '--public-key', publicKey);
  expect(result.code).toBe(0);
  expect(result.out).toContain(`${parquetKeys().length} object(s)`);
  expect(result.out).toMatch(/INTACT up to \d{4}-\d{2}-\d{2}T\d{2}:00Z: every digest is present, signed and chained, and every object matches its digest\n$/);
});

test('verify without a pinned key says the stored key was trusted', async () => {
  const result = await cli('verify', '--data', data);
  expect(result.code).toBe(0);
  expect(result.out).toContain('NOT pinned');
});

test('a changed byte in a real Parquet object fails verification, naming the object', async () => {
  const key = parquetKeys()[0] as string;
  const path = join(data, key);
  const original = readFileSync(path);
  const changed = Buffer.from(original);
  changed[Math.floor(changed.length / 2)] = (changed[Math.floor(changed.length / 2)] as number) ^ 0xff;
  writeFileSync(path, changed);
  try {
    const result = await cli('verify', '--data', data, '--public-key', publicKey);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`FAIL  modified-object ${key}:`);
    expect(result.out).toContain('TAMPERING OR LOSS: 1 finding(s): 1 modified-object');
  } finally {
    writeFileSync(path, original);
  }
});

test('a deleted digest, even the first of the chain, fails verification, naming the digest', async () => {
  const dir = join(data, 'digests');
  const digests: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(rel, e.name));
      else if (e.name.endsWith('.json')) digests.push(join(rel, e.name));
    }
  };
  walk('');
  const victim = digests.sort()[0] as string;
  const saved = readFileSync(join(dir, victim));
  unlinkSync(join(dir, victim));
  try {
    const result = await cli('verify', '--data', data, '--public-key', publicKey, '--from', '2000-01-01');
    expect(result.code).toBe(1);
    expect(result.out).toContain(`FAIL  missing-digest digests/${victim.split('\\').join('/')}: referenced as the previous digest by`);
  } finally {
    writeFileSync(join(dir, victim), saved);
  }
});

test('bad arguments get a one-line error naming them and exit status 2', async () => {
  expect(await cli('verify', '--data', data, '--from', 'yesterday')).toMatchObject({ code: 2, err: 'ddb-audit log verify: --from "yesterday" is not yyyy-MM-dd, yyyy-MM-ddTHH or an ISO-8601 time with a zone (e.g. 2026-03-01T13:00:00Z)\n' });
  expect(await cli('verify', '--data', data, '--bucket', 'b')).toMatchObject({ code: 2, err: 'ddb-audit log verify: --data and --bucket are exclusive: a local folder or an S3 bucket\n' });
  expect(await cli('digest', '--data', data, '--sign-key', join(root, 'nope.pem'))).toMatchObject({ code: 2, err: expect.stringMatching(/^ddb-audit log digest: --sign-key .*nope\.pem: cannot read \(ENOENT\)\n$/) });
  expect(await cli('rotate')).toMatchObject({ code: 2, err: expect.stringContaining('unknown subcommand "rotate"') });
});
