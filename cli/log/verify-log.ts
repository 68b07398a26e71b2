/**
 * Walks the digest chain over a time range and every object the digests list, and reports what
 * does not hold: a modified, deleted or inserted change-log object, a missing digest, a broken
 * chain link, a digest whose signature fails. Read-only; works on any ObjectStore.
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
import type { ObjectStore, StoredObject } from '../../lambda/digest/store';

export type LogFindingKind =
  | 'modified-object'
  | 'deleted-object'
  | 'inserted-object'
  | 'missing-digest'
  | 'broken-chain'
  | 'invalid-digest'
  | 'missing-signature'
  | 'bad-signature'
  | 'unknown-key';

export interface LogFinding {
  readonly kind: LogFindingKind;
  /** The object or digest key the finding is about. */
  readonly key: string;
  readonly detail: string;
}

export interface LogVerifyOptions {
  readonly store: ObjectStore;
  /** First and last hour to check (epoch ms; floored to the hour, both inclusive). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly now: Date;
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

  const firstHour = floorHour(options.fromMs);
  const expectedUntil = Math.max(lastDueHour(options.now.getTime(), options.settleMinutes ?? SETTLE_MINUTES), newestDigestHour ?? -Infinity);
  const lastHour = Math.min(floorHour(options.toMs), expectedUntil);

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

  // 2. Every object those digests list: present, same size, same SHA-256.
  const objects = await store.list(CHANGES_PREFIX);
  const byKey = new Map<string, StoredObject>(objects.map((o) => [o.key, o]));
  const listed = inRange.flatMap((d) => d.doc.objects.map((entry) => ({ entry, digest: d.key })));
  let bytesHashed = 0;
  const results = await mapWithConcurrency(listed, options.hashConcurrency ?? 4, async ({ entry }) => (byKey.has(entry.key) ? store.hash(entry.key) : undefined));
  listed.forEach(({ entry, digest }, i) => {
    const actual = results[i];
    if (!actual) return report('deleted-object', entry.key, `listed in ${digest} (${entry.size} bytes, SHA-256 ${entry.sha256}) but no longer exists`);
    bytesHashed += actual.size;
    if (actual.sha256 !== entry.sha256 || actual.size !== entry.size) {
      report('modified-object', entry.key, `now ${actual.size} bytes with SHA-256 ${actual.sha256}; ${digest} recorded ${entry.size} bytes with SHA-256 ${entry.sha256}`);
    }
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
  const unverifiable = new Map<number, number>();
  for (const o of objects) {
    const t = o.lastModified.getTime();
    if (t < firstHour || t >= lastHour + HOUR_MS || coveringKeys.has(o.key)) continue;
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
    signingKeys: [...signingKeys].sort(),
    pinned: options.pinnedKey !== undefined,
  };
}

function latestBefore(sortedHours: readonly number[], hour: number): number | undefined {
  let found: number | undefined;
  for (const h of sortedHours) {
    if (h >= hour) break;
    found = h;
  }
  return found;
}
