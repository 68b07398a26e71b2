/**
 * Runs in its own process: one Lambda batch of 1,000 stream records of 4 KB through processBatch
 * (normalize, pack, deliver to an in-memory Firehose) and prints the process's peak RSS, which must
 * stay within a 256 MB Lambda.
 */
import { processBatch } from '../lambda/core/process-batch';
import { silentLogger } from '../lambda/core/logger';
import { generateStreamRecords } from './stream-records';
import { PeakRss } from './measure';

async function main(): Promise<void> {
  const rss = new PeakRss().start(5);
  const event = { Records: generateStreamRecords(1000, { targetBytes: 4096, seed: 7 }) };
  const accepted = { count: 0 };
  const firehose = {
    send: async (command: any) => {
      accepted.count += command.input.Records.length;
      return { FailedPutCount: 0, RequestResponses: command.input.Records.map(() => ({ RecordId: 'r' })) };
    },
  };
  const outcome = await processBatch(
    event,
    {
      clients: { firehose: firehose as any, s3: { send: async () => ({}) } as any },
      sink: { deliveryStreamName: 'bench', packing: 'ndjson', overflowBucket: 'bench', overflowPrefix: 'overflow/' },
      sourceOptions: {},
      logger: silentLogger,
      metrics: { addMetric: () => {} },
    },
    () => 900_000,
  );
  if (outcome.undelivered.length > 0) throw new Error('batch not delivered');
  process.stdout.write(`${JSON.stringify({ peak_rss_mb: rss.stop(), records: outcome.records.length })}\n`);
}

void main();
