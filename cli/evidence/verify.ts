/**
 * `ddb-audit evidence verify DIR`: checks that a package is exactly what was signed.
 *
 * 1. manifest.sig is a valid signature of manifest.json's exact bytes, by the pinned key when one
 *    is given (--public-key / --kms-key-id), else by the key the package carries;
 * 2. every file the manifest lists exists with its size and SHA-256, and no other file exists;
 * 3. the rows in rows.jsonl and rows.csv are the ones the manifest counts, their record_hash values
 *    are the ones it lists, and each record_hash is recomputed from the row's own content.
 * Each problem names the file (and row) it is about. Valid only if there is none.
 *
 * The package is untrusted input. Every entry of the folder is lstat'ed before anything is opened:
 * a symlink, FIFO, socket or device is a finding and is never opened (a FIFO would block the read
 * forever), and files are opened with O_NOFOLLOW | O_NONBLOCK and checked with fstat to be regular
 * files, so one swapped in after the listing is refused too. Rows are matched to the manifest's
 * record_hash list as a multiset before their order is compared, so one deleted row is one
 * finding, not one per row after it; and at most MAX_SHOWN_PER_KIND findings of one kind in one
 * file are listed, the rest counted in one line.
 */
import type { KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sha256Hex } from '../../lambda/digest/sha256';
import { parsePublicKey, publicKeyFingerprint, verifySignature } from '../../lambda/digest/signing';
import { escapeForTerminal } from '../terminal-text';
import { csvToRows } from './csv';
import { CSV_FILE, EVIDENCE_FORMAT_V1, EvidenceManifest, isSafePackagePath, JSONL_FILE, MANIFEST_FILE, parseManifest, SIGNATURE_FILE } from './manifest';
import { isChangeRow, recomputeRecordHash } from './row-record';

export interface EvidenceProblem {
  readonly file: string;
  readonly message: string;
  /** What kind of finding it is, for grouping (e.g. row-content, missing-row, not-regular-file). */
  readonly kind?: string;
}

/** Findings of one kind in one file listed before the rest are summarized in one line. */
export const MAX_SHOWN_PER_KIND = 5;

/** What lstat says an entry is; only 'file' entries are ever opened. */
type EntryKind = 'file' | 'symlink' | 'FIFO' | 'socket' | 'block device' | 'character device' | 'other';

class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
}

export interface EvidenceVerifyResult {
  readonly valid: boolean;
  readonly problems: EvidenceProblem[];
  /** Checks that held, one line each, for the report. */
  readonly passed: string[];
  /** Neither pass nor fail: rows whose record_hash cannot be recomputed from the row alone, an unpinned key. */
  readonly notes: string[];
  readonly manifest?: EvidenceManifest;
}

export async function verifyEvidence(dir: string, options: { pinnedKey?: KeyObject } = {}): Promise<EvidenceVerifyResult> {
  const all: EvidenceProblem[] = [];
  const passed: string[] = [];
  const notes: string[] = [];
  const problem: ProblemSink = (file, message, kind = 'file') => void all.push({ file, message, kind });
  const done = (manifest?: EvidenceManifest): EvidenceVerifyResult => {
    const problems = capFindings(all);
    return { valid: problems.length === 0, problems, passed, notes, manifest };
  };

  const entries = await listEntries(dir);
  const present = new Set<string>();
  for (const [path, kind] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (kind === 'file') present.add(path);
    else problem(path, `is a ${kind}, not a regular file; refused without opening it`, 'not-regular-file');
  }
  const read = (path: string): Promise<Buffer> => readRegularFile(join(dir, path));
  if (!present.has(MANIFEST_FILE)) {
    if (!entries.has(MANIFEST_FILE)) problem(MANIFEST_FILE, 'missing (removed): nothing can be checked without it');
    return done();
  }
  let manifestBytes: Buffer;
  try {
    manifestBytes = await read(MANIFEST_FILE);
  } catch (err) {
    problem(MANIFEST_FILE, (err as Error).message);
    return done();
  }
  let manifest: EvidenceManifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (err) {
    problem(MANIFEST_FILE, `not a valid manifest (${(err as Error).message})`);
    return done();
  }

  // 1. The signature over the manifest.
  await checkSignature(read, present, manifest, manifestBytes, options.pinnedKey, problem, passed, notes);

  // 2. Every listed file, and nothing else.
  const listed = new Set<string>();
  const intact = new Set<string>();
  for (const f of manifest.files) {
    if (!isSafePackagePath(f.path) || f.path === MANIFEST_FILE || f.path === SIGNATURE_FILE) {
      problem(MANIFEST_FILE, `lists an invalid file path ${JSON.stringify(f.path)}`);
      continue;
    }
    listed.add(f.path);
    if (!present.has(f.path)) {
      if (!entries.has(f.path)) problem(f.path, 'missing (removed from the package)');
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await read(f.path);
    } catch (err) {
      problem(f.path, (err as Error).message, 'not-regular-file');
      continue;
    }
    const actual = sha256Hex(bytes);
    if (actual !== f.sha256 || bytes.length !== f.bytes) problem(f.path, `modified: ${bytes.length} bytes with SHA-256 ${actual}; the manifest lists ${f.bytes} bytes with SHA-256 ${f.sha256}`);
    else {
      intact.add(f.path);
      passed.push(`${f.path}: SHA-256 ${actual} matches the manifest`);
    }
  }
  for (const path of [...present].sort()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !listed.has(path)) problem(path, 'not listed in the manifest (added to the package)');
  }

  // 3. The rows: counts, record_hash lists, and each record_hash recomputed.
  await checkRows(read, present, manifest, problem, passed, notes);
  return done(manifest);
}

type ProblemSink = (file: string, message: string, kind?: string) => void;

/** At most MAX_SHOWN_PER_KIND findings per (file, kind), in order; the rest as one "N more" line each. */
function capFindings(problems: readonly EvidenceProblem[]): EvidenceProblem[] {
  const counts = new Map<string, number>();
  const out: EvidenceProblem[] = [];
  const hidden = new Map<string, { file: string; kind: string; count: number }>();
  for (const p of problems) {
    const group = `${p.file}\u0000${p.kind ?? ''}`;
    const seen = (counts.get(group) ?? 0) + 1;
    counts.set(group, seen);
    if (seen <= MAX_SHOWN_PER_KIND) out.push(p);
    else {
      const h = hidden.get(group) ?? { file: p.file, kind: p.kind ?? 'other', count: 0 };
      h.count++;
      hidden.set(group, h);
    }
  }
  for (const h of hidden.values()) out.push({ file: h.file, kind: h.kind, message: `${h.count} more finding(s) of kind ${h.kind} (the first ${MAX_SHOWN_PER_KIND} are listed above)` });
  return out;
}

async function checkSignature(
  read: (path: string) => Promise<Buffer>,
  present: Set<string>,
  manifest: EvidenceManifest,
  manifestBytes: Buffer,
  pinnedKey: KeyObject | undefined,
  problem: ProblemSink,
  passed: string[],
  notes: string[],
): Promise<void> {
  if (!present.has(SIGNATURE_FILE)) return problem(SIGNATURE_FILE, 'missing (removed, or not a regular file): the manifest is unsigned');
  let signature: Buffer;
  try {
    signature = await read(SIGNATURE_FILE);
  } catch (err) {
    return problem(SIGNATURE_FILE, (err as Error).message);
  }
  const claimed = manifest.signing.public_key_sha256;
  let key: KeyObject;
  if (pinnedKey) {
    key = pinnedKey;
    const pinned = publicKeyFingerprint(pinnedKey);
    if (claimed !== pinned) return problem(SIGNATURE_FILE, `the manifest says it was signed by key ${claimed}, not by the pinned key ${pinned}`);
  } else {
    const keyFile = manifest.signing.public_key_file;
    if (!isSafePackagePath(keyFile) || !present.has(keyFile)) return problem(keyFile, 'missing: the package carries no public key to check the signature with (or pin one with --public-key)');
    try {
      key = parsePublicKey((await read(keyFile)).toString('utf8'), keyFile);
    } catch (err) {
      return problem(keyFile, (err as Error).message);
    }
    if (publicKeyFingerprint(key) !== claimed) return problem(keyFile, `is key ${publicKeyFingerprint(key)}, but the manifest says it was signed by key ${claimed}`);
    notes.push(`signature checked against the public key inside the package (${claimed}); this proves integrity, not who signed: pin a trusted key with --public-key`);
  }
  if (!verifySignature(manifest.signing.algorithm, key, manifestBytes, signature)) {
    return problem(MANIFEST_FILE, `signature ${SIGNATURE_FILE} does not verify: ${MANIFEST_FILE} was changed, or ${SIGNATURE_FILE} is not its signature`);
  }
  passed.push(`${MANIFEST_FILE}: ${manifest.signing.algorithm} signature by key ${claimed}${pinnedKey ? ' (the pinned key)' : ''} verifies`);
}

async function checkRows(
  read: (path: string) => Promise<Buffer>,
  present: Set<string>,
  manifest: EvidenceManifest,
  problem: ProblemSink,
  passed: string[],
  notes: string[],
): Promise<void> {
  const sources: { file: string; rows: Record<string, unknown>[] }[] = [];
  if (present.has(JSONL_FILE)) {
    try {
      const text = (await read(JSONL_FILE)).toString('utf8');
      const rows = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((line, i) => parseJsonRow(line, i + 1));
      sources.push({ file: JSONL_FILE, rows });
    } catch (err) {
      problem(JSONL_FILE, (err as Error).message);
    }
  }
  if (present.has(CSV_FILE)) {
    try {
      const restoreFormulas = manifest.format !== EVIDENCE_FORMAT_V1;
      sources.push({ file: CSV_FILE, rows: csvToRows((await read(CSV_FILE)).toString('utf8'), { restoreFormulas }).rows });
    } catch (err) {
      problem(CSV_FILE, err instanceof NotRegularFileError ? err.message : `not readable CSV: ${(err as Error).message}`);
    }
  }

  for (const { file, rows } of sources) {
    if (rows.length !== manifest.result.row_count) problem(file, `holds ${rows.length} rows; the manifest says ${manifest.result.row_count}`, 'row-count');
    if (manifest.record_hashes === null) continue;
    const hashes = rows.map((row) => (isChangeRow(row) ? row.record_hash : undefined));
    compareWithListedHashes(file, hashes, manifest.record_hashes, problem);
    let matched = 0;
    const unrecomputable: string[] = [];
    rows.forEach((row, i) => {
      const label = `row ${i + 1}`;
      if (!isChangeRow(row)) return problem(file, `${label}: has no record_hash column`, 'row-invalid');
      const outcome = recomputeRecordHash(row);
      if (outcome.status === 'match') matched++;
      else if (outcome.status === 'mismatch') problem(file, `${label}: record_hash ${outcome.expected} does not match the row's content (recomputed ${outcome.actual})`, 'row-content');
      else if (outcome.status === 'invalid') problem(file, `${label}: ${outcome.reason}`, 'row-invalid');
      else unrecomputable.push(`${label} (${outcome.reason})`);
    });
    if (matched > 0 || rows.length === 0) passed.push(`${file}: record_hash recomputed and matching for ${matched} of ${rows.length} rows`);
    if (unrecomputable.length > 0) notes.push(`${file}: record_hash not recomputable from the row alone for ${unrecomputable.length} row(s): ${unrecomputable.slice(0, 5).join('; ')}${unrecomputable.length > 5 ? '; …' : ''}`);
  }
}

/**
 * The rows' record_hash values against the manifest's list: first as multisets (a listed hash no
 * row carries is one missing-row finding; a row hash not listed is one unlisted-row finding), then,
 * only when both hold the same hashes, their order (one finding at the first difference). So a
 * deleted or inserted row is reported once, not as a mismatch of every row after it.
 */
function compareWithListedHashes(file: string, hashes: readonly unknown[], listed: readonly string[], problem: ProblemSink): void {
  const balance = new Map<unknown, number>();
  for (const h of listed) balance.set(h, (balance.get(h) ?? 0) + 1);
  for (const h of hashes) balance.set(h, (balance.get(h) ?? 0) - 1);
  // A positive balance counts listed hashes no row carries, a negative one row hashes not listed;
  // each finding settles one unit of it, so the first occurrences are the ones reported.
  let differ = false;
  listed.forEach((h, i) => {
    const left = balance.get(h) ?? 0;
    if (left <= 0) return;
    balance.set(h, left - 1);
    differ = true;
    problem(file, `the row listed ${ordinal(i + 1)} in the manifest (record_hash ${h}) is missing`, 'missing-row');
  });
  hashes.forEach((h, i) => {
    const left = balance.get(h) ?? 0;
    if (left >= 0) return;
    balance.set(h, left + 1);
    differ = true;
    problem(file, `row ${i + 1}: record_hash ${String(h)} is not listed in the manifest (a row added or changed)`, 'unlisted-row');
  });
  if (differ) return;
  const first = hashes.findIndex((h, i) => h !== listed[i]);
  if (first >= 0) problem(file, `rows are not in the manifest's order from row ${first + 1} on (record_hash ${String(hashes[first])}, listed ${ordinal(first + 1)}: ${listed[first]})`, 'row-order');
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function parseJsonRow(line: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`line ${lineNumber}: not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${lineNumber}: not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Every entry under dir (hidden ones too), as '/'-separated relative paths, with what lstat says it
 * is. Only real folders are descended into: a symlink to a folder is an entry like any other.
 */
async function listEntries(dir: string): Promise<Map<string, EntryKind>> {
  const out = new Map<string, EntryKind>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else out.set(path, kindOf(entry));
    }
  };
  await walk('');
  return out;
}

function kindOf(entry: { isFile(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): EntryKind {
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice()) return 'block device';
  if (entry.isCharacterDevice()) return 'character device';
  return 'other';
}

/**
 * The bytes of a regular file. O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps the open of a FIFO
 * from waiting for a writer, and fstat on the opened descriptor refuses anything that is not a
 * regular file, whatever the listing said a moment before.
 */
async function readRegularFile(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new NotRegularFileError(`${basename(path)} became a symlink after it was listed; refused`);
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new NotRegularFileError(`${basename(path)} is not a regular file; refused without reading it`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * The verdict as printed: one line per check, then VALID or INVALID naming each failing file.
 * File names and messages come from the package (a forger chooses them), so each is printed
 * through escapeForTerminal: no line can move the cursor or repaint the verdict.
 */
export function renderVerdict(dir: string, result: EvidenceVerifyResult): string {
  const t = escapeForTerminal;
  const lines = [`evidence verify ${t(dir)}`];
  for (const p of result.passed) lines.push(`  ok    ${t(p)}`);
  for (const n of result.notes) lines.push(`  note  ${t(n)}`);
  for (const p of result.problems) lines.push(`  FAIL  ${t(p.file)}: ${t(p.message)}`);
  if (result.valid) lines.push('VALID: every file matches the signed manifest');
  else {
    const files = [...new Set(result.problems.map((p) => t(p.file)))];
    lines.push(`INVALID: ${result.problems.length} problem(s) in ${files.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
