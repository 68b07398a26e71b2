/**
 * Which Firehose delivery stream carries a source's changes, and how many streams a deployment needs.
 * Pure (no AWS SDK, no aws-cdk-lib): the CDK app sizes the streams with it at synth, the collector
 * routes with it at run time, and the local pipeline runs it over several local streams, so all
 * three agree by construction.
 *
 * Why several streams: Firehose dynamic partitioning allows 500 active partitions per delivery
 * stream (raisable to 5,000); records past it go to the error prefix `activePartitionExceeded`,
 * out of the queryable log, and AWS's advice is more streams
 * (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html,
 * https://docs.aws.amazon.com/firehose/latest/dev/limits.html). An active partition is one
 * account_id/table_name/dt prefix being buffered; around midnight UTC a table has two (yesterday's
 * and today's), so a stream holds at most (quota - reserve) / 2 sources.
 *
 * Routing: a stable hash (FNV-1a, 32 bits) of the source's TABLE ARN modulo the stream count.
 * The table ARN, not the stream ARN, so a re-enabled stream (new label) stays on its stream.
 * Moving a source to another stream when the count changes is harmless: every stream writes the
 * same bucket layout (changes/account_id=/table_name=/dt=/) with the same schema, so queries, the
 * digest and evidence never see which stream carried a record. A record in flight in the old
 * stream's buffer is delivered by that stream; the next one by the new stream.
 */

/** Name prefix of the delivery streams after the first: stream i > 0 is named PREFIX + i. */
export const DELIVERY_STREAM_NAME_PREFIX = 'ddb-audit-changes-';

/** Firehose's default active-partition quota per delivery stream. */
export const DEFAULT_ACTIVE_PARTITION_QUOTA = 500;

/** Partitions one source can hold open at once: yesterday's and today's dt, around midnight UTC. */
export const PARTITIONS_PER_SOURCE = 2;

/**
 * Partitions every stream keeps free for records that name no source: a record whose stream ARN
 * cannot be parsed is partitioned under account_id=unknown/table_name=unknown (two days, as above).
 */
export const RESERVED_PARTITIONS_PER_STREAM = 2;

/** The most sources one stream may carry under a quota of active partitions. */
export function sourcesPerStreamLimit(activePartitionQuota: number): number {
  return Math.floor((activePartitionQuota - RESERVED_PARTITIONS_PER_STREAM) / PARTITIONS_PER_SOURCE);
}

/** FNV-1a over the UTF-16 code units of `text`, as an unsigned 32-bit integer. Stable across Node.js versions. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The index (0-based) of the stream that carries the source with this table ARN. */
export function streamIndexFor(tableArn: string, streamCount: number): number {
  if (!Number.isInteger(streamCount) || streamCount < 1) throw new Error(`delivery stream count must be a positive integer, got ${streamCount}`);
  return stableHash(tableArn) % streamCount;
}

/** How many sources each stream carries with `streamCount` streams (index = stream). */
export function sourcesPerStream(tableArns: readonly string[], streamCount: number): number[] {
  const counts = new Array<number>(streamCount).fill(0);
  for (const arn of tableArns) counts[streamIndexFor(arn, streamCount)]!++;
  return counts;
}

export interface StreamPlan {
  readonly streamCount: number;
  /** Sources per stream, index = stream. */
  readonly sourcesPerStream: readonly number[];
  /** Active partitions of the fullest stream with every source active across a day boundary. */
  readonly maxActivePartitions: number;
}

/**
 * The fewest streams, starting from ceil(2 x sources / quota), for which the hash routing leaves
 * no stream over the quota with every source active across midnight. Deterministic: the same
 * table ARNs and quota always give the same plan. Hash routing is not perfectly even, so the
 * count can be a few streams above the minimum; it is searched up to `maxStreams`.
 *
 * @throws Error naming the sources, the quota and the stream limit when no count up to maxStreams fits
 */
export function planDeliveryStreams(tableArns: readonly string[], activePartitionQuota: number, maxStreams: number): StreamPlan {
  const perStream = sourcesPerStreamLimit(activePartitionQuota);
  if (perStream < 1) throw new Error(`delivery.activePartitionQuota ${activePartitionQuota} leaves no room for a source (each needs ${PARTITIONS_PER_SOURCE} partitions, and ${RESERVED_PARTITIONS_PER_STREAM} are reserved per stream)`);
  const distinct = [...new Set(tableArns)];
  const minimum = Math.max(1, Math.ceil(distinct.length / perStream));
  for (let count = minimum; count <= maxStreams; count++) {
    const counts = sourcesPerStream(distinct, count);
    const fullest = Math.max(...counts);
    if (fullest <= perStream) return { streamCount: count, sourcesPerStream: counts, maxActivePartitions: fullest * PARTITIONS_PER_SOURCE + RESERVED_PARTITIONS_PER_STREAM };
  }
  throw new Error(
    `${distinct.length} sources need more than ${maxStreams} delivery streams at delivery.activePartitionQuota ${activePartitionQuota} ` +
      `(${perStream} sources per stream); ask AWS to raise the Firehose active partition quota (up to 5,000) and set delivery.activePartitionQuota to the raised value`,
  );
}

/**
 * Names of the delivery streams, index = stream. Stream 0 keeps the name it was deployed with (a
 * CloudFormation-generated one, so upgrading a single-stream deployment does not replace its
 * stream); stream i > 0 is `${prefix}${i}`, a fixed name so the collector can derive it from two
 * constant-size environment variables.
 */
export function deliveryStreamNames(firstStreamName: string, prefix: string, streamCount: number): string[] {
  return Array.from({ length: streamCount }, (_, i) => (i === 0 ? firstStreamName : `${prefix}${i}`));
}

/** Routes a table ARN to its stream's name; a record without a parsable source goes to stream 0. */
export function deliveryStreamFor(tableArn: string | undefined, names: readonly string[]): string {
  if (tableArn === undefined || names.length === 1) return names[0] as string;
  return names[streamIndexFor(tableArn, names.length)] as string;
}
