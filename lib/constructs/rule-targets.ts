/**
 * EventBridge rule targets that rely on the target's resource policy, never a RoleArn, with the
 * permissions written by the caller and conditioned on the one rule allowed to send.
 *
 * Why not aws-events-targets' SnsTopic / SqsQueue: for an encrypted topic or queue they grant
 * events.amazonaws.com without a source condition (the topic grant has none at all; the queue
 * grant drops aws:SourceArn when the queue has a KMS key), and `role` puts a RoleArn on the target,
 * which EventBridge warns "may fail ... for Amazon SQS and Amazon SNS targets with AWS KMS
 * encryption enabled" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 *
 * Rules that send to a KMS-encrypted target get a fixed name, so their ARN is a literal built from
 * the name: the key policy names the rule, the rule's target uses the key, and a token reference
 * would be a dependency cycle (key -> rule -> topic -> key).
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/** Prefix of every EventBridge rule name this project creates. */
export const RULE_NAME_PREFIX = 'ddb-audit-';

/** The ARN of a rule on the default event bus, from its fixed name (no token, so no dependency). */
export function ruleArnFromName(scope: Construct, ruleName: string): string {
  return Stack.of(scope).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName });
}

/**
 * A target that carries no RoleArn and grants nothing: the caller allows the rule on the target's
 * resource policy (and key policy) itself.
 */
export class ResourcePolicyTarget implements events.IRuleTarget {
  constructor(
    private readonly targetArn: string,
    private readonly input?: events.RuleTargetInput,
  ) {}

  bind(): events.RuleTargetConfig {
    return { arn: this.targetArn, input: this.input };
  }
}
