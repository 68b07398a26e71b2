/**
 * `ddb-audit evidence export --query change-attribution` on the demo's data folder (its Parquet
 * and its CloudTrail files): the manifest records which CloudTrail files the attribution rests
 * on, with their keys and SHA-256, and the package verifies.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as evidence } from '../../bin/commands/evidence';
import { exportEvidence } from '../../cli/evidence/export';
import { renderQuery } from '../../cli/query';
import { ed25519Signer, generateEd25519KeyPair } from '../../lambda/digest/signing';
import type { EvidenceManifest } from '../../cli/evidence/manifest';
import { cloudTrailFiles } from '../../local/cloudtrail/files';
import { runDemo } from '../../local/demo/run-demo';
import { captureIo } from '../support/capture-io';

const root = mkdtempSync(join(tmpdir(), 'evidence-attribution-it-'));
const dataDir = join(root, 'data');
const keyFile = join(root, 'keys', 'signing.pem');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: root });
  const code = await evidence(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

beforeAll(async () => {
  await runDemo({ dataDir, changes: 400, seed: 13, showRows: 0, write: () => {}, dataArg: dataDir });
  mkdirSync(join(root, 'keys'));
  expect((await cli('keygen', '--out', keyFile)).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('records every CloudTrail file read, with its key and SHA-256, and the package verifies', async () => {
  // Prepare: one account's trail files of one day (± one, as the query reads)
  const files = await cloudTrailFiles(dataDir);
  expect(files.length).toBeGreaterThan(0);
  const days = files.map((f) => f.logDate).sort();
  const from = (days[1] as string).replace(/\//g, '-');
  const to = from;
  const out = join(root, 'package');
  // Act
  const exported = await cli('export', '--query', 'change-attribution', '--param', `from=${from}`, '--param', `to=${to}`, '--param', 'account_id=111122223333', '--data', dataDir, '--out', out, '--sign-key', keyFile);
  // Assess
  expect(exported).toMatchObject({ code: 0, err: '' });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
  const day = (offset: number) => new Date(Date.parse(`${from}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/');
  const expected = files.filter((f) => f.accountId === '111122223333' && f.logDate >= day(-1) && f.logDate <= day(1));
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(files.length); // the selection is by account and day, not everything
  expect(manifest.cloudtrail_input).toEqual({
    table: 'ddb_audit.cloudtrail_events',
    files: expected.map((f) => ({ key: f.key, bytes: f.size, sha256: createHash('sha256').update(readFileSync(f.path)).digest('hex') })),
  });
  expect(manifest.cloudtrail_input?.files?.every((f) => f.key.startsWith('cloudtrail/AWSLogs/') && f.key.endsWith('.json.gz'))).toBe(true);
  expect(manifest.record_hashes?.length).toBe(manifest.result.row_count);
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`The attribution rests on ${expected.length} CloudTrail log file(s)`);
  const verified = await cli('verify', out, '--public-key', `${keyFile}.pub`);
  expect(verified).toMatchObject({ code: 0, err: '', out: expect.stringContaining('VALID') });
});

test('evidence export --query actor-activity lists the CloudTrail files its principal matches rest on', async () => {
  // Prepare: actor-activity reads every account's trail files of the days asked (± one)
  const files = await cloudTrailFiles(dataDir);
  const days = files.map((f) => f.logDate).sort();
  const from = (days[1] as string).replace(/\//g, '-');
  const out = join(root, 'actor-package');
  // Act: a role ARN, every session of it (the demo's orders-service role)
  const exported = await cli('export', '--query', 'actor-activity', '--param', `from=${from}`, '--param', `to=${from}`, '--param', 'actor=arn:aws:iam::111122223333:role/orders-service', '--data', dataDir, '--out', out, '--sign-key', keyFile);
  // Assess
  expect(exported).toMatchObject({ code: 0, err: '' });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
  const day = (offset: number) => new Date(Date.parse(`${from}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/');
  const expected = files.filter((f) => f.logDate >= day(-1) && f.logDate <= day(1));
  expect(new Set(expected.map((f) => f.accountId)).size).toBeGreaterThan(1); // every account: a caller's change can be anywhere
  expect(manifest.cloudtrail_input).toEqual({
    table: 'ddb_audit.cloudtrail_events',
    files: expected.map((f) => ({ key: f.key, bytes: f.size, sha256: createHash('sha256').update(readFileSync(f.path)).digest('hex') })),
  });
  expect(manifest.result.row_count).toBeGreaterThan(0);
  expect((await cli('verify', out, '--public-key', `${keyFile}.pub`)).code).toBe(0);
});

test('a query that does not read CloudTrail records no CloudTrail input', async () => {
  const out = join(root, 'plain');
  expect((await cli('export', '--query', 'daily-volume', '--param', 'from=2020-01-01', '--param', 'to=2030-12-31', '--data', dataDir, '--out', out, '--sign-key', keyFile)).code).toBe(0);
  expect((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest).cloudtrail_input).toBeUndefined();
});

test('on Athena, which does not say which objects it read, names the CloudTrail table and lists no files', async () => {
  // No local Athena exists: the runner is replaced by the result shape Athena's engine returns.
  const { sql } = renderQuery('change-attribution', { from: '2026-03-01', to: '2026-03-01' });
  const out = join(root, 'athena');
  const { manifest } = await exportEvidence({
    runQuery: async () => ({ sql, engine: 'athena', executionId: 'q-1', startedAt: '2026-03-03T10:00:00.000Z', endedAt: '2026-03-03T10:00:02.000Z', columns: [], rows: [] }),
    request: { name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-01' }, athena: { workgroup: 'ddb-audit' } },
    outDir: out,
    signer: ed25519Signer(generateEd25519KeyPair().privateKeyPem),
    tool: { version: '0', gitCommit: 'unknown' },
  });
  expect(manifest.cloudtrail_input).toEqual({ table: 'ddb_audit.cloudtrail_events', files: null });
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('Athena does not report which objects a query read, so no file list is recorded');
});
