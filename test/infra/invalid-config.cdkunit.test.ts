/**
 * An invalid config stops the real CDK app (bin/app.ts, as `cdk synth` runs it) before any stack
 * is built, with the validator's message naming the entry, the field and the value received.
 * Context is passed the way the CDK CLI passes it: the CDK_CONTEXT_JSON environment variable.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, exampleConfig } from '../support/audit-app';

interface SynthResult {
  readonly code: number | null;
  readonly stderr: string;
  readonly outdir: string;
}

function synth(audit: unknown): Promise<SynthResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'ddb-audit-invalid-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bin', 'app.ts')],
      { cwd: REPO_ROOT, env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ audit }), CDK_OUTDIR: outdir }, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr, outdir }),
    );
  });
}

const example = exampleConfig();
const orders = example.sources[0]!;
const cases = {
  malformedArn: { ...example, sources: [{ streamArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders' }] },
  duplicateArn: { ...example, sources: [orders, { ...orders, actorAttribute: 'other' }] },
  elevenDigitAccount: { ...example, auditAccountId: '11111111111' },
  otherRegion: { ...example, sources: [{ streamArn: 'arn:aws:dynamodb:us-east-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000' }] },
  unknownKey: { ...example, sources: [{ ...orders, actorAtribute: 'typo' }] },
  asCommandLineString: JSON.stringify({ ...example, retention: { mode: 'FOREVER', days: 1 } }),
  severalProblems: { ...example, retention: { mode: 'FOREVER', days: 1 }, sources: [{ ...orders, streamArn: orders.streamArn.replace(/stream\/.*$/, 'stream/latest'), actorAttribute: '__proto__' }] },
  heartbeatAlwaysFiring: { ...example, delivery: { ...example.delivery, bufferIntervalSeconds: 900 }, heartbeat: { intervalMinutes: 10 } },
};
const results: Partial<Record<keyof typeof cases, SynthResult>> = {};

beforeAll(async () => {
  // Each run starts a Node process that loads aws-cdk-lib: run them side by side.
  await Promise.all(Object.entries(cases).map(async ([name, audit]) => (results[name as keyof typeof cases] = await synth(audit))));
});

function expectStopped(name: keyof typeof cases, message: string): void {
  const result = results[name]!;
  expect(result.stderr).toContain('Invalid audit config (cdk.json context "audit"):');
  expect(result.stderr).toContain(message);
  expect(result.code).toBe(1);
  // Stopped before synthesis: no template was written.
  expect(readdirSync(result.outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
}

test('rejects a table ARN where a stream ARN belongs', () => {
  expectStopped(
    'malformedArn',
    '- sources[0].streamArn: "arn:aws:dynamodb:eu-west-1:222222222222:table/Orders" is not a DynamoDB stream ARN: resource "table/Orders" is not table/NAME/stream/LABEL (a table ARN is not enough: give the stream ARN)',
  );
});

test('rejects a stream onboarded twice', () => {
  expectStopped('duplicateArn', `- sources[1].streamArn: "${orders.streamArn}" duplicates sources[0]; each stream is onboarded once`);
});

test('rejects an 11-digit account id', () => {
  expectStopped('elevenDigitAccount', '- auditAccountId: "11111111111" is not a 12-digit AWS account id');
});

test('rejects a source in another region and says cross-account streams need the same region', () => {
  expectStopped(
    'otherRegion',
    '- sources[0].streamArn: "arn:aws:dynamodb:us-east-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000" is in region us-east-1, but the collector is in eu-west-1; cross-account DynamoDB stream reading works only in the same region',
  );
});

test('rejects an unknown key, naming where it is', () => {
  expectStopped('unknownKey', '- sources[0]: unknown key "actorAtribute"');
});

test('validates a config given as a JSON string (cdk synth -c audit=...)', () => {
  expectStopped('asCommandLineString', '- retention.mode: "FOREVER" is not one of "GOVERNANCE", "COMPLIANCE"');
});

test('reports every problem at once, shape and semantic, one line each', () => {
  const arn = orders.streamArn.replace(/stream\/.*$/, 'stream/latest');
  expectStopped('severalProblems', '- retention.mode: "FOREVER" is not one of "GOVERNANCE", "COMPLIANCE"');
  expectStopped('severalProblems', `- sources[0].streamArn: "${arn}" has stream label "latest", which is not the stream's creation time`);
  expectStopped('severalProblems', '- sources[0].actorAttribute: "__proto__" is a JavaScript object property name');
});

test('refuses a heartbeat interval and buffer that would keep the heartbeat alarm firing', () => {
  expectStopped('heartbeatAlwaysFiring', '- heartbeat.intervalMinutes: 10 with delivery.bufferIntervalSeconds 900 lets two heartbeat objects land up to 2070 s apart');
});
