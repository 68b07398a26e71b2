/**
 * Lets the collector role read one source stream: merges streamResourcePolicy()'s statement (fixed
 * Sid) into the stream's resource-based policy, keeping every statement the source team has there,
 * and removes only that statement when the source is removed. The merge, retries and deletion
 * rules are the provider's (./resource-policy-provider.ts, lambda/resource-policy/).
 */
import { Construct } from 'constructs';
import type { AllowedStatement } from '../../lambda/resource-policy/statement-bounds';
import { COLLECTOR_STREAM_SID, collectorStreamStatement, STREAM_READ_ACTIONS, StreamPolicyStatement } from '../stream-policy';
import { ResourcePolicyProvider, ResourcePolicyStatement } from './resource-policy-provider';

/** What a provider must allow for StreamResourcePolicy's statement: our Sid, the collector role, the three read actions. */
export function collectorStreamGrant(collectorRoleArn: string): AllowedStatement {
  return { sid: COLLECTOR_STREAM_SID, principals: [collectorRoleArn], actions: [...STREAM_READ_ACTIONS] };
}

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
