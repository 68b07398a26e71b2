/**
 * Runs Parquet conversion off the main thread. parquetjs-lite spends about half its time
 * shredding rows, all of it CPU; in a worker_thread it uses the second core while the main
 * thread runs the collector handler and the HTTP endpoint. `inline` mode runs in-process
 * (simpler to debug, and what a one-core machine would do anyway).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WrittenBatch, writePartitionBatch } from './files';

export interface WriteJob {
  readonly partition: string;
  readonly lines: string[];
}

export interface WriterPool {
  write(job: WriteJob): Promise<WrittenBatch>;
  close(): Promise<void>;
}

export function inlineWriterPool(dataDir: string, streamName: string): WriterPool {
  return {
    write: (job) => writePartitionBatch(dataDir, streamName, job.partition, job.lines),
    close: async () => undefined,
  };
}

interface WorkerReply {
  readonly id: number;
  readonly result?: WrittenBatch;
  readonly error?: string;
}

export function workerWriterPool(dataDir: string, streamName: string): WriterPool {
  // The shim registers tsx in the worker so the TypeScript module loads there as it does here.
  // A capped heap makes V8 collect instead of growing: the writer's garbage is short-lived.
  const worker = new Worker(join(__dirname, 'writer-worker.js'), { workerData: { dataDir, streamName }, resourceLimits: { maxOldGenerationSizeMb: 384 } });
  const pending = new Map<number, { resolve: (r: WrittenBatch) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.result) waiter.resolve(reply.result);
    else waiter.reject(new Error(reply.error ?? 'Parquet writer failed'));
  });
  const failAll = (err: Error) => {
    failure = err;
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => {
    if (code !== 0) failAll(new Error(`Parquet writer worker exited with code ${code}`));
  });
  return {
    write(job) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<WrittenBatch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // One string instead of an array of lines: a single copy across the thread boundary.
        worker.postMessage({ id, partition: job.partition, data: job.lines.join('\n') });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
