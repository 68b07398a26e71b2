/**
 * `ddb-audit evidence export --query NAME [--param key=value ...] --out DIR
 *                           [--data DIR | --athena --workgroup WG [--database DB]]
 *                           (--sign-key FILE | --kms-key-id ARN) [--reason TEXT]`
 * `ddb-audit evidence verify DIR [--public-key FILE | --kms-key-id ARN]`
 * `ddb-audit evidence keygen --out FILE`   (writes FILE, mode 0600, and FILE.pub)
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { generateEd25519KeyPair, parsePublicKey, publicKeyFingerprint, Signer } from '../../lambda/digest/signing';
import { exportEvidence, OutputExistsError } from '../../cli/evidence/export';
import { toolInfo } from '../../cli/evidence/tool-info';
import { renderVerdict, verifyEvidence } from '../../cli/evidence/verify';
import { parseParams, signerFromKeyFile } from './args';
import { escapeForTerminal } from '../../cli/terminal-text';
import { CommandIo, UsageError } from './io';

// Heavy modules (DuckDB, the AWS SDK) load only when used. `require`, not `import()`: the CLI runs
// as CommonJS through tsx, whose CJS hook is what loads .ts files.
const lazyQuery = () => require('../../cli/query') as typeof import('../../cli/query');
const lazyKms = () => require('../../lambda/digest/kms-signer') as typeof import('../../lambda/digest/kms-signer');
const lazyKmsClient = () => require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');

const DEFAULT_DATA_DIR = './audit-data';
const USAGE = 'usage: ddb-audit evidence export|verify|keygen (see README: Evidence)';

export async function run(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'export':
        return await runExport(rest, io);
      case 'verify':
        return await runVerify(rest, io);
      case 'keygen':
        return await runKeygen(rest, io);
      default:
        throw new UsageError(sub === undefined ? `missing subcommand; ${USAGE}` : `unknown subcommand "${sub}"; ${USAGE}`);
    }
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof OutputExistsError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || isQueryInputError(err);
    // Messages can quote arguments, query parameters and engine errors: printed escaped.
    io.stderr(`ddb-audit evidence${sub && ['export', 'verify', 'keygen'].includes(sub) ? ` ${sub}` : ''}: ${escapeForTerminal((err as Error).message)}\n`);
    return usage ? 2 : 1;
  }
}

function isQueryInputError(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'UnknownQueryError' || name === 'QueryParamError';
}

async function runExport(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      query: { type: 'string' },
      param: { type: 'string', multiple: true, short: 'p' },
      out: { type: 'string' },
      data: { type: 'string' },
      athena: { type: 'boolean' },
      workgroup: { type: 'string' },
      database: { type: 'string' },
      'sign-key': { type: 'string' },
      'kms-key-id': { type: 'string' },
      reason: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.query) throw new UsageError('missing --query NAME (ddb-audit query --list shows them)');
  if (!values.out) throw new UsageError('missing --out DIR (the package folder to create)');
  if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
  if (!values.athena && (values.workgroup || values.database)) throw new UsageError('--workgroup and --database go with --athena');
  if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');
  if (values['sign-key'] && values['kms-key-id']) throw new UsageError('--sign-key and --kms-key-id are exclusive: one signature per package');
  if (!values['sign-key'] && !values['kms-key-id']) throw new UsageError('missing --sign-key FILE or --kms-key-id ARN (ddb-audit evidence keygen --out FILE makes a key)');

  const signer = values['sign-key'] ? await signerFromKeyFile(resolve(io.cwd, values['sign-key'])) : await kmsSignerFor(values['kms-key-id'] as string);
  const params = parseParams(values.param ?? []);
  const request = values.athena
    ? { name: values.query, params, athena: { workgroup: values.workgroup as string, database: values.database } }
    : { name: values.query, params, dataDir: resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR) };
  const { runQuery } = lazyQuery();

  let exported;
  try {
    exported = await exportEvidence({ runQuery, request, outDir: resolve(io.cwd, values.out), signer, reason: values.reason, tool: await toolInfo() });
  } catch (err) {
    if (err instanceof OutputExistsError || isQueryInputError(err)) throw err;
    throw new Error(`failed, no package written: ${(err as Error).message}`);
  }
  const m = exported.manifest;
  const t = escapeForTerminal;
  io.stdout(
    `evidence package ${t(exported.outDir)}\n` +
      `  query ${t(m.query.name)} on ${m.execution.engine} (${t(m.execution.execution_id)}): ${m.result.empty ? 'no rows matched (the package says so)' : `${m.result.row_count} rows`}\n` +
      `  signed ${m.signing.algorithm} by key ${m.signing.public_key_sha256}\n` +
      `  check it: ddb-audit evidence verify ${t(values.out)} --public-key TRUSTED.pem\n`,
  );
  return 0;
}

function kmsClientFor(keyId: string) {
  const { KMSClient } = lazyKmsClient();
  const { regionOfKmsArn } = lazyKms();
  const region = regionOfKmsArn(keyId);
  return new KMSClient(region ? { region } : {});
}

async function kmsSignerFor(keyId: string): Promise<Signer> {
  const { kmsSigner } = lazyKms();
  return kmsSigner(kmsClientFor(keyId), keyId);
}

async function runVerify(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { 'public-key': { type: 'string' }, 'kms-key-id': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the package DIR' : `expected one package DIR, got ${positionals.join(' ')}`);
  if (values['public-key'] && values['kms-key-id']) throw new UsageError('--public-key and --kms-key-id are exclusive: pin one key');
  const dir = resolve(io.cwd, positionals[0] as string);
  let pinnedKey: KeyObject | undefined;
  if (values['public-key']) pinnedKey = await readPublicKey(resolve(io.cwd, values['public-key']), '--public-key');
  if (values['kms-key-id']) {
    const { kmsPublicKeyPem } = lazyKms();
    const { pem } = await kmsPublicKeyPem(kmsClientFor(values['kms-key-id']), values['kms-key-id']);
    pinnedKey = parsePublicKey(pem, `KMS key ${values['kms-key-id']}`);
  }
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`${positionals[0]} is not a package folder`);
  }
  const result = await verifyEvidence(dir, { pinnedKey });
  io.stdout(renderVerdict(positionals[0] as string, result));
  return result.valid ? 0 : 1;
}

export async function readPublicKey(path: string, option: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parsePublicKey(pem, `${option} ${path}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function runKeygen(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { out: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.out) throw new UsageError('missing --out FILE (the private key to create; the public key goes to FILE.pub)');
  const privatePath = resolve(io.cwd, values.out);
  const publicPath = `${privatePath}.pub`;
  const { privateKeyPem, publicKeyPem } = generateEd25519KeyPair();
  // 'wx': never overwrite a key (losing one would orphan every package it signed).
  try {
    await writeFile(publicPath, publicKeyPem, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${publicPath} already exists; keys are never overwritten`);
    throw err;
  }
  try {
    await writeFile(privatePath, privateKeyPem, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    await rm(publicPath, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${privatePath} already exists; keys are never overwritten`);
    throw err;
  }
  io.stdout(`private key ${escapeForTerminal(privatePath)} (mode 0600: keep it secret)\npublic key  ${escapeForTerminal(publicPath)} (give it to whoever verifies)\nfingerprint ${publicKeyFingerprint(publicKeyPem)}\n`);
  return 0;
}
