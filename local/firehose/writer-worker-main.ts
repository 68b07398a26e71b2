/** The Parquet writer thread: receives one partition's lines, writes one object, replies. */
import { parentPort, workerData } from 'node:worker_threads';
import { writePartitionBatch } from './files';

const { dataDir, streamName } = workerData as { dataDir: string; streamName: string };

// Jobs run one at a time, in arrival order: a worker has one core to give.
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: { id: number; partition: string; data: string }) => {
  queue = queue.then(async () => {
    try {
      const result = await writePartitionBatch(dataDir, streamName, job.partition, job.data.split('\n'));
      parentPort?.postMessage({ id: job.id, result });
    } catch (err) {
      parentPort?.postMessage({ id: job.id, error: (err as Error).message });
    }
  });
});
