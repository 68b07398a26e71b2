/**
 * One event source mapping per onboarded stream. Written by hand rather than with
 * DynamoEventSource, which grants ListStreams on the stream ARN (where it does nothing), grants
 * delete rights on the failure bucket, and does not make the mapping wait for the policy.
 *
 * The collector's stream-read grant is not here: it is a constant set of patterns on the collector
 * role in the audit stack (../constructs/collector-function.ts streamReadStatements), which every
 * mappings stack depends on, so Lambda finds the permission in place when it creates a mapping.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ResolvedSource } from '../config/load';

export interface StreamSubscriptionsProps {
  readonly collector: lambda.IFunction;
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
  /** Keyed by stream ARN. */
  public readonly mappings: ReadonlyMap<string, lambda.EventSourceMapping>;

  constructor(scope: Construct, id: string, props: StreamSubscriptionsProps) {
    super(scope, id);
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
      mappings.set(source.config.streamArn, mapping);
    }
    this.mappings = mappings;
  }
}

function mappingId(source: ResolvedSource): string {
  return `Source-${source.arn.accountId}-${source.arn.tableName}`;
}

