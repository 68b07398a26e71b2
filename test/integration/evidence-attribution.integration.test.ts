/**
 * `ddb-audit evidence export --query change-attribution` on the demo's data folder (its Parquet
 * and its CloudTrail files): the manifest records which CloudTrail files the attribution rests
 * on, with their keys and SHA-256, and the package verifies; where rows say cloudtrail-unavailable,
 * the manifest and summary.md name each account and region without CloudTrail input.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    attribution_unavailable: [], // every account and region of the demo has CloudTrail input
  });
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).not.toContain('Attribution unavailable');
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
    attribution_unavailable: [],
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
  expect(manifest.cloudtrail_input).toEqual({ table: 'ddb_audit.cloudtrail_events', files: null, attribution_unavailable: [] });
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('Athena does not report which objects a query read, so no file list is recorded');
});

test.each(['change-attribution', 'actor-activity'])('evidence export --query %s names every account and region without CloudTrail input, in the manifest and summary.md', async (query) => {
  // Prepare: the demo's folder with one account's trail files gone (its data events off, say)
  const folder = join(root, `untrailed-${query}`);
  cpSync(dataDir, folder, { recursive: true });
  rmSync(join(folder, 'cloudtrail', 'AWSLogs', '444455556666'), { recursive: true, force: true });
  const days = (await cloudTrailFiles(folder)).map((f) => f.logDate).sort();
  const from = (days[1] as string).replace(/\//g, '-');
  const out = join(root, `untrailed-${query}-package`);
  const actor = query === 'actor-activity' ? ['--param', 'actor=alice@example.com'] : [];
  // Act
  const exported = await cli('export', '--query', query, '--param', `from=${from}`, '--param', `to=${from}`, ...actor, '--data', folder, '--out', out, '--sign-key', keyFile);
  // Assess
  expect(exported).toMatchObject({ code: 0, err: '' });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
  const rows = readFileSync(join(out, 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const unavailable = rows.filter((r) => r.attribution_reason === 'cloudtrail-unavailable');
  expect(unavailable.length).toBeGreaterThan(0);
  expect(new Set(unavailable.map((r) => r.account_id))).toEqual(new Set(['444455556666']));
  expect(manifest.cloudtrail_input?.attribution_unavailable).toEqual([{ account_id: '444455556666', region: 'us-east-1', rows: unavailable.length }]);
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  expect(summary).toContain(`- **Attribution unavailable for account 444455556666 region us-east-1: no CloudTrail input.** Its ${unavailable.length} row(s) say attribution_reason \`cloudtrail-unavailable\``);
  expect((await cli('verify', out, '--public-key', `${keyFile}.pub`)).code).toBe(0);
});

test('on Athena, rows that say cloudtrail-unavailable are named by account and region, with the query\'s warning', async () => {
  // No local Athena exists: the runner is replaced by the result shape Athena's engine returns.
  const { sql } = renderQuery('change-attribution', { from: '2026-03-01', to: '2026-03-01' });
  const columns = ['event_id', 'account_id', 'region', 'attribution', 'attribution_reason'].map((name) => ({ name, type: 'varchar' }));
  const row = (id: string, account: string, region: string, attribution: string, reason: string) => ({ event_id: id, account_id: account, region, attribution, attribution_reason: reason });
  const warning = '2 row(s) have attribution_reason cloudtrail-unavailable: …';
  const out = join(root, 'athena-unavailable');
  const { manifest } = await exportEvidence({
    runQuery: async () => ({
      sql,
      engine: 'athena',
      executionId: 'q-2',
      startedAt: '2026-03-03T10:00:00.000Z',
      endedAt: '2026-03-03T10:00:02.000Z',
      columns,
      rows: [row('a', '222233334444', 'eu-west-1', 'none', 'cloudtrail-unavailable'), row('b', '111122223333', 'us-east-1', 'exact', 'single-item-call'), row('c', '222233334444', 'eu-west-1', 'none', 'cloudtrail-unavailable')],
      warnings: [warning],
    }),
    request: { name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-01' }, athena: { workgroup: 'ddb-audit' } },
    outDir: out,
    signer: ed25519Signer(generateEd25519KeyPair().privateKeyPem),
    tool: { version: '0', gitCommit: 'unknown' },
  });
  expect(manifest.cloudtrail_input).toEqual({ table: 'ddb_audit.cloudtrail_events', files: null, attribution_unavailable: [{ account_id: '222233334444', region: 'eu-west-1', rows: 2 }], warnings: [warning] });
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  expect(summary).toContain('- **Attribution unavailable for account 222233334444 region eu-west-1: no CloudTrail input.** Its 2 row(s)');
  expect(summary).toContain(`- **The query warned:** ${warning}`);
});

test('locally (DuckDB), a principal-filtered package with no rows and no CloudTrail files says attribution is unavailable in the manifest, summary.md and report.html', async () => {
  // Prepare: the demo's folder with every trail file gone; a role the demo's trail names
  const folder = join(root, 'no-trail');
  cpSync(dataDir, folder, { recursive: true });
  const days = (await cloudTrailFiles(dataDir)).map((f) => f.logDate).sort();
  const from = (days[1] as string).replace(/\//g, '-');
  rmSync(join(folder, 'cloudtrail'), { recursive: true, force: true });
  const out = join(root, 'no-trail-package');
  // Act
  const exported = await cli('export', '--query', 'change-attribution', '--param', `from=${from}`, '--param', `to=${from}`, '--param', 'principal=arn:aws:iam::111122223333:role/orders-service', '--data', folder, '--out', out, '--sign-key', keyFile);
  // Assess
  expect(exported).toMatchObject({ code: 0, err: '' });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
  expect(manifest.result.empty).toBe(true);
  const warning = expect.stringMatching(/^no CloudTrail log files under cloudtrail\/ in the data folder .*principal attribution is unavailable/);
  expect(manifest.cloudtrail_input).toEqual({ table: 'ddb_audit.cloudtrail_events', files: [], attribution_unavailable: [], warnings: [warning] });
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/- \*\*The query warned:\*\* no CloudTrail log files under cloudtrail\//);
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<div class="unavailable" id="attribution-unavailable" role="note">[\s\S]*<li>The query warned: no CloudTrail log files under cloudtrail\//);
  expect((await cli('verify', out, '--public-key', `${keyFile}.pub`)).code).toBe(0);
});
