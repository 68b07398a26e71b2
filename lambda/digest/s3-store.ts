/**
 * ObjectStore over an S3 bucket. Digests are written with a conditional put (If-None-Match: *),
 * so two overlapping digest runs can never overwrite each other's link of the chain, and with a
 * SHA-256 checksum, which S3 checks on arrival and which Object Lock buckets require in some form.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sha256OfStream, StreamDigest } from './sha256';
import { ObjectExistsError, ObjectStore, StoredObject } from './store';

export class S3Store implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  get location(): string {
    return `s3://${this.bucket}`;
  }

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
    const body = await this.body(key);
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async hash(key: string): Promise<StreamDigest | undefined> {
    const body = await this.body(key);
    return body ? sha256OfStream(body) : undefined;
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

  private async body(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body as AsyncIterable<Uint8Array> | undefined;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey' || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}
