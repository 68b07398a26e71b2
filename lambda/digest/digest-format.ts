/**
 * The hourly digest: what it holds, where it lives, how it is written and read back.
 *
 * One digest per UTC hour at a fixed key, digests/YYYY/MM/DD/HH.json, so a missing hour is visible
 * from the key alone; its signature is beside it as HH.json.sig (raw bytes over the exact digest
 * bytes); the public keys that signed digests are kept under digests/public-keys/<fingerprint>.pem.
 *
 * "Delivered in an hour" means the object's S3 LastModified (the file's mtime locally) falls in
 * [hour_start, hour_end). A digest is written only once its hour has ended and SETTLE_MINUTES
 * have passed. An object that shows up after its hour was digested (LastModified is when an upload
 * started, so a slow upload can finish after the digest ran) is listed by the next digest written,
 * marked late: from a listing, as long as it is at most LOOKBACK_HOURS old; from the arrivals
 * ledger (./arrivals/), whenever it is recorded there, since no digest of the LOOKBACK_HOURS before
 * lists it. Every hour gets a digest even when nothing was delivered, so a deleted digest is always
 * detectable.
 */
import { DIGESTS_PREFIX } from '../../schemas/partitioning';
import { isSignatureAlgorithm, SignatureAlgorithm } from './signing';
import { OBJECT_LOCK_MODES, ObjectLockMode } from './store';

export const DIGEST_FORMAT = 'ddb-audit/log-digest/v1';
export const HOUR_MS = 3_600_000;
/** Wait after an hour ends before digesting it: Firehose and S3 finish uploads within minutes. */
export const SETTLE_MINUTES = 15;
/** How far back a digest looks for objects that arrived after their own hour was digested. */
export const LOOKBACK_HOURS = 24;
export const PUBLIC_KEYS_PREFIX = `${DIGESTS_PREFIX}public-keys/`;

export interface DigestObjectEntry {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** LastModified (mtime locally), ISO-8601 UTC. */
  readonly last_modified: string;
  /** True when the object was delivered before hour_start but missed by earlier digests. */
  readonly late: boolean;
  /**
   * The object's S3 Object Lock mode when it was digested (GetObject's ObjectLockMode); null when
   * it had none, or in a local folder, which has no Object Lock. Absent in digests written before
   * retention was recorded: `log verify` reports those as "retention not recorded", not as tampering.
   */
  readonly object_lock_mode?: ObjectLockMode | null;
  /** The object's retain-until date when it was digested, ISO-8601 UTC; null exactly when object_lock_mode is. */
  readonly object_lock_retain_until?: string | null;
}

export interface DigestLink {
  readonly key: string;
  readonly sha256: string;
}

export interface DigestDocument {
  readonly format: typeof DIGEST_FORMAT;
  readonly hour_start: string;
  readonly hour_end: string;
  readonly created_at: string;
  /** Where the log lives (s3://bucket, or the local data folder); informational. */
  readonly log_location: string;
  readonly changes_prefix: string;
  /** The digest before this one (key and SHA-256 of its exact bytes); null for the first digest. */
  readonly previous_digest: DigestLink | null;
  readonly object_count: number;
  readonly total_bytes: number;
  readonly objects: readonly DigestObjectEntry[];
  readonly signing: {
    readonly algorithm: SignatureAlgorithm;
    /** SHA-256 of the signing public key's DER SubjectPublicKeyInfo. */
    readonly public_key_sha256: string;
    readonly kms_key_id: string | null;
  };
}

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function hourLabel(hourStartMs: number): string {
  return `${new Date(hourStartMs).toISOString().slice(0, 13)}:00Z`;
}

export function digestKey(hourStartMs: number): string {
  const iso = new Date(hourStartMs).toISOString();
  return `${DIGESTS_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}.json`;
}

export function signatureKey(digestObjectKey: string): string {
  return `${digestObjectKey}.sig`;
}

export function publicKeyKey(fingerprint: string): string {
  return `${PUBLIC_KEYS_PREFIX}${fingerprint}.pem`;
}

const DIGEST_KEY_PATTERN = new RegExp(`^${DIGESTS_PREFIX}(\\d{4})/(\\d{2})/(\\d{2})/(\\d{2})\\.json$`);

/** The hour a digest key stands for, or undefined when the key is not a digest. */
export function hourOfDigestKey(key: string): number | undefined {
  const m = DIGEST_KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
  return digestKey(ms) === key ? ms : undefined;
}

/** The last hour that is due for a digest at `nowMs`: its end plus the settle time has passed. */
export function lastDueHour(nowMs: number, settleMinutes = SETTLE_MINUTES): number {
  return floorHour(nowMs - settleMinutes * 60_000) - HOUR_MS;
}

/** Pretty JSON, one object entry per line group: digests are meant to be read by people too. */
export function serializeDigest(doc: DigestDocument): Buffer {
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
}

export class DigestFormatError extends Error {
  override name = 'DigestFormatError';
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Parses and checks the shape of a digest; throws DigestFormatError naming what is wrong. */
export function parseDigest(bytes: Buffer): DigestDocument {
  let doc: any;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DigestFormatError('not valid JSON');
  }
  const fail = (what: string): never => {
    throw new DigestFormatError(what);
  };
  if (doc === null || typeof doc !== 'object') fail('not a JSON object');
  if (doc.format !== DIGEST_FORMAT) fail(`format is ${JSON.stringify(doc.format)}, expected ${DIGEST_FORMAT}`);
  for (const field of ['hour_start', 'hour_end', 'created_at']) if (typeof doc[field] !== 'string' || Number.isNaN(Date.parse(doc[field]))) fail(`${field} is not a timestamp`);
  if (!Array.isArray(doc.objects)) fail('objects is not a list');
  for (const [i, o] of (doc.objects as any[]).entries()) {
    if (typeof o?.key !== 'string' || !Number.isSafeInteger(o.size) || typeof o.sha256 !== 'string' || !SHA256_HEX.test(o.sha256)) fail(`objects[${i}] is not {key, size, sha256}`);
    const problem = retentionProblem(o);
    if (problem) fail(`objects[${i}] ${problem}`);
  }
  if (doc.previous_digest !== null && (typeof doc.previous_digest?.key !== 'string' || !SHA256_HEX.test(String(doc.previous_digest?.sha256)))) fail('previous_digest is neither null nor {key, sha256}');
  if (!isSignatureAlgorithm(doc.signing?.algorithm) || !SHA256_HEX.test(String(doc.signing?.public_key_sha256))) fail('signing is not {algorithm, public_key_sha256}');
  return doc as DigestDocument;
}

/** Why an entry's retention fields are malformed, or undefined when they are absent (older digests) or well formed. */
function retentionProblem(o: Record<string, unknown>): string | undefined {
  const hasMode = 'object_lock_mode' in o;
  const hasUntil = 'object_lock_retain_until' in o;
  if (!hasMode && !hasUntil) return undefined;
  if (hasMode !== hasUntil) return 'has only one of object_lock_mode and object_lock_retain_until';
  const mode = o.object_lock_mode;
  const until = o.object_lock_retain_until;
  if (mode === null && until === null) return undefined;
  if (typeof mode !== 'string' || !(OBJECT_LOCK_MODES as readonly string[]).includes(mode)) return `object_lock_mode is ${JSON.stringify(mode)}, expected GOVERNANCE, COMPLIANCE or null`;
  if (typeof until !== 'string' || Number.isNaN(Date.parse(until))) return `object_lock_retain_until is ${JSON.stringify(until)}, expected an ISO-8601 time when object_lock_mode is set`;
  return undefined;
}
