/**
 * The cross-account half of a deployment, from the example config (three tables in two source
 * accounts): the source stacks' stream policies, the event source mappings, the deploy order, and
 * cdk-nag's AwsSolutions checks over the whole app. One synth (with cdk-nag attached) for the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditConfig } from '../../schemas/audit-config';
import { AuditAppStacks } from '../../lib/audit-app';
import { AUDIT_STACK_NAME, mappingsStackName, sourceStackName } from '../../lib/stack-names';
import { COLLECTOR_STREAM_SID, collectorRoleArn, collectorStreamStatement, streamResourcePolicy, WATCH_TABLE_SID, watchRoleArn } from '../../lib/stream-policy';
import { RESOURCE_POLICY_STATEMENT_TYPE } from '../../lambda/resource-policy/contract';
import { buildTestApp, exampleConfig } from '../support/audit-app';

type Resource = { Type: string; Properties: any; DependsOn?: string[] };

let config: AuditConfig;
let app: App;
let stacks: AuditAppStacks;
let outdir: string;
let synthError: unknown;
const streams = {
  orders: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000',
  customers: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Customers/stream/2026-01-15T10:05:00.000',
  payments: 'arn:aws:dynamodb:eu-west-1:033333333333:table/Payments/stream/2026-02-01T08:00:00.000',
};

beforeAll(() => {
  config = exampleConfig();
  ({ app, stacks, outdir } = buildTestApp(config, { nag: true }));
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
});

const resourcesOf = (stack: Stack) => Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
const ofType = (stack: Stack, type: string) => Object.entries(resourcesOf(stack)).filter(([, r]) => r.Type === type);

describe('cdk-nag AwsSolutions checks', () => {
  test('the whole app synthesizes with zero unacknowledged findings', () => {
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
    // The same pack run directly over the synthesized tree agrees.
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  test('the app registers the AwsSolutions pack (so the clean report above is not vacuous)', () => {
    // Stage#_validationPlugins is aws-cdk-lib internal; it is the only way to list registered packs.
    const plugins = (app as unknown as { _validationPlugins: { name: string }[] })._validationPlugins;
    expect(plugins.map((p) => p.name)).toEqual(['AwsSolutions']);
  });

  test('the pack does flag what it should: a bucket without TLS enforcement or access logs', () => {
    const probe = new App();
    new s3.Bucket(new Stack(probe, 'Probe'), 'Insecure');
    const rules = new AwsSolutionsChecks().validateScope(probe).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});

describe('stacks and deploy order', () => {
  test('one source stack per source account, in that account and the audit region', () => {
    expect([...stacks.sources.keys()]).toEqual([sourceStackName('222222222222'), sourceStackName('033333333333')]);
    for (const account of ['222222222222', '033333333333']) {
      const stack = stacks.sources.get(sourceStackName(account))!;
      expect(stack.stackName).toBe(`DdbAuditSource-${account}`);
      expect(stack.account).toBe(account);
      expect(stack.region).toBe(config.region);
    }
    expect(stacks.audit.stackName).toBe(AUDIT_STACK_NAME);
  });

  test('one mappings stack per source account, in the audit account', () => {
    expect([...stacks.mappings.keys()]).toEqual(['DdbAuditMappings-222222222222', 'DdbAuditMappings-033333333333']);
    for (const stack of stacks.mappings.values()) expect(stack.account).toBe(config.auditAccountId);
  });

  test('deploys the collector role first, then the watch role, then the stream policies, then each account\'s mappings after its own policies only', () => {
    // The source stacks also wait for the watch stack: their statements name the watch role.
    for (const source of stacks.sources.values()) expect(new Set(source.dependencies)).toEqual(new Set([stacks.audit, stacks.watch]));
    expect(stacks.watch!.dependencies).toEqual([stacks.audit]);
    for (const account of ['222222222222', '033333333333']) {
      expect(new Set(stacks.mappings.get(mappingsStackName(account))!.dependencies)).toEqual(new Set([stacks.audit, stacks.sources.get(sourceStackName(account))]));
    }
    expect(stacks.audit.dependencies).toEqual([]);
  });
});

describe('source stack stream policies', () => {
  const roleArn = () => collectorRoleArn({ auditAccountId: config.auditAccountId, region: config.region });
  const watchArn = () => watchRoleArn({ auditAccountId: config.auditAccountId, region: config.region });
  const allStatementsOf = (account: string) => ofType(stacks.sources.get(sourceStackName(account))!, RESOURCE_POLICY_STATEMENT_TYPE);
  const sidOf = (r: Resource) => JSON.parse(r.Properties.Statement).Sid;
  // The stream statements (the watch's table statements have the other Sid).
  const statementsOf = (account: string) => allStatementsOf(account).filter(([, r]) => sidOf(r) === COLLECTOR_STREAM_SID);

  test('merge a statement granting exactly the three read actions to the collector and watch roles, passed as JSON text', () => {
    const [[, orders]] = statementsOf('222222222222') as [[string, Resource]];
    expect(orders.Properties.ResourceArn).toBe(streams.orders);
    expect(typeof orders.Properties.Statement).toBe('string');
    expect(JSON.parse(orders.Properties.Statement)).toEqual({
      Sid: 'DdbAuditCollectorReadsStream',
      Effect: 'Allow',
      // The watch role is the second principal; its own identity policy allows it DescribeStream only.
      Principal: { AWS: [roleArn(), watchArn()] },
      Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      Resource: streams.orders,
    });
    expect(collectorStreamStatement(roleArn(), streams.orders, watchArn())).toEqual(JSON.parse(orders.Properties.Statement));
    // The same statement the documented whole-policy form holds, for teams that attach it themselves.
    expect(streamResourcePolicy(roleArn(), streams.orders, watchArn()).Statement).toEqual([JSON.parse(orders.Properties.Statement)]);
  });

  test("one statement per onboarded stream, each in its own account's stack, served by that stack's provider", () => {
    expect(statementsOf('222222222222').map(([, r]) => r.Properties.ResourceArn)).toEqual([streams.orders, streams.customers]);
    expect(statementsOf('033333333333').map(([, r]) => r.Properties.ResourceArn)).toEqual([streams.payments]);
    // And one DescribeTable statement per table, for the watch role only (docs/coverage.md).
    const tableOf = (stream: string) => stream.replace(/\/stream\/[^/]+$/, '');
    const tables = (account: string) => allStatementsOf(account).filter(([, r]) => sidOf(r) === WATCH_TABLE_SID).map(([, r]) => r.Properties.ResourceArn);
    expect(tables('222222222222')).toEqual([tableOf(streams.orders), tableOf(streams.customers)]);
    expect(tables('033333333333')).toEqual([tableOf(streams.payments)]);
    expect(JSON.parse(allStatementsOf('033333333333').find(([, r]) => sidOf(r) === WATCH_TABLE_SID)![1].Properties.Statement)).toEqual({
      Sid: WATCH_TABLE_SID,
      Effect: 'Allow',
      Principal: { AWS: watchArn() },
      Action: ['dynamodb:DescribeTable'],
      Resource: tableOf(streams.payments),
    });
    for (const account of ['222222222222', '033333333333']) {
      const [[functionId]] = ofType(stacks.sources.get(sourceStackName(account))!, 'AWS::Lambda::Function') as [[string, Resource]];
      for (const [, r] of allStatementsOf(account)) expect(r.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    }
  });

  test('streams are changed in parallel: the 15-second block is per resource, and the provider waits it out', () => {
    const ids = new Set(allStatementsOf('222222222222').map(([id]) => id));
    for (const [, r] of allStatementsOf('222222222222')) expect((r.DependsOn ?? []).filter((d) => ids.has(d))).toEqual([]);
  });

  test("the provider may read and change resource policies of this account's streams and tables only, with one statement whatever the number of sources", () => {
    const statements = ofType(stacks.sources.get(sourceStackName('222222222222'))!, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s: any) => JSON.stringify(s.Action).includes('dynamodb:'))).toEqual([
      {
        Sid: 'MergeDdbAuditStatement',
        Effect: 'Allow',
        Action: ['dynamodb:GetResourcePolicy', 'dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy'],
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:222222222222:table/*/stream/*']] },
          // The watch's DescribeTable statements go on the tables' own policies.
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:222222222222:table/*']] },
        ],
      },
    ]);
  });
});

describe('event source mappings', () => {
  const mappings = () => [...stacks.mappings.values()].flatMap((stack) => ofType(stack, 'AWS::Lambda::EventSourceMapping'));
  const mappingFor = (arn: string) => mappings().find(([, r]) => r.Properties.EventSourceArn === arn)![1];

  test('one per configured stream, reading from the trim horizon with partial-batch responses and bisect', () => {
    expect(mappings().map(([, r]) => r.Properties.EventSourceArn).sort()).toEqual(Object.values(streams).sort());
    for (const [, mapping] of mappings()) {
      expect(mapping.Properties).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumBatchingWindowInSeconds: 5,
        ParallelizationFactor: 1,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 43200,
      });
    }
  });

  test('take the global tuning unless a source overrides it', () => {
    expect(mappingFor(streams.orders).Properties.BatchSize).toBe(500);
    expect(mappingFor(streams.payments).Properties.BatchSize).toBe(100);
  });

  test('send discarded batches to the failure bucket, never the change log', () => {
    const destination = JSON.stringify(mappingFor(streams.orders).Properties.DestinationConfig.OnFailure.Destination);
    expect(destination).toContain('MappingFailures');
    expect(destination).not.toContain('ChangeLog');
  });

  test('each account\'s mappings are in its own stack', () => {
    const arnsOf = (account: string) => ofType(stacks.mappings.get(mappingsStackName(account))!, 'AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties.EventSourceArn).sort();
    expect(arnsOf('222222222222')).toEqual([streams.customers, streams.orders]);
    expect(arnsOf('033333333333')).toEqual([streams.payments]);
  });

  test('carry no IAM of their own: the collector\'s stream-read grant is a constant set of patterns in the audit stack', () => {
    for (const stack of stacks.mappings.values()) expect(ofType(stack, 'AWS::IAM::Policy')).toEqual([]);
    const [[, policy]] = ofType(stacks.audit, 'AWS::IAM::Policy').filter(([id]) => id.includes('StreamReadPolicy')) as [[string, Resource]];
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const stream = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:*:table/*/stream/*']] };
    expect(statements.map((s) => s.Sid)).toEqual(['ListStreams', 'ReadSourceStreams', 'DenyOwnAccountStreams', 'DecryptSourceStreams']);
    expect(statements[1]).toEqual({ Sid: 'ReadSourceStreams', Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: stream });
    // The audit account's own streams are denied, except the heartbeat's.
    expect(statements[2]).toMatchObject({ Effect: 'Deny', Condition: { StringEquals: { 'aws:ResourceAccount': config.auditAccountId } } });
    expect(JSON.stringify(statements[2].NotResource)).toContain(':dynamodb:eu-west-1:111111111111:table/ddb-audit-heartbeat/stream/*');
    // As CDK's own stream-read grant: Decrypt + DescribeKey, and no kms:ViaService condition,
    // whose value for stream reads is documented nowhere (a wrong one would stop collection).
    expect(statements[3]).toEqual({ Sid: 'DecryptSourceStreams', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:eu-west-1:*:key/*']] } });
    // No Deny on the audit account's keys: Lambda decrypts the function's environment as this role.
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Action).includes('kms:'))).toBe(false);
    expect(policy.Properties.Roles).toHaveLength(1);
  });
});
