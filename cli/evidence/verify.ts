/**
 * `ddb-audit evidence verify DIR`: checks that a package is exactly what was signed.
 *
 * 1. manifest.sig is a valid signature of manifest.json's exact bytes, by the pinned key when one
 *    is given (--public-key / --kms-key-id), else by the key the package carries;
 * 2. every file the manifest lists exists with its size and SHA-256, and no other file exists;
 * 3. the rows in rows.jsonl and rows.csv are the ones the manifest counts, their record_hash values
 *    are the ones it lists, and each record_hash is recomputed from the row's own content.
 * Each problem names the file (and row) it is about. Valid only if there is none.
 */
import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../../lambda/digest/sha256';
import { parsePublicKey, publicKeyFingerprint, verifySignature } from '../../lambda/digest/signing';
import { csvToRows } from './csv';
import { CSV_FILE, EvidenceManifest, isSafePackagePath, JSONL_FILE, MANIFEST_FILE, parseManifest, SIGNATURE_FILE } from './manifest';
import { isChangeRow, recomputeRecordHash } from './row-record';

export interface EvidenceProblem {
  readonly file: string;
  readonly message: string;
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
  const problems: EvidenceProblem[] = [];
  const passed: string[] = [];
  const notes: string[] = [];
  const problem = (file: string, message: string): void => void problems.push({ file, message });
  const done = (manifest?: EvidenceManifest): EvidenceVerifyResult => ({ valid: problems.length === 0, problems, passed, notes, manifest });

  const present = await listFiles(dir);
  const manifestBytes = present.has(MANIFEST_FILE) ? await readFile(join(dir, MANIFEST_FILE)) : undefined;
  if (!manifestBytes) {
    problem(MANIFEST_FILE, 'missing (removed): nothing can be checked without it');
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
  await checkSignature(dir, present, manifest, manifestBytes, options.pinnedKey, problem, passed, notes);

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
      problem(f.path, 'missing (removed from the package)');
      continue;
    }
    const bytes = await readFile(join(dir, f.path));
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
  await checkRows(dir, present, manifest, problem, passed, notes);
  return done(manifest);
}

async function checkSignature(
  dir: string,
  present: Set<string>,
  manifest: EvidenceManifest,
  manifestBytes: Buffer,
  pinnedKey: KeyObject | undefined,
  problem: (file: string, message: string) => void,
  passed: string[],
  notes: string[],
): Promise<void> {
  if (!present.has(SIGNATURE_FILE)) return problem(SIGNATURE_FILE, 'missing (removed): the manifest is unsigned');
  const signature = await readFile(join(dir, SIGNATURE_FILE));
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
      key = parsePublicKey((await readFile(join(dir, keyFile))).toString('utf8'), keyFile);
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
  dir: string,
  present: Set<string>,
  manifest: EvidenceManifest,
  problem: (file: string, message: string) => void,
  passed: string[],
  notes: string[],
): Promise<void> {
  const sources: { file: string; rows: Record<string, unknown>[] }[] = [];
  if (present.has(JSONL_FILE)) {
    const text = (await readFile(join(dir, JSONL_FILE))).toString('utf8');
    try {
      const rows = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((line, i) => parseJsonRow(line, i + 1));
      sources.push({ file: JSONL_FILE, rows });
    } catch (err) {
      problem(JSONL_FILE, (err as Error).message);
    }
  }
  if (present.has(CSV_FILE)) {
    try {
      sources.push({ file: CSV_FILE, rows: csvToRows((await readFile(join(dir, CSV_FILE))).toString('utf8')).rows });
    } catch (err) {
      problem(CSV_FILE, `not readable CSV: ${(err as Error).message}`);
    }
  }

  for (const { file, rows } of sources) {
    if (rows.length !== manifest.result.row_count) problem(file, `holds ${rows.length} rows; the manifest says ${manifest.result.row_count}`);
    if (manifest.record_hashes === null) continue;
    let matched = 0;
    const unrecomputable: string[] = [];
    rows.forEach((row, i) => {
      const label = `row ${i + 1}`;
      const listedHash = manifest.record_hashes?.[i];
      if (!isChangeRow(row)) return problem(file, `${label}: has no record_hash column`);
      if (row.record_hash !== listedHash) problem(file, `${label}: record_hash ${String(row.record_hash)} is not the manifest's ${String(listedHash)}`);
      const outcome = recomputeRecordHash(row);
      if (outcome.status === 'match') matched++;
      else if (outcome.status === 'mismatch') problem(file, `${label}: record_hash ${outcome.expected} does not match the row's content (recomputed ${outcome.actual})`);
      else if (outcome.status === 'invalid') problem(file, `${label}: ${outcome.reason}`);
      else unrecomputable.push(`${label} (${outcome.reason})`);
    });
    if (matched > 0 || rows.length === 0) passed.push(`${file}: record_hash recomputed and matching for ${matched} of ${rows.length} rows`);
    if (unrecomputable.length > 0) notes.push(`${file}: record_hash not recomputable from the row alone for ${unrecomputable.length} row(s): ${unrecomputable.slice(0, 5).join('; ')}${unrecomputable.length > 5 ? '; …' : ''}`);
  }
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

/** Every file under dir (hidden ones too), as '/'-separated relative paths. */
async function listFiles(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else out.add(path);
    }
  };
  await walk('');
  return out;
}

/** The verdict as printed: one line per check, then VALID or INVALID naming each failing file. */
export function renderVerdict(dir: string, result: EvidenceVerifyResult): string {
  const lines = [`evidence verify ${dir}`];
  for (const p of result.passed) lines.push(`  ok    ${p}`);
  for (const n of result.notes) lines.push(`  note  ${n}`);
  for (const p of result.problems) lines.push(`  FAIL  ${p.file}: ${p.message}`);
  if (result.valid) lines.push('VALID: every file matches the signed manifest');
  else {
    const files = [...new Set(result.problems.map((p) => p.file))];
    lines.push(`INVALID: ${result.problems.length} problem(s) in ${files.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
