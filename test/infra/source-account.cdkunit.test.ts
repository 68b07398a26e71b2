/**
 * The source-account stack's policy provider, synthesized by the real CDK: its IAM stays one
 * statement however many streams the account onboards, its time limits nest (retry budget <
 * function timeout < CloudFormation's wait), and every statement waits for the provider's role.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { ResolvedSource } from '../../lib/config/load';
import { ResourcePolicyProvider, ResourcePolicyStatement, RESOURCE_POLICY_ACTIONS } from '../../lib/constructs/resource-policy-provider';
import { SourceAccountStack } from '../../lib/source-account-stack';
import { collectorStreamGrant, legacyRemovals } from '../../lib/constructs/stream-resource-policy';
import { COLLECTOR_STREAM_SID, collectorRoleArn, collectorStreamStatement, WATCH_TABLE_SID } from '../../lib/stream-policy';
import { ALLOWED_STATEMENTS_ENV } from '../../lambda/resource-policy/statement-bounds';
import { parseStreamArn } from '../../lambda/core/stream-arn';
import { EVENT_SOURCE_DEFAULTS } from '../../schemas/audit-config';
import { PROVIDER_TIMEOUT_SECONDS, RESOURCE_POLICY_STATEMENT_TYPE, RESPONSE_MARGIN_MS, RETRY_BUDGET_MS } from '../../lambda/resource-policy/contract';

type Resource = { Type: string; Properties: any; DependsOn?: string[] };

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const ROLE = collectorRoleArn({ auditAccountId: '111111111111', region: REGION });

function sources(count: number): ResolvedSource[] {
  return Array.from({ length: count }, (_, i) => {
    const streamArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Table${String(i).padStart(4, '0')}/stream/2026-01-15T10:00:00.000`;
    return { config: { streamArn }, arn: parseStreamArn(streamArn)!, tuning: { ...EVENT_SOURCE_DEFAULTS } };
  });
}

function synth(count: number): Record<string, Resource> {
  const app = new App();
  const stack = new SourceAccountStack(app, `Source${count}`, { env: { account: ACCOUNT, region: REGION }, sources: sources(count), collectorRoleArn: ROLE });
  return Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
}

const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

let one: Record<string, Resource>;
let many: Record<string, Resource>;

beforeAll(() => {
  one = synth(1);
  // Close to CloudFormation's 500-resources-per-stack limit (one custom resource per stream, plus the provider's four).
  many = synth(480);
});

describe('the provider role, for 1,000 accounts x 10,000 tables', () => {
  test('holds the same policy with 480 streams as with one: nothing grows per source', () => {
    const policyOf = (resources: Record<string, Resource>) => ofType(resources, 'AWS::IAM::Policy').map(([, p]) => p.Properties.PolicyDocument);
    expect(policyOf(many)).toEqual(policyOf(one));
    expect(JSON.stringify(policyOf(many)).length).toBeLessThan(1000);
  });

  test("grants only the three policy actions, on this account's and region's stream ARNs, and its own log writes", () => {
    const [[, policy]] = ofType(one, 'AWS::IAM::Policy') as [[string, Resource]];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'MergeDdbAuditStatement',
        Effect: 'Allow',
        Action: [...RESOURCE_POLICY_ACTIONS],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:${ACCOUNT}:table/*/stream/*`]] },
      },
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ResourcePolicyProviderLogs/), 'Arn'] } },
    ]);
    const [[, role]] = ofType(one, 'AWS::IAM::Role') as [[string, Resource]];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });

  test('adds table ARNs to the same one statement when asked (a table policy is one more statement, not new code)', () => {
    const stack = new Stack(new App(), 'Kinds', { env: { account: ACCOUNT, region: REGION } });
    const provider = new ResourcePolicyProvider(stack, 'Provider', { resourceKinds: ['stream', 'table'], allowedStatements: [collectorStreamGrant(ROLE)] });
    expect(stack.resolve(provider.grant.toStatementJson().Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:${ACCOUNT}:table/*/stream/*`]] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:${ACCOUNT}:table/*`]] },
    ]);
    expect(() => new ResourcePolicyProvider(stack, 'None', { resourceKinds: [], allowedStatements: [collectorStreamGrant(ROLE)] })).toThrow('resourceKinds must name at least one of "stream", "table", got []');
    expect(() => new ResourcePolicyProvider(stack, 'Nothing', { allowedStatements: [] })).toThrow('allowedStatements must name at least one statement, got []');
  });

  test('tells the function the one statement it may write (Sid, collector role, three read actions), in a setting that does not grow per stream', () => {
    const envOf = (resources: Record<string, Resource>) => (ofType(resources, 'AWS::Lambda::Function')[0]![1]).Properties.Environment.Variables;
    expect(JSON.parse(envOf(one)[ALLOWED_STATEMENTS_ENV])).toEqual([
      { sid: COLLECTOR_STREAM_SID, principals: [ROLE], actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'] },
    ]);
    expect(envOf(many)).toEqual(envOf(one));
  });
});

describe('a source stack of chunk k > 0 (an account with more sources than one stack holds)', () => {
  const WATCH = 'arn:aws:iam::111111111111:role/ddb-audit-watch-eu-west-1';
  let chunk2: Record<string, Resource>;
  beforeAll(() => {
    const stack = new SourceAccountStack(new App(), 'Source-2', { env: { account: ACCOUNT, region: REGION }, sources: sources(3), collectorRoleArn: ROLE, watchRoleArn: WATCH, chunk: 2 });
    chunk2 = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  });

  test("writes its chunk's Sids, not the legacy ones: its stream statements DdbAuditCollectorReadsStreamChunk2, its table statements DdbAuditWatchDescribesTableChunk2", () => {
    const sids = ofType(chunk2, RESOURCE_POLICY_STATEMENT_TYPE).map(([, r]) => JSON.parse(r.Properties.Statement).Sid).sort();
    expect(sids).toEqual([...Array(3).fill('DdbAuditCollectorReadsStreamChunk2'), ...Array(3).fill('DdbAuditWatchDescribesTableChunk2')]);
  });

  test('its provider may write only those Sids, and remove, never write, the legacy ones an earlier release wrote in every stack', () => {
    const [[, fn]] = ofType(chunk2, 'AWS::Lambda::Function') as [[string, Resource]];
    expect(JSON.parse(fn.Properties.Environment.Variables[ALLOWED_STATEMENTS_ENV])).toEqual([
      { sid: 'DdbAuditCollectorReadsStreamChunk2', principals: [ROLE, WATCH], actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'] },
      { sid: 'DdbAuditWatchDescribesTableChunk2', principals: [WATCH], actions: ['dynamodb:DescribeTable'] },
      { sid: COLLECTOR_STREAM_SID, principals: [], actions: [], removeOnly: true },
      { sid: WATCH_TABLE_SID, principals: [], actions: [], removeOnly: true },
    ]);
  });

  test('refuses at synth a legacy-Sid statement in a chunk k > 0 stack (remove only), and another chunk\'s Sid', () => {
    const stack = new Stack(new App(), 'Legacy', { env: { account: ACCOUNT, region: REGION } });
    const provider = new ResourcePolicyProvider(stack, 'Provider', { allowedStatements: [collectorStreamGrant(ROLE, undefined, 2), ...legacyRemovals(2, false)] });
    const stream = sources(1)[0]!.config.streamArn;
    expect(() => new ResourcePolicyStatement(stack, 'L', { provider, resourceArn: stream, statement: collectorStreamStatement(ROLE, stream) })).toThrow(
      'statement DdbAuditCollectorReadsStream is outside what this provider may write: Sid DdbAuditCollectorReadsStream is not one of DdbAuditCollectorReadsStreamChunk2 (it may only be removed)',
    );
    expect(() => new ResourcePolicyStatement(stack, 'O', { provider, resourceArn: stream, statement: collectorStreamStatement(ROLE, stream, undefined, 1) })).toThrow('Sid DdbAuditCollectorReadsStreamChunk1 is not one of DdbAuditCollectorReadsStreamChunk2');
    expect(new ResourcePolicyStatement(stack, 'Ok', { provider, resourceArn: stream, statement: collectorStreamStatement(ROLE, stream, undefined, 2) }).statement.Sid).toBe('DdbAuditCollectorReadsStreamChunk2');
  });
});

describe('one custom resource per stream', () => {
  test('each carries its stream ARN and our statement, and waits for the provider (role, policy, function)', () => {
    const statements = ofType(many, RESOURCE_POLICY_STATEMENT_TYPE);
    expect(statements).toHaveLength(480);
    const providerIds = Object.keys(many).filter((id) => id.startsWith('ResourcePolicyProvider'));
    expect(providerIds).toHaveLength(4);
    for (const [, r] of statements) {
      expect(JSON.parse(r.Properties.Statement).Resource).toBe(r.Properties.ResourceArn);
      expect(r.DependsOn).toEqual(expect.arrayContaining(providerIds));
    }
  });

  test("time limits nest: retry budget + response margin < function timeout < CloudFormation's ServiceTimeout", () => {
    const [[, fn]] = ofType(one, 'AWS::Lambda::Function') as [[string, Resource]];
    const [[, statement]] = ofType(one, RESOURCE_POLICY_STATEMENT_TYPE) as [[string, Resource]];
    expect(fn.Properties.Timeout).toBe(PROVIDER_TIMEOUT_SECONDS);
    expect((RETRY_BUDGET_MS + RESPONSE_MARGIN_MS) / 1000).toBeLessThan(fn.Properties.Timeout);
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(900); // Lambda's maximum
    expect(Number(statement.Properties.ServiceTimeout)).toBeGreaterThan(fn.Properties.Timeout);
    expect(Number(statement.Properties.ServiceTimeout)).toBeLessThanOrEqual(3600); // CloudFormation's maximum
  });

  test('refuses at synth a statement whose Sid could not identify it', () => {
    const stack = new Stack(new App(), 'BadSid', { env: { account: ACCOUNT, region: REGION } });
    const provider = new ResourcePolicyProvider(stack, 'Provider', { allowedStatements: [collectorStreamGrant(ROLE)] });
    expect(() => new ResourcePolicyStatement(stack, 'S', { provider, resourceArn: sources(1)[0]!.config.streamArn, statement: { Sid: 'has-dash' } })).toThrow('statement Sid must be ASCII letters and digits, got "has-dash"');
  });

  test('refuses at synth a statement the function would refuse (wider action, another principal, another Sid)', () => {
    const stack = new Stack(new App(), 'Outside', { env: { account: ACCOUNT, region: REGION } });
    const provider = new ResourcePolicyProvider(stack, 'Provider', { allowedStatements: [collectorStreamGrant(ROLE)] });
    const stream = sources(1)[0]!.config.streamArn;
    const ours = collectorStreamStatement(ROLE, stream);
    expect(() => new ResourcePolicyStatement(stack, 'A', { provider, resourceArn: stream, statement: { ...ours, Action: ['dynamodb:*'] } })).toThrow('action "dynamodb:*" is not one of');
    expect(() => new ResourcePolicyStatement(stack, 'P', { provider, resourceArn: stream, statement: { ...ours, Principal: { AWS: '*' } } })).toThrow('principal "*" is not one of');
    expect(() => new ResourcePolicyStatement(stack, 'S', { provider, resourceArn: stream, statement: { ...ours, Sid: 'Other' } })).toThrow('Sid Other is not one of DdbAuditCollectorReadsStream');
    expect(new ResourcePolicyStatement(stack, 'Ok', { provider, resourceArn: stream, statement: ours }).statement).toEqual(ours);
  });
});
