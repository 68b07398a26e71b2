/**
 * Names a deployed installation is found by: the audit stack's CloudFormation outputs, and the
 * heartbeat table. The CDK stacks write them, and `ddb-audit doctor` and `ddb-audit replay` read
 * them, so both sides import them from here (no aws-cdk-lib, so the CLI can too).
 *
 * Output keys are a contract: runbooks and other tooling read them with
 * `aws cloudformation describe-stacks --stack-name DdbAuditCollector`.
 */

/** CloudFormation output keys of the audit stack (DdbAuditCollector). */
export const AUDIT_STACK_OUTPUT = {
  /** Name of the change-log bucket (changes/, overflow/, errors/, digests/). */
  changeLogBucket: 'ChangeLogBucketName',
  /** Name of the bucket holding the event source mappings' on-failure records (sensitive: unredacted payloads). */
  failureBucket: 'FailureBucketName',
  /** Comma-separated names of the Firehose delivery stream(s). */
  deliveryStreams: 'DeliveryStreamNames',
  /** Name of the Athena workgroup of the bundled queries. */
  athenaWorkgroup: 'AthenaWorkgroupName',
  /** Glue database and table of the change log, as "database.table". */
  glueTable: 'GlueTable',
  /** ARN of the KMS key that signs the hourly digests. */
  digestKeyArn: 'DigestSigningKeyArn',
  /** ARN of the alarm topic. */
  alarmTopicArn: 'AlarmTopicArn',
  /** Name of the collector function. */
  collectorFunction: 'CollectorFunctionName',
  /** Name of the heartbeat table ("" when the heartbeat is disabled). */
  heartbeatTable: 'HeartbeatTableName',
} as const;

/**
 * CloudFormation output keys of the watch stack (DdbAuditWatch, when watch.enabled). `ddb-audit
 * doctor` reads the state bucket from here to check that the watch runs (cli/doctor/checks/watch.ts).
 */
export const WATCH_STACK_OUTPUT = {
  /** Name of the watch's state bucket, holding watch/state.json (lambda/watch/watch-state.ts). */
  stateBucket: 'WatchStateBucketName',
} as const;

export type AuditStackOutputKey = (typeof AUDIT_STACK_OUTPUT)[keyof typeof AUDIT_STACK_OUTPUT];

/**
 * The heartbeat table in the audit account. Its change records are ordinary rows in the log,
 * partitioned under account_id = the audit account and table_name = this name; the bundled
 * queries leave them out unless asked for.
 */
export const HEARTBEAT_TABLE_NAME = 'ddb-audit-heartbeat';
