/**
 * The custom-resource provider that merges one statement into a DynamoDB table's or stream's
 * resource-based policy (runtime: lambda/handlers/resource-policy.ts), and the custom resource
 * itself. One provider per source-account stack serves every statement of that stack.
 *
 * CloudFormation invokes the function directly (its ARN is the ServiceToken): there is no
 * provider-framework Lambda in between, and the function answers CloudFormation itself.
 *
 * IAM, sized for 1,000 accounts x 10,000 tables: the role's one statement grants the three
 * policy actions on an ARN pattern of the stack's account and region
 * (`table/*` + `/stream/*` for streams, `table/*` for tables) instead of one ARN per source. Listed
 * ARNs would grow with the sources and pass IAM's 10,240-character limit on a role's inline
 * policies at roughly 90 streams
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); the pattern is a
 * constant few hundred characters. What the function may do with it is narrower than the grant:
 * it writes only the statements it was deployed for (`allowedStatements`: Sid, principals,
 * actions, on the resource the policy is attached to), whoever invokes it, and on delete removes
 * only statements of those Sids (lambda/resource-policy/statement-bounds.ts).
 */
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { PROVIDER_TIMEOUT_SECONDS, RESOURCE_POLICY_PROPERTY, RESOURCE_POLICY_STATEMENT_TYPE } from '../../lambda/resource-policy/contract';
import { AllowedStatement, ALLOWED_STATEMENTS_ENV, statementOutsideBounds } from '../../lambda/resource-policy/statement-bounds';
import { functionDefaults } from './function-defaults';

/** The DynamoDB resource kinds whose policies a provider may change. */
export type PolicyResourceKind = 'stream' | 'table';

/** The three actions the provider needs; nothing else on DynamoDB. */
export const RESOURCE_POLICY_ACTIONS = ['dynamodb:GetResourcePolicy', 'dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy'] as const;

/**
 * How long CloudFormation waits for the function's answer. Past the function's own timeout, so a
 * normal FAILED answer always arrives first; it only matters if the function dies without
 * answering (then Lambda's asynchronous-invocation retry gets one more run inside it).
 */
export const PROVIDER_SERVICE_TIMEOUT = Duration.seconds(3 * PROVIDER_TIMEOUT_SECONDS);

export interface ResourcePolicyProviderProps {
  /**
   * The only statements the provider may write, by Sid: which principals and actions each may
   * name. The function refuses anything else, whoever invokes it, and leaves statements of other
   * Sids alone on delete (lambda/resource-policy/statement-bounds.ts). Its IAM grant covers the
   * account's streams (or tables) by pattern, so these bounds are what keeps it to our statements.
   */
  readonly allowedStatements: readonly AllowedStatement[];
  /**
   * Which kinds of this account's DynamoDB resources the provider may change policies of.
   * @default ['stream']
   */
  readonly resourceKinds?: readonly PolicyResourceKind[];
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export class ResourcePolicyProvider extends Construct {
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly function: nodejs.NodejsFunction;
  /** The policy statement the role holds (one, whatever the number of sources). */
  public readonly grant: iam.PolicyStatement;
  public readonly allowedStatements: readonly AllowedStatement[];

  constructor(scope: Construct, id: string, props: ResourcePolicyProviderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const kinds = [...new Set(props.resourceKinds ?? ['stream'])];
    if (kinds.length === 0) throw new Error('ResourcePolicyProvider: resourceKinds must name at least one of "stream", "table", got []');
    if (props.allowedStatements.length === 0) throw new Error('ResourcePolicyProvider: allowedStatements must name at least one statement, got []');
    this.allowedStatements = props.allowedStatements;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "ddb-audit: adds and removes ddb-audit's statement in DynamoDB resource policies of this account",
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });

    const defaults = functionDefaults('resource-policy');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      description: "ddb-audit: merges ddb-audit's statement into DynamoDB resource policies (CloudFormation custom resource)",
      memorySize: 256,
      timeout: Duration.seconds(PROVIDER_TIMEOUT_SECONDS),
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...defaults.environment, [ALLOWED_STATEMENTS_ENV]: JSON.stringify(props.allowedStatements) },
    });

    const arnOf = (resourceName: string) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName });
    this.grant = new iam.PolicyStatement({
      sid: 'MergeDdbAuditStatement',
      actions: [...RESOURCE_POLICY_ACTIONS],
      resources: kinds.map((kind) => arnOf(kind === 'stream' ? '*/stream/*' : '*')),
    });
    const policy = new iam.Policy(this, 'Policy', {
      statements: [
        this.grant,
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
      ],
    });
    this.role.attachInlinePolicy(policy);
    // The function must not run before its role may act.
    this.function.node.addDependency(policy);

    for (const resource of this.grant.resources) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(resource, stack)}]`,
        reason: "ARN pattern of this account's DynamoDB streams/tables, not one ARN per source: a listed ARN per source would pass IAM's 10,240-character inline-policy limit at about 90 sources. The function writes only its deployed statements (Sid, principals, actions: ALLOWED_STATEMENTS) and removes only statements of those Sids.",
      });
    }
  }

  /** The ServiceToken of the custom resources this provider serves. */
  public get serviceToken(): string {
    return this.function.functionArn;
  }
}

/** cdk-nag names a resource with its pseudo-parameter tokens written as <AWS::Partition>; this is that spelling. */
function nagResourceName(resource: string, stack: Stack): string {
  const resolved = stack.resolve(resource) as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof resolved === 'string') return resolved;
  const [separator, parts] = resolved['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join(separator);
}

export interface ResourcePolicyStatementProps {
  readonly provider: ResourcePolicyProvider;
  /** The table or stream ARN (a literal: it is in another stack's account). */
  readonly resourceArn: string;
  /** One policy statement with a Sid of ASCII letters and digits; the Sid identifies it among the team's own. */
  readonly statement: { readonly Sid: string; readonly [key: string]: unknown };
}

/**
 * One statement of ours in one DynamoDB resource policy: added on create, updated in place on
 * update, removed (and only it) on delete.
 */
export class ResourcePolicyStatement extends Construct {
  public readonly resource: CustomResource;
  public readonly statement: ResourcePolicyStatementProps['statement'];

  constructor(scope: Construct, id: string, props: ResourcePolicyStatementProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9]+$/.test(props.statement.Sid)) {
      throw new Error(`ResourcePolicyStatement: statement Sid must be ASCII letters and digits, got ${JSON.stringify(props.statement.Sid)}`);
    }
    // The same check the function makes, at synth: a statement it would refuse fails here, not at deploy.
    const outside = statementOutsideBounds(props.statement, props.statement.Sid, props.resourceArn, props.provider.allowedStatements);
    if (outside !== undefined) throw new Error(`ResourcePolicyStatement ${this.node.path}: ${outside}`);
    this.statement = props.statement;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.provider.serviceToken,
      resourceType: RESOURCE_POLICY_STATEMENT_TYPE,
      serviceTimeout: PROVIDER_SERVICE_TIMEOUT,
      properties: {
        [RESOURCE_POLICY_PROPERTY.resourceArn]: props.resourceArn,
        // JSON text: CloudFormation would turn numbers and booleans in an object into strings.
        [RESOURCE_POLICY_PROPERTY.statement]: JSON.stringify(props.statement),
      },
    });
    // The provider's role and policy exist before the first call, and outlive the last.
    this.resource.node.addDependency(props.provider);
  }
}
