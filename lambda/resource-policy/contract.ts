/**
 * What the CDK construct (lib/constructs/resource-policy-provider.ts) and the provider Lambda
 * (lambda/handlers/resource-policy.ts) agree on. No AWS SDK here, so lib/ can import it at synth.
 */

/** The CloudFormation resource type; stacks and tests find these resources by it. */
export const RESOURCE_POLICY_STATEMENT_TYPE = 'Custom::DdbAuditResourcePolicyStatement';

/** Property names of the custom resource: the resource ARN, and the statement as JSON text. */
export const RESOURCE_POLICY_PROPERTY = { resourceArn: 'ResourceArn', statement: 'Statement' } as const;

/** The provider retries transient refusals for at most this long: IAM propagation is usually seconds, rarely minutes. */
export const RETRY_BUDGET_MS = 4 * 60_000;

/** The provider stops retrying this long before its function's timeout, to send CloudFormation its response. */
export const RESPONSE_MARGIN_MS = 30_000;

/** The provider function's timeout: the retry budget, the response margin, and a little slack. */
export const PROVIDER_TIMEOUT_SECONDS = (RETRY_BUDGET_MS + RESPONSE_MARGIN_MS) / 1000 + 30;
