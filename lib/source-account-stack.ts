/**
 * One stack per source account: puts the collector's read policy on each onboarded stream of
 * that account. Deployed with the source account's credentials (or a bootstrap trust from the
 * audit account), after the audit stack has created the collector role the policies name.
 */
import { Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ResolvedSource } from './config/load';
import { StreamResourcePolicy } from './constructs/stream-resource-policy';

export interface SourceAccountStackProps extends StackProps {
  /** The sources of this account only. */
  readonly sources: readonly ResolvedSource[];
  readonly collectorRoleArn: string;
}

export class SourceAccountStack extends Stack {
  /** In deployment order. */
  public readonly streamPolicies: StreamResourcePolicy[] = [];

  constructor(scope: Construct, id: string, props: SourceAccountStackProps) {
    super(scope, id, props);
    for (const source of props.sources) {
      const policy = new StreamResourcePolicy(this, `StreamPolicy-${source.arn.tableName}`, {
        streamArn: source.config.streamArn,
        collectorRoleArn: props.collectorRoleArn,
      });
      // One policy call at a time: DynamoDB refuses a policy update while another is settling
      // (15 s on the same resource), and the custom resource does not retry.
      const previous = this.streamPolicies[this.streamPolicies.length - 1];
      if (previous) policy.node.addDependency(previous);
      this.streamPolicies.push(policy);
    }
    // The one Lambda behind every AwsCustomResource of the stack.
    const provider = this.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "aws-cdk-lib's AwsCustomResource provider: the managed policy grants only CloudWatch Logs writes for its own log groups.",
      });
    }
  }
}
