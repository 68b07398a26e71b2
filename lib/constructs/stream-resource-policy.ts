/**
 * Lets the collector role read one source stream: merges streamResourcePolicy()'s statement (the
 * Sid of its source stack's chunk, collectorStreamSid in ../stream-policy.ts) into the stream's resource-based policy, keeping every statement the source team has there,
 * and removes only that statement when the source is removed. The merge, retries and deletion
 * rules are the provider's (./resource-policy-provider.ts, lambda/resource-policy/).
 */
import { Construct } from 'constructs';
import type { AllowedStatement } from '../../lambda/resource-policy/statement-bounds';
import { COLLECTOR_STREAM_SID, collectorStreamSid, collectorStreamStatement, STREAM_READ_ACTIONS, StreamPolicyStatement, WATCH_TABLE_SID } from '../stream-policy';
import { ResourcePolicyProvider, ResourcePolicyStatement } from './resource-policy-provider';

/** What a provider must allow for StreamResourcePolicy's statement in source stack `chunk`: that chunk's Sid, the collector role, the three read actions. */
export function collectorStreamGrant(collectorRoleArn: string, watchRoleArn?: string, chunk = 0): AllowedStatement {
  const principals = watchRoleArn === undefined ? [collectorRoleArn] : [collectorRoleArn, watchRoleArn];
  return { sid: collectorStreamSid(chunk), principals, actions: [...STREAM_READ_ACTIONS] };
}

/**
 * What the provider of source stack `chunk` may remove but not write. Chunk 0's Sids are the
 * legacy ones, so it needs nothing more. A stack of chunk k > 0 deployed by an earlier release
 * wrote the legacy Sids (every chunk did); its custom resources' physical ids name them, so on the
 * first deploy of this release CloudFormation's cleanup sends Deletes for `<legacy Sid>@<ARN>`
 * (each statement is replaced by its chunk's Sid, or the source moved to another stack). Without
 * this the provider would answer "not allowed" and leave the legacy statement behind: a grant
 * that outlives its source. Writing the legacy Sid stays chunk 0's alone, so no two stacks ever
 * write the same Sid on one resource; a legacy statement removed here is one this stack made
 * (CloudFormation sends a Delete only for a physical id the stack holds). Through a direct
 * invocation the removal could take a chunk-0 statement out, which chunk 0's own provider can
 * already do, and which only narrows access.
 */
export function legacyRemovals(chunk: number, watch: boolean): AllowedStatement[] {
  if (chunk === 0) return [];
  const removeOnly = (sid: string): AllowedStatement => ({ sid, principals: [], actions: [], removeOnly: true });
  return watch ? [removeOnly(COLLECTOR_STREAM_SID), removeOnly(WATCH_TABLE_SID)] : [removeOnly(COLLECTOR_STREAM_SID)];
}

export interface StreamResourcePolicyProps {
  readonly provider: ResourcePolicyProvider;
  readonly streamArn: string;
  /** The collector role ARN, granted DescribeStream, GetRecords and GetShardIterator. */
  readonly collectorRoleArn: string;
  /** The stream watch's role, a second principal of the same statement (its own IAM allows DescribeStream only). @default none */
  readonly watchRoleArn?: string;
  /** The account's source stack (chunk, ../stack-chunks.ts) that holds the source: it picks the Sid (collectorStreamSid). @default 0 */
  readonly chunk?: number;
}

export class StreamResourcePolicy extends Construct {
  public readonly statement: ResourcePolicyStatement;
  /** The statement merged into the stream's policy. */
  public readonly policyStatement: StreamPolicyStatement;

  constructor(scope: Construct, id: string, props: StreamResourcePolicyProps) {
    super(scope, id);
    this.policyStatement = collectorStreamStatement(props.collectorRoleArn, props.streamArn, props.watchRoleArn, props.chunk ?? 0);
    this.statement = new ResourcePolicyStatement(this, 'Statement', { provider: props.provider, resourceArn: props.streamArn, statement: this.policyStatement });
  }
}
