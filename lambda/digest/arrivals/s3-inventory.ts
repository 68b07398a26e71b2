/**
 * Reads the newest S3 Inventory report (CSV) of the change log, as the reconciliation needs it.
 *
 * Layout and format, from https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html:
 * destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.json, whose `fileSchema`
 * names the CSV columns, `files[].key` the gzipped CSV files and `creationTimestamp` (epoch ms, as a
 * string) when the scan began. In CSV reports the object key is URL-encoded
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html, "Inventory list").
 * Memory stays flat: files are streamed through gunzip and read line by line.
 */
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { InventoryRow } from './reconcile';

export interface InventoryReport {
  readonly manifestKey: string;
  readonly reportTime: Date;
  readonly rows: AsyncIterable<InventoryRow>;
}

const REPORT_FOLDER = /\/(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)\/$/;

/**
 * The newest report under `prefix` (destination-prefix/source-bucket/config-ID/), or a one-line error
 * naming what is missing. The folders under it are one per day, kept for the destination's lifecycle.
 */
export async function newestInventoryReport(s3: S3Client, bucket: string, prefix: string): Promise<InventoryReport> {
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix && REPORT_FOLDER.test(p.Prefix)) folders.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const newest = folders.sort().at(-1);
  if (!newest) throw new Error(`no S3 Inventory report under s3://${bucket}/${prefix} yet (the first is delivered within 48 hours of deployment)`);
  const manifestKey = `${newest}manifest.json`;
  const manifest = parseManifest(await readText(s3, bucket, manifestKey), `s3://${bucket}/${manifestKey}`);
  return { manifestKey, reportTime: manifest.reportTime, rows: rowsOf(s3, bucket, manifest) };
}

interface Manifest {
  readonly reportTime: Date;
  readonly keyColumn: number;
  readonly lastModifiedColumn: number;
  readonly files: readonly string[];
}

export function parseManifest(text: string, where: string): Manifest {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  if (doc?.fileFormat !== 'CSV') throw new Error(`${where} has fileFormat ${JSON.stringify(doc?.fileFormat)}; the reconciliation reads CSV reports`);
  const columns = String(doc.fileSchema ?? '').split(',').map((c) => c.trim());
  const keyColumn = columns.indexOf('Key');
  const lastModifiedColumn = columns.indexOf('LastModifiedDate');
  if (keyColumn < 0 || lastModifiedColumn < 0) throw new Error(`${where} fileSchema ${JSON.stringify(doc.fileSchema)} lacks Key or LastModifiedDate`);
  const reportTime = new Date(Number(doc.creationTimestamp));
  if (Number.isNaN(reportTime.getTime())) throw new Error(`${where} creationTimestamp ${JSON.stringify(doc.creationTimestamp)} is not epoch milliseconds`);
  if (!Array.isArray(doc.files) || doc.files.some((f: any) => typeof f?.key !== 'string')) throw new Error(`${where} files is not a list of {key}`);
  return { reportTime, keyColumn, lastModifiedColumn, files: doc.files.map((f: any) => f.key as string) };
}

async function* rowsOf(s3: S3Client, bucket: string, manifest: Manifest): AsyncIterable<InventoryRow> {
  for (const file of manifest.files) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file }));
    const lines = createInterface({ input: (out.Body as Readable).pipe(createGunzip()), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      const cells = parseCsvLine(line);
      const encodedKey = cells[manifest.keyColumn];
      const lastModified = new Date(cells[manifest.lastModifiedColumn] ?? Number.NaN);
      if (encodedKey === undefined || Number.isNaN(lastModified.getTime())) throw new Error(`s3://${bucket}/${file} line ${n} has no Key or LastModifiedDate`);
      yield { key: decodeInventoryKey(encodedKey), lastModified };
    }
  }
}

/** One CSV line as S3 Inventory writes it: every field double-quoted, a quote inside doubled. */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      cells.push(value);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      cells.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return cells;
}

/**
 * The key as stored. S3 Inventory URL-encodes keys in CSV reports; whether a space is written as
 * "+" or "%20" is not documented, so both are read as a space ("+" in a Firehose key does not occur).
 */
export function decodeInventoryKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, '%20'));
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await (out.Body as { transformToString(): Promise<string> }).transformToString();
  } catch (err) {
    throw new Error(`cannot read s3://${bucket}/${key}: ${(err as Error).message}`);
  }
}
