/**
 * Per-object Object Lock retention (config retention.apply = "per-object", the default).
 *
 *   change-log bucket --(S3 Object Created, EventBridge)--> rule ddb-audit-change-log-object-created
 *     --> SQS queue (KMS, 14 days, dead-letter queue after 5 receives)
 *     --> retention Lambda (lambda/handlers/retention.ts): PutObjectRetention, partial batch responses
 *
 * Objects under changes/, overflow/, errors/ and digests/ get the configured mode and days. Until the
 * function has run (seconds), the bucket policy's deny on deletes protects the object; an object
 * left without retention (queue dead-lettered, rule failing) raises an alarm here, and the hourly
 * digest records each object's retention, so `ddb-audit log verify` reports it as unlocked.
 *
 * The rule, queue, dead-letter queue and their alarms are the shared ./object-created-queue.ts.
 *
 * Scale: one event per object Firehose writes, i.e. at most one per active partition per buffer
 * interval (500 active partitions per stream by default, 5,000 raised: under 20 per second at a
 * 300 s buffer), independent of how many accounts and tables are onboarded.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RETENTION_ENV } from '../../lambda/retention/environment';
import { objectCreatedConsumer, objectCreatedQueue } from './object-created-queue';
import type { PipelineAlarms } from './pipeline-alarms';
import { RULE_NAME_PREFIX } from './rule-targets';

/** Fixed name of the rule that feeds the retention queue (its ARN is named in the key policy). */
export const RETENTION_RULE_NAME = `${RULE_NAME_PREFIX}change-log-object-created`;

/** Concurrent retention invocations at most (10 objects each, a few hundred per second in all). */
export const RETENTION_MAX_CONCURRENCY = 5;

export interface ObjectRetentionProps {
  /** The change-log bucket (Object Lock enabled, EventBridge notifications on). */
  readonly bucket: s3.IBucket;
  /** Encrypts the queues and the function's logs; its policy gets the EventBridge statement, so it must be a key of this stack. */
  readonly key: kms.Key;
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly days: number;
  /** Key prefixes whose objects get retention. */
  readonly prefixes: readonly string[];
  /** Where the queue alarms notify. */
  readonly alarms: PipelineAlarms;
  /**
   * The oldest message may wait this long before the age alarm fires.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
}

export class ObjectRetention extends Construct {
  public readonly rule: events.Rule;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly queueAgeAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ObjectRetentionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const functionTimeout = Duration.seconds(60);

    ({ rule: this.rule, queue: this.queue, deadLetterQueue: this.deadLetterQueue, deadLetterAlarm: this.deadLetterAlarm, queueAgeAlarm: this.queueAgeAlarm } = objectCreatedQueue(this, {
      bucket: props.bucket,
      key: props.key,
      ruleName: RETENTION_RULE_NAME,
      ruleDescription: 'ddb-audit: every new change-log object, for its Object Lock retention',
      prefixes: props.prefixes,
      name: 'Retention',
      functionTimeout,
      alarms: props.alarms,
      maxMessageAge: props.maxMessageAge,
      deadLetterDescription:
        'Change-log objects whose Object Lock retention could not be set (log message RETENTION_NOT_SET says why). They are protected from deletion by the bucket policy but not locked; fix the cause and redrive the dead-letter queue (docs/deploy.md).',
      queueAgeDescription: 'New change-log objects are waiting for their Object Lock retention longer than expected: the retention function is failing or throttled.',
      ruleFailureDescription:
        'EventBridge could not deliver change-log object events to the retention queue: new objects are not getting Object Lock retention. Check the queue and key policies (docs/deploy.md).',
    }));

    let policy: iam.Policy;
    ({ role: this.role, logGroup: this.logGroup, function: this.function, policy } = objectCreatedConsumer(this, {
      handler: 'retention',
      functionDescription: 'ddb-audit retention: PutObjectRetention on each new change-log object',
      roleDescription: 'ddb-audit retention: sets Object Lock retention on new change-log objects',
      key: props.key,
      timeout: functionTimeout,
      environment: {
        [RETENTION_ENV.bucket]: props.bucket.bucketName,
        [RETENTION_ENV.mode]: props.mode,
        [RETENTION_ENV.days]: String(props.days),
        [RETENTION_ENV.prefixes]: props.prefixes.join(','),
      },
      statements: [
        new iam.PolicyStatement({
          sid: 'SetObjectRetention',
          // No s3:BypassGovernanceRetention: the function only ever lengthens retention.
          actions: ['s3:GetObjectRetention', 's3:PutObjectRetention'],
          resources: props.prefixes.map((prefix) => props.bucket.arnForObjects(`${prefix}*`)),
        }),
      ],
      queue: this.queue,
      // A burst of new objects must not take the account concurrency the collector needs.
      maxConcurrency: RETENTION_MAX_CONCURRENCY,
    }));
    const bucketId = stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
    for (const prefix of props.prefixes) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Retention is set on every object Firehose, the collector or the digest writes under ${prefix}, named at run time; only Get/PutObjectRetention.`,
      });
    }

  }
}
