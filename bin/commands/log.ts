/**
 * `ddb-audit log digest [--data DIR] [--sign-key FILE] [--include-current-hour]`
 *   Writes the hourly digests that are due for the local data folder (the same code as the digest
 *   Lambda). Without --sign-key it uses DIR/.keys/digest-signing-key.pem, created on first use.
 * `ddb-audit log verify [--from T] [--to T] [--data DIR | --bucket B [--region R]] [--public-key FILE]
 *                       [--require-object-lock] [--format text|json]`
 *   Walks the digest chain and every object it lists, and accounts for every entry under changes/;
 *   exit 0 when INTACT, 1 on any finding or when nothing was verified, 2 on bad arguments
 *   (docs/tamper-evident-log.md). Object Lock retention is checked by default with --bucket; a
 *   local folder has none, so there it is checked only with --require-object-lock.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { hourLabel, hourOfDigestKey } from '../../lambda/digest/digest-format';
import { CHANGES_PREFIX, DIGESTS_PREFIX } from '../../schemas/partitioning';
import { LocalFolderStore } from '../../lambda/digest/local-store';
import { ed25519Signer, generateEd25519KeyPair, publicKeyFingerprint, Signer } from '../../lambda/digest/signing';
import type { ObjectStore } from '../../lambda/digest/store';
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { findConflictingCopies } from '../../cli/log/conflicting-copies';
import { logExitCode, renderLogReport, renderLogReportJson } from '../../cli/log/report';
import { parseTimeBound } from '../../cli/log/time-range';
import { LogFinding, verifyLog } from '../../cli/log/verify-log';
import { queryableFiles } from '../../cli/query/duckdb-engine';
import { escapeForTerminal } from '../../cli/terminal-text';
import { readPublicKey } from './evidence';
import { signerFromKeyFile } from './args';
import { CommandIo, UsageError } from './io';

const DEFAULT_DATA_DIR = './audit-data';
/** Default local signing key, inside the data folder but hidden from the log's own listing. */
export const DEFAULT_LOCAL_KEY = join('.keys', 'digest-signing-key.pem');
const USAGE = 'usage: ddb-audit log digest|verify (see README: Tamper-evident log)';

export async function run(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'digest') return await runDigest(rest, io);
    if (sub === 'verify') return await runVerify(rest, io);
    throw new UsageError(sub === undefined ? `missing subcommand; ${USAGE}` : `unknown subcommand "${sub}"; ${USAGE}`);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    // Messages can quote object keys from the log: escaped like every report line.
    io.stderr(`ddb-audit log${sub === 'digest' || sub === 'verify' ? ` ${sub}` : ''}: ${escapeForTerminal((err as Error).message)}\n`);
    return usage ? 2 : 1;
  }
}

async function runDigest(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { data: { type: 'string' }, 'sign-key': { type: 'string' }, 'include-current-hour': { type: 'boolean' } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const dataDir = resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
  const signer = values['sign-key'] ? await signerFromKeyFile(resolve(io.cwd, values['sign-key'])) : await defaultLocalSigner(dataDir, io);
  const result = await writeDueDigests({ store: new LocalFolderStore(dataDir), signer, now: new Date(), includeCurrentHour: values['include-current-hour'] ?? false });
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

async function runVerify(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      data: { type: 'string' },
      bucket: { type: 'string' },
      region: { type: 'string' },
      'public-key': { type: 'string' },
      'require-object-lock': { type: 'boolean' },
      format: { type: 'string' },
    },
  });
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format "${values.format}" is not one of text, json`);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
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
  const pinnedKey: KeyObject | undefined = values['public-key'] ? await readPublicKey(resolve(io.cwd, values['public-key']), '--public-key') : undefined;

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
    io.stdout(`log verify ${escapeForTerminal(store.location)}: no digests yet (run ddb-audit log digest, or wait for the digest Lambda)${objects > 0 ? `; ${objects} object(s) under ${CHANGES_PREFIX} are covered by no digest` : ''}\nNOT VERIFIED\n`);
    return 1;
  }
  const result = await verifyLog({ store, fromMs, toMs, now, pinnedKey, requireObjectLock: values['require-object-lock'] || undefined, contentCheck });
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
