/**
 * What `ddb-audit log digest|verify` do once their arguments are parsed (bin/commands/log.ts
 * defines them; docs/tamper-evident-log.md describes the chain).
 *
 * log digest writes the hourly digests that are due for a local data folder (the same code as the
 * digest Lambda). A folder without a digest chain gets one only with --init: a mistyped --data must
 * not silently start a new chain (and a new signing key) in a new folder.
 *
 * log verify walks the digest chain and every object it lists; exit 0 when INTACT, 1 on any finding
 * or when nothing was verified (a missing or empty folder is NOT VERIFIED, never clean), 2 on bad
 * arguments.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { hourLabel, hourOfDigestKey } from '../../lambda/digest/digest-format';
import { CHANGES_PREFIX, DIGESTS_PREFIX } from '../../schemas/partitioning';
import { LocalFolderStore } from '../../lambda/digest/local-store';
import { ed25519Signer, generateEd25519KeyPair, publicKeyFingerprint, Signer } from '../../lambda/digest/signing';
import type { ObjectStore } from '../../lambda/digest/store';
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { findConflictingCopies } from './conflicting-copies';
import { logExitCode, renderLogReport, renderLogReportJson } from './report';
import { parseTimeBound } from './time-range';
import { LogFinding, verifyLog } from './verify-log';
import { queryableFiles } from '../query/duckdb-engine';
import { escapeForTerminal } from '../terminal-text';
import { readPublicKey, signerFromKeyFile } from '../program/params';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

export const DEFAULT_DATA_DIR = './audit-data';
/** Default local signing key, inside the data folder but hidden from the log's own listing. */
export const DEFAULT_LOCAL_KEY = join('.keys', 'digest-signing-key.pem');

/** Runs `body`, printing any error as one `ddb-audit log SUB:` line: 2 for usage errors, else 1. */
export async function logCommand(sub: 'digest' | 'verify', io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    // Messages can quote object keys from the log: escaped like every report line.
    io.stderr(`ddb-audit log ${sub}: ${escapeForTerminal((err as Error).message)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

export interface DigestCommandOptions {
  readonly data?: string;
  readonly signKey?: string;
  readonly includeCurrentHour?: boolean;
  readonly init?: boolean;
}

export async function digestCommand(values: DigestCommandOptions, io: CommandIo): Promise<number> {
  const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
  const info = await stat(dataDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`data folder ${dataDir} does not exist or is not a folder (is --data right?)`);
  const store = new LocalFolderStore(dataDir);
  const chained = await hasDigests(store);
  if (!chained && !values.init) {
    throw new UsageError(`data folder ${dataDir} has no digest chain yet; pass --init to start one there (is --data right?)`);
  }
  if (chained && values.init) throw new UsageError(`--init: data folder ${dataDir} already has a digest chain, which this run would continue; run without --init`);
  const signer = values.signKey ? await signerFromKeyFile(resolve(io.cwd, values.signKey)) : await defaultLocalSigner(dataDir, io);
  const result = await writeDueDigests({ store, signer, now: new Date(), includeCurrentHour: values.includeCurrentHour ?? false });
  const objects = result.written.reduce((n, w) => n + w.objects, 0);
  const late = result.written.reduce((n, w) => n + w.lateObjects, 0);
  const first = result.written[0];
  const last = result.written.at(-1);
  const recovered = result.recoveredSignatures.map((key) => `signed ${escapeForTerminal(key)}, which an earlier run wrote without its signature (checked first: it parses, chains and matches its objects)\n`).join('');
  io.stdout(
    recovered +
      (first && last
        ? `wrote ${result.written.length} digest(s), ${first.hourStart.slice(0, 13)}:00Z to ${last.hourStart.slice(0, 13)}:00Z, listing ${objects} object(s)${late > 0 ? ` (${late} late)` : ''}\n`
        : 'no digest due (every completed hour already has one; --include-current-hour digests the hour in progress)\n') +
      `newest digest ${escapeForTerminal(result.latestDigestKey ?? '(none)')}; signing key ${result.publicKeySha256}\n`,
  );
  return 0;
}

async function defaultLocalSigner(dataDir: string, io: CommandIo): Promise<Signer> {
  const path = join(dataDir, DEFAULT_LOCAL_KEY);
  try {
    return ed25519Signer(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKeyPem, publicKeyPem } = generateEd25519KeyPair();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, privateKeyPem, { flag: 'wx', mode: 0o600 });
  await writeFile(`${path}.pub`, publicKeyPem, { flag: 'wx' });
  io.stderr(`created signing key ${path} (public key ${path}.pub, fingerprint ${publicKeyFingerprint(publicKeyPem)}); keep a copy of the .pub outside the data folder to pin it\n`);
  return ed25519Signer(privateKeyPem, path);
}

export interface VerifyLogCommandOptions {
  readonly from?: string;
  readonly to?: string;
  readonly data?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly publicKey?: string;
  readonly requireObjectLock?: boolean;
  readonly format?: string;
}

export async function verifyLogCommand(values: VerifyLogCommandOptions, io: CommandIo): Promise<number> {
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format "${values.format}" is not one of text, json`);
  if (values.data && values.bucket) throw new UsageError('--data and --bucket are exclusive: a local folder or an S3 bucket');
  if (values.region && !values.bucket) throw new UsageError('--region goes with --bucket');
  let fromMs: number | undefined;
  let toMs: number | undefined;
  try {
    if (values.from) fromMs = parseTimeBound(values.from, 'start', '--from');
    if (values.to) toMs = parseTimeBound(values.to, 'end', '--to');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  const pinnedKey: KeyObject | undefined = values.publicKey ? await readPublicKey(resolve(io.cwd, values.publicKey), '--public-key') : undefined;

  let store: ObjectStore;
  let contentCheck: (() => Promise<LogFinding[]>) | undefined;
  const now = new Date();
  if (values.bucket) {
    // Loaded only for --bucket; `require` because the CLI runs as CommonJS through tsx.
    const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    const { S3Store } = require('../../lambda/digest/s3-store') as typeof import('../../lambda/digest/s3-store');
    store = new S3Store(new S3Client(values.region ? { region: values.region } : {}), values.bucket);
  } else {
    const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
    // A missing folder is an error, never an empty (and so clean-looking) log.
    const info = await stat(dataDir).catch(() => undefined);
    if (!info?.isDirectory()) throw new Error(`data folder ${dataDir} does not exist or is not a folder`);
    store = new LocalFolderStore(dataDir);
    contentCheck = () => conflictFindings(dataDir, now);
  }

  if (!(await hasDigests(store))) {
    const objects = (await store.list(CHANGES_PREFIX)).length;
    const what = objects > 0 ? `; ${objects} object(s) under ${CHANGES_PREFIX} are covered by no digest` : `; it holds no change log either (nothing under ${CHANGES_PREFIX}): is the location right?`;
    io.stdout(`log verify ${escapeForTerminal(store.location)}: no digests yet (start the chain with ddb-audit log digest --init, or wait for the digest Lambda)${what}\nNOT VERIFIED\n`);
    return 1;
  }
  const result = await verifyLog({ store, fromMs, toMs, now, pinnedKey, requireObjectLock: values.requireObjectLock || undefined, contentCheck });
  if (format === 'json') io.stdout(renderLogReportJson(store.location, result));
  else {
    io.stdout(renderLogReport(store.location, result));
    if (result.hoursChecked === 0 && fromMs !== undefined) io.stdout(`  note  no hour from ${hourLabel(fromMs)} is due for a digest yet\n`);
  }
  return logExitCode(result);
}

async function hasDigests(store: ObjectStore): Promise<boolean> {
  return (await store.list(DIGESTS_PREFIX)).some((o) => hourOfDigestKey(o.key) !== undefined);
}

/**
 * Changes stored in two or more different versions in the files a local query reads (at most 1,000
 * named, then a count), and files DuckDB cannot read as Parquet.
 */
async function conflictFindings(dataDir: string, now: Date): Promise<LogFinding[]> {
  const { conflicts, total, unreadable } = await findConflictingCopies(dataDir, await queryableFiles(dataDir, now));
  const findings: LogFinding[] = unreadable.map((u) => ({ kind: 'unreadable-object', key: u.key, detail: `not readable as Parquet, so not checked for conflicting copies (${u.reason})` }));
  findings.push(...conflicts.map((c) => ({
    kind: 'conflicting-copies' as const,
    key: c.changeKey,
    detail: `change ${c.changeKey} is stored in ${c.versions} different versions (record_hash ${c.recordHashes.join(', ')}) in ${c.keys.join(', ')}; at most one was written by the collector`,
  })));
  if (total > conflicts.length) findings.push({ kind: 'conflicting-copies', key: CHANGES_PREFIX, detail: `and ${total - conflicts.length} more change(s) with conflicting copies (not listed)` });
  return findings;
}
