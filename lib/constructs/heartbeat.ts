/**
 * The heartbeat: one item every N minutes through the whole pipeline, and an alarm at its end.
 *
 *   EventBridge Scheduler --(universal target dynamodb:putItem, no code of ours)--> table ddb-audit-heartbeat
 *     --(stream, NEW_AND_OLD_IMAGES)--> its own event source mapping --> the collector --> Firehose
 *     --> changes/account_id=<audit account>/table_name=ddb-audit-heartbeat/... in the change log
 *     --(S3 Object Created, EventBridge)--> rule ddb-audit-heartbeat-landed
 *   alarm ddb-audit-HeartbeatMissing: the rule's TriggeredRules (AWS/Events, RuleName dimension,
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html) summed over
 *   HEARTBEAT_ALARM_WINDOW_MINUTES is below 1, missing data breaching.
 *
 * So the heartbeat proves, continuously and in the real account, the stream, the mapping, the
 * collector, Firehose's de-aggregation, JQ and Parquet conversion, KMS and writing into the Object
 * Lock bucket. Config validation (lib/config/heartbeat.ts) refuses an interval and buffer whose
 * worst healthy gap is not under the window, so the alarm cannot be armed to fire constantly.
 *
 * Each item carries the schedule's scheduled time, so every write changes the item: DynamoDB writes
 * no stream record for a write that changes nothing, and this makes that rule irrelevant.
 * The heartbeat's change records are ordinary rows; the heartbeat source has no actor attribute and
 * nothing to redact, so the collector needs no options for it.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { CHANGES_PREFIX } from '../../schemas/partitioning';
import { HEARTBEAT_ALARM_WINDOW_MINUTES, heartbeatTimingProblem } from '../config/heartbeat';
import { STREAM_READ_ACTIONS } from '../stream-policy';
import { ALARM_NAME_PREFIX, PipelineAlarms } from './pipeline-alarms';
import { ResourcePolicyTarget, RULE_NAME_PREFIX, ruleArnFromName } from './rule-targets';
import { S3FailureDestination } from './stream-subscriptions';

export const HEARTBEAT_RULE_NAME = `${RULE_NAME_PREFIX}heartbeat-landed`;
export const HEARTBEAT_SCHEDULE_NAME = 'ddb-audit-heartbeat';

/** The heartbeat's partition of the change log (the collector partitions by the stream's account and table). */
export function heartbeatPrefix(auditAccountId: string): string {
  return `${CHANGES_PREFIX}account_id=${auditAccountId}/table_name=${HEARTBEAT_TABLE_NAME}/`;
}

/** A Scheduler rate expression; the unit is singular for 1 (as EventBridge requires for rate()). */
export function heartbeatRateExpression(intervalMinutes: number): string {
  return `rate(${intervalMinutes} ${intervalMinutes === 1 ? 'minute' : 'minutes'})`;
}

export interface HeartbeatProps {
  readonly intervalMinutes: number;
  /** Firehose's buffer interval, checked against the alarm window. */
  readonly bufferIntervalSeconds: number;
  /** Encrypts the table (and so its stream) and the landing queue; must be a key of this stack. */
  readonly key: kms.Key;
  readonly collector: lambda.IFunction;
  readonly collectorRole: iam.IRole;
  readonly changeLogBucket: s3.IBucket;
  readonly failureBucket: s3.IBucket;
  readonly alarms: PipelineAlarms;
}

export class Heartbeat extends Construct {
  public readonly table: dynamodb.Table;
  public readonly mapping: lambda.EventSourceMapping;
  public readonly schedule: scheduler.CfnSchedule;
  public readonly schedulerRole: iam.Role;
  public readonly landedRule: events.Rule;
  public readonly missingAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    const timing = heartbeatTimingProblem(props.intervalMinutes, props.bufferIntervalSeconds);
    if (timing) throw new Error(`Heartbeat: ${timing}`);
    const stack = Stack.of(this);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: HEARTBEAT_TABLE_NAME,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // One item, rewritten every few minutes: nothing to keep, and a retained table would block redeploying the fixed name.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The collector reads this stream like any source, under its own narrow statement.
    const streamRead = new iam.Policy(this, 'CollectorReadsHeartbeat', {
      roles: [props.collectorRole],
      statements: [
        new iam.PolicyStatement({ sid: 'ReadHeartbeatStream', actions: [...STREAM_READ_ACTIONS], resources: [this.table.tableStreamArn!] }),
        new iam.PolicyStatement({
          sid: 'ListStreams',
          // ListStreams has no resource-level permissions; Lambda lists streams when it sets up a mapping.
          actions: ['dynamodb:ListStreams'],
          resources: ['*'],
        }),
        // What CDK's own stream-read grant gives for a customer managed key.
        new iam.PolicyStatement({ sid: 'DecryptHeartbeatStream', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [props.key.keyArn] }),
      ],
    });
    Validations.of(streamRead).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams does not support resource-level permissions; the stream reads are limited to the heartbeat stream ARN.',
    });
    this.mapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: props.collector,
      eventSourceArn: this.table.tableStreamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(0),
      retryAttempts: 10,
      maxRecordAge: Duration.hours(1),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new S3FailureDestination(props.failureBucket),
    });
    this.mapping.node.addDependency(streamRead);

    // The Scheduler's role may put items into this one table and nothing else; the KMS actions are
    // what a writer to a table with a customer managed key needs, through DynamoDB only
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html).
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'ddb-audit heartbeat: EventBridge Scheduler puts the heartbeat item',
      inlinePolicies: {
        PutHeartbeat: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ sid: 'PutHeartbeatItem', actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }),
            new iam.PolicyStatement({
              sid: 'UseTableKeyThroughDynamoDB',
              actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
              resources: [props.key.keyArn],
              conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
            }),
          ],
        }),
      },
    });
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: HEARTBEAT_SCHEDULE_NAME,
      description: 'ddb-audit: heartbeat item, proving the pipeline end to end',
      scheduleExpression: heartbeatRateExpression(props.intervalMinutes),
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        // Universal target: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
        arn: `arn:${stack.partition}:scheduler:::aws-sdk:dynamodb:putItem`,
        roleArn: this.schedulerRole.roleArn,
        // Context attributes: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
        input: JSON.stringify({
          TableName: HEARTBEAT_TABLE_NAME,
          Item: {
            pk: { S: 'heartbeat' },
            scheduled_time: { S: '<aws.scheduler.scheduled-time>' },
            execution_id: { S: '<aws.scheduler.execution-id>' },
          },
        }),
        // A late heartbeat is worse than none: the next one comes in a few minutes.
        retryPolicy: { maximumEventAgeInSeconds: props.intervalMinutes * 60, maximumRetryAttempts: 3 },
      },
    });
    this.schedule.node.addDependency(this.schedulerRole);

    this.landedRule = new events.Rule(this, 'Landed', {
      ruleName: HEARTBEAT_RULE_NAME,
      description: 'ddb-audit: a heartbeat change record landed in the change log',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.changeLogBucket.bucketName] }, object: { key: [{ prefix: heartbeatPrefix(stack.account) }] } },
      },
    });
    // A target, so the rule is an ordinary invoked rule; nothing reads the queue and its messages
    // expire (whether a rule without targets reports TriggeredRules is not documented).
    const landings = new sqs.Queue(this, 'Landings', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.hours(1),
    });
    const fromRule = { ArnEquals: { 'aws:SourceArn': ruleArnFromName(this, HEARTBEAT_RULE_NAME) } };
    landings.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'HeartbeatRuleSends', principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [landings.queueArn], conditions: fromRule }),
    );
    const keyStatement = props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'HeartbeatRuleUsesQueueKey',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromRule,
      }),
    );
    if (!keyStatement.statementAdded) throw new Error('Heartbeat: could not add the EventBridge statement to the key policy; pass a key created in this stack');
    this.landedRule.addTarget(new ResourcePolicyTarget(landings.queueArn));
    Validations.of(landings).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'Nothing consumes this queue: it only gives the heartbeat rule a target, and its messages expire after an hour.' });

    this.missingAlarm = new cloudwatch.Alarm(this, 'Missing', {
      alarmName: `${ALARM_NAME_PREFIX}HeartbeatMissing`,
      alarmDescription:
        `No heartbeat change record reached ${heartbeatPrefix(stack.account)} for ${HEARTBEAT_ALARM_WINDOW_MINUTES} minutes: some part of the chain (schedule, stream, mapping, collector, Firehose, KMS, the bucket) is broken. Run npx ddb-audit doctor (docs/deploy.md).`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: HEARTBEAT_RULE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(HEARTBEAT_ALARM_WINDOW_MINUTES),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // EventBridge reports nothing when nothing matched: no data is exactly the failure.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    props.alarms.notify(this.missingAlarm);
  }
}
