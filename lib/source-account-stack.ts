/**
 * One stack per source account: merges the collector's read statement into the resource policy of
 * each onboarded stream of that account. Deployed with the source account's credentials (or a
 * bootstrap trust from the audit account), after the audit stack has created the collector role
 * the statements name.
 *
 * The streams' policies are changed in parallel (CloudFormation runs independent resources side by
 * side): DynamoDB's 15-second block between policy changes is per resource
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html), and
 * the provider waits it out when it does meet it. Serializing hundreds of streams would make a
 * deploy take as many times a custom resource's round trip.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResolvedSource } from './config/load';
import { ResourcePolicyProvider } from './constructs/resource-policy-provider';
import { collectorStreamGrant, StreamResourcePolicy } from './constructs/stream-resource-policy';
import { WatchTablePolicy, watchTableGrant } from './constructs/watch-table-policy';
import { assertWithinSourceStackCapacity } from './source-stack-capacity';

export interface SourceAccountStackProps extends StackProps {
  /** The sources of this account only. */
  readonly sources: readonly ResolvedSource[];
  readonly collectorRoleArn: string;
  /**
   * The stream watch's role, when the watch is enabled: named in each stream statement beside the
   * collector and granted DescribeTable on each table (./constructs/watch-table-policy.ts).
   * @default no watch statements
   */
  readonly watchRoleArn?: string;
}

export class SourceAccountStack extends Stack {
  /** The one provider Lambda behind every policy statement of this stack. */
  public readonly policyProvider: ResourcePolicyProvider;
  /** In config order. */
  public readonly streamPolicies: StreamResourcePolicy[] = [];
  /** In config order; empty without a watch role. */
  public readonly tablePolicies: WatchTablePolicy[] = [];

  constructor(scope: Construct, id: string, props: SourceAccountStackProps) {
    super(scope, id, props);
    assertWithinSourceStackCapacity(props.sources.length, props.watchRoleArn !== undefined, this.node.path);
    const watchRole = props.watchRoleArn;
    this.policyProvider = new ResourcePolicyProvider(this, 'ResourcePolicyProvider', {
      resourceKinds: watchRole === undefined ? ['stream'] : ['stream', 'table'],
      allowedStatements: watchRole === undefined ? [collectorStreamGrant(props.collectorRoleArn)] : [collectorStreamGrant(props.collectorRoleArn, watchRole), watchTableGrant(watchRole)],
    });
    for (const source of props.sources) {
      this.streamPolicies.push(
        new StreamResourcePolicy(this, `StreamPolicy-${source.arn.tableName}`, {
          provider: this.policyProvider,
          streamArn: source.config.streamArn,
          collectorRoleArn: props.collectorRoleArn,
          watchRoleArn: watchRole,
        }),
      );
      if (watchRole !== undefined) {
        this.tablePolicies.push(new WatchTablePolicy(this, `TablePolicy-${source.arn.tableName}`, { provider: this.policyProvider, tableArn: source.arn.tableArn, watchRoleArn: watchRole }));
      }
    }
  }
}
