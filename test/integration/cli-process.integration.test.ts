/**
 * The command line as a real child process: a closed pipe (`… | head -1`) and Ctrl-C (SIGINT) end
 * it quietly, and an interrupted `evidence export` leaves nothing behind, not even its hidden
 * `.NAME.partial-*` folder (cli/program/interrupt.ts).
 *
 * The export is interrupted at the one moment that matters, while the partial folder exists: it is
 * signed with a KMS key whose endpoint (AWS_ENDPOINT_URL_KMS) is a local HTTP peer written here,
 * which answers GetPublicKey with a real P-256 public key and holds Sign unanswered. No local KMS
 * exists to use instead; this peer speaks only the two calls, in the JSON protocol the SDK sends.
 * The SDK sends KMS calls to AWS_ENDPOINT_URL_KMS when it is set (service-specific endpoints:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html); the test would see a
 * real KMS call fail for want of credentials, not pass, if that were not so.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../local/demo/run-demo';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'ddb-audit.js');
const root = mkdtempSync(join(tmpdir(), 'cli-process-'));
const dataDir = join(root, 'data');
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let kms: Server;
let kmsUrl: string;
let onSign: () => void = () => {};

beforeAll(async () => {
  await runDemo({ dataDir, changes: 1500, seed: 21, showRows: 0, write: () => {}, dataArg: dataDir });
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  kms = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    req.resume();
    if (target === 'TrentService.GetPublicKey') {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ KeyId: KEY_ARN, PublicKey: der, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] }));
    } else if (target === 'TrentService.Sign') {
      onSign(); // held open: the export waits here, its partial folder on disk
    } else {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UnsupportedOperationException', message: target }));
    }
  });
  await new Promise<void>((done) => kms.listen(0, '127.0.0.1', done));
  kmsUrl = `http://127.0.0.1:${(kms.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  kms.closeAllConnections();
  await new Promise((done) => kms.close(done));
  rmSync(root, { recursive: true, force: true });
});

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, err })));
}

const PARAMS = ['--param', 'from=2020-01-01', '--param', 'to=2030-12-31'];

test('a reader that stops early (query … | head -1) ends the command quietly with exit 0', async () => {
  const child = start(['query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--format', 'json']);
  const result = finished(child);
  let first = '';
  await new Promise<void>((done) => child.stdout!.once('data', (chunk) => { first = String(chunk); child.stdout!.destroy(); done(); }));
  const { code, err } = await result;
  expect(first).toMatch(/^\{"/);
  expect({ code, err }).toEqual({ code: 0, err: '' });
}, 120_000);

test('Ctrl-C during evidence export exits 130 without a word and leaves neither the package nor its .partial folder', async () => {
  const out = join(root, 'pkg');
  const signing = new Promise<void>((done) => (onSign = done));
  const child = start(['evidence', 'export', '--query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--out', out, '--kms-key-id', KEY_ARN], {
    AWS_ENDPOINT_URL_KMS: kmsUrl,
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-1',
  });
  const result = finished(child);
  await signing;
  // The export is waiting for its signature: the package is being written in the hidden folder.
  expect(readdirSync(root).filter((n) => n.startsWith('.pkg.partial-'))).toHaveLength(1);
  child.kill('SIGINT');
  const { code, signal, err } = await result;
  expect({ code, signal, err }).toEqual({ code: 130, signal: null, err: '' });
  expect(readdirSync(root).filter((n) => n.includes('pkg'))).toEqual([]);
}, 120_000);
