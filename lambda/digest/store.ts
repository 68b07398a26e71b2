/**
 * Where the change log and its digests live, seen as keys and bytes. Two implementations:
 * a local folder (the local pipeline's data folder, ./local-store.ts) and an S3 bucket
 * (./s3-store.ts). The digest and verify code only ever talks to this interface.
 */
import type { StreamDigest } from './sha256';

export interface StoredObject {
  /** Key relative to the bucket or data folder, '/'-separated, e.g. changes/account_id=…/x.parquet. */
  readonly key: string;
  readonly size: number;
  /** S3 LastModified, or the file's mtime locally: when the object was delivered. */
  readonly lastModified: Date;
}

export interface ObjectStore {
  /** Human-readable location, e.g. s3://bucket or /path/to/audit-data. */
  readonly location: string;
  /** Every object under the prefix (all pages). */
  list(prefix: string): Promise<StoredObject[]>;
  /** The whole object, or undefined when there is no such key. For small objects (digests, keys). */
  read(key: string): Promise<Buffer | undefined>;
  /** SHA-256 and size of the object streamed, or undefined when there is no such key. */
  hash(key: string): Promise<StreamDigest | undefined>;
  /** Writes a new object; fails if the key already exists (digests are never overwritten). */
  create(key: string, bytes: Buffer, contentType: string): Promise<void>;
}

export class ObjectExistsError extends Error {
  override name = 'ObjectExistsError';
}
