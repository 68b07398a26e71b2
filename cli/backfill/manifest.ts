/**
 * A DynamoDB full export's manifests, read and checked against its data files.
 *
 * Layout and fields, as AWS documents them
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):
 *   EXPORT_PREFIX/AWSDynamoDB/<ExportId>/manifest-summary.json: one JSON object with version,
 *     exportArn, startTime, endTime, tableArn, tableId, exportTime, s3Bucket, s3Prefix,
 *     s3SseAlgorithm, s3SseKmsKeyId, manifestFilesS3Key, billedSizeBytes, itemCount, outputFormat
 *     (and, in the newer version "2023-08-01", exportType);
 *   .../manifest-files.json: JSON lines {itemCount, md5Checksum, etag, dataFileS3Key}, one per data file;
 *   .../data/<id>.json.gz: gzip of one {"Item": {…typed…}} per line (DYNAMODB_JSON).
 * md5Checksum is the base64 MD5 of the stored .json.gz bytes. The part of AWS's page read here does
 * not show a value; public export readers show one ("R66Q93z6mjqdBW/mkgj0/A==", 24 characters of
 * base64, beside a hex etag "…-1") and compare it with the base64 MD5 of the gzip bytes, not of the
 * uncompressed text. Not checked against a real export here. dataFileS3Key
 * is the object's full key, so a data file's place in the folder is its key after the folder's own
 * key prefix (the folder of manifestFilesS3Key).
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface ExportSummary {
  readonly exportArn: string;
  readonly tableArn: string;
  readonly exportTime: string;
  readonly itemCount: number;
  readonly outputFormat: string;
  readonly manifestFilesS3Key: string;
}

export interface DataFileEntry {
  readonly dataFileS3Key: string;
  readonly itemCount: number;
  readonly md5Checksum: string;
  readonly etag?: string;
  /** The file's path relative to the export's folder. */
  readonly relativePath: string;
}

/** The export is not one backfill can take, or does not match its manifests; nothing of it is sent. */
export class ExportRefusedError extends Error {
  override name = 'ExportRefusedError';
}

function field<T>(object: Record<string, unknown>, name: string, where: string, check: (v: unknown) => v is T, expected: string): T {
  const value = object[name];
  if (!check(value)) throw new ExportRefusedError(`${where}: ${name} is ${value === undefined ? 'missing' : JSON.stringify(value)?.slice(0, 100)}, expected ${expected}`);
  return value;
}
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function parseSummary(text: string, where: string): ExportSummary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ExportRefusedError(`${where}: not JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ExportRefusedError(`${where}: expected a JSON object`);
  const s = parsed as Record<string, unknown>;
  const outputFormat = field(s, 'outputFormat', where, isText, 'DYNAMODB_JSON');
  if (outputFormat === 'ION') throw new ExportRefusedError(`${where}: this is an ION export, which backfill does not read yet; export the table again with --export-format DYNAMODB_JSON`);
  if (outputFormat !== 'DYNAMODB_JSON') throw new ExportRefusedError(`${where}: outputFormat is "${outputFormat}", expected DYNAMODB_JSON`);
  if (s.exportType !== undefined && s.exportType !== 'FULL_EXPORT') {
    throw new ExportRefusedError(`${where}: exportType is ${JSON.stringify(s.exportType)}: backfill takes a full export (an incremental export holds changes, not every item)`);
  }
  const exportArn = field(s, 'exportArn', where, isText, 'the export ARN');
  const tableArn = field(s, 'tableArn', where, isText, 'the table ARN');
  if (!exportArn.startsWith(`${tableArn}/export/`)) throw new ExportRefusedError(`${where}: exportArn ${exportArn} is not an export of tableArn ${tableArn}`);
  const exportTime = field(s, 'exportTime', where, (v): v is string => isText(v) && !Number.isNaN(Date.parse(v)), 'an ISO-8601 time');
  return {
    exportArn,
    tableArn,
    exportTime: new Date(Date.parse(exportTime)).toISOString(),
    itemCount: field(s, 'itemCount', where, isCount, 'a non-negative integer'),
    outputFormat,
    manifestFilesS3Key: field(s, 'manifestFilesS3Key', where, isText, 'the key of manifest-files.json'),
  };
}

export function parseFilesManifest(text: string, summary: ExportSummary, where: string): DataFileEntry[] {
  const folderKey = summary.manifestFilesS3Key.slice(0, summary.manifestFilesS3Key.lastIndexOf('/') + 1);
  const entries: DataFileEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const at = `${where} line ${i + 1}`;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new ExportRefusedError(`${at}: not JSON (${(err as Error).message})`);
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ExportRefusedError(`${at}: expected a JSON object`);
    const key = field(entry, 'dataFileS3Key', at, isText, 'the data file key');
    const relativePath = key.slice(folderKey.length);
    if (!key.startsWith(folderKey) || relativePath.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw new ExportRefusedError(`${at}: dataFileS3Key ${key} is not a file of this export (under ${folderKey})`);
    }
    const md5Checksum = field(entry, 'md5Checksum', at, (v): v is string => typeof v === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(v), 'a base64 MD5');
    const etag = typeof entry.etag === 'string' ? entry.etag : undefined;
    entries.push({ dataFileS3Key: key, itemCount: field(entry, 'itemCount', at, isCount, 'a non-negative integer'), md5Checksum, relativePath, ...(etag !== undefined ? { etag } : {}) });
  }
  const total = entries.reduce((n, e) => n + e.itemCount, 0);
  if (total !== summary.itemCount) throw new ExportRefusedError(`${where}: the data files hold ${total} items in all, manifest-summary.json says ${summary.itemCount}`);
  return entries;
}

/** What reading one data file found. */
export interface DataFileRead {
  /** Base64 MD5 of the stored (gzip) bytes, as manifest-files.json spells md5Checksum. */
  readonly md5: string;
  readonly md5Hex: string;
  readonly lines: number;
  /** Why the bytes are not gzip, when they are not (checked after the MD5, which names the cause better). */
  readonly gzipError?: string;
}

/**
 * Reads one data file as a stream: its MD5 over the stored (gzip) bytes, and each line of the
 * uncompressed text handed to `onLine` with its 0-based number. The whole file is always hashed,
 * even when it is not gzip, so that a corrupted file is reported by its MD5.
 */
export async function readDataFile(stream: Readable, onLine: (line: string, index: number) => void | Promise<void>): Promise<DataFileRead> {
  const md5 = createHash('md5');
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    md5.update(chunk);
    bytes += chunk.length;
  });
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  const gunzip = createGunzip();
  stream.pipe(gunzip);
  let lines = 0;
  let gzipError: string | undefined;
  try {
    for await (const line of createInterface({ input: gunzip, crlfDelay: Infinity })) {
      if (line === '') continue;
      await onLine(line, lines);
      lines++;
    }
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code !== 'string' || !(err as NodeJS.ErrnoException).code!.startsWith('Z_')) {
      stream.destroy();
      throw err;
    }
    // An empty partition's file is zero bytes: no gzip header, no items.
    if (bytes > 0 || (err as NodeJS.ErrnoException).code !== 'Z_BUF_ERROR') gzipError = (err as Error).message;
    stream.unpipe(gunzip);
    stream.resume();
  }
  await ended;
  const digest = md5.digest();
  return { md5: digest.toString('base64'), md5Hex: digest.toString('hex'), lines, ...(gzipError !== undefined ? { gzipError } : {}) };
}

/** Checks a data file's MD5 (and its single-part etag) and item count against its manifest line. */
export function checkDataFile(entry: DataFileEntry, read: DataFileRead, where: string): void {
  if (read.md5 !== entry.md5Checksum) throw new ExportRefusedError(`${where}: MD5 is ${read.md5}, manifest-files.json says ${entry.md5Checksum}: the file is not the one exported (corrupted or replaced)`);
  // A single-part upload's ETag is the hex MD5; a multipart one ends in -PARTS and is not comparable.
  if (entry.etag !== undefined && /^[0-9a-f]{32}$/.test(entry.etag) && entry.etag !== read.md5Hex) throw new ExportRefusedError(`${where}: MD5 is ${read.md5Hex}, its etag says ${entry.etag}`);
  if (read.gzipError !== undefined) throw new ExportRefusedError(`${where}: its MD5 matches the manifest but it is not gzip (${read.gzipError})`);
  if (read.lines !== entry.itemCount) throw new ExportRefusedError(`${where}: holds ${read.lines} items, manifest-files.json says ${entry.itemCount}`);
}
