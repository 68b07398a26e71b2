import fc from 'fast-check';
import {
  deliveryStreamFor,
  deliveryStreamNames,
  planDeliveryStreams,
  PARTITIONS_PER_SOURCE,
  RESERVED_PARTITIONS_PER_STREAM,
  sourcesPerStreamLimit,
  stableHash,
  streamIndexFor,
} from '../../lambda/core/delivery-routing';

const tableArn = fc
  .tuple(fc.integer({ min: 0, max: 999_999_999_999 }), fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/))
  .map(([account, name]) => `arn:aws:dynamodb:eu-west-1:${String(account).padStart(12, '0')}:table/${name}`);

describe('delivery routing', () => {
  it('routes a table ARN to the same stream every time, inside the stream count', () => {
    fc.assert(
      fc.property(tableArn, fc.integer({ min: 1, max: 200 }), (arn, count) => {
        const index = streamIndexFor(arn, count);
        expect(index).toBe(streamIndexFor(arn, count));
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(count);
      }),
    );
  });

  it('keeps the hash stable across releases (a change would silently reshuffle every deployment)', () => {
    // FNV-1a 32-bit test vectors (http://www.isthe.com/chongo/tech/comp/fnv/).
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
  });

  it('plans enough streams that none exceeds the active-partition quota with every source active across midnight', () => {
    fc.assert(
      fc.property(fc.uniqueArray(tableArn, { minLength: 1, maxLength: 3000 }), fc.integer({ min: 4, max: 5000 }), (arns, quota) => {
        const plan = planDeliveryStreams(arns, quota, 10_000);
        expect(plan.sourcesPerStream).toHaveLength(plan.streamCount);
        expect(plan.sourcesPerStream.reduce((a, b) => a + b, 0)).toBe(arns.length);
        for (const sources of plan.sourcesPerStream) expect(sources * PARTITIONS_PER_SOURCE + RESERVED_PARTITIONS_PER_STREAM).toBeLessThanOrEqual(quota);
        expect(plan.maxActivePartitions).toBeLessThanOrEqual(quota);
        expect(plan.streamCount).toBeGreaterThanOrEqual(Math.ceil(arns.length / sourcesPerStreamLimit(quota)));
        // Every source is routed to exactly the stream the plan counted it in.
        const counted = new Array<number>(plan.streamCount).fill(0);
        for (const arn of arns) counted[streamIndexFor(arn, plan.streamCount)]!++;
        expect(counted).toEqual(plan.sourcesPerStream);
      }),
      { numRuns: 50 },
    );
  });

  it('needs one stream for up to 249 sources at the default quota of 500, more beyond', () => {
    const arns = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:dynamodb:eu-west-1:222222222222:table/t-${i}`);
    expect(planDeliveryStreams(arns(249), 500, 50).streamCount).toBe(1);
    expect(planDeliveryStreams(arns(250), 500, 50).streamCount).toBeGreaterThan(1);
  });

  it('refuses, naming the sources, the quota and what to raise, when no stream count up to the maximum fits', () => {
    const arns = Array.from({ length: 60 }, (_, i) => `arn:aws:dynamodb:eu-west-1:222222222222:table/t-${i}`);
    expect(() => planDeliveryStreams(arns, 4, 50)).toThrow(
      '60 sources need more than 50 delivery streams at delivery.activePartitionQuota 4 (1 sources per stream); ask AWS to raise the Firehose active partition quota (up to 5,000) and set delivery.activePartitionQuota to the raised value',
    );
    expect(() => planDeliveryStreams(arns, 3, 50)).toThrow('delivery.activePartitionQuota 3 leaves no room for a source');
  });

  it('names stream 0 as deployed and stream i by the fixed prefix, and sends a record without a source to stream 0', () => {
    const names = deliveryStreamNames('DdbAuditCollector-Stream-ABC', 'ddb-audit-changes-', 3);
    expect(names).toEqual(['DdbAuditCollector-Stream-ABC', 'ddb-audit-changes-1', 'ddb-audit-changes-2']);
    expect(deliveryStreamFor(undefined, names)).toBe(names[0]);
    fc.assert(fc.property(tableArn, (arn) => expect(deliveryStreamFor(arn, names)).toBe(names[streamIndexFor(arn, 3)])));
  });
});
