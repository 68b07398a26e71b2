/**
 * Stack names of a deployment: a contract for `cdk deploy NAME` in the README and the CLI's advice.
 *
 * Everything that grows with the sources lives in per-account stacks of fixed capacity
 * (./stack-chunks.ts), so no stack can outgrow CloudFormation's limits and onboarding a table
 * changes only its own account's stacks. Chunk 0 of an account has the plain name; chunk n > 0
 * appends `-n`.
 */

/** Audit account: key, buckets, Glue, Firehose, collector and its role, Athena, alarms. */
export const AUDIT_STACK_NAME = 'DdbAuditCollector';
/** Audit account: the stream-lifecycle watch (./watch-stack.ts), when watch.enabled. */
export const WATCH_STACK_NAME = 'DdbAuditWatch';
/**
 * The single mappings stack of deployments before per-account stacks. Deploying the per-account
 * layout leaves it in place until it is deleted (docs/scale-and-cost.md, "Upgrading to per-account stacks").
 */
export const MAPPINGS_STACK_NAME = 'DdbAuditMappings';
/** Prefix every per-account mappings stack name starts with (`DdbAuditMappings-<account>[-<n>]`). */
export const MAPPINGS_STACK_NAME_PREFIX = `${MAPPINGS_STACK_NAME}-`;

function chunkSuffix(chunk: number): string {
  if (!Number.isInteger(chunk) || chunk < 0) throw new Error(`stack chunk must be a non-negative integer, got ${chunk}`);
  return chunk === 0 ? '' : `-${chunk}`;
}

/** A source account's stream resource policies (chunk 0: `DdbAuditSource-<account>`). */
export function sourceStackName(accountId: string, chunk = 0): string {
  return `DdbAuditSource-${accountId}${chunkSuffix(chunk)}`;
}

/** Audit account: the event source mappings of one source account's streams (chunk 0: `DdbAuditMappings-<account>`). */
export function mappingsStackName(accountId: string, chunk = 0): string {
  return `${MAPPINGS_STACK_NAME_PREFIX}${accountId}${chunkSuffix(chunk)}`;
}
