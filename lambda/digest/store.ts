/**
 * Where the change log and its digests live, seen as keys and bytes. Two implementations:
 * a local folder (the local pipeline's data folder, ./local-store.ts) and an S3 bucket
 * (./s3-store.ts). The digest and verify code only ever talks to this interface.
 */
import type { LocalListing } from './local-listing';
import type { StreamDigest } from './sha256';

export interface StoredObject {
  /** Key relative to the bucket or data folder, '/'-separated, e.g. changes/account_id=…/x.parquet. */
  readonly key: string;
  readonly size: number;
  /** S3 LastModified, or the file's mtime locally: when the object was delivered. */
  readonly lastModified: Date;
}

export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/** An object's S3 Object Lock retention as S3 reports it (GetObject's ObjectLockMode and ObjectLockRetainUntilDate). */
export interface ObjectRetention {
  readonly mode: ObjectLockMode;
  /** ISO-8601 UTC. */
  readonly retainUntil: string;
}

/** What hashing an object found: its SHA-256 and size, and its retention (null: none, or not a locking store). */
export interface ObjectContent extends StreamDigest {
  readonly retention: ObjectRetention | null;
  /**
   * S3 LastModified from the same GetObject (the mtime locally). The digest reads it here when it
   * learned of the object from the arrivals ledger rather than from a listing.
   */
  readonly lastModified?: Date;
}

export interface ObjectStore {
  /** Human-readable location, e.g. s3://bucket or /path/to/audit-data. */
  readonly location: string;
  /**
   * True when objects can carry Object Lock retention here (S3), so an object without it is a
   * finding; false for a local folder, which has no Object Lock.
   */
  readonly supportsObjectLock: boolean;
  /** Every object under the prefix (all pages). */
  list(prefix: string): Promise<StoredObject[]>;
  /**
   * Every entry under the prefix, objects and the entries that cannot be objects (hidden files,
   * links, FIFOs, future mtimes), for stores that can hold such entries (a local folder).
   */
  inventory?(prefix: string, now: Date): Promise<LocalListing>;
  /** The whole object, or undefined when there is no such key. For small objects (digests, keys). */
  read(key: string): Promise<Buffer | undefined>;
  /** SHA-256, size and retention of the object streamed, or undefined when there is no such key. */
  hash(key: string): Promise<ObjectContent | undefined>;
  /** Writes a new object; fails if the key already exists (digests are never overwritten). */
  create(key: string, bytes: Buffer, contentType: string): Promise<void>;
}

export class ObjectExistsError extends Error {
  override name = 'ObjectExistsError';
}
