/**
 * Writes what the local Firehose delivers: Parquet objects under changes/ and error records
 * under errors/, with the object names Firehose uses (stream name, time, a random part).
 *
 * Every file is written under a temporary name and renamed into place, so a reader (DuckDB, a
 * digest run) never sees half a file, and names are unique so a second run never overwrites the
 * first.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ERRORS_PREFIX } from '../../schemas/partitioning';
import { ParquetFileWriter } from './parquet-writer';

export type ErrorOutputType = 'processing-failed' | 'format-conversion-failed';

export interface ErrorRecord {
  readonly raw: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface WrittenBatch {
  /** Path of the Parquet object relative to the data folder; absent when no row converted. */
  readonly file?: string;
  readonly rows: number;
  readonly bytes: number;
  readonly conversionFailures: number;
}

/** Firehose-style object name: STREAM-VERSION-yyyy-MM-dd-HH-mm-ss-UUID. */
export function objectName(streamName: string, now: Date, extension: string): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return `${streamName}-1-${stamp}-${randomUUID()}${extension}`;
}

/**
 * Writes one partition's buffered change records (already checked against the schema, see
 * rows.ts) as one Parquet object. Records the Parquet writer still refuses go to
 * errors/format-conversion-failed/.
 */
export async function writePartitionBatch(writer: ParquetFileWriter, dataDir: string, streamName: string, partition: string, lines: readonly string[]): Promise<WrittenBatch> {
  const now = new Date();
  const directory = join(dataDir, partition);
  await mkdir(directory, { recursive: true });
  const file = join(partition, objectName(streamName, now, '.parquet'));
  const temporary = join(directory, `.${randomUUID()}.inprogress`);
  let rejected;
  try {
    rejected = await writer.write(temporary, lines);
    if (rejected.length < lines.length) await rename(temporary, join(dataDir, file));
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  if (rejected.length > 0) {
    await writeErrorRecords(dataDir, streamName, 'format-conversion-failed', rejected.map((r) => ({ raw: r.line, errorCode: 'DataFormatConversion.MalformedData', errorMessage: r.reason })));
  }
  const rows = lines.length - rejected.length;
  if (rows === 0) return { rows: 0, bytes: 0, conversionFailures: rejected.length };
  let bytes = 0;
  for (const line of lines) bytes += Buffer.byteLength(line);
  for (const r of rejected) bytes -= Buffer.byteLength(r.line);
  return { file, rows, bytes, conversionFailures: rejected.length };
}

/**
 * Error records in Firehose's error-output shape (one JSON object a line, rawData base64) under
 * errors/<type>/yyyy/MM/dd/, the prefix the deployed stream uses.
 */
export async function writeErrorRecords(dataDir: string, streamName: string, type: ErrorOutputType, records: readonly ErrorRecord[]): Promise<string> {
  const now = new Date();
  const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
  const directory = join(dataDir, ERRORS_PREFIX, type, day);
  await mkdir(directory, { recursive: true });
  const body = records
    .map((r) =>
      JSON.stringify({
        attemptsMade: 1,
        arrivalTimestamp: now.getTime(),
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        attemptEndingTimestamp: now.getTime(),
        rawData: Buffer.from(r.raw).toString('base64'),
      }),
    )
    .join('\n');
  const name = objectName(streamName, now, '');
  const temporary = join(directory, `.${randomUUID()}.inprogress`);
  await writeFile(temporary, `${body}\n`);
  await rename(temporary, join(directory, name));
  return join(ERRORS_PREFIX, type, day, name);
}
