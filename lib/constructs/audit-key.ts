/**
 * The customer managed KMS key of the audit account: the change log, its failure and results
 * buckets, the delivery stream, the collector's logs and the alarm topic are encrypted with it.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export class AuditKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'ddb-audit: change log, delivery stream, collector logs and alarm topic',
      enableKeyRotation: true,
      alias: `alias/ddb-audit-${region}`,
      // Losing the key loses the log: never delete it with the stack, and wait the longest if ever scheduled.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    // CloudWatch Logs encrypts the collector's log group (error records may hold raw stream records).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsAuditLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` } },
      }),
    );
    // The alarm topic's publishers (CloudWatch alarms, EventBridge rules) are allowed on this key by
    // ./pipeline-alarms.ts, next to the topic policy that names the same sources.
  }
}
