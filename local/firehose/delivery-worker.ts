/**
 * Runs the delivery stream in a worker thread. The main thread keeps only the HTTP endpoint
 * (protocol checks, faults, replies) next to the collector; parsing every change record,
 * partitioning, buffering and Parquet conversion use the second core. Decoded records cross the
 * thread boundary by transfer, not by copy, where they own their memory.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_BUFFER, DEFAULT_MAX_PENDING_WRITE_BYTES, DeliveryStats, DeliveryStream, DeliveryStreamOptions } from './delivery-stream';

export type WorkerRequest = { id: number } & ({ type: 'put'; records: Uint8Array[] } | { type: 'flush' } | { type: 'close' });

export interface WorkerReply {
  readonly id: number;
  readonly figures: Omit<DeliveryStats, 'files'>;
  /** Objects written since the previous reply. */
  readonly newFiles: string[];
  readonly error?: string;
}

const MAX_UNPROCESSED_BYTES = 16 * 1024 * 1024;

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The worker's heap cap: room for everything the stream may hold (buffers, data queued for the
 * writer, records not yet processed) twice over (a line is UTF-16 in V8 when it holds a character
 * beyond Latin-1), plus working space. Without a cap V8 lets the heap grow far beyond what is live,
 * because the worker allocates fast (a parse of every change record); with one it collects sooner.
 */
function workerHeapMb(options: DeliveryStreamOptions): number {
  const held = (options.buffer?.maxTotalBytes ?? DEFAULT_BUFFER.maxTotalBytes) + (options.maxPendingWriteBytes ?? DEFAULT_MAX_PENDING_WRITE_BYTES) + MAX_UNPROCESSED_BYTES;
  return Math.ceil((2 * held) / 1048576) + 64;
}

export class WorkerDeliveryStream implements DeliveryStream {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly files: string[] = [];
  private figures: Omit<DeliveryStats, 'files'> = { recordsReceived: 0, changesReceived: 0, rowsWritten: 0, bytesWritten: 0, processingFailures: 0, conversionFailures: 0, bufferedBytes: 0 };
  private nextId = 0;
  private failure: Error | undefined;
  private unprocessedBytes = 0;
  private readonly unprocessed = new Set<Promise<void>>();

  constructor(options: DeliveryStreamOptions) {
    // The shim registers tsx in the worker so the TypeScript modules load there as they do here.
    this.worker = new Worker(join(__dirname, 'delivery-worker.js'), { workerData: options, resourceLimits: { maxOldGenerationSizeMb: workerHeapMb(options) } });
    this.worker.on('message', (reply: WorkerReply) => {
      this.figures = reply.figures;
      this.files.push(...reply.newFiles);
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error === undefined) waiter.resolve();
      else waiter.reject(new Error(reply.error));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.failAll(new Error(`local Firehose delivery worker exited with code ${code}`));
    });
  }

  async put(records: readonly Buffer[]): Promise<void> {
    while (this.unprocessedBytes > MAX_UNPROCESSED_BYTES && !this.failure) await Promise.race(this.unprocessed);
    if (this.failure) throw this.failure;
    let bytes = 0;
    for (const r of records) bytes += r.byteLength;
    // A buffer that owns its whole ArrayBuffer is moved; a slice of a shared pool is copied.
    const transfer = records.filter((r) => r.byteOffset === 0 && r.byteLength === r.buffer.byteLength).map((r) => r.buffer as ArrayBuffer);
    this.unprocessedBytes += bytes;
    const processed = this.call({ type: 'put', records: [...records] }, transfer)
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.unprocessedBytes -= bytes;
        this.unprocessed.delete(processed);
      });
    this.unprocessed.add(processed);
  }

  async flush(): Promise<void> {
    await this.call({ type: 'flush' });
    if (this.failure) throw this.failure;
  }

  stats(): DeliveryStats {
    return { ...this.figures, files: [...this.files] };
  }

  async close(): Promise<void> {
    try {
      await this.call({ type: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(request: Request, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
