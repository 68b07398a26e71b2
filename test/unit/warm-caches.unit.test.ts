/**
 * A warm collector (one module instance, as in a warm Lambda execution environment) over many hostile
 * batches: the byte accounting of every cache kept between batches stays under its bound (issue 12,
 * item 10). This tests the accounting, not RSS (bench/warm-memory.ts reports RSS). Firehose and S3 are
 * in-memory stand-ins (test/support/scripted-firehose.ts): no network in unit tests.
 */
import fc from 'fast-check';
import { MAX_CACHED_NAME_LENGTH, memberPrefix, memberPrefixCacheBytes, MEMBER_PREFIX_CACHE_BYTES } from '../../lambda/core/attribute-json';
import { stringBytes } from '../../lambda/core/cache-bytes';
import { silentLogger } from '../../lambda/core/logger';
import { processBatch } from '../../lambda/core/process-batch';
import { NORMALIZER_CACHE_BOUND, REMEMBERED_HASH_VALUES_BOUND, warmCacheBytes, WARM_CACHE_BYTES_BOUND } from '../../lambda/core/warm-caches';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';
import { EVERY_KIND, HOSTILE_ACTOR_ATTRIBUTE, hostileChange, hostileStreamRecord, ordinaryStreamRecord } from '../support/hostile-items';
import { ScriptedFirehose } from '../support/scripted-firehose';

const SOURCE_OPTIONS = { 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz': { actorAttribute: HOSTILE_ACTOR_ATTRIBUTE } };
const discardingS3 = { send: async () => ({}) };

async function collect(records: unknown[]): Promise<void> {
  const outcome = await processBatch(
    { Records: records },
    { clients: { firehose: new ScriptedFirehose(), s3: discardingS3 }, sink: { deliveryStreamName: 'warm', packing: 'ndjson', overflowBucket: 'o', overflowPrefix: 'overflow/' }, sourceOptions: SOURCE_OPTIONS, logger: silentLogger, metrics: { addMetric: () => undefined } },
    () => 60_000,
  );
  expect(outcome.undelivered).toEqual([]);
}

/** An item of as many distinct names as fit, each just short enough to be cached, different every batch. */
function distinctNamesRecord(batch: number, char: string) {
  const keys = { pk: { S: `names#${batch}` } };
  const item: Record<string, unknown> = { ...keys };
  for (let i = 0; i < 1500; i++) item[`${char.repeat(MAX_CACHED_NAME_LENGTH - 12)}${batch}.${i}`] = { N: '1' };
  return buildStreamRecord({ eventName: 'INSERT', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: keys, newImage: item, seconds: 1772366400, sequence: 10n ** 20n + BigInt(batch), id: `names-${batch}`, sizeBytes: 1 });
}

describe('warm caches', () => {
  it('count a cached name by its bytes, and never cache a name longer than the limit', () => {
    const before = memberPrefixCacheBytes();
    memberPrefix('warm-cache-probe', true);
    const quoted = '"warm-cache-probe":';
    expect(memberPrefixCacheBytes() - before).toBe(64 + stringBytes('warm-cache-probe') + stringBytes(quoted) + stringBytes(`,${quoted}`));
    const afterShort = memberPrefixCacheBytes();
    expect(memberPrefix('\u0001'.repeat(60_000), false)).toBe(`,${JSON.stringify('\u0001'.repeat(60_000))}:`);
    expect(memberPrefixCacheBytes()).toBe(afterShort);
  });

  it('stay under their byte bound over many hostile batches, from every source', async () => {
    const hostile = fc.sample(hostileChange, { numRuns: 6, seed: 42 });
    let peak = 0;
    for (let batch = 0; batch < 14; batch++) {
      // Prepare: each batch brings new names (distinct per batch), hostile items of every kind, and ordinary changes
      const change = batch < EVERY_KIND.length ? EVERY_KIND[batch] : hostile[batch % hostile.length];
      const records = [ordinaryStreamRecord(batch, 10n ** 21n + BigInt(batch)), distinctNamesRecord(batch, ['a', '\u0001', '東'][batch % 3] as string), hostileStreamRecord(change!, `warm-${batch}`, 10n ** 22n + BigInt(batch), (['MODIFY', 'INSERT', 'REMOVE'] as const)[batch % 3])];
      // Act
      await collect(records);
      // Assess
      const bytes = warmCacheBytes();
      peak = Math.max(peak, bytes.total);
      expect(bytes.memberPrefixes).toBeLessThanOrEqual(MEMBER_PREFIX_CACHE_BYTES);
      expect(bytes.rememberedHashValues).toBeLessThanOrEqual(REMEMBERED_HASH_VALUES_BOUND);
      expect(bytes.normalizer).toBeLessThanOrEqual(NORMALIZER_CACHE_BOUND);
      expect(bytes.total).toBeLessThanOrEqual(WARM_CACHE_BYTES_BOUND);
    }
    // The accounting is live: the distinct names filled the member cache close to its budget.
    expect(warmCacheBytes().memberPrefixes).toBeGreaterThan(MEMBER_PREFIX_CACHE_BYTES * 0.9);
    expect(WARM_CACHE_BYTES_BOUND).toBeLessThan(32 * 1024 * 1024);
    expect(peak).toBeGreaterThan(0);
  });
});
