/**
 * The audit account's buckets: the change log (Object Lock, append-only), the event-source-mapping
 * failure bucket, the Athena results bucket and the server-access-log bucket they all log to.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface AuditBucketsProps {
  readonly key: kms.IKey;
  /** S3 Object Lock default retention of the change log. */
  readonly retentionMode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retentionDays: number;
}

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
        props.retentionMode === 'COMPLIANCE' ? s3.ObjectLockRetention.compliance(retention) : s3.ObjectLockRetention.governance(retention),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'change-log/',
    });
    // Append-only for everyone, root included: Object Lock stops deleting locked versions, and this
    // also stops delete markers, governance bypass and changes to the lock itself.
    this.changeLog.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingChangeLog',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutBucketObjectLockConfiguration'],
        resources: [this.changeLog.bucketArn, this.changeLog.arnForObjects('*')],
      }),
    );

    this.failures = new s3.Bucket(this, 'MappingFailures', {
      ...COMMON,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'mapping-failures/',
    });
    // EventBridge notifications set on the bucket itself (the L2 switch deploys a custom-resource Lambda);
    // the "object in the failure bucket" alert listens to them.
    (this.failures.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

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
