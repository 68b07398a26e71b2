/**
 * Lets the collector role read one source stream: merges streamResourcePolicy()'s statement (fixed
 * Sid) into the stream's resource-based policy, keeping every statement the source team has there,
 * and removes only that statement when the source is removed. The merge, retries and deletion
 * rules are the provider's (./resource-policy-provider.ts, lambda/resource-policy/).
 */
import { Construct } from 'constructs';
import { collectorStreamStatement, StreamPolicyStatement } from '../stream-policy';
import { ResourcePolicyProvider, ResourcePolicyStatement } from './resource-policy-provider';

export interface StreamResourcePolicyProps {
  readonly provider: ResourcePolicyProvider;
  readonly streamArn: string;
  /** The collector role ARN, granted DescribeStream, GetRecords and GetShardIterator. */
  readonly collectorRoleArn: string;
}

export class StreamResourcePolicy extends Construct {
  public readonly statement: ResourcePolicyStatement;
  /** The statement merged into the stream's policy. */
  public readonly policyStatement: StreamPolicyStatement;

  constructor(scope: Construct, id: string, props: StreamResourcePolicyProps) {
    super(scope, id);
    this.policyStatement = collectorStreamStatement(props.collectorRoleArn, props.streamArn);
    this.statement = new ResourcePolicyStatement(this, 'Statement', { provider: props.provider, resourceArn: props.streamArn, statement: this.policyStatement });
  }
}
