/**
 * Writes every hourly digest that is due, continuing the chain from the newest digest found.
 * Shared by the digest Lambda (S3 store, KMS signer) and `ddb-audit log digest` (local folder,
 * Ed25519 key file): the same code decides, hashes, chains and signs.
 *
 * Which objects a digest lists (see ./digest-format.ts for the rules):
 *   - delivered in its hour (LastModified in [hour_start, hour_end)), and
 *   - delivered up to LOOKBACK_HOURS earlier but listed by none of the digests of those hours (late).
 * A gap left by a deleted digest is never refilled: the chain continues after the newest digest,
 * so the gap stays visible to `ddb-audit log verify`.
 */
import { CHANGES_PREFIX, DIGESTS_PREFIX } from '../../schemas/partitioning';
import {
  DigestDocument,
  DigestLink,
  DigestObjectEntry,
  DIGEST_FORMAT,
  digestKey,
  floorHour,
  HOUR_MS,
  hourOfDigestKey,
  lastDueHour,
  LOOKBACK_HOURS,
  parseDigest,
  publicKeyKey,
  serializeDigest,
  SETTLE_MINUTES,
  signatureKey,
} from './digest-format';
import { mapWithConcurrency, sha256Hex } from './sha256';
import { parsePublicKey, publicKeyFingerprint, Signer, verifySignature } from './signing';
import { ObjectExistsError, ObjectStore, StoredObject } from './store';

export interface DigestRunOptions {
  readonly store: ObjectStore;
  readonly signer: Signer;
  readonly now: Date;
  /** @default SETTLE_MINUTES */
  readonly settleMinutes?: number;
  /** @default LOOKBACK_HOURS */
  readonly lookbackHours?: number;
  /**
   * Also digest the hour in progress (local use: see what was just written). Objects delivered
   * later in that hour are then listed, marked late, by the next hour's digest. @default false
   */
  readonly includeCurrentHour?: boolean;
  /** Stop starting new hours after this instant (epoch ms); the next run continues. */
  readonly deadlineMs?: number;
  /** @default 4 */
  readonly hashConcurrency?: number;
}

export interface WrittenDigest {
  readonly key: string;
  readonly hourStart: string;
  readonly objects: number;
  readonly lateObjects: number;
  readonly bytes: number;
}

export interface DigestRunResult {
  readonly written: WrittenDigest[];
  /** Hours that were due but not digested in this run (deadline reached); 0 when caught up. */
  readonly undigestedHours: number;
  /** The newest digest after the run, if any. */
  readonly latestDigestKey?: string;
  readonly publicKeySha256: string;
}

export async function writeDueDigests(options: DigestRunOptions): Promise<DigestRunResult> {
  const { store, signer, now } = options;
  const lookbackMs = (options.lookbackHours ?? LOOKBACK_HOURS) * HOUR_MS;
  const lastHour = options.includeCurrentHour ? floorHour(now.getTime()) : lastDueHour(now.getTime(), options.settleMinutes ?? SETTLE_MINUTES);
  const fingerprint = publicKeyFingerprint(signer.publicKeyPem);
  await publishPublicKey(store, fingerprint, signer.publicKeyPem);

  const existingHours = (await store.list(DIGESTS_PREFIX))
    .map((o) => hourOfDigestKey(o.key))
    .filter((h): h is number => h !== undefined)
    .sort((a, b) => a - b);
  const objects = (await store.list(CHANGES_PREFIX)).sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());

  let previous: DigestLink | null = null;
  let firstHour: number;
  const newest = existingHours.at(-1);
  if (newest !== undefined) {
    const key = digestKey(newest);
    const bytes = await store.read(key);
    if (!bytes) throw new Error(`digest ${key} was listed but cannot be read`);
    await checkNewestBeforeExtending(store, signer, key, bytes);
    previous = { key, sha256: sha256Hex(bytes) };
    firstHour = newest + HOUR_MS;
  } else {
    // The first digest starts the chain at the first delivery, or at the newest due hour.
    const earliest = objects[0];
    firstHour = earliest ? Math.min(floorHour(earliest.lastModified.getTime()), lastHour) : lastHour;
  }

  // Keys listed by recent digests: objects listed there are not listed again.
  const covered = new Map<number, Set<string>>();
  for (const hour of existingHours.filter((h) => h >= firstHour - lookbackMs)) {
    const bytes = await store.read(digestKey(hour));
    if (bytes) covered.set(hour, new Set(parseDigestOrExplain(digestKey(hour), bytes).objects.map((o) => o.key)));
  }

  const written: WrittenDigest[] = [];
  let hour = firstHour;
  for (; hour <= lastHour; hour += HOUR_MS) {
    if (options.deadlineMs !== undefined && Date.now() > options.deadlineMs) break;
    for (const old of covered.keys()) if (old < hour - lookbackMs) covered.delete(old);
    const listedRecently = new Set<string>();
    for (const keys of covered.values()) for (const key of keys) listedRecently.add(key);

    const due = objects.filter((o) => {
      const t = o.lastModified.getTime();
      return t >= hour - lookbackMs && t < hour + HOUR_MS && !listedRecently.has(o.key);
    });
    const entries = await hashEntries(store, due, hour, options.hashConcurrency ?? 4);
    const doc: DigestDocument = {
      format: DIGEST_FORMAT,
      hour_start: new Date(hour).toISOString(),
      hour_end: new Date(hour + HOUR_MS).toISOString(),
      created_at: now.toISOString(),
      log_location: store.location,
      changes_prefix: CHANGES_PREFIX,
      previous_digest: previous,
      object_count: entries.length,
      total_bytes: entries.reduce((sum, e) => sum + e.size, 0),
      objects: entries,
      signing: { algorithm: signer.algorithm, public_key_sha256: fingerprint, kms_key_id: signer.kmsKeyId ?? null },
    };
    const bytes = serializeDigest(doc);
    const key = digestKey(hour);
    // Signed before anything is written; then the digest, then its signature. A run that dies between
    // the two writes leaves an unsigned digest, which the next run refuses to extend and verify reports.
    const signature = await signer.sign(bytes);
    await store.create(key, bytes, 'application/json');
    await store.create(signatureKey(key), signature, 'application/octet-stream');
    previous = { key, sha256: sha256Hex(bytes) };
    covered.set(hour, new Set(entries.map((e) => e.key)));
    written.push({ key, hourStart: doc.hour_start, objects: entries.length, lateObjects: entries.filter((e) => e.late).length, bytes: doc.total_bytes });
  }

  return {
    written,
    undigestedHours: Math.max(0, Math.round((lastHour - hour) / HOUR_MS) + 1),
    latestDigestKey: previous?.key,
    publicKeySha256: fingerprint,
  };
}

async function hashEntries(store: ObjectStore, objects: readonly StoredObject[], hour: number, concurrency: number): Promise<DigestObjectEntry[]> {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return mapWithConcurrency(sorted, concurrency, async (o) => {
    const digest = await store.hash(o.key);
    if (!digest) throw new Error(`${o.key} was listed but cannot be read`);
    return { key: o.key, size: digest.size, sha256: digest.sha256, last_modified: o.lastModified.toISOString(), late: o.lastModified.getTime() < hour };
  });
}

async function publishPublicKey(store: ObjectStore, fingerprint: string, pem: string): Promise<void> {
  const key = publicKeyKey(fingerprint);
  if (await store.read(key)) return;
  try {
    await store.create(key, Buffer.from(pem, 'utf8'), 'application/x-pem-file');
  } catch (err) {
    if (!(err instanceof ObjectExistsError)) throw err;
  }
}

/**
 * The chain is only extended from a digest whose signature holds: otherwise a digest altered
 * after it was written would be vouched for by every digest after it. A run that died between
 * writing a digest and its signature also stops here, loudly, for an operator to look at.
 */
async function checkNewestBeforeExtending(store: ObjectStore, signer: Signer, key: string, bytes: Buffer): Promise<void> {
  const doc = parseDigestOrExplain(key, bytes);
  const signature = await store.read(signatureKey(key));
  if (!signature) throw new Error(`newest digest ${key} has no signature (${signatureKey(key)}); refusing to extend the chain from it`);
  const ownFingerprint = publicKeyFingerprint(signer.publicKeyPem);
  const pem = doc.signing.public_key_sha256 === ownFingerprint ? signer.publicKeyPem : (await store.read(publicKeyKey(doc.signing.public_key_sha256)))?.toString('utf8');
  if (!pem) throw new Error(`newest digest ${key} was signed by key ${doc.signing.public_key_sha256}, which is not published under ${publicKeyKey('')}`);
  const publicKey = parsePublicKey(pem, publicKeyKey(doc.signing.public_key_sha256));
  if (publicKeyFingerprint(publicKey) !== doc.signing.public_key_sha256 || !verifySignature(doc.signing.algorithm, publicKey, bytes, signature)) {
    throw new Error(`newest digest ${key} does not match its signature; refusing to extend the chain from it`);
  }
}

function parseDigestOrExplain(key: string, bytes: Buffer): DigestDocument {
  try {
    return parseDigest(bytes);
  } catch (err) {
    throw new Error(`newest digest ${key}: ${(err as Error).message}; refusing to extend the chain from it`);
  }
}
