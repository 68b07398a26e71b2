/**
 * The collector Lambda and its execution role. The role has a fixed name (lib/stream-policy.ts) so
 * source accounts can name it in their stream policies before it exists.
 *
 * This construct grants only what the function does on its own (logs, traces, Firehose, overflow
 * objects). Reading the source streams is granted next to the event source mappings
 * (./stream-subscriptions.ts), which is where the set of streams lives.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/core/telemetry';
import { COLLECTOR_FUNCTION_NAME, collectorRoleName } from '../stream-policy';
import { COLLECTOR_NODE_OPTIONS } from '../../lambda/core/runtime-options';
import { functionDefaults } from './function-defaults';


export interface CollectorFunctionProps {
  readonly deliveryStream: firehose.IDeliveryStream;
  /** The change-log bucket: oversize changes are written whole under OVERFLOW_PREFIX. */
  readonly overflowBucket: s3.IBucket;
  /**
   * The event source mappings' on-failure bucket. Lambda writes discarded batches there with the
   * function's role, so the role (not the mapping) carries the grant.
   */
  readonly failureBucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly packing: 'ndjson' | 'single';
  /** Per-source actor attribute and redaction, inlined into the bundle (Lambda caps environment variables at 4 KB). */
  readonly sourceOptions: CollectorSourceOptionsByTable;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export class CollectorFunction extends Construct {
  public readonly role: iam.Role;
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CollectorFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.role = new iam.Role(this, 'Role', {
      roleName: collectorRoleName(stack.region),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ddb-audit collector: reads onboarded DynamoDB streams, writes the change log through Firehose',
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${COLLECTOR_FUNCTION_NAME}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Error records log the raw stream record, which may hold item data.
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const defaults = functionDefaults('collector', {
      nodeOptions: COLLECTOR_NODE_OPTIONS,
      // Per-source options are inlined at bundle time: Lambda caps environment variables at 4 KB in all.
      define: { 'process.env.SOURCE_OPTIONS': JSON.stringify(JSON.stringify(props.sourceOptions)) },
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      functionName: COLLECTOR_FUNCTION_NAME,
      description: 'ddb-audit collector: DynamoDB stream records to change records to Firehose',
      memorySize: 1024,
      // Long enough for Firehose retries with backoff; the sink bounds itself by the remaining time.
      timeout: Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...defaults.environment,
        DELIVERY_STREAM_NAME: props.deliveryStream.deliveryStreamName,
        OVERFLOW_BUCKET: props.overflowBucket.bucketName,
        OVERFLOW_PREFIX,
        PACKING: props.packing,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    const policy = new iam.Policy(this, 'Policy', {
        statements: [
          new iam.PolicyStatement({
            sid: 'WriteOwnLogs',
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [this.logGroup.logGroupArn],
          }),
          new iam.PolicyStatement({
            sid: 'DeliverChangeRecords',
            actions: ['firehose:PutRecordBatch'],
            resources: [props.deliveryStream.deliveryStreamArn],
          }),
          new iam.PolicyStatement({
            sid: 'WriteOversizeChanges',
            actions: ['s3:PutObject'],
            resources: [props.overflowBucket.arnForObjects(`${OVERFLOW_PREFIX}*`)],
          }),
          new iam.PolicyStatement({
            sid: 'WriteDiscardedBatches',
            // Lambda's documented needs for an S3 on-failure destination.
            actions: ['s3:PutObject', 's3:ListBucket'],
            resources: [props.failureBucket.bucketArn, props.failureBucket.arnForObjects('*')],
          }),
          new iam.PolicyStatement({
            sid: 'EncryptObjects',
            actions: ['kms:GenerateDataKey'],
            resources: [props.key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
          }),
        ],
    });
    this.role.attachInlinePolicy(policy);

    const logicalId = (bucket: s3.IBucket) => stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.overflowBucket)}.Arn>/${OVERFLOW_PREFIX}*]`,
      reason: 'Each oversize change is its own object, named at run time; the grant is PutObject under the overflow prefix only.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.failureBucket)}.Arn>/*]`,
      reason: 'Lambda names the discarded-batch objects itself; the bucket holds nothing else, and the grant is PutObject (no read, no delete).',
    });
    // Tracing's grant: X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.
    const tracingPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (tracingPolicy) {
      Validations.of(tracingPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
      });
    }
  }
}
