/**
 * Registers each change-log partition in Glue when its first object arrives:
 *
 *   change-log bucket --(S3 Object Created under changes/, EventBridge)--> rule ddb-audit-change-log-partitions
 *     --> SQS queue (KMS, 14 days, dead-letter queue after 5 receives; ./object-created-queue.ts)
 *     --> partition Lambda (lambda/handlers/register-partitions.ts): BatchCreatePartition,
 *         "already exists" is success, SQS partial batch responses
 *
 * Freshness: S3 event notifications "are designed to be delivered at least once. Typically, event
 * notifications are delivered in seconds but can sometimes take a minute or longer"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html); SQS and the
 * function add seconds. Until then, Athena does not see the new partition's rows (no error).
 * Events may repeat (registration is idempotent) or come out of order (order does not matter);
 * an event lost for good is what `ddb-audit catalog sync` and doctor's partitions check are for.
 *
 * Scale: one event per object Firehose writes under changes/, at most one per active partition per
 * buffer interval, independent of how many sources are onboarded; with 10 events per batch and
 * at most PARTITIONS_MAX_CONCURRENCY invocations, a few hundred events a second at most.
 */
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PARTITIONS_ENV } from '../../lambda/partitions/environment';
import { PARTITION_FAILURE_LOG_MESSAGE } from '../../lambda/partitions/partition-events';
import { CHANGES_PREFIX } from '../../schemas/partitioning';
import { objectCreatedConsumer, objectCreatedQueue } from './object-created-queue';
import type { PipelineAlarms } from './pipeline-alarms';
import { RULE_NAME_PREFIX } from './rule-targets';

/** Fixed name of the rule that feeds the partition queue (its ARN is named in the key policy). */
export const PARTITIONS_RULE_NAME = `${RULE_NAME_PREFIX}change-log-partitions`;

/** Concurrent partition invocations at most: Glue's catalog API rate is shared with Athena's query planning. */
export const PARTITIONS_MAX_CONCURRENCY = 5;

export interface PartitionRegistrationProps {
  /** The change-log bucket (EventBridge notifications on). */
  readonly bucket: s3.IBucket;
  /** Encrypts the queues and the function's logs; it must be a key of this stack. */
  readonly key: kms.Key;
  /** The change-log table partitions are registered in. */
  readonly table: glue.S3Table;
  readonly alarms: PipelineAlarms;
  /**
   * The oldest event may wait this long before the age alarm fires.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
}

export class PartitionRegistration extends Construct {
  public readonly rule: events.Rule;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly queueAgeAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PartitionRegistrationProps) {
    super(scope, id);
    const functionTimeout = Duration.seconds(60);
    ({ rule: this.rule, queue: this.queue, deadLetterQueue: this.deadLetterQueue, deadLetterAlarm: this.deadLetterAlarm, queueAgeAlarm: this.queueAgeAlarm } = objectCreatedQueue(this, {
      bucket: props.bucket,
      key: props.key,
      ruleName: PARTITIONS_RULE_NAME,
      ruleDescription: 'ddb-audit: every new change-log object under changes/, to register its Glue partition',
      prefixes: [CHANGES_PREFIX],
      name: 'Partitions',
      functionTimeout,
      alarms: props.alarms,
      maxMessageAge: props.maxMessageAge,
      deadLetterDescription: `New change-log partitions that could not be registered in Glue (log message ${PARTITION_FAILURE_LOG_MESSAGE} says why): Athena does not see their rows. Fix the cause, then run ddb-audit catalog sync, or redrive the dead-letter queue (docs/queries.md).`,
      queueAgeDescription: 'New change-log partitions are waiting for registration in Glue longer than expected (their rows are not yet queryable): the partition function is failing or throttled.',
      ruleFailureDescription: 'EventBridge could not deliver change-log object events to the partition queue: new partitions are not being registered. Check the queue and key policies, then run ddb-audit catalog sync (docs/queries.md).',
    }));

    ({ role: this.role, logGroup: this.logGroup, function: this.function } = objectCreatedConsumer(this, {
      handler: 'register-partitions',
      functionDescription: 'ddb-audit partitions: BatchCreatePartition for each new change-log partition',
      roleDescription: 'ddb-audit partitions: registers new change-log partitions in Glue',
      key: props.key,
      timeout: functionTimeout,
      environment: {
        [PARTITIONS_ENV.bucket]: props.bucket.bucketName,
        [PARTITIONS_ENV.database]: props.table.database.databaseName,
        [PARTITIONS_ENV.table]: props.table.tableName,
      },
      statements: [
        new iam.PolicyStatement({
          sid: 'RegisterPartitions',
          // Glue authorizes a partition call on the catalog, the database and the table
          // (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html); only create, never update or delete.
          actions: ['glue:BatchCreatePartition'],
          resources: [props.table.database.catalog.catalogArn, props.table.database.databaseArn, props.table.tableArn],
        }),
      ],
      queue: this.queue,
      maxConcurrency: PARTITIONS_MAX_CONCURRENCY,
    }));
  }
}
