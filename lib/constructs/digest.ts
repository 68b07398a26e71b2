/**
 * ChangeLogDigest: the tamper-evident layer over the change log. Every hour, a Lambda writes a
 * signed digest of the change-log objects delivered in the previous hour (key, size, SHA-256),
 * chained to the digest before it, under digests/ in the same Object-Locked bucket; and an alarm
 * fires when an hour goes undigested. The function learns which objects arrived in an hour from the
 * arrivals ledger (./digest-arrivals.ts, fed by S3 Object Created events), so a run's work follows the
 * hour's deliveries, not the size of the log. The runtime code is lambda/handlers/digest.ts; the format and
 * rules are in lambda/digest/digest-format.ts; `ddb-audit log verify` checks it all.
 *
 * Signing key: an asymmetric KMS key, ECC_NIST_P256 with ECDSA_SHA_256. Verification needs only its
 * public key (published under digests/public-keys/ and available from kms:GetPublicKey), so anyone
 * can check digests offline with node:crypto or OpenSSL. KMS's Ed25519 spec is not used: it signs
 * at most 4 KB raw, and its pre-hashed variant is not checkable with Node.js 20 or OpenSSL 3.0.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CHANGES_PREFIX, DIGESTS_PREFIX, ERRORS_PREFIX, OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { SETTLE_MINUTES } from '../../lambda/digest/digest-format';
import { DIGEST_ENV, DIGEST_METRIC, DIGEST_METRICS_NAMESPACE, DIGEST_SERVICE_NAME } from '../../lambda/digest/telemetry';
import { DigestArrivals, TABLE_KEY_READ_ACTIONS } from './digest-arrivals';
import { DigestReconciliation } from './digest-reconciliation';
import { functionDefaults } from './function-defaults';
import { ALARM_NAME_PREFIX } from './pipeline-alarms';


/** Every prefix of the change log whose objects carry Object Lock retention. */
export const RETAINED_PREFIXES = [CHANGES_PREFIX, OVERFLOW_PREFIX, ERRORS_PREFIX, DIGESTS_PREFIX] as const;

export interface ChangeLogDigestProps {
  /** The change-log bucket (Object Lock): read under changes/, written under digests/. */
  readonly bucket: s3.IBucket;
  /**
   * The KMS key the bucket encrypts with (SSE-KMS): decrypt to read objects, generate data keys to write digests.
   * Also encrypts the function's logs and the arrivals ledger, table and queues, so it must be a key of this stack.
   */
  readonly bucketKey: kms.IKey;
  /** Where the inventory bucket of the daily reconciliation writes its server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** Where the missed-hour and error alarms notify. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /** The asymmetric SIGN_VERIFY key that signs digests. @default a new ECC_NIST_P256 key, retained on stack deletion */
  readonly signingKey?: kms.IKey;
  /** Minute of each hour the digest runs; must be at least SETTLE_MINUTES. @default SETTLE_MINUTES (15) */
  readonly scheduleMinute?: number;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserved concurrency of the function. Not needed for safety: a digest is written with a
   * conditional put, so overlapping runs cannot fork the chain. Reserving fails to deploy when it
   * would leave the account's unreserved concurrency below its minimum (new accounts have low quotas).
   * @default none (the function shares the account's unreserved concurrency)
   */
  readonly reservedConcurrency?: number;
}

export class ChangeLogDigest extends Construct {
  public readonly signingKey: kms.IKey;
  /** The arrivals ledger and its event intake. */
  public readonly arrivals: DigestArrivals;
  /** The daily check of S3 Inventory against the digests, for events that were lost. */
  public readonly reconciliation: DigestReconciliation;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly function: nodejs.NodejsFunction;
  public readonly schedule: events.Rule;
  /** Fires when an hour is due but undigested, or when no run reported in the hour. */
  public readonly missedHourAlarm: cloudwatch.Alarm;
  /** Fires when a digest run fails. */
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ChangeLogDigestProps) {
    super(scope, id);
    const minute = props.scheduleMinute ?? SETTLE_MINUTES;
    if (!Number.isInteger(minute) || minute < SETTLE_MINUTES || minute > 59) {
      throw new Error(`ChangeLogDigest: scheduleMinute must be an integer from ${SETTLE_MINUTES} to 59 (digests wait ${SETTLE_MINUTES} minutes after the hour), got ${minute}`);
    }
    const stack = Stack.of(this);

    this.signingKey =
      props.signingKey ??
      new kms.Key(this, 'SigningKey', {
        description: 'ddb-audit: signs the hourly change-log digests (ECDSA P-256)',
        keySpec: kms.KeySpec.ECC_NIST_P256,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // Every digest ever signed is checked with this key's public key: never delete it with the stack.
        removalPolicy: RemovalPolicy.RETAIN,
        pendingWindow: Duration.days(30),
      });

    this.arrivals = new DigestArrivals(this, 'Arrivals', { bucket: props.bucket, key: props.bucketKey, alarmTopic: props.alarmTopic });
    this.reconciliation = new DigestReconciliation(this, 'Reconcile', {
      bucket: props.bucket,
      key: props.bucketKey,
      arrivals: this.arrivals,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      alarmTopic: props.alarmTopic,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ddb-audit digest: reads the change log, writes signed hourly digests',
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.bucketKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const defaults = functionDefaults('digest');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'ddb-audit digest: hourly signed, chained digests of the change log',
      // Memory buys CPU and network for hashing; a run stops starting hours 2 minutes before the timeout.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      // Opt-in (config digest.reservedConcurrency): two concurrent runs race to extend the chain and the
      // conditional put stops the loser, so no reservation is needed for correctness.
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...defaults.environment,
        [DIGEST_ENV.bucket]: props.bucket.bucketName,
        [DIGEST_ENV.signingKeyId]: this.signingKey.keyArn,
        [DIGEST_ENV.arrivalsTable]: this.arrivals.table.tableName,
        POWERTOOLS_SERVICE_NAME: DIGEST_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: DIGEST_METRICS_NAMESPACE,
      },
    });

    const policy = new iam.Policy(this, 'Policy', {
        statements: [
          new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
          new iam.PolicyStatement({
            sid: 'ListChangeLogAndDigests',
            actions: ['s3:ListBucket'],
            resources: [props.bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [`${CHANGES_PREFIX}*`, `${DIGESTS_PREFIX}*`] } },
          }),
          new iam.PolicyStatement({ sid: 'ReadChangeLogAndDigests', actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(`${CHANGES_PREFIX}*`), props.bucket.arnForObjects(`${DIGESTS_PREFIX}*`)] }),
          new iam.PolicyStatement({ sid: 'WriteDigests', actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${DIGESTS_PREFIX}*`)] }),
          // The digest records each object's Object Lock retention, so verify reports unlocked objects.
          new iam.PolicyStatement({
            sid: 'ReadObjectRetention',
            actions: ['s3:GetObjectRetention'],
            resources: RETAINED_PREFIXES.map((prefix) => props.bucket.arnForObjects(`${prefix}*`)),
          }),
          // Query the hours; DescribeTable for the ledger's creation time (an upgrade's first hours are listed).
          new iam.PolicyStatement({ sid: 'ReadArrivals', actions: ['dynamodb:Query', 'dynamodb:DescribeTable'], resources: [this.arrivals.table.tableArn] }),
          // The ledger table is encrypted with the bucket key (customer managed): reading it needs these, as aws-cdk-lib's grantReadData.
          new iam.PolicyStatement({ sid: 'UseLedgerKey', actions: TABLE_KEY_READ_ACTIONS, resources: [props.bucketKey.keyArn] }),
          new iam.PolicyStatement({ sid: 'SignDigests', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.signingKey.keyArn] }),
          new iam.PolicyStatement({
            sid: 'UseBucketKeyThroughS3',
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [props.bucketKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
          }),
        ],
    });
    this.role.attachInlinePolicy(policy);
    // The prefixes are the narrowest S3 resources for "every object of the log" and "every digest".
    const bucketId = stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
    for (const prefix of RETAINED_PREFIXES) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: 'The digest reads every change-log object and every digest, writes new digests and reads each object\'s retention, all named at run time: object ARNs scoped to the change-log prefixes.',
      });
    }

    this.schedule = new events.Rule(this, 'Hourly', {
      description: `ddb-audit: digest the previous hour at minute ${minute}`,
      schedule: events.Schedule.cron({ minute: String(minute) }),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.minutes(30) })],
    });

    this.missedHourAlarm = new cloudwatch.Alarm(this, 'MissedHour', {
      alarmName: `${ALARM_NAME_PREFIX}DigestMissedHour`,
      alarmDescription:
        'An hour of the change log has no digest: the digest run failed, did not run, or stopped before catching up. Tamper evidence has a gap until it catches up; see the runbook.',
      metric: new cloudwatch.Metric({
        namespace: DIGEST_METRICS_NAMESPACE,
        metricName: DIGEST_METRIC.undigestedHours,
        dimensionsMap: { service: DIGEST_SERVICE_NAME },
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data means no successful run in the hour: that is a missed hour too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: `${ALARM_NAME_PREFIX}DigestErrors`,
      alarmDescription: 'A digest run failed (log message DIGEST_FAILURE says why). The chain is not extended until it succeeds.',
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      for (const alarm of [this.missedHourAlarm, this.errorsAlarm]) {
        alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
    }
  }

}
