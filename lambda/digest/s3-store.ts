/**
 * ObjectStore over an S3 bucket. Digests are written with a conditional put (If-None-Match: *),
 * so two overlapping digest runs can never overwrite each other's link of the chain, and with a
 * SHA-256 checksum, which S3 checks on arrival and which Object Lock buckets require in some form.
 *
 * Retention is read from the same GetObject that streams the bytes to hash: GetObject returns the
 * object's ObjectLockMode and ObjectLockRetainUntilDate, "only returned if the requester has the
 * s3:GetObjectRetention permission" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html;
 * the same wording in the SDK reference, e.g.
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-head-object-response/object-lock-mode.html).
 * So one request per object gives both, and a caller without that permission sees no retention:
 * it is then reported as unlocked (fail closed), and the finding says to check the permission.
 */
import { GetObjectCommand, GetObjectCommandOutput, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sha256OfStream } from './sha256';
import { ObjectContent, ObjectExistsError, ObjectRetention, ObjectStore, OBJECT_LOCK_MODES, StoredObject } from './store';

export class S3Store implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  get location(): string {
    return `s3://${this.bucket}`;
  }

  readonly supportsObjectLock = true;

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || item.Key.endsWith('/')) continue;
        out.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async read(key: string): Promise<Buffer | undefined> {
    const body = (await this.get(key))?.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async hash(key: string): Promise<ObjectContent | undefined> {
    const out = await this.get(key);
    if (!out?.Body) return undefined;
    const digest = await sha256OfStream(out.Body as AsyncIterable<Uint8Array>);
    return { ...digest, retention: retentionOf(out), lastModified: out.LastModified };
  }

  async create(key: string, bytes: Buffer, contentType: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType, IfNoneMatch: '*', ChecksumAlgorithm: 'SHA256' }),
      );
    } catch (err) {
      // 412 Precondition Failed: the key exists. 409 ConditionalRequestConflict: a concurrent write won.
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) throw new ObjectExistsError(`s3://${this.bucket}/${key} already exists`);
      throw err;
    }
  }

  private async get(key: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}

/** The retention GetObject reported, or null when it reported none (or an unknown mode). */
export function retentionOf(out: Pick<GetObjectCommandOutput, 'ObjectLockMode' | 'ObjectLockRetainUntilDate'>): ObjectRetention | null {
  const mode = out.ObjectLockMode;
  const until = out.ObjectLockRetainUntilDate;
  if (!mode || !(OBJECT_LOCK_MODES as readonly string[]).includes(mode) || !(until instanceof Date) || Number.isNaN(until.getTime())) return null;
  return { mode: mode as ObjectRetention['mode'], retainUntil: until.toISOString() };
}
