/**
 * The path every consumer of new change-log objects shares:
 *
 *   change-log bucket --(S3 Object Created, EventBridge)--> rule (fixed name)
 *     --> SQS queue (KMS, 14 days, dead-letter queue after 5 receives)
 *     --> a Lambda with SQS partial batch responses and a concurrency cap
 *
 * (objectCreatedQueue, then objectCreatedConsumer) plus the alarms that say when it stops: messages in the dead-letter queue, the oldest message
 * waiting too long, and the rule failing to deliver. Used by per-object retention
 * (./object-retention.ts) and partition registration (./partition-registration.ts).
 *
 * Why a queue between the rule and the function: EventBridge retries a failed target for up to 24 h
 * and then drops the event (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html);
 * SQS keeps a message for 14 days, retries it with back-off by visibility timeout, and parks what
 * keeps failing in a dead-letter queue that is alarmed and can be redriven.
 *
 * The resources are created directly in the caller's scope under fixed ids (DeadLetters, Queue,
 * ObjectCreated, DeadLettersVisible, QueueAge), so moving a construct onto this helper keeps its
 * logical ids and replaces nothing.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { functionDefaults } from './function-defaults';
import { ALARM_NAME_PREFIX, PipelineAlarms } from './pipeline-alarms';
import { ResourcePolicyTarget, ruleArnFromName } from './rule-targets';

export interface ObjectCreatedQueueProps {
  /** The change-log bucket (EventBridge notifications on). */
  readonly bucket: s3.IBucket;
  /** Encrypts the queues; its policy gets the EventBridge statement, so it must be a key of this stack. */
  readonly key: kms.Key;
  /** The rule's fixed name (its ARN is named in the queue and key policies), starting with RULE_NAME_PREFIX. */
  readonly ruleName: string;
  readonly ruleDescription: string;
  /** Key prefixes whose new objects are sent, each ending in "/". */
  readonly prefixes: readonly string[];
  /** Prefix of the policy statement ids and alarm names, e.g. "Retention". */
  readonly name: string;
  /** The consuming function's timeout: the queue's visibility timeout is six times it. */
  readonly functionTimeout: Duration;
  readonly alarms: PipelineAlarms;
  /** What the dead-letter alarm tells the person it wakes. */
  readonly deadLetterDescription: string;
  /** What the queue-age alarm tells. */
  readonly queueAgeDescription: string;
  /** What the rule's FailedInvocations alarm tells. */
  readonly ruleFailureDescription: string;
  /**
   * The oldest message may wait this long before the age alarm fires.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
}

export interface ObjectCreatedQueue {
  readonly rule: events.Rule;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly queueAgeAlarm: cloudwatch.Alarm;
}

export function objectCreatedQueue(scope: Construct, props: ObjectCreatedQueueProps): ObjectCreatedQueue {
  if (props.prefixes.length === 0 || props.prefixes.some((p) => !p.endsWith('/'))) {
    throw new Error(`${scope.node.path}: prefixes must be non-empty and each end in "/", got ${JSON.stringify(props.prefixes)}`);
  }
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetters', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // Lambda's advice for an SQS event source: at least six times the function timeout.
    visibilityTimeout: Duration.seconds(props.functionTimeout.toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });

  const rule = new events.Rule(scope, 'ObjectCreated', {
    ruleName: props.ruleName,
    description: props.ruleDescription,
    eventPattern: {
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: { bucket: { name: [props.bucket.bucketName] }, object: { key: props.prefixes.map((prefix) => ({ prefix })) } },
    },
  });
  // The queue and its key allow exactly this rule (aws:SourceArn), and the target has no RoleArn:
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html (Amazon SQS permissions)
  // and https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
  // ("Enable compatibility between AWS services such as Amazon EventBridge and encrypted queues").
  const fromRule = { ArnEquals: { 'aws:SourceArn': ruleArnFromName(scope, props.ruleName) } };
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `${props.name}RuleSends`,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: fromRule,
    }),
  );
  const keyStatement = props.key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `${props.name}RuleUsesQueueKey`,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: fromRule,
    }),
  );
  if (!keyStatement.statementAdded) throw new Error(`${scope.node.path}: could not add the EventBridge statement to the queue key policy; pass a key created in this stack`);
  rule.addTarget(new ResourcePolicyTarget(queue.queueArn));

  const deadLetterAlarm = new cloudwatch.Alarm(scope, 'DeadLettersVisible', {
    alarmName: `${ALARM_NAME_PREFIX}${props.name}DeadLetters`,
    alarmDescription: props.deadLetterDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const queueAgeAlarm = new cloudwatch.Alarm(scope, 'QueueAge', {
    alarmName: `${ALARM_NAME_PREFIX}${props.name}QueueAge`,
    alarmDescription: props.queueAgeDescription,
    metric: queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }),
    threshold: (props.maxMessageAge ?? Duration.minutes(15)).toSeconds(),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  props.alarms.notify(deadLetterAlarm);
  props.alarms.notify(queueAgeAlarm);
  props.alarms.alarmOnFailedInvocations(`${props.name}RuleFailedInvocations`, props.ruleName, props.ruleFailureDescription);
  return { rule, queue, deadLetterQueue, deadLetterAlarm, queueAgeAlarm };
}

export interface ObjectCreatedConsumerProps {
  /** The handler, lambda/handlers/<handler>.ts. */
  readonly handler: string;
  readonly functionDescription: string;
  readonly roleDescription: string;
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
  /** The function's timeout (the queue's visibility timeout is six times it: pass the same to objectCreatedQueue). */
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** What the function may do besides writing its own logs. */
  readonly statements: readonly iam.PolicyStatement[];
  readonly queue: sqs.IQueue;
  /** Concurrent invocations at most. */
  readonly maxConcurrency: number;
}

export interface ObjectCreatedConsumer {
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly function: nodejs.NodejsFunction;
  readonly policy: iam.Policy;
}

/**
 * The function that consumes the queue, created in the caller's scope under fixed ids (Role, Logs,
 * Function, Policy): its own role, a KMS-encrypted log group kept for a year, and a policy of
 * exactly `statements` plus its own log writes, attached before the function may run.
 */
export function objectCreatedConsumer(scope: Construct, props: ObjectCreatedConsumerProps): ObjectCreatedConsumer {
  const role = new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.roleDescription });
  const logGroup = new logs.LogGroup(scope, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
  const defaults = functionDefaults(props.handler);
  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    ...defaults,
    description: props.functionDescription,
    memorySize: 256,
    timeout: props.timeout,
    role,
    logGroup,
    environment: { ...defaults.environment, ...props.environment },
  });
  const policy = new iam.Policy(scope, 'Policy', {
    roles: [role],
    statements: [new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }), ...props.statements],
  });
  fn.node.addDependency(policy);
  consumeObjectCreatedQueue(fn, props.queue, props.maxConcurrency);
  return { role, logGroup, function: fn, policy };
}

/**
 * Feeds the queue to its function: batches of 10 with partial batch responses, and a cap on
 * concurrent invocations so a burst of new objects never takes the account concurrency the
 * collector needs (a backlog only waits in the queue, and the age alarm says so).
 */
function consumeObjectCreatedQueue(fn: lambda.Function, queue: sqs.IQueue, maxConcurrency: number): void {
  fn.addEventSource(new lambdaEventSources.SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency }));
}
