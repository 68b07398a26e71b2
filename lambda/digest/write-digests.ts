/**
 * Writes every hourly digest that is due, continuing the chain from the newest digest found.
 * Shared by the digest Lambda (S3 store, KMS signer) and `ddb-audit log digest` (local folder,
 * Ed25519 key file): the same code decides, hashes, chains and signs.
 *
 * Which objects a digest lists (see ./digest-format.ts for the rules):
 *   - delivered in its hour (LastModified in [hour_start, hour_end)), and
 *   - delivered earlier but listed by none of the digests of the LOOKBACK_HOURS before (late).
 *
 * Where it learns of them, so that a digest's work follows the hour, not the log:
 *   - with an arrivals ledger (`arrivals`, the Lambda): the objects recorded in the ledger partitions
 *     around the hour (./arrivals/arrival-ledger.ts), each hashed with one GetObject that also gives
 *     its LastModified; no listing of changes/. An arrival whose object is gone is counted
 *     (vanishedArrivals), not listed. The run that starts the chain has no predecessor to go on from,
 *     so it lists changes/ once, as without a ledger; so does a run whose first hour is within
 *     LISTING_HOURS_AFTER_LEDGER_START of the ledger's start (an upgrade over an existing chain).
 *   - without (a local folder, `ddb-audit log digest`): a listing of changes/, each run.
 * Either way the digests/ listing is limited to the last RECENT_DIGEST_DAYS day folders when the
 * chain's newest digest and the lookback before it are in them (the normal hourly case), and is the
 * whole digests/ prefix only after a longer gap.
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
import { ArrivalLedger, Arrival, ledgerHoursForDigest, LISTING_HOURS_AFTER_LEDGER_START } from './arrivals/arrival-ledger';
import { mapWithConcurrency, sha256Hex } from './sha256';
import { parsePublicKey, publicKeyFingerprint, Signer, verifySignature } from './signing';
import { ObjectContent, ObjectExistsError, ObjectStore, StoredObject } from './store';

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
  /**
   * Where the digest learns which objects arrived in an hour. @default none: list changes/ every run
   * (a local folder; in S3 that is a ListObjectsV2 call per 1,000 objects of the whole log, every hour)
   */
  readonly arrivals?: ArrivalLedger;
}

export interface WrittenDigest {
  readonly key: string;
  readonly hourStart: string;
  readonly objects: number;
  readonly lateObjects: number;
  /** Objects listed without Object Lock retention (always all of them in a local folder). */
  readonly unlockedObjects: number;
  readonly bytes: number;
}

export interface DigestRunResult {
  readonly written: WrittenDigest[];
  /** Hours that were due but not digested in this run (deadline reached); 0 when caught up. */
  readonly undigestedHours: number;
  /** The newest digest after the run, if any. */
  readonly latestDigestKey?: string;
  readonly publicKeySha256: string;
  /**
   * Digests that an earlier run wrote but did not sign (it died between the two writes), checked
   * and signed by this run, so the chain went on; normally empty.
   */
  readonly recoveredSignatures: string[];
  /** How this run learned of the objects: the arrivals ledger, or a listing of changes/. */
  readonly candidates: 'arrivals' | 'listing';
  /** Keys the arrivals ledger named that do not exist (deleted before they were digested, or a bogus item); normally empty. */
  readonly vanishedArrivals: string[];
}

/** Day folders of digests/ listed by a run before it falls back to listing all of digests/. */
export const RECENT_DIGEST_DAYS = 3;
const DAY_MS = 24 * HOUR_MS;

export async function writeDueDigests(options: DigestRunOptions): Promise<DigestRunResult> {
  const { store, signer, now } = options;
  const lookbackMs = (options.lookbackHours ?? LOOKBACK_HOURS) * HOUR_MS;
  const lastHour = options.includeCurrentHour ? floorHour(now.getTime()) : lastDueHour(now.getTime(), options.settleMinutes ?? SETTLE_MINUTES);
  const fingerprint = publicKeyFingerprint(signer.publicKeyPem);
  await publishPublicKey(store, fingerprint, signer.publicKeyPem);

  const existingHours = await listDigestHours(store, now.getTime(), lookbackMs);
  const newest = existingHours.at(-1);
  // Starting the chain needs the first delivery, which only a listing can tell; and hours the ledger
  // did not record from their start (an upgrade: the ledger is newer than the chain) need one too.
  const ledgerStart = newest !== undefined && options.arrivals?.startedAt ? floorHour((await options.arrivals.startedAt()).getTime()) : undefined;
  const ledgerCovers = ledgerStart === undefined || newest! + HOUR_MS >= ledgerStart + LISTING_HOURS_AFTER_LEDGER_START * HOUR_MS;
  const ledger = newest === undefined || !ledgerCovers ? undefined : options.arrivals;
  const objects = ledger ? [] : (await store.list(CHANGES_PREFIX)).sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());

  let previous: DigestLink | null = null;
  let firstHour: number;
  const recoveredSignatures: string[] = [];
  const vanishedArrivals: string[] = [];
  const partitions = new Map<number, Promise<Arrival[]>>();
  // Partitions are read once per run: one read for a due hour is final, since its hour has ended.
  const recordedIn = (partition: number): Promise<Arrival[]> => {
    let read = partitions.get(partition);
    if (!read) partitions.set(partition, (read = (ledger as ArrivalLedger).recordedIn(partition)));
    return read;
  };
  if (newest !== undefined) {
    const key = digestKey(newest);
    const bytes = await store.read(key);
    if (!bytes) throw new Error(`digest ${key} was listed but cannot be read`);
    if (await checkNewestBeforeExtending(store, signer, existingHours, key, bytes, now)) recoveredSignatures.push(key);
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

    let entries: DigestObjectEntry[];
    if (ledger) {
      const candidates = await arrivalCandidates(recordedIn, hour, listedRecently);
      entries = await hashArrivals(store, candidates, hour, options.hashConcurrency ?? 4, vanishedArrivals);
    } else {
      const due = objects.filter((o) => {
        const t = o.lastModified.getTime();
        return t >= hour - lookbackMs && t < hour + HOUR_MS && !listedRecently.has(o.key);
      });
      entries = await hashEntries(store, due, hour, options.hashConcurrency ?? 4);
    }
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
    // the two writes leaves an unsigned digest: verify reports it until the next run checks and signs it.
    const signature = await signer.sign(bytes);
    await store.create(key, bytes, 'application/json');
    try {
      await store.create(signatureKey(key), signature, 'application/octet-stream');
    } catch (err) {
      // An overlapping run found this digest unsigned and signed it first; its signature must hold.
      if (!(err instanceof ObjectExistsError)) throw err;
      await checkSignature(store, signer, key, bytes, doc);
    }
    previous = { key, sha256: sha256Hex(bytes) };
    covered.set(hour, new Set(entries.map((e) => e.key)));
    written.push({ key, hourStart: doc.hour_start, objects: entries.length, lateObjects: entries.filter((e) => e.late).length, unlockedObjects: entries.filter((e) => e.object_lock_mode === null).length, bytes: doc.total_bytes });
  }

  return {
    written,
    undigestedHours: Math.max(0, Math.round((lastHour - hour) / HOUR_MS) + 1),
    latestDigestKey: previous?.key,
    publicKeySha256: fingerprint,
    recoveredSignatures,
    candidates: ledger ? 'arrivals' : 'listing',
    vanishedArrivals,
  };
}

/**
 * Hours of the digests that exist. Normally only the last RECENT_DIGEST_DAYS day folders are listed
 * (a few calls, whatever the log's age): enough when they hold the newest digest, the one before it
 * and every digest of the lookback before it, which is all a run reads. Otherwise (no digest yet, or a gap of days) the
 * whole digests/ prefix, which holds two objects per hour of the log's life.
 */
async function listDigestHours(store: ObjectStore, nowMs: number, lookbackMs: number): Promise<number[]> {
  const hoursOf = (objects: readonly StoredObject[]): number[] =>
    objects
      .map((o) => hourOfDigestKey(o.key))
      .filter((h): h is number => h !== undefined)
      .sort((a, b) => a - b);
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const oldestDay = today - (RECENT_DIGEST_DAYS - 1) * DAY_MS;
  const recent: StoredObject[] = [];
  for (let day = oldestDay; day <= today; day += DAY_MS) recent.push(...(await store.list(digestDayPrefix(day))));
  const hours = hoursOf(recent);
  const newest = hours.at(-1);
  // The window lists every digest from oldestDay on, so with two or more in it the one before the
  // newest is the newest's real predecessor (an unsigned newest digest is checked against it).
  if (newest !== undefined && hours.length >= 2 && newest - lookbackMs >= oldestDay) return hours;
  return hoursOf(await store.list(DIGESTS_PREFIX));
}

function digestDayPrefix(dayStartMs: number): string {
  return digestKey(dayStartMs).replace(/\d{2}\.json$/, '');
}

/**
 * The keys a digest of `hour` must consider: those recorded in the ledger partitions around it and
 * not listed by a digest of the lookback. From the partition after the hour, only arrivals whose
 * event came before the hour ended (the rest are the next digest's).
 */
async function arrivalCandidates(recordedIn: (partition: number) => Promise<Arrival[]>, hour: number, listedRecently: ReadonlySet<string>): Promise<string[]> {
  const keys = new Set<string>();
  for (const partition of ledgerHoursForDigest(hour)) {
    for (const arrival of await recordedIn(partition)) {
      if (partition > hour && arrival.eventTime.getTime() >= hour + HOUR_MS) continue;
      if (!listedRecently.has(arrival.key)) keys.add(arrival.key);
    }
  }
  return [...keys];
}

/**
 * Hashes each candidate and keeps those delivered before the hour ended, by the LastModified the
 * same GetObject reported; a later one is left for the next digest. A candidate that does not exist
 * is added to `vanished`.
 */
async function hashArrivals(store: ObjectStore, keys: readonly string[], hour: number, concurrency: number, vanished: string[]): Promise<DigestObjectEntry[]> {
  const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries = await mapWithConcurrency(sorted, concurrency, async (key): Promise<DigestObjectEntry | undefined> => {
    const digest = await store.hash(key);
    if (!digest) {
      vanished.push(key);
      return undefined;
    }
    if (!digest.lastModified || Number.isNaN(digest.lastModified.getTime())) throw new Error(`${key}: ${store.location} reported no LastModified for it; cannot tell which hour it belongs to`);
    if (digest.lastModified.getTime() >= hour + HOUR_MS) return undefined;
    return entryOf(key, digest, digest.lastModified, hour);
  });
  return entries.filter((e): e is DigestObjectEntry => e !== undefined);
}

function entryOf(key: string, digest: ObjectContent, lastModified: Date, hour: number): DigestObjectEntry {
  return {
    key,
    size: digest.size,
    sha256: digest.sha256,
    last_modified: lastModified.toISOString(),
    late: lastModified.getTime() < hour,
    // Retention as S3 reports it at digest time (SETTLE_MINUTES after the hour, so per-object retention,
    // set seconds after delivery, should be in place); null when none, which verify reports as unlocked.
    object_lock_mode: digest.retention?.mode ?? null,
    object_lock_retain_until: digest.retention?.retainUntil ?? null,
  };
}

async function hashEntries(store: ObjectStore, objects: readonly StoredObject[], hour: number, concurrency: number): Promise<DigestObjectEntry[]> {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return mapWithConcurrency(sorted, concurrency, async (o) => {
    const digest = await store.hash(o.key);
    if (!digest) throw new Error(`${o.key} was listed but cannot be read`);
    return entryOf(o.key, digest, o.lastModified, hour);
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
 * after it was written would be vouched for by every digest after it.
 *
 * A run that died between writing a digest and its signature (a failed signature write, a timeout)
 * leaves the newest digest unsigned, and in AWS it cannot be deleted (Object Lock). Such a digest is
 * signed now, exactly as it is, but only once it is shown to be what this code would have written:
 * it parses, its key, hour and signing key are this run's, its link matches the exact bytes of the
 * signed digest before it, and every object it lists is still there with the size and SHA-256 it
 * records. Anything else stops the run, loudly, for an operator to look at.
 * Returns true when it signed the digest now.
 */
async function checkNewestBeforeExtending(store: ObjectStore, signer: Signer, existingHours: readonly number[], key: string, bytes: Buffer, now: Date): Promise<boolean> {
  const doc = parseDigestOrExplain(key, bytes);
  const signature = await store.read(signatureKey(key));
  if (!signature) {
    await checkUnsignedDigest(store, signer, existingHours, key, doc, now);
    const made = await signer.sign(bytes);
    try {
      await store.create(signatureKey(key), made, 'application/octet-stream');
    } catch (err) {
      // A concurrent run signed it first: its signature must hold like any other.
      if (!(err instanceof ObjectExistsError)) throw err;
      await checkSignature(store, signer, key, bytes, doc);
      return false;
    }
    return true;
  }
  await checkSignature(store, signer, key, bytes, doc, signature);
  return false;
}

async function checkSignature(store: ObjectStore, signer: Signer, key: string, bytes: Buffer, doc: DigestDocument, stored?: Buffer, role = 'newest digest'): Promise<void> {
  const signature = stored ?? (await store.read(signatureKey(key)));
  if (!signature) throw new Error(`${role} ${key} has no signature (${signatureKey(key)}); refusing to extend the chain from it`);
  const ownFingerprint = publicKeyFingerprint(signer.publicKeyPem);
  const pem = doc.signing.public_key_sha256 === ownFingerprint ? signer.publicKeyPem : (await store.read(publicKeyKey(doc.signing.public_key_sha256)))?.toString('utf8');
  if (!pem) throw new Error(`${role} ${key} was signed by key ${doc.signing.public_key_sha256}, which is not published under ${publicKeyKey('')}`);
  const publicKey = parsePublicKey(pem, publicKeyKey(doc.signing.public_key_sha256));
  if (publicKeyFingerprint(publicKey) !== doc.signing.public_key_sha256 || !verifySignature(doc.signing.algorithm, publicKey, bytes, signature)) {
    throw new Error(`${role} ${key} does not match its signature; refusing to extend the chain from it`);
  }
}

/** Throws, naming the first thing that does not hold, unless the unsigned digest may be signed as it is. */
async function checkUnsignedDigest(store: ObjectStore, signer: Signer, existingHours: readonly number[], key: string, doc: DigestDocument, now: Date): Promise<void> {
  const refuse = (why: string): never => {
    throw new Error(`newest digest ${key} has no signature (${signatureKey(key)}) and cannot be signed now: ${why}; refusing to extend the chain from it`);
  };
  const hour = hourOfDigestKey(key) as number;
  if (Date.parse(doc.hour_start) !== hour || Date.parse(doc.hour_end) !== hour + HOUR_MS) refuse(`it claims hour ${doc.hour_start} to ${doc.hour_end}, but its key is for ${new Date(hour).toISOString()}`);
  const createdAt = Date.parse(doc.created_at);
  if (createdAt < hour + HOUR_MS || createdAt > now.getTime()) refuse(`created_at ${doc.created_at} is not between its hour's end and now`);
  if (doc.log_location !== store.location || doc.changes_prefix !== CHANGES_PREFIX) refuse(`it describes ${doc.log_location} ${doc.changes_prefix}, not ${store.location} ${CHANGES_PREFIX}`);
  const fingerprint = publicKeyFingerprint(signer.publicKeyPem);
  if (doc.signing.public_key_sha256 !== fingerprint || doc.signing.algorithm !== signer.algorithm || doc.signing.kms_key_id !== (signer.kmsKeyId ?? null)) {
    refuse(`it names signing key ${doc.signing.public_key_sha256} (${doc.signing.algorithm}), not this run's key ${fingerprint} (${signer.algorithm})`);
  }
  if (doc.object_count !== doc.objects.length || doc.total_bytes !== doc.objects.reduce((n, o) => n + o.size, 0)) refuse('object_count or total_bytes does not match its objects');

  const before = existingHours.filter((h) => h < hour).at(-1);
  if (before === undefined) {
    if (doc.previous_digest !== null) refuse(`it links to ${doc.previous_digest.key}, but no digest exists before it`);
  } else {
    const previousKey = digestKey(before);
    const previousBytes = await store.read(previousKey);
    if (!previousBytes) refuse(`the digest before it, ${previousKey}, cannot be read`);
    const previous = previousBytes as Buffer;
    if (doc.previous_digest?.key !== previousKey || doc.previous_digest.sha256 !== sha256Hex(previous)) {
      refuse(`its link ${JSON.stringify(doc.previous_digest)} does not match ${previousKey} (SHA-256 ${sha256Hex(previous)})`);
    }
    await checkSignature(store, signer, previousKey, previous, parseDigestOrExplain(previousKey, previous), undefined, 'digest');
  }

  for (const entry of doc.objects) {
    const actual = await store.hash(entry.key);
    if (!actual) refuse(`it lists ${entry.key}, which does not exist`);
    if (actual?.size !== entry.size || actual.sha256 !== entry.sha256) refuse(`it lists ${entry.key} with SHA-256 ${entry.sha256}, but the object now hashes to ${actual?.sha256}`);
  }
}

function parseDigestOrExplain(key: string, bytes: Buffer): DigestDocument {
  try {
    return parseDigest(bytes);
  } catch (err) {
    throw new Error(`newest digest ${key}: ${(err as Error).message}; refusing to extend the chain from it`);
  }
}
