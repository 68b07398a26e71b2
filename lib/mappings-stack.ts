/**
 * The event source mappings of one source account's streams (one chunk of them, see
 * ./stack-chunks.ts), in the audit account.
 *
 * Why apart from the audit stack: Lambda checks, when a mapping is created, that the collector may
 * read the stream, which for a cross-account stream needs the source account's stream policy to
 * exist, and that policy names the collector role, which must exist first. So `cdk deploy --all`
 * must run audit stack (role) -> source stacks (stream policies) -> mappings stacks, and only
 * stacks, not resources, can be ordered across accounts.
 *
 * Why one per source account: every stack stays inside CloudFormation's limits by construction,
 * and onboarding a table changes only its own account's stacks.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ResolvedSource } from './config/load';
import { StreamSubscriptions } from './constructs/stream-subscriptions';

export interface MappingsStackProps extends StackProps {
  /** The sources of this stack: one account's, at most MAPPINGS_PER_STACK (./stack-chunks.ts). */
  readonly sources: readonly ResolvedSource[];
  readonly collector: lambda.IFunction;
  readonly failureBucket: s3.IBucket;
}

export class MappingsStack extends Stack {
  public readonly subscriptions: StreamSubscriptions;

  constructor(scope: Construct, id: string, props: MappingsStackProps) {
    super(scope, id, props);
    // Strong references (CloudFormation exports): the audit stack cannot drop the function or the
    // failure bucket while mappings still use them. Said explicitly so the choice is visible.
    this.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
    this.subscriptions = new StreamSubscriptions(this, 'Streams', {
      collector: props.collector,
      sources: props.sources,
      failureBucket: props.failureBucket,
    });
  }
}
