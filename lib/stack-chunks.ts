/**
 * How the sources of one account are split over stacks of fixed capacity, so that no stack can
 * outgrow CloudFormation's 500 resources or 1 MB template, whatever the number of sources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 *
 * By order of onboarding: an account's sources, in config order, fill chunk 0, then chunk 1, and so
 * on, `capacity` each (MAPPINGS_PER_STACK for mappings stacks, SOURCES_PER_SOURCE_STACK for source
 * stacks). `ddb-audit sources add` appends to the config, so onboarding a table never moves another
 * source: it lands in the account's last chunk (or opens a new one). Removing a source moves the
 * first source of each later chunk of that account one chunk down: its mapping is deleted in one
 * stack and created in the other from TRIM_HORIZON (the stream's 24 h of records are read again;
 * consumers de-duplicate on event_id), and its policy statements are removed by one stack and merged
 * again by the other under the same Sid. That is harmless only if the stack that loses the source is
 * deployed before the one that gains it: the provider's Delete removes the statement of our Sid
 * whichever stack wrote it last (docs/scale-and-cost.md says the order to deploy in).
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
