/**
 * Where an export is read from: a local folder (an export copied down with `aws s3 sync`) or an
 * s3://BUCKET/PREFIX URI. Both answer the same few questions with paths relative to the folder
 * given ("/"-separated), and both hand data files out as streams, so a data file never has to sit
 * in memory whole.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';

export interface ExportStore {
  /** The folder or URI of `relative`, for messages. */
  describe(relative: string): string;
  exists(relative: string): Promise<boolean>;
  readText(relative: string): Promise<string>;
  open(relative: string): Promise<Readable>;
  /** Names of the folders directly under `relative` ('' for the top). */
  subfolders(relative: string): Promise<string[]>;
}

/** The export cannot be found or read; the message names where. */
export class ExportReadError extends Error {
  override name = 'ExportReadError';
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new ExportReadError(`"${uri}" is not an S3 URI: expected s3://BUCKET/PREFIX`);
  const prefix = match[2] as string;
  return { bucket: match[1] as string, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

function joinRelative(a: string, b: string): string {
  return a === '' ? b : `${a}/${b}`;
}

export function localExportStore(folder: string, cwd: string): ExportStore {
  const root = resolve(cwd, folder);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ExportReadError(`cannot read ${folder}: no such folder`);
  const path = (relative: string) => join(root, ...relative.split('/').filter((p) => p !== ''));
  return {
    describe: (relative) => (relative === '' ? folder : join(folder, relative)),
    exists: async (relative) => existsSync(path(relative)),
    readText: async (relative) => readFileSync(path(relative), 'utf8'),
    open: async (relative) => {
      if (!existsSync(path(relative))) throw new ExportReadError(`${join(folder, relative)}: no such file`);
      return createReadStream(path(relative));
    },
    subfolders: async (relative) => (existsSync(path(relative)) ? readdirSync(path(relative), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : []),
  };
}

export function s3ExportStore(uri: string, s3: Pick<S3Client, 'send'>): ExportStore {
  const { bucket, prefix } = parseS3Uri(uri);
  const key = (relative: string) => `${prefix}${relative}`;
  const get = async (relative: string) => {
    try {
      const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(relative) }));
      if (!reply.Body) throw new ExportReadError(`s3://${bucket}/${key(relative)} has no body`);
      return reply.Body as unknown as Readable & { transformToString(encoding: string): Promise<string> };
    } catch (err) {
      if (err instanceof ExportReadError) throw err;
      throw new ExportReadError(`s3://${bucket}/${key(relative)}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  return {
    describe: (relative) => `s3://${bucket}/${key(relative)}`,
    exists: async (relative) => {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key(relative), MaxKeys: 1 }));
      return (page.Contents ?? []).some((o) => o.Key === key(relative));
    },
    readText: async (relative) => (await get(relative)).transformToString('utf8'),
    open: async (relative) => {
      const body = await get(relative);
      return body instanceof Readable ? body : Readable.from(body as unknown as AsyncIterable<Uint8Array>);
    },
    subfolders: async (relative) => {
      // One page of common prefixes: an export prefix holds AWSDynamoDB/ and a few export folders, not thousands.
      const base = relative === '' ? prefix : `${key(relative)}/`;
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: base, Delimiter: '/' }));
      return (page.CommonPrefixes ?? []).map((p) => (p.Prefix ?? '').slice(base.length).replace(/\/$/, '')).filter((n) => n !== '').sort();
    },
  };
}

/**
 * The export's own folder (the one holding manifest-summary.json), relative to the store: the folder
 * itself, or the one export under it (AWSDynamoDB/<ExportId>/, or <ExportId>/ when given AWSDynamoDB/).
 * Several exports under the folder given is a refusal that lists them: backfill takes one.
 */
export async function locateExport(store: ExportStore): Promise<string> {
  if (await store.exists('manifest-summary.json')) return '';
  const found: string[] = [];
  for (const parent of ['', 'AWSDynamoDB']) {
    for (const name of await store.subfolders(parent)) {
      const candidate = joinRelative(parent, name);
      if (await store.exists(`${candidate}/manifest-summary.json`)) found.push(candidate);
    }
  }
  if (found.length === 1) return found[0] as string;
  if (found.length === 0) throw new ExportReadError(`${store.describe('')} holds no DynamoDB export: no manifest-summary.json in it, nor in AWSDynamoDB/<ExportId>/ under it`);
  throw new ExportReadError(`${store.describe('')} holds ${found.length} exports (${found.join(', ')}): give the folder of one`);
}
