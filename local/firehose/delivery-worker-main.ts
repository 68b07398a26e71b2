/**
 * The delivery worker thread: owns one LocalDeliveryStream (deaggregation, partitioning,
 * buffering, Parquet writing) and answers the main thread's put/flush/close messages, each reply
 * carrying the stream's figures so the main thread can report them without asking.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DeliveryStreamOptions, LocalDeliveryStream } from './delivery-stream';
import type { WorkerReply, WorkerRequest } from './delivery-worker';

const stream = new LocalDeliveryStream(workerData as DeliveryStreamOptions);
let filesReported = 0;

function reply(id: number, error?: Error): void {
  const { files, ...figures } = stream.stats();
  const message: WorkerReply = { id, figures, newFiles: files.slice(filesReported), ...(error ? { error: error.message } : {}) };
  filesReported = files.length;
  parentPort?.postMessage(message);
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'put') await stream.put(request.records.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
  else if (request.type === 'flush') await stream.flush();
  else await stream.close();
}

parentPort?.on('message', (request: WorkerRequest) => {
  handle(request).then(
    () => reply(request.id),
    (err: Error) => reply(request.id, err),
  );
});
