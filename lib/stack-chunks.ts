/**
 * How the sources of one account are split over stacks of fixed capacity, so that no stack can
 * outgrow CloudFormation's 500 resources or 1 MB template, whatever the number of sources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 *
 * By order of onboarding: an account's sources, in config order, fill chunk 0, then chunk 1, and so
 * on, `capacity` each (MAPPINGS_PER_STACK for mappings stacks, SOURCES_PER_SOURCE_STACK for source
 * stacks). `ddb-audit sources add` appends to the config, so onboarding a table never moves another
 * source: it lands in the account's last chunk (or opens a new one). Removing a source moves the
 * first source of each later chunk of that account one chunk down, and a change of capacity (this
 * release: source stacks 300 -> 197) moves many sources up. The stack that loses a source and the
 * one that gains it are independent stacks, deployed in either order:
 *
 * - Policy statements (source stacks): each chunk writes Sids of its own (collectorStreamSid,
 *   watchTableSid in ./stream-policy.ts; chunk 0 keeps the legacy Sids). A move is therefore a
 *   Create of the gaining chunk's Sid and a Delete of the losing chunk's Sid, never the same Sid
 *   twice, so whichever stack deploys first, both deployed leave exactly the gaining chunk's
 *   statement. If the gaining stack deploys first both statements exist for a while; if the losing
 *   stack does, the resource has no statement of ours until the gaining stack deploys (the
 *   collector's reads are denied meanwhile; how the mapping behaves then is not verified against
 *   real AWS, and the watch's DescribeTable is denied too). Deploying the gaining
 *   stack first avoids that window: after a removal, the account's source stacks in ascending
 *   order; for the capacity change, descending (docs/scale-and-cost.md). With one Sid for all
 *   chunks (before this release) a gaining stack deployed first merged the same Sid (no change) and
 *   the losing stack's Delete then removed it for good: test/unit/stream-policy-chunk-moves.unit.test.ts.
 * - Event source mappings (mappings stacks): not keyed by Sid; Lambda allows one mapping per stream
 *   and function. If the gaining stack deploys first, its CreateEventSourceMapping fails with
 *   ResourceConflictException (Lambda's error reference: "The resource already exists, or another
 *   operation is in progress",
 *   https://docs.aws.amazon.com/botocore/latest/reference/services/lambda/client/exceptions/ResourceConflictException.html;
 *   the "... mapping already exists" message text is what users report, not documented) and that stack rolls back, with
 *   nothing changed: deploy the losing stack, then the gaining one again. If the losing stack
 *   deploys first, the stream has no mapping until the gaining stack creates one from
 *   TRIM_HORIZON: the stream's 24 h of records are read again (consumers de-duplicate on
 *   event_id), so nothing is lost if the gaining stack follows within hours. After a removal,
 *   deploy the account's mappings stacks in descending order.
 *
 * Chunking by a stable hash was the alternative; it moves nothing on removal, but the number of
 * hash buckets must be fixed up front, which either wastes stacks for small accounts or caps large
 * ones, so order of onboarding with a fixed capacity was chosen.
 */

/**
 * Event source mappings per audit-account mappings stack: one resource each, plus CDK's metadata,
 * so at most ~301 resources (limit 500; we keep every stack at or below STACK_RESOURCE_BUDGET) and
 * about 230 KB. Source stacks have their own capacity (SOURCES_PER_SOURCE_STACK): a mappings chunk
 * and a source chunk of the same number need not hold the same sources.
 */
export const MAPPINGS_PER_STACK = 300;

/** CloudFormation's hard limit on resources per stack (CDK refuses a larger stack at synth). */
export const CLOUDFORMATION_RESOURCES_PER_STACK = 500;

/** What we keep every chunked stack at or below: a fifth of the limit as margin for CDK's additions. */
export const STACK_RESOURCE_BUDGET = 400;

/** A source stack's resources that do not grow with its sources: the provider's function, role, policy, log group, and CDK's metadata. */
export const SOURCE_STACK_FIXED_RESOURCES = 5;

/**
 * Custom resources one source costs in its source stack: its stream statement (collector and watch
 * roles, one statement) and, with the stream watch, its table's DescribeTable statement
 * (lib/constructs/watch-table-policy.ts). The provider makes one custom resource per statement.
 */
export function sourceStackResourcesPerSource(watch: boolean): number {
  return watch ? 2 : 1;
}

/**
 * Sources per source-account stack: (400 - 5) / 2 = 197, so a full chunk is 399 resources with the
 * watch (and 202 without). Derived from the watch's per-source cost whether or not the watch is
 * enabled, so turning the watch on or off moves no source between stacks.
 */
export const SOURCES_PER_SOURCE_STACK = Math.floor((STACK_RESOURCE_BUDGET - SOURCE_STACK_FIXED_RESOURCES) / sourceStackResourcesPerSource(true));

/** A source stack's resources for a number of sources. */
export function sourceStackResources(sources: number, watch: boolean): number {
  return SOURCE_STACK_FIXED_RESOURCES + sources * sourceStackResourcesPerSource(watch);
}

/** Splits one account's items (in config order) into consecutive chunks of at most `capacity`. */
export function chunksOf<T>(items: readonly T[], capacity: number): T[][] {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`chunk capacity must be a positive integer, got ${capacity}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += capacity) chunks.push(items.slice(i, i + capacity));
  return chunks;
}

/** The chunk (0-based) that holds the item at `position` (0-based, config order) of its account: what chunksOf puts it in. */
export function chunkIndexOf(position: number, capacity: number): number {
  if (!Number.isInteger(position) || position < 0) throw new Error(`position must be a non-negative integer, got ${position}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`chunk capacity must be a positive integer, got ${capacity}`);
  return Math.floor(position / capacity);
}
