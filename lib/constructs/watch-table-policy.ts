/**
 * Lets the stream watch's role describe one source table: merges watchTableStatement()'s statement
 * (its chunk's Sid, watchTableSid, dynamodb:DescribeTable, the watch role only) into the TABLE's resource-based policy,
 * keeping every statement the source team has there, and removes only that statement when the
 * source is removed. The merge, retries and deletion rules are the provider's
 * (./resource-policy-provider.ts, lambda/resource-policy/), as for the stream statement.
 */
import { Construct } from 'constructs';
import type { AllowedStatement } from '../../lambda/resource-policy/statement-bounds';
import { TABLE_DESCRIBE_ACTIONS, TablePolicyStatement, watchTableSid, watchTableStatement } from '../stream-policy';
import { ResourcePolicyProvider, ResourcePolicyStatement } from './resource-policy-provider';

/** What a provider must allow for WatchTablePolicy's statement in source stack `chunk`: that chunk's Sid, the watch role, DescribeTable. */
export function watchTableGrant(watchRoleArn: string, chunk = 0): AllowedStatement {
  return { sid: watchTableSid(chunk), principals: [watchRoleArn], actions: [...TABLE_DESCRIBE_ACTIONS] };
}

export interface WatchTablePolicyProps {
  /** A provider whose resourceKinds include 'table' and whose allowedStatements include watchTableGrant(). */
  readonly provider: ResourcePolicyProvider;
  readonly tableArn: string;
  readonly watchRoleArn: string;
  /** The account's source stack (chunk) that holds the source: it picks the Sid (watchTableSid). @default 0 */
  readonly chunk?: number;
}

export class WatchTablePolicy extends Construct {
  public readonly statement: ResourcePolicyStatement;
  /** The statement merged into the table's policy. */
  public readonly policyStatement: TablePolicyStatement;

  constructor(scope: Construct, id: string, props: WatchTablePolicyProps) {
    super(scope, id);
    this.policyStatement = watchTableStatement(props.watchRoleArn, props.tableArn, props.chunk ?? 0);
    this.statement = new ResourcePolicyStatement(this, 'Statement', { provider: props.provider, resourceArn: props.tableArn, statement: this.policyStatement });
  }
}
