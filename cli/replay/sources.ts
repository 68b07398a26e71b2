/**
 * Where on-failure records are read from: a local file, a local folder (every file under it, for
 * a bucket copied down with `aws s3 sync`), or an s3://bucket/prefix URI (every object under the
 * prefix, listed page by page). Objects are read one at a time, so a large failure bucket never
 * sits in memory at once.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface FailureSource {
  /** The file path or s3:// URI, for the report. */
  readonly name: string;
  readonly read: () => Promise<string>;
}

export class ReplaySourceError extends Error {
  override name = 'ReplaySourceError';
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match || match[1] === '') throw new ReplaySourceError(`"${uri}" is not an S3 URI: expected s3://BUCKET/PREFIX`);
  return { bucket: match[1] as string, prefix: match[2] as string };
}

/** The failure objects under `from`, in a stable order (S3 lists keys in UTF-8 order; folders are sorted). */
export async function* failureSources(from: string, cwd: string, s3: () => Pick<S3Client, 'send'>): AsyncGenerator<FailureSource> {
  if (from.startsWith('s3://')) {
    yield* s3Sources(from, s3());
    return;
  }
  const path = resolve(cwd, from);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw new ReplaySourceError(`cannot read ${from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isDirectory) {
    yield { name: from, read: async () => readFileSync(path, 'utf8') };
    return;
  }
  const files = readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (files.length === 0) throw new ReplaySourceError(`${from} holds no files`);
  for (const file of files) yield { name: join(from, relative(path, file)), read: async () => readFileSync(file, 'utf8') };
}

async function* s3Sources(uri: string, s3: Pick<S3Client, 'send'>): AsyncGenerator<FailureSource> {
  const { bucket, prefix } = parseS3Uri(uri);
  let token: string | undefined;
  let found = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || key.endsWith('/')) continue;
      found++;
      yield {
        name: `s3://${bucket}/${key}`,
        read: async () => {
          const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          if (!reply.Body) throw new ReplaySourceError(`s3://${bucket}/${key} has no body`);
          return reply.Body.transformToString('utf8');
        },
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (found === 0) throw new ReplaySourceError(`no objects under ${uri}`);
}
