/**
 * DigestArrivals: the arrivals ledger the hourly digest reads, so that its work follows the hour's
 * deliveries instead of the size of the log (lambda/digest/arrivals/arrival-ledger.ts).
 *
 *   change-log bucket --(S3 Object Created under changes/, EventBridge)--> rule ddb-audit-change-log-arrivals
 *     --> SQS queue (KMS, 14 days, dead-letter queue after 5 receives)
 *     --> arrivals Lambda (lambda/handlers/digest-arrivals.ts): PutItem into the ledger table
 *
 * The same shape as the per-object retention (./object-retention.ts), for the same reasons: S3 sends
 * Object Created events to EventBridge with durable, at-least-once delivery
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-s3.html); EventBridge retries a
 * failed target for up to 24 h and then drops the event, where SQS keeps a message 14 days and parks
 * what keeps failing in an alarmed dead-letter queue. It is a rule and a queue of its own because the
 * retention rule exists only with retention.apply = per-object, and a second consumer of one queue
 * would steal its messages.
 *
 * Ledger table: partition key `hour`, sort key `key`, on demand, encrypted with the audit key, items
 * expiring by TTL after ARRIVAL_RETENTION_DAYS. Its size is bounded by the objects delivered in that
 * window, whatever the number of sources: one item per object Firehose writes.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEDGER_ATTRIBUTE } from '../../lambda/digest/arrivals/dynamodb-ledger';
import { ARRIVALS_ENV } from '../../lambda/digest/arrivals/environment';
import { DIGESTED_PREFIXES } from '../../lambda/digest/arrivals/record-arrivals';
import { functionDefaults } from './function-defaults';
import { ALARM_NAME_PREFIX } from './pipeline-alarms';
import { ResourcePolicyTarget, RULE_NAME_PREFIX, ruleArnFromName } from './rule-targets';

/** Fixed name of the rule that feeds the arrivals queue (its ARN is named in the key policy). */
export const ARRIVALS_RULE_NAME = `${RULE_NAME_PREFIX}change-log-arrivals`;

/** Concurrent arrivals invocations at most: a burst of objects waits in the queue rather than taking the collector's concurrency. */
export const ARRIVALS_MAX_CONCURRENCY = 5;

/** What a principal needs of a table's customer managed key to read it (as aws-cdk-lib's grantReadData). */
export const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
/** ... and to write it (as grantWriteData, without its ReEncrypt* family, which PutItem does not use). */
const TABLE_KEY_WRITE_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

export interface DigestArrivalsProps {
  /** The change-log bucket (EventBridge notifications on). */
  readonly bucket: s3.IBucket;
  /** Encrypts the table, the queues and the function's logs; its policy gets the EventBridge statement, so it must be a key of this stack. */
  readonly key: kms.IKey;
  /** Where the queue and rule alarms notify. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The oldest message may wait this long before the age alarm fires: a backlog delays digests' view
   * of the hour (arrivals recorded late are listed late, not lost). @default Duration.minutes(30)
   */
  readonly maxMessageAge?: Duration;
}

export class DigestArrivals extends Construct {
  public readonly table: dynamodb.Table;
  public readonly rule: events.Rule;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly queueAgeAlarm: cloudwatch.Alarm;
  public readonly failedInvocationsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DigestArrivalsProps) {
    super(scope, id);
    const functionTimeout = Duration.seconds(60);

    this.table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_ATTRIBUTE.hour, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_ATTRIBUTE.key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      timeToLiveAttribute: LEDGER_ATTRIBUTE.expiresAt,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // A hint, not evidence: the digests hold what was attested, and a lost ledger is rebuilt by the
      // reconciliation and the chain's next listing. Deleting the stack may delete it.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Lambda's advice for an SQS event source: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.rule = new events.Rule(this, 'ObjectCreated', {
      ruleName: ARRIVALS_RULE_NAME,
      description: 'ddb-audit: every new change-log object under changes/, recorded for the hourly digest',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.bucket.bucketName] }, object: { key: DIGESTED_PREFIXES.map((prefix) => ({ prefix })) } },
      },
    });
    // As for the retention queue: the queue and its key allow exactly this rule, and the target has no RoleArn
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html,
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
    const fromRule = { ArnEquals: { 'aws:SourceArn': ruleArnFromName(this, ARRIVALS_RULE_NAME) } };
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'ArrivalsRuleSends', principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [this.queue.queueArn], conditions: fromRule }),
    );
    const keyStatement = props.key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'ArrivalsRuleUsesQueueKey', principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromRule }),
    );
    if (!keyStatement.statementAdded) throw new Error('DigestArrivals: could not add the EventBridge statement to the queue key policy; pass a key created in this stack');
    this.rule.addTarget(new ResourcePolicyTarget(this.queue.queueArn));

    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'ddb-audit digest arrivals: records new change-log objects for the hourly digest' });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const defaults = functionDefaults('digest-arrivals');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'ddb-audit digest arrivals: one ledger item per new change-log object',
      memorySize: 256,
      timeout: functionTimeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...defaults.environment, [ARRIVALS_ENV.bucket]: props.bucket.bucketName, [ARRIVALS_ENV.table]: this.table.tableName },
    });
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'RecordArrivals', actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }),
        new iam.PolicyStatement({ sid: 'UseLedgerKey', actions: TABLE_KEY_WRITE_ACTIONS, resources: [props.key.keyArn] }),
      ],
    });
    this.function.node.addDependency(policy);
    // maxConcurrency: a burst of new objects must not take the account concurrency the collector needs.
    this.function.addEventSource(new lambdaEventSources.SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: ARRIVALS_MAX_CONCURRENCY }));

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersVisible', {
      alarmName: `${ALARM_NAME_PREFIX}DigestArrivalsDeadLetters`,
      alarmDescription:
        'New change-log objects whose arrival could not be recorded for the hourly digest (log message ARRIVAL_NOT_RECORDED says why). Until they are redriven, digests miss them and the daily reconciliation reports them; fix the cause and redrive the dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.queueAgeAlarm = new cloudwatch.Alarm(this, 'QueueAge', {
      alarmName: `${ALARM_NAME_PREFIX}DigestArrivalsQueueAge`,
      alarmDescription: 'New change-log objects wait longer than expected to be recorded for the hourly digest: the arrivals function is failing or throttled. Digests list them late once recorded.',
      metric: this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: (props.maxMessageAge ?? Duration.minutes(30)).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedInvocationsAlarm = new cloudwatch.Alarm(this, 'RuleFailedInvocations', {
      alarmName: `${ALARM_NAME_PREFIX}DigestArrivalsRuleFailedInvocations`,
      alarmDescription: 'EventBridge could not deliver change-log object events to the arrivals queue: digests miss new objects until the daily reconciliation finds them. Check the queue and key policies.',
      metric: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: ARRIVALS_RULE_NAME }, statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      for (const alarm of [this.deadLetterAlarm, this.queueAgeAlarm, this.failedInvocationsAlarm]) {
        alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
    }
  }
}
