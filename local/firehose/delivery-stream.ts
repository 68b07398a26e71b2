/**
 * The local delivery stream: what happens to records after the endpoint accepted them.
 * Deaggregate (newline-delimited sub-records) -> partition (schemas/partitioning, same rule as the
 * deployed JQ) -> buffer by partition, size and time -> convert to Parquet and write, with
 * records that cannot be partitioned or converted written under errors/.
 *
 * put() returns once the records are buffered; when the writer falls behind it waits, which the
 * HTTP endpoint turns into a slower reply (backpressure instead of unbounded memory).
 *
 * This class runs in whichever thread owns it: in-process ('inline'), or inside the delivery
 * worker thread (delivery-worker.ts), which is the default.
 */
import { BufferOptions, FlushBatch, PartitionBuffers } from './buffer';
import { deaggregate, FailedSubRecord } from './deaggregate';
import { ErrorRecord, writeErrorRecords, writePartitionBatch } from './files';
import { ParquetFileWriter } from './parquet-writer';

export interface DeliveryStreamOptions {
  readonly dataDir: string;
  /** @default 'ddb-audit-local' */
  readonly streamName?: string;
  /** @default sizeBytes 32 MiB, intervalMs 60 s, maxTotalBytes 128 MiB */
  readonly buffer?: Partial<BufferOptions>;
  /** DuckDB threads of the Parquet writer. @default 1 */
  readonly writerThreads?: number;
  /** put() waits while more than this many bytes are queued for the writer. @default 32 MiB */
  readonly maxPendingWriteBytes?: number;
}

export interface DeliveryStats {
  /** Firehose records accepted (a packed record counts once). */
  readonly recordsReceived: number;
  /** Change records found in them after deaggregation. */
  readonly changesReceived: number;
  readonly rowsWritten: number;
  /** Parquet objects written, relative to the data folder. */
  readonly files: readonly string[];
  /** JSON bytes of the change records written as Parquet rows. */
  readonly bytesWritten: number;
  readonly processingFailures: number;
  readonly conversionFailures: number;
  readonly bufferedBytes: number;
}

/** What the HTTP endpoint needs of a delivery stream, wherever it runs. */
export interface DeliveryStream {
  put(records: readonly Buffer[]): Promise<void>;
  flush(): Promise<void>;
  stats(): DeliveryStats;
  close(): Promise<void>;
}

export const DEFAULT_MAX_PENDING_WRITE_BYTES = 32 * 1024 * 1024;

export const DEFAULT_BUFFER: BufferOptions = { sizeBytes: 32 * 1024 * 1024, intervalMs: 60_000, maxTotalBytes: 128 * 1024 * 1024 };

export class LocalDeliveryStream implements DeliveryStream {
  readonly streamName: string;
  private readonly buffers: PartitionBuffers;
  private writer: Promise<ParquetFileWriter> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxPendingWriteBytes: number;
  private readonly timer: NodeJS.Timeout;
  private pendingWriteBytes = 0;
  private writeError: Error | undefined;
  private waiters: Array<() => void> = [];
  private recordsReceived = 0;
  private changesReceived = 0;
  private rowsWritten = 0;
  private bytesWritten = 0;
  private processingFailures = 0;
  private conversionFailures = 0;
  private readonly files: string[] = [];

  constructor(private readonly options: DeliveryStreamOptions) {
    this.streamName = options.streamName ?? 'ddb-audit-local';
    const buffer = { ...DEFAULT_BUFFER, ...options.buffer };
    this.buffers = new PartitionBuffers(buffer);
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? DEFAULT_MAX_PENDING_WRITE_BYTES;
    this.timer = setInterval(() => this.dispatch(this.buffers.expired(Date.now())), Math.max(50, Math.min(1000, buffer.intervalMs / 4)));
    this.timer.unref();
  }

  /** Accepts decoded Firehose records (each possibly many newline-delimited change records). */
  async put(records: readonly Buffer[]): Promise<void> {
    this.throwIfFailed();
    const failures: FailedSubRecord[] = [];
    const unconvertible: ErrorRecord[] = [];
    const now = Date.now();
    for (const data of records) {
      this.recordsReceived++;
      const { records: subRecords, failures: failed } = deaggregate(data.toString('utf8'));
      failures.push(...failed);
      this.changesReceived += subRecords.length + failed.length;
      for (const sub of subRecords) {
        if (sub.conversionProblem === undefined) this.dispatch(this.buffers.add(sub.partition, sub.line, now));
        else unconvertible.push({ raw: sub.line, errorCode: 'DataFormatConversion.MalformedData', errorMessage: sub.conversionProblem });
      }
    }
    if (failures.length > 0) this.writeErrors('processing-failed', failures);
    // Firehose reports these when the buffer is delivered; the error objects are the same.
    if (unconvertible.length > 0) this.writeErrors('format-conversion-failed', unconvertible);
    while (this.pendingWriteBytes > this.maxPendingWriteBytes && !this.writeError) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Delivers everything buffered now and waits until every object is written. */
  async flush(): Promise<void> {
    this.dispatch(this.buffers.drain());
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      if (this.writer) await (await this.writer).close();
    }
  }

  stats(): DeliveryStats {
    return {
      recordsReceived: this.recordsReceived,
      changesReceived: this.changesReceived,
      rowsWritten: this.rowsWritten,
      files: [...this.files],
      bytesWritten: this.bytesWritten,
      processingFailures: this.processingFailures,
      conversionFailures: this.conversionFailures,
      bufferedBytes: this.buffers.bufferedBytes,
    };
  }

  private dispatch(batches: FlushBatch[]): void {
    for (const batch of batches) {
      this.pendingWriteBytes += batch.bytes;
      this.writer ??= ParquetFileWriter.open({ threads: this.options.writerThreads });
      const write = this.writer
        .then((writer) => writePartitionBatch(writer, this.options.dataDir, this.streamName, batch.partition, batch.lines))
        .then((result) => {
          this.rowsWritten += result.rows;
          this.bytesWritten += result.bytes;
          this.conversionFailures += result.conversionFailures;
          if (result.file) this.files.push(result.file);
        })
        .catch((err: Error) => {
          this.writeError ??= err;
        })
        .finally(() => {
          this.pendingWriteBytes -= batch.bytes;
          this.inFlight.delete(write);
          this.wake();
        });
      this.inFlight.add(write);
    }
  }

  private writeErrors(type: 'processing-failed' | 'format-conversion-failed', records: ErrorRecord[]): void {
    if (type === 'processing-failed') this.processingFailures += records.length;
    else this.conversionFailures += records.length;
    const write = writeErrorRecords(this.options.dataDir, this.streamName, type, records)
      .then(() => undefined)
      .catch((err: Error) => {
        this.writeError ??= err;
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  private wake(): void {
    if (this.pendingWriteBytes > this.maxPendingWriteBytes && !this.writeError) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private throwIfFailed(): void {
    if (this.writeError) throw new Error(`local Firehose could not write to ${this.options.dataDir}: ${this.writeError.message}`);
  }
}
