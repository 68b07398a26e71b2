/** Stack names of a deployment: a contract for `cdk deploy NAME` in the README and the CLI's advice. */

/** Audit account: key, buckets, Glue, Firehose, collector and its role, Athena, alarms. */
export const AUDIT_STACK_NAME = 'DdbAuditCollector';
/** Audit account: the stream-read policy and one event source mapping per onboarded stream. */
export const MAPPINGS_STACK_NAME = 'DdbAuditMappings';
/** A source account's stream resource policies. */
export function sourceStackName(accountId: string): string {
  return `DdbAuditSource-${accountId}`;
}
