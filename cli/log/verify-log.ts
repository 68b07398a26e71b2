/**
 * Walks the digest chain over a time range and every object the digests list, and reports what
 * does not hold: a modified, deleted or inserted change-log object, a missing digest, a broken
 * chain link, a digest whose signature fails, an object without the Object Lock retention it
 * should have, and (in a local folder) every entry under changes/ that is not an attestable object
 * (hidden, a link, a FIFO, a future mtime). Read-only; works on any ObjectStore.
 *
 * Coverage: without `fromMs`, every object under changes/ is accounted for, also those older than
 * the chain's first digest (reported as inserted). Objects delivered after the newest digest was
 * written are not a finding but are counted as "not yet digested", so the verdict never calls
 * them intact. Retention (`requireObjectLock`, on by default where the store has Object Lock):
 * an object with no retention now, with a retain-until earlier or a mode weaker than its digest
 * recorded, or recorded without retention when it was digested, is unlocked-object. Digests written
 * before retention was recorded are counted as "retention not recorded", not as tampering.
 *
 * Trust: with `pinnedKey` every digest must be signed by that key. Without it, each digest is
 * checked against the public key stored with the log (digests/public-keys/), which proves the
 * chain is internally consistent but not who made it: someone able to rewrite the whole log could
 * also rewrite those keys. Pin the key (the KMS key's public key, or the local .pub) to close that.
 */
import type { KeyObject } from 'node:crypto';
import { CHANGES_PREFIX, DIGESTS_PREFIX } from '../../schemas/partitioning';
import {
  DigestDocument,
  DigestObjectEntry,
  digestKey,
  floorHour,
  HOUR_MS,
  hourLabel,
  hourOfDigestKey,
  lastDueHour,
  LOOKBACK_HOURS,
  parseDigest,
  publicKeyKey,
  SETTLE_MINUTES,
  signatureKey,
} from '../../lambda/digest/digest-format';
import { mapWithConcurrency, sha256Hex } from '../../lambda/digest/sha256';
import { parsePublicKey, publicKeyFingerprint, verifySignature } from '../../lambda/digest/signing';
import type { UnattestableKind } from '../../lambda/digest/local-listing';
import type { ObjectContent, ObjectStore } from '../../lambda/digest/store';

export type LogFindingKind =
  | 'modified-object'
  | 'deleted-object'
  | 'inserted-object'
  | 'missing-digest'
  | 'broken-chain'
  | 'invalid-digest'
  | 'missing-signature'
  | 'bad-signature'
  | 'unknown-key'
  | 'unlocked-object'
  | 'conflicting-copies'
  | 'unreadable-object'
  | UnattestableKind;

export interface LogFinding {
  readonly kind: LogFindingKind;
  /** The object or digest key the finding is about. */
  readonly key: string;
  readonly detail: string;
}

export interface LogVerifyOptions {
  readonly store: ObjectStore;
  /**
   * First hour to check (epoch ms, floored to the hour). @default the chain's first digest hour,
   * and then objects older than it are checked too (a legitimate one is always listed by a digest)
   */
  readonly fromMs?: number;
  /** Last hour to check (epoch ms, floored, inclusive). @default now: later objects are "not yet digested" */
  readonly toMs?: number;
  readonly now: Date;
  /** Report objects without Object Lock retention. @default store.supportsObjectLock */
  readonly requireObjectLock?: boolean;
  /** Further checks over the log's contents (local: conflicting copies of one change). */
  readonly contentCheck?: () => Promise<LogFinding[]>;
  readonly pinnedKey?: KeyObject;
  /** @default SETTLE_MINUTES */
  readonly settleMinutes?: number;
  /** @default LOOKBACK_HOURS */
  readonly lookbackHours?: number;
  /** Objects hashed at once: overlaps reads with hashing. @default 4 */
  readonly hashConcurrency?: number;
}

export interface LogVerifyResult {
  readonly findings: LogFinding[];
  readonly firstHour: number;
  /** Last hour checked: `to`, capped at the last hour that is due or has a digest. */
  readonly lastHour: number;
  readonly hoursChecked: number;
  readonly digestsChecked: number;
  readonly objectsChecked: number;
  readonly bytesHashed: number;
  /** Hours in range before the chain's first digest (nothing to check, not a finding). */
  readonly hoursBeforeChain: number;
  /** Objects delivered after the newest digest was written: not covered yet, not a finding. */
  readonly objectsNotYetDigested: number;
  /** Objects delivered outside an explicit --from/--to range: not checked. */
  readonly objectsOutsideRange: number;
  /** Objects listed by digests written before retention was recorded (only counted when retention is required). */
  readonly retentionNotRecorded: number;
  readonly objectLockRequired: boolean;
  /** End of the newest hour checked that has a digest (epoch ms), or undefined when none. */
  readonly digestedUntil?: number;
  /** Fingerprints of the keys that signed the digests checked. */
  readonly signingKeys: string[];
  readonly pinned: boolean;
}

interface LoadedDigest {
  readonly hour: number;
  readonly key: string;
  readonly bytes: Buffer;
  readonly doc?: DigestDocument;
}

export async function verifyLog(options: LogVerifyOptions): Promise<LogVerifyResult> {
  const { store } = options;
  const lookbackMs = (options.lookbackHours ?? LOOKBACK_HOURS) * HOUR_MS;
  const findings: LogFinding[] = [];
  const reported = new Set<string>();
  const report = (kind: LogFindingKind, key: string, detail: string): void => {
    const id = `${kind} ${key}`;
    if (reported.has(id)) return;
    reported.add(id);
    findings.push({ kind, key, detail });
  };

  const digestListing = await store.list(DIGESTS_PREFIX);
  const listedKeys = new Set(digestListing.map((o) => o.key));
  const digestHours = digestListing
    .map((o) => hourOfDigestKey(o.key))
    .filter((h): h is number => h !== undefined)
    .sort((a, b) => a - b);
  const hasDigest = new Set(digestHours);
  const chainStart = digestHours[0];
  const newestDigestHour = digestHours.at(-1);

  const fromGiven = options.fromMs !== undefined;
  const toGiven = options.toMs !== undefined;
  const firstHour = floorHour(options.fromMs ?? chainStart ?? lastDueHour(options.now.getTime(), options.settleMinutes ?? SETTLE_MINUTES));
  const expectedUntil = Math.max(lastDueHour(options.now.getTime(), options.settleMinutes ?? SETTLE_MINUTES), newestDigestHour ?? -Infinity);
  const lastHour = Math.min(floorHour(options.toMs ?? options.now.getTime()), expectedUntil);
  const requireLock = options.requireObjectLock ?? store.supportsObjectLock;

  const cache = new Map<number, LoadedDigest | undefined>();
  const load = async (hour: number): Promise<LoadedDigest | undefined> => {
    if (cache.has(hour)) return cache.get(hour);
    const key = digestKey(hour);
    const bytes = hasDigest.has(hour) ? await store.read(key) : undefined;
    let loaded: LoadedDigest | undefined;
    if (bytes) {
      try {
        loaded = { hour, key, bytes, doc: parseDigest(bytes) };
      } catch (err) {
        loaded = { hour, key, bytes };
        report('invalid-digest', key, `not a readable digest: ${(err as Error).message}`);
      }
    }
    cache.set(hour, loaded);
    return loaded;
  };

  const keyCache = new Map<string, KeyObject | undefined>();
  const signingKeys = new Set<string>();
  const publicKeyFor = async (fingerprint: string): Promise<KeyObject | undefined> => {
    if (keyCache.has(fingerprint)) return keyCache.get(fingerprint);
    const pem = await store.read(publicKeyKey(fingerprint));
    let key: KeyObject | undefined;
    if (pem) {
      try {
        key = parsePublicKey(pem.toString('utf8'), publicKeyKey(fingerprint));
        if (publicKeyFingerprint(key) !== fingerprint) key = undefined;
      } catch {
        key = undefined;
      }
    }
    keyCache.set(fingerprint, key);
    return key;
  };

  const checkSignature = async (d: LoadedDigest & { doc: DigestDocument }): Promise<void> => {
    const sigKey = signatureKey(d.key);
    const signature = listedKeys.has(sigKey) ? await store.read(sigKey) : undefined;
    if (!signature) return report('missing-signature', d.key, `no signature object ${sigKey}`);
    const claimed = d.doc.signing.public_key_sha256;
    let key: KeyObject | undefined;
    if (options.pinnedKey) {
      const pinned = publicKeyFingerprint(options.pinnedKey);
      if (claimed !== pinned) return report('bad-signature', d.key, `signed by key ${claimed}, not the pinned key ${pinned}`);
      key = options.pinnedKey;
    } else {
      key = await publicKeyFor(claimed);
      if (!key) return report('unknown-key', d.key, `signing key ${claimed} is not published at ${publicKeyKey(claimed)}`);
    }
    signingKeys.add(claimed);
    if (!verifySignature(d.doc.signing.algorithm, key, d.bytes, signature)) {
      report('bad-signature', d.key, `signature ${sigKey} does not verify: the digest or its signature was altered`);
    }
  };

  const checkLink = async (d: LoadedDigest & { doc: DigestDocument }): Promise<void> => {
    const predecessorHour = latestBefore(digestHours, d.hour);
    const link = d.doc.previous_digest;
    if (link === null) {
      if (predecessorHour !== undefined) report('broken-chain', d.key, `starts a new chain although ${digestKey(predecessorHour)} exists before it`);
      return;
    }
    const predecessorKey = predecessorHour === undefined ? undefined : digestKey(predecessorHour);
    if (link.key !== predecessorKey) {
      if (!listedKeys.has(link.key)) {
        const linkedHour = hourOfDigestKey(link.key);
        // Already reported once as a missing hour of the range, with what it leaves unchecked.
        if (linkedHour !== undefined && missingHours.has(linkedHour)) return;
        return report('missing-digest', link.key, `referenced as the previous digest by ${d.key}, but it does not exist`);
      }
      return report('broken-chain', d.key, `links to ${link.key}, but the digest before it is ${predecessorKey ?? 'none'}`);
    }
    const predecessor = await load(predecessorHour as number);
    if (!predecessor) return report('missing-digest', link.key, `referenced as the previous digest by ${d.key}, but it cannot be read`);
    const actual = sha256Hex(predecessor.bytes);
    if (actual !== link.sha256) report('broken-chain', d.key, `records ${link.key} with SHA-256 ${link.sha256}, but ${link.key} now hashes to ${actual} (modified)`);
  };

  // 1. Each hour in range: its digest exists, is well formed, signed and linked.
  let hoursChecked = 0;
  let hoursBeforeChain = 0;
  const missingHours = new Set<number>();
  const inRange: (LoadedDigest & { doc: DigestDocument })[] = [];
  for (let hour = firstHour; hour <= lastHour; hour += HOUR_MS) {
    hoursChecked++;
    if (!hasDigest.has(hour)) {
      if (chainStart === undefined || hour < chainStart) hoursBeforeChain++;
      else missingHours.add(hour);
      continue;
    }
    const d = await load(hour);
    if (!d?.doc) continue;
    const withDoc = d as LoadedDigest & { doc: DigestDocument };
    if (Date.parse(d.doc.hour_start) !== hour) {
      report('invalid-digest', d.key, `claims hour ${d.doc.hour_start}, but its key is for ${hourLabel(hour)}`);
      continue;
    }
    await checkSignature(withDoc);
    await checkLink(withDoc);
    inRange.push(withDoc);
  }

  // 2. Every object those digests list: present, same size, same SHA-256, still locked.
  //    Every entry under changes/ that cannot be an object (local folders) is a finding of its kind.
  const inventory = store.inventory ? await store.inventory(CHANGES_PREFIX, options.now) : { objects: await store.list(CHANGES_PREFIX), unattestable: [] };
  for (const entry of inventory.unattestable) report(entry.kind, entry.key, entry.detail);
  const objects = inventory.objects;
  // A listed object whose mtime was moved into the future is still a regular file: hash it too, so it is
  // reported as modified (or not) besides future-mtime, rather than as deleted.
  const hashable = new Set([...objects.map((o) => o.key), ...inventory.unattestable.filter((e) => e.kind === 'future-mtime').map((e) => e.key)]);
  const listed = inRange.flatMap((d) => d.doc.objects.map((entry) => ({ entry, digest: d.key })));
  let bytesHashed = 0;
  let retentionNotRecorded = 0;
  const results = await mapWithConcurrency(listed, options.hashConcurrency ?? 4, async ({ entry }) => (hashable.has(entry.key) ? store.hash(entry.key) : undefined));
  listed.forEach(({ entry, digest }, i) => {
    const actual = results[i];
    if (!actual) return report('deleted-object', entry.key, `listed in ${digest} (${entry.size} bytes, SHA-256 ${entry.sha256}) but no longer exists`);
    bytesHashed += actual.size;
    if (actual.sha256 !== entry.sha256 || actual.size !== entry.size) {
      report('modified-object', entry.key, `now ${actual.size} bytes with SHA-256 ${actual.sha256}; ${digest} recorded ${entry.size} bytes with SHA-256 ${entry.sha256}`);
    }
    if (!requireLock) return;
    if (!('object_lock_mode' in entry)) retentionNotRecorded++;
    const problem = retentionProblem(entry, actual, digest);
    if (problem) report('unlocked-object', entry.key, problem);
  });

  // 3. Every object delivered in range is listed by a digest (its own hour's, or a later one as late).
  const coveringKeys = new Set(listed.map((l) => l.entry.key));
  let newestCreatedAt = -Infinity;
  for (const d of inRange) newestCreatedAt = Math.max(newestCreatedAt, Date.parse(d.doc.created_at));
  for (const hour of digestHours.filter((h) => h > lastHour && h <= lastHour + lookbackMs)) {
    const d = await load(hour);
    if (!d?.doc) continue;
    for (const entry of d.doc.objects) coveringKeys.add(entry.key);
    newestCreatedAt = Math.max(newestCreatedAt, Date.parse(d.doc.created_at));
  }
  let objectsNotYetDigested = 0;
  let objectsOutsideRange = 0;
  const unverifiable = new Map<number, number>();
  for (const o of objects) {
    const t = o.lastModified.getTime();
    if (coveringKeys.has(o.key)) continue;
    // Outside an explicit range: not checked, and said so. Without --from, older objects are checked.
    if (fromGiven && t < firstHour) {
      objectsOutsideRange++;
      continue;
    }
    if (t >= lastHour + HOUR_MS) {
      if (toGiven) objectsOutsideRange++;
      else objectsNotYetDigested++;
      continue;
    }
    // Before the chain's first digest: the chain starts at the first delivery, so nothing legitimate is here.
    // Its own hour's digest is missing: one finding for the hour says so, not one per object.
    if (missingHours.has(floorHour(t))) {
      unverifiable.set(floorHour(t), (unverifiable.get(floorHour(t)) ?? 0) + 1);
      continue;
    }
    if (t >= newestCreatedAt) {
      objectsNotYetDigested++;
      continue;
    }
    report('inserted-object', o.key, `delivered ${o.lastModified.toISOString()} but listed in no digest${chainStart === undefined || t < chainStart ? ' (before the chain of digests starts)' : ''}`);
  }
  for (const hour of missingHours) {
    const n = unverifiable.get(hour) ?? 0;
    report('missing-digest', digestKey(hour), `no digest for hour ${hourLabel(hour)}${n > 0 ? `; ${n} object(s) delivered in that hour cannot be checked` : ''}`);
  }

  // 4. The contents: e.g. two different versions of one change (local folders).
  //    A modified object that no longer parses is already a finding: it is not reported twice.
  const modified = new Set(findings.filter((f) => f.kind === 'modified-object').map((f) => f.key));
  for (const f of options.contentCheck ? await options.contentCheck() : []) {
    if (f.kind === 'unreadable-object' && modified.has(f.key)) continue;
    report(f.kind, f.key, f.detail);
  }
  const digestedUntil = inRange.length > 0 ? Math.max(...inRange.map((d) => d.hour)) + HOUR_MS : undefined;

  return {
    findings,
    firstHour,
    lastHour,
    hoursChecked,
    digestsChecked: inRange.length,
    objectsChecked: listed.length,
    bytesHashed,
    hoursBeforeChain,
    objectsNotYetDigested,
    objectsOutsideRange,
    retentionNotRecorded,
    objectLockRequired: requireLock,
    digestedUntil,
    signingKeys: [...signingKeys].sort(),
    pinned: options.pinnedKey !== undefined,
  };
}

/**
 * Why an object's retention now falls short of what it should be, or undefined when it holds.
 * GetObject reports retention only to a caller with s3:GetObjectRetention, so "none" may also mean
 * the verifying identity lacks that permission; the finding says so (fail closed).
 */
function retentionProblem(entry: DigestObjectEntry, actual: ObjectContent, digest: string): string | undefined {
  const now = actual.retention;
  if (!now) return `has no Object Lock retention now (or this identity lacks s3:GetObjectRetention, without which S3 reports none)`;
  if (!('object_lock_mode' in entry)) return undefined; // older digest: only the retention now can be checked
  if (entry.object_lock_mode === null || entry.object_lock_mode === undefined || !entry.object_lock_retain_until) {
    return `was not locked when ${digest} was written (retention should be set seconds after delivery; or the digest function lacks s3:GetObjectRetention); locked now: ${now.mode} until ${now.retainUntil}`;
  }
  if (Date.parse(now.retainUntil) < Date.parse(entry.object_lock_retain_until)) {
    return `retain-until is ${now.retainUntil}, earlier than the ${entry.object_lock_retain_until} that ${digest} recorded (retention was shortened)`;
  }
  if (entry.object_lock_mode === 'COMPLIANCE' && now.mode === 'GOVERNANCE') return `mode is GOVERNANCE, weaker than the COMPLIANCE that ${digest} recorded`;
  return undefined;
}

function latestBefore(sortedHours: readonly number[], hour: number): number | undefined {
  let found: number | undefined;
  for (const h of sortedHours) {
    if (h >= hour) break;
    found = h;
  }
  return found;
}
