/**
 * Builds DynamoDB full exports (ExportTableToPointInTime, DYNAMODB_JSON) in the layout AWS
 * documents (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):
 *   <prefix>/AWSDynamoDB/<ExportId>/_started, manifest-summary.json, manifest-files.json, data/<id>.json.gz
 * with manifest-summary.json carrying the documented fields, manifest-files.json one JSON line per
 * data file {itemCount, md5Checksum (base64 MD5 of the .json.gz bytes), etag (hex MD5 of a
 * single-part upload), dataFileS3Key (the object's full key)}, and each data line {"Item": {…}}.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const EXPORT_TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders';
export const EXPORT_ID = '01764547200000-a1b2c3d4';
export const EXPORT_ARN = `${EXPORT_TABLE_ARN}/export/${EXPORT_ID}`;
export const EXPORT_TIME = '2026-12-01T00:00:00.000Z';
export const EXPORT_PREFIX = 'exports/orders';

export interface ExportFixture {
  /** The folder given as --export's parent: it holds AWSDynamoDB/. */
  readonly root: string;
  /** The export's own folder (holds manifest-summary.json). */
  readonly folder: string;
  readonly files: { readonly relativePath: string; readonly items: unknown[] }[];
}

export interface ExportOptions {
  readonly exportArn?: string;
  readonly tableArn?: string;
  readonly exportTime?: string;
  readonly outputFormat?: string;
  /** Change a data file's bytes after its manifest line is written (a corrupted file). */
  readonly corrupt?: (relativePath: string, gz: Buffer) => Buffer;
  /** Change a manifest line (a count mismatch). */
  readonly editEntry?: (entry: Record<string, unknown>, index: number) => Record<string, unknown>;
  /** Change the summary. */
  readonly editSummary?: (summary: Record<string, unknown>) => Record<string, unknown>;
}

/** Writes an export of `files` (each a list of typed items) under `root`; returns where. */
export function writeExport(root: string, files: readonly unknown[][], options: ExportOptions = {}): ExportFixture {
  const exportArn = options.exportArn ?? EXPORT_ARN;
  const exportId = exportArn.slice(exportArn.lastIndexOf('/') + 1);
  const folder = join(root, 'AWSDynamoDB', exportId);
  const folderKey = `${EXPORT_PREFIX}/AWSDynamoDB/${exportId}/`;
  mkdirSync(join(folder, 'data'), { recursive: true });
  writeFileSync(join(folder, '_started'), '');
  const entries: string[] = [];
  const written: { relativePath: string; items: unknown[] }[] = [];
  files.forEach((items, i) => {
    const relativePath = `data/${`file${i}`.padEnd(26, 'x')}.json.gz`;
    // An empty partition's file is empty (AWS: "For partitions that are empty, your export request will create an empty file").
    const gz = items.length === 0 ? Buffer.alloc(0) : gzipSync(Buffer.from(items.map((item) => `${JSON.stringify({ Item: item })}\n`).join(''), 'utf8'));
    const md5 = createHash('md5').update(gz).digest();
    const entry = { itemCount: items.length, md5Checksum: md5.toString('base64'), etag: md5.toString('hex'), dataFileS3Key: `${folderKey}${relativePath}` };
    entries.push(JSON.stringify(options.editEntry ? options.editEntry(entry, i) : entry));
    writeFileSync(join(folder, relativePath), options.corrupt ? options.corrupt(relativePath, gz) : gz);
    written.push({ relativePath, items });
  });
  writeFileSync(join(folder, 'manifest-files.json'), `${entries.join('\n')}\n`);
  const summary = {
    version: '2020-06-30',
    exportArn,
    startTime: options.exportTime ?? EXPORT_TIME,
    endTime: '2026-12-01T00:05:43.897Z',
    tableArn: options.tableArn ?? EXPORT_TABLE_ARN,
    tableId: '12345a12-abcd-123a-ab12-1234abc12345',
    exportTime: options.exportTime ?? EXPORT_TIME,
    s3Bucket: 'export-bucket',
    s3Prefix: EXPORT_PREFIX,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${folderKey}manifest-files.json`,
    billedSizeBytes: 0,
    itemCount: files.reduce((n, f) => n + f.length, 0),
    outputFormat: options.outputFormat ?? 'DYNAMODB_JSON',
  };
  writeFileSync(join(folder, 'manifest-summary.json'), JSON.stringify(options.editSummary ? options.editSummary(summary) : summary));
  return { root, folder, files: written };
}

/** An item of the fixture table (key pk, sk) with `extra` attributes. */
export function orderItem(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { pk: { S: `order#${n}` }, sk: { N: String(n) }, ...extra };
}
