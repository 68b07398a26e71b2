/**
 * `ddb-audit sources add` run as 30 real processes at once on one cdk.json: every entry must land
 * (before the lock, 8–11 of 30 remained), the file must stay valid JSON, and the text outside the
 * sources array must be byte-for-byte the original.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigProblems } from '../../lib/config/validate';

const REPO_ROOT = join(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'ddb-audit.js');
const COUNT = 30;

function add(cdkJson: string, i: number): Promise<{ code: number; stderr: string }> {
  const account = `5555555555${String(i).padStart(2, '0')}`;
  const arn = `arn:aws:dynamodb:eu-west-1:${account}:table/Parallel${i}/stream/2026-03-01T00:00:00.000`;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'sources', 'add', '--stream-arn', arn, '--cdk-json', cdkJson], { cwd: REPO_ROOT, timeout: 90_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr }),
    );
  });
}

test(`${COUNT} parallel sources add processes leave ${COUNT} new entries, valid JSON, and the rest of the file unchanged`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-parallel-'));
  const path = join(dir, 'cdk.json');
  copyFileSync(join(REPO_ROOT, 'cdk.json'), path);
  const before = readFileSync(path, 'utf8');
  const original = JSON.parse(before);

  const results = await Promise.all(Array.from({ length: COUNT }, (_, i) => add(path, i)));

  expect(results.filter((r) => r.code !== 0)).toEqual([]);
  const text = readFileSync(path, 'utf8');
  const after = JSON.parse(text);
  const added = after.context.audit.sources.slice(original.context.audit.sources.length).map((s: { streamArn: string }) => s.streamArn);
  expect(added).toHaveLength(COUNT);
  expect(new Set(added).size).toBe(COUNT);
  expect(after.context.audit.sources.slice(0, original.context.audit.sources.length)).toEqual(original.context.audit.sources);
  expect(findConfigProblems(after.context.audit)).toEqual([]);
  // Everything up to the last original entry, and everything after the array, is the original text.
  const lastOriginalEnd = before.lastIndexOf('}', before.lastIndexOf(']'));
  expect(text.startsWith(before.slice(0, lastOriginalEnd + 1))).toBe(true);
  expect(text.endsWith(before.slice(before.lastIndexOf(']')))).toBe(true);
  // No lock or temporary file is left behind.
  expect(readdirSync(dir)).toEqual(['cdk.json']);
});
