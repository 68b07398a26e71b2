/**
 * One stack per source account (one chunk of its sources, ./stack-chunks.ts): merges the
 * collector's read statement into the resource policy of each onboarded stream of that account and,
 * with the stream watch, the watch's DescribeTable statement into each table's policy. Deployed with
 * the source account's credentials (or a bootstrap trust from the audit account), after the audit
 * stack has created the roles the statements name.
 *
 * The policies are changed in parallel (CloudFormation runs independent resources side by side):
 * DynamoDB's 15-second block between policy changes is per resource
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html), and
 * the provider waits it out when it does meet it. A stream and its table are different resources.
 *
 * Size: the provider makes one custom resource per statement, so a source costs
 * sourceStackResourcesPerSource() resources; the app fills chunks of SOURCES_PER_SOURCE_STACK, and
 * this stack refuses, in one line, more sources than CloudFormation's 500 resources allow, for
 * callers that build it directly.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResolvedSource } from './config/load';
import { ResourcePolicyProvider } from './constructs/resource-policy-provider';
import { collectorStreamGrant, legacyRemovals, StreamResourcePolicy } from './constructs/stream-resource-policy';
import { WatchTablePolicy, watchTableGrant } from './constructs/watch-table-policy';
import { CLOUDFORMATION_RESOURCES_PER_STACK, SOURCE_STACK_FIXED_RESOURCES, sourceStackResources, sourceStackResourcesPerSource } from './stack-chunks';

export interface SourceAccountStackProps extends StackProps {
  /** The sources of this stack: one account's, at most SOURCES_PER_SOURCE_STACK when the app chunks them. */
  readonly sources: readonly ResolvedSource[];
  readonly collectorRoleArn: string;
  /**
   * The stream watch's role, when the watch is enabled: named in each stream statement beside the
   * collector and granted DescribeTable on each table (./constructs/watch-table-policy.ts).
   * @default no watch statements
   */
  readonly watchRoleArn?: string;
  /**
   * Which of the account's source stacks this is (0-based, ../stack-chunks.ts): its statements carry
   * that chunk's Sids (collectorStreamSid, watchTableSid in ./stream-policy.ts) and its provider may
   * write only those, so a source that moves between stacks is never left without a statement.
   * @default 0
   */
  readonly chunk?: number;
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
    const watchRole = props.watchRoleArn;
    assertFitsOneStack(props.sources.length, watchRole !== undefined, id);
    const chunk = props.chunk ?? 0;
    this.policyProvider = new ResourcePolicyProvider(this, 'ResourcePolicyProvider', {
      resourceKinds: watchRole === undefined ? ['stream'] : ['stream', 'table'],
      allowedStatements: [
        collectorStreamGrant(props.collectorRoleArn, watchRole, chunk),
        ...(watchRole === undefined ? [] : [watchTableGrant(watchRole, chunk)]),
        ...legacyRemovals(chunk, watchRole !== undefined),
      ],
    });
    for (const source of props.sources) {
      this.streamPolicies.push(
        new StreamResourcePolicy(this, `StreamPolicy-${source.arn.tableName}`, {
          provider: this.policyProvider,
          streamArn: source.config.streamArn,
          collectorRoleArn: props.collectorRoleArn,
          watchRoleArn: watchRole,
          chunk,
        }),
      );
      if (watchRole !== undefined) {
        this.tablePolicies.push(new WatchTablePolicy(this, `TablePolicy-${source.arn.tableName}`, { provider: this.policyProvider, tableArn: source.arn.tableArn, watchRoleArn: watchRole, chunk }));
      }
    }
  }
}

/** Refuses, in one line, a source stack past CloudFormation's 500 resources (CDK's own refusal names no cause). */
function assertFitsOneStack(sources: number, watch: boolean, stackName: string): void {
  const resources = sourceStackResources(sources, watch);
  if (resources > CLOUDFORMATION_RESOURCES_PER_STACK) {
    const most = Math.floor((CLOUDFORMATION_RESOURCES_PER_STACK - SOURCE_STACK_FIXED_RESOURCES) / sourceStackResourcesPerSource(watch));
    throw new Error(
      `${stackName}: ${sources} sources need ${resources} resources (${sourceStackResourcesPerSource(watch)} per source${watch ? ': stream and table statements' : ''}, ` +
        `plus ${SOURCE_STACK_FIXED_RESOURCES}), over CloudFormation's ${CLOUDFORMATION_RESOURCES_PER_STACK} per stack; at most ${most} sources in one source stack`,
    );
  }
}
