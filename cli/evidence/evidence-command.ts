/**
 * What `ddb-audit evidence export|verify|keygen` do once their arguments are parsed
 * (bin/commands/evidence.ts defines them). Exit status: 0 done / package intact; 1 failed or
 * tampered; 2 bad arguments, an existing --out, or a data folder that holds no change log.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { generateEd25519KeyPair, parsePublicKey, publicKeyFingerprint, Signer } from '../../lambda/digest/signing';
import { exportEvidence, OutputExistsError } from './export';
import { toolInfo } from './tool-info';
import { renderVerdict, verifyEvidence } from './verify';
import { parseParams, readPublicKey, signerFromKeyFile } from '../program/params';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { escapeForTerminal } from '../terminal-text';

// Heavy modules (DuckDB, the AWS SDK) load only when used. `require`, not `import()`: the CLI runs
// as CommonJS through tsx, whose CJS hook is what loads .ts files.
const lazyQuery = () => require('../query') as typeof import('../query');
const lazyChangeLog = () => require('../query/change-log-folder') as typeof import('../query/change-log-folder');
const lazyKms = () => require('../../lambda/digest/kms-signer') as typeof import('../../lambda/digest/kms-signer');
const lazyKmsClient = () => require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');

export const DEFAULT_DATA_DIR = './audit-data';

export type EvidenceSubcommand = 'export' | 'verify' | 'keygen';

/** Runs `body`, printing any error as one `ddb-audit evidence SUB:` line with the contract's exit status. */
export async function evidenceCommand(sub: EvidenceSubcommand, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof OutputExistsError || isQueryInputError(err);
    // Messages can quote arguments, query parameters and engine errors: printed escaped.
    io.stderr(`ddb-audit evidence ${sub}: ${escapeForTerminal((err as Error).message)}\n`);
    return usage ? 2 : 1;
  }
}

function isQueryInputError(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'UnknownQueryError' || name === 'QueryParamError';
}

export interface ExportCommandOptions {
  readonly query?: string;
  readonly param?: readonly string[];
  readonly out?: string;
  readonly data?: string;
  readonly athena?: boolean;
  readonly workgroup?: string;
  readonly database?: string;
  readonly signKey?: string;
  readonly kmsKeyId?: string;
  readonly reason?: string;
}

export async function exportCommand(values: ExportCommandOptions, io: CommandIo): Promise<number> {
  if (!values.query) throw new UsageError('missing --query NAME (ddb-audit query --list shows them)');
  if (!values.out) throw new UsageError('missing --out DIR (the package folder to create)');
  if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
  if (!values.athena && (values.workgroup || values.database)) throw new UsageError('--workgroup and --database go with --athena');
  if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');
  if (values.signKey && values.kmsKeyId) throw new UsageError('--sign-key and --kms-key-id are exclusive: one signature per package');
  if (!values.signKey && !values.kmsKeyId) throw new UsageError('missing --sign-key FILE or --kms-key-id ARN (ddb-audit evidence keygen --out FILE makes a key)');

  const params = parseParams(values.param ?? []);
  const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
  // Before the signer (which may call KMS): a mistyped --data is refused, not signed as "nothing matched".
  if (!values.athena) await lazyChangeLog().assertHoldsChangeLog(dataDir);
  const signer = values.signKey ? await signerFromKeyFile(resolve(io.cwd, values.signKey)) : await kmsSignerFor(values.kmsKeyId as string);
  const request = values.athena
    ? { name: values.query, params, athena: { workgroup: values.workgroup as string, database: values.database } }
    : { name: values.query, params, dataDir };
  const { runQuery } = lazyQuery();

  let exported;
  try {
    exported = await exportEvidence({ runQuery: (r) => runQuery(r, values.athena ? { athena: { client: lazyQuery().athenaClient(io.env) } } : {}), request, outDir: resolve(io.cwd, values.out), signer, reason: values.reason, tool: await toolInfo() });
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
      `  check it: npx ddb-audit evidence verify ${t(values.out)} --public-key TRUSTED.pem\n`,
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

export interface VerifyCommandOptions {
  readonly publicKey?: string;
  readonly kmsKeyId?: string;
}

export async function verifyCommand(dirArg: string, values: VerifyCommandOptions, io: CommandIo): Promise<number> {
  if (values.publicKey && values.kmsKeyId) throw new UsageError('--public-key and --kms-key-id are exclusive: pin one key');
  const dir = resolve(io.cwd, dirArg);
  let pinnedKey: KeyObject | undefined;
  if (values.publicKey) pinnedKey = await readPublicKey(resolve(io.cwd, values.publicKey), '--public-key');
  if (values.kmsKeyId) {
    const { kmsPublicKeyPem } = lazyKms();
    const { pem } = await kmsPublicKeyPem(kmsClientFor(values.kmsKeyId), values.kmsKeyId);
    pinnedKey = parsePublicKey(pem, `KMS key ${values.kmsKeyId}`);
  }
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`${dirArg} is not a package folder`);
  }
  const result = await verifyEvidence(dir, { pinnedKey });
  io.stdout(renderVerdict(dirArg, result));
  return result.valid ? 0 : 1;
}

export async function keygenCommand(out: string | undefined, io: CommandIo): Promise<number> {
  if (!out) throw new UsageError('missing --out FILE (the private key to create; the public key goes to FILE.pub)');
  const privatePath = resolve(io.cwd, out);
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
