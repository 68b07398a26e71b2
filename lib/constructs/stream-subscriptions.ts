/**
 * One event source mapping per onboarded stream, and the IAM that lets the collector read exactly
 * those streams. Written by hand rather than with DynamoEventSource, which grants ListStreams on
 * the stream ARN (where it does nothing), grants delete rights on the failure bucket, and does not
 * make the mapping wait for the policy (Lambda checks the role's permissions when it creates one).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ResolvedSource } from '../config/load';
import { STREAM_READ_ACTIONS } from '../stream-policy';

export interface StreamSubscriptionsProps {
  readonly collector: lambda.IFunction;
  readonly collectorRole: iam.IRole;
  readonly sources: readonly ResolvedSource[];
  /**
   * On-failure destination: receives the full invocation record of each discarded batch.
   * The collector role's write grant on it is in ./collector-function.ts.
   */
  readonly failureBucket: s3.IBucket;
}

/** An S3 on-failure destination that grants nothing (S3OnFailureDestination grants read/write/delete). */
export class S3FailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}
  bind(): lambda.DlqDestinationConfig {
    return { destination: this.bucket.bucketArn };
  }
}

export class StreamSubscriptions extends Construct {
  public readonly policy: iam.Policy;
  /** Keyed by stream ARN. */
  public readonly mappings: ReadonlyMap<string, lambda.EventSourceMapping>;

  constructor(scope: Construct, id: string, props: StreamSubscriptionsProps) {
    super(scope, id);
    const statements = [
      new iam.PolicyStatement({
        sid: 'ListStreams',
        // ListStreams has no resource-level permissions; Lambda calls it when it sets up a mapping.
        actions: ['dynamodb:ListStreams'],
        resources: ['*'],
      }),
    ];
    if (props.sources.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadOnboardedStreams',
          actions: [...STREAM_READ_ACTIONS],
          resources: props.sources.map((s) => s.config.streamArn),
        }),
      );
    }
    const sourceKeys = [...new Set(props.sources.flatMap((s) => (s.config.kmsKeyArn ? [s.config.kmsKeyArn] : [])))];
    if (sourceKeys.length > 0) {
      statements.push(
        // As CDK's own stream-read grant does (kms:Decrypt + kms:DescribeKey on the table's key), and
        // without a kms:ViaService condition: what DynamoDB Streams presents as the calling service is
        // documented nowhere we found, and a wrong guess would stop the collector reading the table.
        new iam.PolicyStatement({
          sid: 'DecryptSourceStreams',
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: sourceKeys,
        }),
      );
    }
    this.policy = new iam.Policy(this, 'StreamAccess', { roles: [props.collectorRole], statements });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams does not support resource-level permissions; every stream action is limited to the onboarded stream ARNs.',
    });

    const mappings = new Map<string, lambda.EventSourceMapping>();
    for (const source of props.sources) {
      const { tuning } = source;
      // The id names the table, not the stream: a re-enabled stream (new label) updates the mapping in place.
      const mapping = new lambda.EventSourceMapping(this, mappingId(source), {
        target: props.collector,
        eventSourceArn: source.config.streamArn,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: tuning.batchSize,
        maxBatchingWindow: Duration.seconds(tuning.maxBatchingWindowSeconds),
        parallelizationFactor: tuning.parallelizationFactor,
        // -1 means "no limit", which is the service default when the property is absent.
        retryAttempts: tuning.maxRetryAttempts === -1 ? undefined : tuning.maxRetryAttempts,
        maxRecordAge: tuning.maxRecordAgeSeconds === -1 ? undefined : Duration.seconds(tuning.maxRecordAgeSeconds),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new S3FailureDestination(props.failureBucket),
      });
      mapping.node.addDependency(this.policy);
      mappings.set(source.config.streamArn, mapping);
    }
    this.mappings = mappings;
  }
}

function mappingId(source: ResolvedSource): string {
  return `Source-${source.arn.accountId}-${source.arn.tableName}`;
}

