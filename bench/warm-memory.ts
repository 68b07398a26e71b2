/**
 * A warm collector over many hostile batches (test/support/hostile-items.ts: items at every DynamoDB
 * limit, new attribute names in every batch): prints, per batch, the warm caches' accounted bytes
 * (lambda/core/warm-caches.ts) beside the process's RSS after a full GC. The unit test asserts the
 * accounting (test/unit/warm-caches.unit.test.ts); this reports what the process really holds, which no
 * test asserts (RSS depends on the garbage collector).
 *
 * Run: node --expose-gc --import tsx bench/warm-memory.ts [batches, default 60]
 */
import fc from 'fast-check';
import { silentLogger } from '../lambda/core/logger';
import { processBatch } from '../lambda/core/process-batch';
import { warmCacheBytes, WARM_CACHE_BYTES_BOUND } from '../lambda/core/warm-caches';
import { buildStreamRecord } from '../test/support/dynamodb-arbitraries';
import { EVERY_KIND, HOSTILE_ACTOR_ATTRIBUTE, hostileChange, hostileStreamRecord } from '../test/support/hostile-items';

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** 60 KB names, different every batch: what grew the count-bounded cache past 1 GB. */
function longNames(batch: number) {
  const keys = { pk: { S: `long#${batch}` } };
  const item: Record<string, unknown> = { ...keys };
  for (let i = 0; i < 6; i++) item[`${'n'.repeat(60_000)}${batch}.${i}`] = { N: '1' };
  return buildStreamRecord({ eventName: 'INSERT', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: keys, newImage: item, seconds: 1772366400, sequence: 10n ** 20n + BigInt(batch), id: `long-${batch}`, sizeBytes: 1 });
}

async function main(): Promise<void> {
  const batches = Number(process.argv[2] ?? 60);
  const generated = fc.sample(hostileChange, { numRuns: 20, seed: 7 });
  const firehose = { send: async (command: any) => ({ FailedPutCount: 0, RequestResponses: command.input.Records.map(() => ({ RecordId: 'r' })) }) };
  for (let batch = 0; batch < batches; batch++) {
    const change = EVERY_KIND[batch % EVERY_KIND.length] ?? generated[0]!;
    const records = [longNames(batch), hostileStreamRecord(batch % 2 ? change : generated[batch % generated.length]!, `warm-${batch}`, 10n ** 21n + BigInt(batch))];
    await processBatch(
      { Records: records },
      {
        clients: { firehose: firehose as any, s3: { send: async () => ({}) } as any },
        sink: { deliveryStreamName: 'bench', packing: 'ndjson', overflowBucket: 'bench', overflowPrefix: 'overflow/' },
        sourceOptions: { 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz': { actorAttribute: HOSTILE_ACTOR_ATTRIBUTE } },
        logger: silentLogger,
        metrics: { addMetric: () => {} },
      },
      () => 900_000,
    );
    gc?.();
    if (batch % 10 === 9 || batch === batches - 1) {
      process.stdout.write(`${JSON.stringify({ batch: batch + 1, warm_cache_mb: mb(warmCacheBytes().total), bound_mb: mb(WARM_CACHE_BYTES_BOUND), rss_mb: mb(process.memoryUsage.rss()), heap_used_mb: mb(process.memoryUsage().heapUsed), gc: gc !== undefined })}\n`);
    }
  }
}

void main();
