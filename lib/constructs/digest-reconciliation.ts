/**
 * DigestReconciliation: the daily check that no change-log object escaped the digests because its
 * Object Created event was lost (lambda/digest/arrivals/reconcile.ts).
 *
 *   change-log bucket --(S3 Inventory, daily, CSV, changes/ only, Key + LastModifiedDate)--> inventory bucket
 *   schedule (daily) --> reconcile Lambda: newest report -> objects in no digest -> arrivals ledger
 *
 * S3 Inventory rather than a listing: it lists by LastModified whatever the dt= prefix (a backdated
 * record is found like any other), and it costs no ListObjectsV2 calls
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html). The report is
 * daily and eventually consistent (same page), the first within 48 hours of configuring it, so each
 * run checks RECONCILE_WINDOW_DAYS of deliveries and fails when the newest report is older than 48 h.
 *
 * The inventory bucket holds derived lists only (object keys, sizes, LastModified; no change data):
 * encrypted with S3-managed keys (SSE-S3), not Object-Locked, expiring after INVENTORY_EXPIRY_DAYS,
 * access-logged like the other buckets. Not the audit key: S3 may encrypt reports with a customer
 * managed key only when the key policy lets s3.amazonaws.com use it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html), and conditioning
 * that grant on the source bucket's ARN makes a cycle (key -> bucket -> key), while an unconditioned
 * service grant on the key that protects the log is worse than SSE-S3 for a list of names.
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
import { CHANGES_PREFIX, DIGESTS_PREFIX } from '../../schemas/partitioning';
import { RECONCILE_ENV } from '../../lambda/digest/arrivals/environment';
import { DIGEST_METRIC, DIGEST_METRICS_NAMESPACE, RECONCILE_SERVICE_NAME } from '../../lambda/digest/telemetry';
import type { DigestArrivals } from './digest-arrivals';
import { functionDefaults } from './function-defaults';
import { ALARM_NAME_PREFIX } from './pipeline-alarms';

/** The inventory configuration's id: part of every report's key. */
export const INVENTORY_ID = 'ddb-audit-digest-reconcile';
/** Prefix of the reports in the inventory bucket (S3 adds source-bucket/config-ID/ below it). */
export const INVENTORY_DESTINATION_PREFIX = 'reports';
/** Reports are kept this long: the reconciliation reads only the newest. */
export const INVENTORY_EXPIRY_DAYS = 7;

export interface DigestReconciliationProps {
  /** The change-log bucket; it gets the inventory configuration, so it must be a Bucket of this stack. */
  readonly bucket: s3.IBucket;
  /** The audit key: encrypts the change log (digests are read), the ledger and the function's logs. */
  readonly key: kms.IKey;
  readonly arrivals: DigestArrivals;
  /** Where the inventory bucket writes its server access logs (the other buckets' log bucket). */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /** UTC hour of the daily run. @default 12 */
  readonly scheduleHourUtc?: number;
}

export class DigestReconciliation extends Construct {
  public readonly inventoryBucket: s3.Bucket;
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: events.Rule;
  /** Fires when a run found objects no digest listed (an event was lost), or no run reported in a day. */
  public readonly reconciledAlarm: cloudwatch.Alarm;
  /** Fires when a run failed (no fresh report, no digest, or an error). */
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DigestReconciliationProps) {
    super(scope, id);
    if (!(props.bucket instanceof s3.Bucket)) throw new Error('DigestReconciliation: bucket must be an s3.Bucket of this stack (it gets the inventory configuration)');
    const hour = props.scheduleHourUtc ?? 12;
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new Error(`DigestReconciliation: scheduleHourUtc must be an integer from 0 to 23, got ${hour}`);
    const stack = Stack.of(this);

    this.inventoryBucket = new s3.Bucket(this, 'Inventory', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The log bucket's own scope decides how delivery is allowed (AuditBuckets: by its bucket policy).
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'digest-inventory/',
      lifecycleRules: [{ expiration: Duration.days(INVENTORY_EXPIRY_DAYS) }],
      // Derived lists, rebuilt daily by S3.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    props.bucket.addInventory({
      inventoryId: INVENTORY_ID,
      destination: { bucket: this.inventoryBucket, prefix: INVENTORY_DESTINATION_PREFIX },
      objectsPrefix: CHANGES_PREFIX,
      format: s3.InventoryFormat.CSV,
      frequency: s3.InventoryFrequency.DAILY,
      includeObjectVersions: s3.InventoryObjectVersion.CURRENT,
      optionalFields: ['Size', 'LastModifiedDate'],
    });
    const reportsPrefix = `${INVENTORY_DESTINATION_PREFIX}/${props.bucket.bucketName}/${INVENTORY_ID}/`;
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'ddb-audit digest reconciliation: checks S3 Inventory against the digests' });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const defaults = functionDefaults('digest-reconcile');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'ddb-audit digest reconciliation: objects in S3 Inventory that no digest lists go to the arrivals ledger',
      // Streams the report (one CSV row per change-log object) and reads about 100 digests.
      memorySize: 1024,
      timeout: Duration.minutes(15),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...defaults.environment,
        [RECONCILE_ENV.bucket]: props.bucket.bucketName,
        [RECONCILE_ENV.table]: props.arrivals.table.tableName,
        [RECONCILE_ENV.inventoryBucket]: this.inventoryBucket.bucketName,
        [RECONCILE_ENV.inventoryPrefix]: reportsPrefix,
        POWERTOOLS_SERVICE_NAME: RECONCILE_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: DIGEST_METRICS_NAMESPACE,
      },
    });
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'ListInventoryReports', actions: ['s3:ListBucket'], resources: [this.inventoryBucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${reportsPrefix}*`] } } }),
        new iam.PolicyStatement({ sid: 'ReadInventoryReports', actions: ['s3:GetObject'], resources: [this.inventoryBucket.arnForObjects(`${reportsPrefix}*`)] }),
        new iam.PolicyStatement({ sid: 'ReadDigests', actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(`${DIGESTS_PREFIX}*`)] }),
        new iam.PolicyStatement({ sid: 'RecordArrivals', actions: ['dynamodb:PutItem'], resources: [props.arrivals.table.tableArn] }),
        new iam.PolicyStatement({ sid: 'UseAuditKey', actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] }),
      ],
    });
    this.function.node.addDependency(policy);
    const changeLogId = stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
    const inventoryId = stack.getLogicalId(this.inventoryBucket.node.defaultChild as s3.CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${changeLogId}.Arn>/${DIGESTS_PREFIX}*]`,
      reason: 'The reconciliation reads the digests of the last days, named at run time: object ARNs under digests/ only.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${inventoryId}.Arn>/${INVENTORY_DESTINATION_PREFIX}/<${changeLogId}>/${INVENTORY_ID}/*]`,
      reason: 'S3 Inventory names its report files at delivery time: object ARNs under this inventory configuration\'s prefix only.',
    });

    this.schedule = new events.Rule(this, 'Daily', {
      description: `ddb-audit: check the newest S3 Inventory report against the digests, daily at ${hour}:00 UTC`,
      schedule: events.Schedule.cron({ hour: String(hour), minute: '30' }),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(2) })],
    });

    this.reconciledAlarm = new cloudwatch.Alarm(this, 'Reconciled', {
      alarmName: `${ALARM_NAME_PREFIX}DigestArrivalsReconciled`,
      alarmDescription:
        'The daily reconciliation found change-log objects that no digest listed: their S3 Object Created events were lost (log message DIGEST_ARRIVALS_RECONCILED names them). The next digest lists them late. Also fires when no reconciliation succeeded in a day.',
      metric: new cloudwatch.Metric({ namespace: DIGEST_METRICS_NAMESPACE, metricName: DIGEST_METRIC.reconciledObjects, dimensionsMap: { service: RECONCILE_SERVICE_NAME }, statistic: 'Maximum', period: Duration.days(1) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data: no run succeeded that day, so nothing was checked.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: `${ALARM_NAME_PREFIX}DigestReconcileErrors`,
      alarmDescription: 'A digest reconciliation run failed (log message DIGEST_RECONCILE_FAILURE says why; in the first 48 hours after deployment, no S3 Inventory report exists yet).',
      metric: this.function.metricErrors({ period: Duration.days(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      for (const alarm of [this.reconciledAlarm, this.errorsAlarm]) {
        alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
    }
  }
}
