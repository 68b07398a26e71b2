/**
 * How the sources of one account are split over stacks of fixed capacity, so that no stack can
 * outgrow CloudFormation's 500 resources or 1 MB template, whatever the number of sources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 *
 * By order of onboarding: an account's sources, in config order, fill chunk 0, then chunk 1, and so
 * on, `capacity` each. `ddb-audit sources add` appends to the config, so onboarding a table never
 * moves another source: it lands in the account's last chunk (or opens a new one). Removing a
 * source moves the first source of each later chunk of that account one chunk down, which is
 * harmless: its mapping is deleted in one stack and created in the other from TRIM_HORIZON (the
 * stream's 24 h of records are read again; consumers de-duplicate on event_id), and its stream
 * policy statement is removed and merged again by the same Sid.
 *
 * Chunking by a stable hash was the alternative; it moves nothing on removal, but the number of
 * hash buckets must be fixed up front, which either wastes stacks for small accounts or caps large
 * ones, so order of onboarding with a fixed capacity was chosen.
 */

/**
 * Event source mappings per audit-account mappings stack: one resource each, plus CDK's metadata,
 * so at most ~301 resources (limit 500; we keep every stack at or below 400) and about 230 KB.
 */
export const MAPPINGS_PER_STACK = 300;

/**
 * Stream policies per source-account stack: one custom resource each, plus the provider's five
 * (function, role, policy, log group, metadata), so at most ~305 resources.
 */
export const STREAM_POLICIES_PER_STACK = 300;

/** Splits one account's items (in config order) into consecutive chunks of at most `capacity`. */
export function chunksOf<T>(items: readonly T[], capacity: number): T[][] {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`chunk capacity must be a positive integer, got ${capacity}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += capacity) chunks.push(items.slice(i, i + capacity));
  return chunks;
}
