/**
 * The audit account's buckets: the change log (Object Lock, append-only), the event-source-mapping
 * failure bucket, the Athena results bucket and the server-access-log bucket they all log to.
 *
 * Retention of the change log (config retention.apply):
 *   - per-object (default): Object Lock is enabled with no default retention, and ./object-retention.ts
 *     sets retention on each new object. S3 requires Content-MD5 or an x-amz-checksum-* header on a
 *     PutObject that gets retention, bucket default included (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html),
 *     and no source says whether Firehose sends one; PutObjectRetention from our SDK always does.
 *   - bucket-default: the bucket's default retention, for teams that verified Firehose's writes.
 * The bucket policy covers what Object Lock alone does not: no deletes (the seconds before an
 * object's retention is set included), no governance bypass, no lifecycle rules (an expiration rule
 * would remove objects once retention ends), no change to the lock configuration, and no retention
 * set shorter, or in a weaker mode, than configured (S3's Object Lock condition keys
 * s3:object-lock-remaining-retention-days and s3:object-lock-mode,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-retention-limits
 * and https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { RetentionApply } from '../../schemas/audit-config';

export interface AuditBucketsProps {
  readonly key: kms.IKey;
  /** S3 Object Lock retention of every change-log object. */
  readonly retentionMode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retentionDays: number;
  /** @default 'per-object' */
  readonly retentionApply?: RetentionApply;
  /** The only principal whose requests may write objects into the failure bucket (the collector role; Lambda writes discarded batches with it). */
  readonly failureWriterRoleArn: string;
  /** The only principal that may read the failure bucket's objects (the replay role). */
  readonly failureReaderRoleArn: string;
}

/**
 * Days a discarded batch stays in the failure bucket. The runbook replays a batch as soon as its
 * cause is fixed, and the alert arrives within minutes; 14 days covers a cause that needs an AWS
 * quota increase or a support case, over a holiday, before the unredacted payloads expire.
 */
export const FAILURE_RETENTION_DAYS = 14;

/** Settings every bucket here shares: private, TLS-only, owner-enforced, kept when the stack goes. */
const COMMON: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
};

export class AuditBuckets extends Construct {
  /** Receives the server access logs of the other three (SSE-S3: log delivery cannot use SSE-KMS). */
  public readonly accessLogs: s3.Bucket;
  /** The change log: Firehose's Parquet, Firehose's error output and the collector's overflow objects. */
  public readonly changeLog: s3.Bucket;
  /** Event-source-mapping on-failure destination: full invocation records of discarded batches. */
  public readonly failures: s3.Bucket;
  /** Athena query results. */
  public readonly athenaResults: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditBucketsProps) {
    super(scope, id);
    // Log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...COMMON,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
    });

    const apply = props.retentionApply ?? 'per-object';
    const retention = Duration.days(props.retentionDays);
    this.changeLog = new s3.Bucket(this, 'ChangeLog', {
      ...COMMON,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      // One data key per bucket rather than per object: same protection, a fraction of the KMS calls.
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        apply === 'per-object'
          ? undefined
          : props.retentionMode === 'COMPLIANCE'
            ? s3.ObjectLockRetention.compliance(retention)
            : s3.ObjectLockRetention.governance(retention),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'change-log/',
    });
    // Object Created events go to EventBridge (set on the bucket itself: the L2 switch deploys a
    // custom-resource Lambda). Per-object retention and the heartbeat alarm listen to them.
    (this.changeLog.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    const everything = [this.changeLog.bucketArn, this.changeLog.arnForObjects('*')];
    // Append-only for everyone, root included: Object Lock stops deleting locked versions, and this
    // also stops delete markers, deletes before retention is set, governance bypass and lifecycle rules.
    this.changeLog.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingChangeLog',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutLifecycleConfiguration'],
        resources: everything,
      }),
    );
    // Absolute. In per-object mode nothing ever needs it (retention.days is the function's setting).
    // In bucket-default mode the Sid names the retention, so the two-step change of docs/deploy.md
    // (remove this statement by hand, then deploy) puts it back in the same deploy.
    this.changeLog.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: apply === 'per-object' ? 'DenyObjectLockChanges' : `DenyObjectLockChanges${props.retentionMode}${props.retentionDays}d`,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutBucketObjectLockConfiguration'],
        resources: [this.changeLog.bucketArn],
      }),
    );
    // A retention shorter than configured, set on an object that has none yet (or at upload). One day
    // of slack: the function sets now + days, and S3's whole-day count of what remains may round down.
    if (props.retentionDays > 1) {
      this.changeLog.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyShorterRetention',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObjectRetention', 's3:PutObject'],
          resources: [this.changeLog.arnForObjects('*')],
          conditions: {
            NumericLessThan: { 's3:object-lock-remaining-retention-days': String(props.retentionDays - 1) },
          },
        }),
      );
    }
    if (props.retentionMode === 'COMPLIANCE') {
      this.changeLog.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyWeakerRetentionMode',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObjectRetention', 's3:PutObject'],
          resources: [this.changeLog.arnForObjects('*')],
          // Null=false: only requests that name a mode (a negated operator alone also matches when the key is absent).
          conditions: { StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' }, Null: { 's3:object-lock-mode': 'false' } },
        }),
      );
    }

    // Sensitive: each object is a full invocation record, with unredacted item images (docs/security.md).
    this.failures = new s3.Bucket(this, 'MappingFailures', {
      ...COMMON,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'mapping-failures/',
      lifecycleRules: [
        {
          id: 'ExpireDiscardedBatches',
          expiration: Duration.days(FAILURE_RETENTION_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: false,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    // EventBridge notifications set on the bucket itself (the L2 switch deploys a custom-resource Lambda);
    // the "object in the failure bucket" alert listens to them.
    (this.failures.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    // Only the replay role reads the payloads, and only the collector role writes them (a forged
    // failure object would be replayed into the log as real changes). aws:PrincipalArn of an assumed
    // role's session is the role's ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
    this.failures.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyReplayRoleReadsPayloads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:RestoreObject'],
        resources: [this.failures.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.failureReaderRoleArn } },
      }),
    );
    this.failures.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyCollectorRoleWritesPayloads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.failures.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.failureWriterRoleArn } },
      }),
    );

    this.athenaResults = new s3.Bucket(this, 'AthenaResults', {
      ...COMMON,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'athena-results/',
      // Results are copies of log rows, not the log: they need not outlive the investigation.
      lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) }],
    });
  }
}
