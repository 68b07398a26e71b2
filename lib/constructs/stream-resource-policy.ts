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
export function collectorStreamGrant(collectorRoleArn: string, watchRoleArn?: string): AllowedStatement {
  const principals = watchRoleArn === undefined ? [collectorRoleArn] : [collectorRoleArn, watchRoleArn];
  return { sid: COLLECTOR_STREAM_SID, principals, actions: [...STREAM_READ_ACTIONS] };
}

export interface StreamResourcePolicyProps {
  readonly provider: ResourcePolicyProvider;
  readonly streamArn: string;
  /** The collector role ARN, granted DescribeStream, GetRecords and GetShardIterator. */
  readonly collectorRoleArn: string;
  /** The stream watch's role, a second principal of the same statement (its own IAM allows DescribeStream only). @default none */
  readonly watchRoleArn?: string;
}

export class StreamResourcePolicy extends Construct {
  public readonly statement: ResourcePolicyStatement;
  /** The statement merged into the stream's policy. */
  public readonly policyStatement: StreamPolicyStatement;

  constructor(scope: Construct, id: string, props: StreamResourcePolicyProps) {
    super(scope, id);
    this.policyStatement = collectorStreamStatement(props.collectorRoleArn, props.streamArn, props.watchRoleArn);
    this.statement = new ResourcePolicyStatement(this, 'Statement', { provider: props.provider, resourceArn: props.streamArn, statement: this.policyStatement });
  }
}
