/**
 * The stream watch's deployment, read from templates the real CDK synthesizes: the schedule, the
 * role's policy (the same with 1 and 500 sources), the alarms on the handler's own log line and on
 * its errors, every environment variable the handler reads (the source list in a layer file, never
 * in the environment or the bundle), gap delivery to every delivery stream, and on the source side
 * the stream statement naming both roles and the table statement granting DescribeTable to the
 * watch role only, within the source stack's resource bound.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ResolvedSource } from '../../lib/config/load';
import { findConfigProblems } from '../../lib/config/validate';
import { PipelineAlarms } from '../../lib/constructs/pipeline-alarms';
import { StreamWatch, UNHEALTHY_SOURCE_LOG_METRIC, WATCH_FUNCTION_NAME, WATCH_SOURCES_FILE, WATCH_SOURCES_LAYER_PATH, watchTimeoutSeconds } from '../../lib/constructs/stream-watch';
import { SourceAccountStack } from '../../lib/source-account-stack';
import { SOURCES_PER_SOURCE_STACK, STACK_RESOURCE_BUDGET } from '../../lib/stack-chunks';
import { DELIVERY_STREAM_NAME_PREFIX } from '../../lambda/core/delivery-routing';
import { COLLECTOR_STREAM_SID, collectorRoleArn, STREAM_READ_ACTIONS, WATCH_TABLE_SID, watchRoleArn } from '../../lib/stream-policy';
import { parseStreamArn } from '../../lambda/core/stream-arn';
import { RESOURCE_POLICY_STATEMENT_TYPE } from '../../lambda/resource-policy/contract';
import { ALLOWED_STATEMENTS_ENV } from '../../lambda/resource-policy/statement-bounds';
import { UNHEALTHY_SOURCE_LOG_PREFIX } from '../../lambda/watch/telemetry';
import { EVENT_SOURCE_DEFAULTS } from '../../schemas/audit-config';
import { WATCH_STACK_OUTPUT } from '../../schemas/deployment';
import { buildTestApp, exampleConfig } from '../support/audit-app';

type Resource = { Type: string; Properties: any; DependsOn?: string[] };

const AUDIT = '111111111111';
const SOURCE = '222222222222';
const REGION = 'eu-west-1';
const COLLECTOR = collectorRoleArn({ auditAccountId: AUDIT, region: REGION });
const WATCH = watchRoleArn({ auditAccountId: AUDIT, region: REGION });

function streamArns(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `arn:aws:dynamodb:${REGION}:${SOURCE}:table/Table${String(i).padStart(4, '0')}/stream/2026-01-15T10:00:00.000`);
}

function sources(count: number): ResolvedSource[] {
  return streamArns(count).map((streamArn) => ({ config: { streamArn }, arn: parseStreamArn(streamArn)!, tuning: { ...EVENT_SOURCE_DEFAULTS } }));
}

/** An audit-side stack holding the watch alone (its neighbours as the audit stack gives them). */
function watchStack(count: number, intervalMinutes = 5, deliveryStreamCount = 1): { stack: Stack; watch: StreamWatch; resources: Record<string, Resource> } {
  const stack = new Stack(new App(), `Watch${count}`, { env: { account: AUDIT, region: REGION } });
  const key = new kms.Key(stack, 'Key');
  const bucket = new s3.Bucket(stack, 'ChangeLog');
  const deliveryStream = new firehose.DeliveryStream(stack, 'Stream', { destination: new firehose.S3Bucket(bucket) });
  const alarms = new PipelineAlarms(stack, 'Alarms', {
    key,
    collector: new lambda.Function(stack, 'Collector', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') }),
    collectorLogGroup: new logs.LogGroup(stack, 'CollectorLogs'),
    deliveryStreams: [deliveryStream],
    bufferIntervalSeconds: 300,
    failureBucket: bucket,
  });
  const watch = new StreamWatch(stack, 'Watch', { streamArns: streamArns(count), intervalMinutes, maxCallsPerSecond: 50, deliveryStream, deliveryStreamCount, overflowBucket: bucket, key, alarmTopic: alarms.topic });
  return { stack, watch, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Resource> };
}

const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const watchPolicy = (resources: Record<string, Resource>) => ofType(resources, 'AWS::IAM::Policy').find(([id]) => id.startsWith('WatchPolicy'))![1].Properties;

let one: ReturnType<typeof watchStack>;
let many: ReturnType<typeof watchStack>;

beforeAll(() => {
  one = watchStack(1);
  many = watchStack(500);
});

describe('the watch in the audit account', () => {
  test('runs on an EventBridge Scheduler rate of watch.intervalMinutes, invoking only the watch function with the scheduled time', () => {
    const [[, schedule]] = ofType(one.resources, 'AWS::Scheduler::Schedule') as [[string, Resource]];
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ time: '<aws.scheduler.scheduled-time>' });
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WatchFunction/), 'Arn'] });
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    const schedulerRole = ofType(one.resources, 'AWS::IAM::Role').find(([id]) => id.startsWith('WatchSchedulerRole'))![1];
    expect(schedulerRole.Properties.Policies[0].PolicyDocument.Statement).toEqual([
      { Sid: 'InvokeWatch', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WatchFunction/), 'Arn'] } },
    ]);
    const [everyMinute] = Object.values(Template.fromStack(watchStack(1, 1).stack).findResources('AWS::Scheduler::Schedule')) as Resource[];
    expect(everyMinute!.Properties.ScheduleExpression).toBe('rate(1 minute)');
  });

  test('runs as the fixed role ddb-audit-watch-<region> that the source policies name, with a timeout that ends each run before the next', () => {
    const [[, role]] = ofType(one.resources, 'AWS::IAM::Role').filter(([id]) => id.startsWith('WatchRole')) as [[string, Resource]];
    expect(role.Properties.RoleName).toBe(`ddb-audit-watch-${REGION}`);
    expect(WATCH.endsWith(`:role/${role.Properties.RoleName}`)).toBe(true);
    const fn = ofType(one.resources, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === WATCH_FUNCTION_NAME)![1];
    expect(fn.Properties.Timeout).toBe(270);
    expect(watchTimeoutSeconds(15)).toBe(810);
    const [[, invokeConfig]] = ofType(one.resources, 'AWS::Lambda::EventInvokeConfig') as [[string, Resource]];
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(0);
  });

  test('sets every environment variable the handler reads, the same with 500 sources as with one', () => {
    const fn = ofType(one.resources, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === WATCH_FUNCTION_NAME)![1];
    const env = fn.Properties.Environment.Variables;
    // lambda/watch/watch-environment.ts reads these; the source list is a file in the layer.
    expect(Object.keys(env).sort()).toEqual(
      ['COLLECTOR_FUNCTION_NAME', 'DELIVERY_STREAM_COUNT', 'DELIVERY_STREAM_NAME', 'DELIVERY_STREAM_PREFIX', 'INTERVAL_MINUTES', 'MAX_CALLS_PER_SECOND', 'NODE_OPTIONS', 'OVERFLOW_BUCKET', 'OVERFLOW_PREFIX', 'STATE_BUCKET', 'WATCH_SOURCES_FILE'].sort(),
    );
    expect(env).toMatchObject({ COLLECTOR_FUNCTION_NAME: 'ddb-audit-collector', INTERVAL_MINUTES: '5', MAX_CALLS_PER_SECOND: '50', OVERFLOW_PREFIX: 'overflow/', WATCH_SOURCES_FILE: '/opt/ddb-audit/watch-sources.json' });
    expect(env).toMatchObject({ DELIVERY_STREAM_PREFIX: DELIVERY_STREAM_NAME_PREFIX, DELIVERY_STREAM_COUNT: '1' });
    expect(env.DELIVERY_STREAM_NAME).toEqual({ Ref: expect.stringMatching(/^Stream/) });
    expect(env.STATE_BUCKET).toEqual({ Ref: expect.stringMatching(/^WatchState/) });
    const manyEnv = ofType(many.resources, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === WATCH_FUNCTION_NAME)![1].Properties.Environment.Variables;
    expect(manyEnv).toEqual(env);
    const fourStreams = watchStack(1, 5, 4);
    const fourEnv = ofType(fourStreams.resources, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === WATCH_FUNCTION_NAME)![1].Properties.Environment.Variables;
    expect(fourEnv.DELIVERY_STREAM_COUNT).toBe('4');
  });

  test('deploys the source list as a JSON file in its layer, in config order, and nowhere in the bundle', () => {
    const fn = ofType(many.resources, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === WATCH_FUNCTION_NAME)![1];
    expect(fn.Properties.Layers).toEqual([{ Ref: expect.stringMatching(/^WatchSources/) }]);
    expect(WATCH_SOURCES_FILE).toBe(`/opt/${WATCH_SOURCES_LAYER_PATH}`);
    // The layer's and the function's asset folders, as CDK staged them (asset.<hash>, the hash in the S3 key).
    const outdir = (many.stack.node.root as App).outdir;
    const assetDir = (code: { S3Key: string }) => join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const [, layer] = ofType(many.resources, 'AWS::Lambda::LayerVersion').find(([id]) => id.startsWith('WatchSources'))!;
    expect(JSON.parse(readFileSync(join(assetDir(layer.Properties.Content), WATCH_SOURCES_LAYER_PATH), 'utf8'))).toEqual(streamArns(500));
    // The function's bundle holds no stream ARN (nothing inlined with esbuild define).
    const fnAsset = assetDir(fn.Properties.Code);
    expect(existsSync(fnAsset)).toBe(true);
    const bundle = readdirSync(fnAsset).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(fnAsset, f), 'utf8')).join('');
    expect(bundle).toContain('WATCH_SOURCES_FILE');
    expect(bundle).not.toContain('Table0000/stream/');
  });

  test('keeps its state in a versioned, KMS-encrypted bucket of its own whose old versions expire', () => {
    const [, bucket] = ofType(one.resources, 'AWS::S3::Bucket').find(([id]) => id.startsWith('WatchState'))!;
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 7 });
    // No access logs into another stack's bucket (that would need an unconditioned logging.s3 grant there).
    expect(bucket.Properties.LoggingConfiguration).toBeUndefined();
  });

  test('holds the same role policy with 500 sources as with one: constant size, region-scoped patterns, no stream reads', () => {
    expect(JSON.stringify(one.stack.resolve(watchPolicy(many.resources)))).toEqual(JSON.stringify(one.stack.resolve(watchPolicy(one.resources))));
    const statements = watchPolicy(one.resources).PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const pattern = (tail: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:*:table/${tail}`]] });
    expect(bySid.DescribeSourceTables).toMatchObject({ Action: 'dynamodb:DescribeTable', Resource: pattern('*') });
    expect(bySid.DescribeSourceStreams).toMatchObject({ Action: 'dynamodb:DescribeStream', Resource: pattern('*/stream/*') });
    expect(bySid.ListCollectorMappings).toMatchObject({ Action: 'lambda:ListEventSourceMappings', Resource: '*' });
    // Every delivery stream: stream 0 by ARN, the others by their fixed prefix (as the collector's grant).
    expect(bySid.DeliverGapRecords).toMatchObject({
      Action: 'firehose:PutRecordBatch',
      Resource: [
        { 'Fn::GetAtt': [expect.stringMatching(/^Stream/), 'Arn'] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:firehose:${REGION}:${AUDIT}:deliverystream/${DELIVERY_STREAM_NAME_PREFIX}*`]] },
      ],
    });
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).not.toContain('dynamodb:GetRecords');
    expect(actions).not.toContain('dynamodb:GetShardIterator');
    expect(JSON.stringify(watchPolicy(one.resources)).length).toBeLessThan(3000);
  });

  test("alarms on the handler's DDB_AUDIT_SOURCE_UNHEALTHY log line and on the function's errors, both to the alarm topic", () => {
    const [[, filter]] = ofType(one.resources, 'AWS::Logs::MetricFilter').filter(([id]) => id.startsWith('Watch')) as [[string, Resource]];
    expect(filter.Properties.FilterPattern).toBe(`{ $.message = "${UNHEALTHY_SOURCE_LOG_PREFIX}" }`);
    expect(filter.Properties.LogGroupName).toEqual({ Ref: expect.stringMatching(/^WatchLogs/) });
    const alarms = Object.fromEntries(ofType(one.resources, 'AWS::CloudWatch::Alarm').map(([, r]) => [r.Properties.AlarmName, r.Properties]));
    expect(alarms['ddb-audit-WatchUnhealthySources']).toMatchObject({ MetricName: UNHEALTHY_SOURCE_LOG_METRIC, Threshold: 1, AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }] });
    expect(alarms['ddb-audit-WatchUnhealthySources'].AlarmDescription).toContain(`--filter-pattern ${UNHEALTHY_SOURCE_LOG_PREFIX}`);
    expect(alarms['ddb-audit-WatchErrors']).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^WatchFunction/) } }] });
  });

  test('refuses an interval the function could not finish inside, naming what it got', () => {
    expect(() => watchStack(1, 16)).toThrow('StreamWatch: intervalMinutes must be an integer from 1 to 15, got 16');
  });
});

describe('the watch config keys', () => {
  const base = () => exampleConfig() as any;
  test('accepts watch.enabled, intervalMinutes and maxCallsPerSecond in range and refuses them out of range, naming the key', () => {
    expect(findConfigProblems({ ...base(), watch: { enabled: false, intervalMinutes: 15, maxCallsPerSecond: 250 } })).toEqual([]);
    expect(findConfigProblems({ ...base(), watch: { intervalMinutes: 16 } }).join('\n')).toMatch(/watch\.intervalMinutes/);
    expect(findConfigProblems({ ...base(), watch: { maxCallsPerSecond: 0 } }).join('\n')).toMatch(/watch\.maxCallsPerSecond/);
    expect(findConfigProblems({ ...base(), watch: { interval: 5 } }).join('\n')).toMatch(/watch/);
  });

  test('the app deploys the watch by default and names its role in the source stacks; watch.enabled false leaves both out', () => {
    const on = buildTestApp(exampleConfig()).stacks;
    expect(on.watch?.stackName).toBe('DdbAuditWatch');
    // Every source stack waits for the watch stack: its statements name the watch role, which must exist first.
    for (const stack of on.sources.values()) expect(stack.dependencies).toContain(on.watch);
    for (const stack of on.sources.values()) expect(stack.tablePolicies.length).toBeGreaterThan(0);
    const off = buildTestApp({ ...exampleConfig(), watch: { enabled: false } }).stacks;
    expect(off.watch).toBeUndefined();
    for (const stack of off.sources.values()) {
      expect(stack.tablePolicies).toEqual([]);
      for (const p of stack.streamPolicies) expect(p.policyStatement.Principal).toEqual({ AWS: collectorRoleArn({ auditAccountId: exampleConfig().auditAccountId, region: exampleConfig().region }) });
    }
  });
});

describe('the watch stack outputs', () => {
  test('outputs the state bucket under WatchStateBucketName, the name doctor reads (the bucket of the watch function\'s STATE_BUCKET)', () => {
    const { watch } = buildTestApp(exampleConfig()).stacks;
    const template = Template.fromStack(watch!).toJSON();
    const output = template.Outputs?.[WATCH_STACK_OUTPUT.stateBucket];
    expect(WATCH_STACK_OUTPUT.stateBucket).toBe('WatchStateBucketName');
    expect(output?.Value).toEqual({ Ref: watch!.getLogicalId(watch!.watch.stateBucket.node.defaultChild as s3.CfnBucket) });
    const fn = Object.values(template.Resources as Record<string, Resource>).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === WATCH_FUNCTION_NAME);
    expect(fn?.Properties.Environment.Variables.STATE_BUCKET).toEqual(output?.Value);
  });
});

describe('the watch on the source side', () => {
  const sourceStack = (count: number, watch = true) =>
    new SourceAccountStack(new App(), `Source${count}`, { env: { account: SOURCE, region: REGION }, sources: sources(count), collectorRoleArn: COLLECTOR, watchRoleArn: watch ? WATCH : undefined });

  test('names both roles in the stream statement and grants DescribeTable to the watch role only on each table, through the one provider', () => {
    const resources = Template.fromStack(sourceStack(2)).toJSON().Resources as Record<string, Resource>;
    const statements = ofType(resources, RESOURCE_POLICY_STATEMENT_TYPE).map(([, r]) => ({ arn: r.Properties.ResourceArn as string, statement: JSON.parse(r.Properties.Statement) }));
    const table0 = `arn:aws:dynamodb:${REGION}:${SOURCE}:table/Table0000`;
    expect(statements).toEqual(
      expect.arrayContaining([
        { arn: streamArns(1)[0], statement: { Sid: COLLECTOR_STREAM_SID, Effect: 'Allow', Principal: { AWS: [COLLECTOR, WATCH] }, Action: [...STREAM_READ_ACTIONS], Resource: streamArns(1)[0] } },
        { arn: table0, statement: { Sid: WATCH_TABLE_SID, Effect: 'Allow', Principal: { AWS: WATCH }, Action: ['dynamodb:DescribeTable'], Resource: table0 } },
      ]),
    );
    expect(statements).toHaveLength(4);
    const fn = ofType(resources, 'AWS::Lambda::Function')[0]![1];
    expect(JSON.parse(fn.Properties.Environment.Variables[ALLOWED_STATEMENTS_ENV])).toEqual([
      { sid: COLLECTOR_STREAM_SID, principals: [COLLECTOR, WATCH], actions: [...STREAM_READ_ACTIONS] },
      { sid: WATCH_TABLE_SID, principals: [WATCH], actions: ['dynamodb:DescribeTable'] },
    ]);
    const grant = ofType(resources, 'AWS::IAM::Policy')[0]![1].Properties.PolicyDocument.Statement[0].Resource;
    expect(grant).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:${SOURCE}:table/*/stream/*`]] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${REGION}:${SOURCE}:table/*`]] },
    ]);
  });

  test(`holds a full chunk of ${SOURCES_PER_SOURCE_STACK} sources (two statements each) within the ${STACK_RESOURCE_BUDGET}-resource budget`, () => {
    const resources = Template.fromStack(sourceStack(SOURCES_PER_SOURCE_STACK)).toJSON().Resources as Record<string, Resource>;
    expect(ofType(resources, RESOURCE_POLICY_STATEMENT_TYPE)).toHaveLength(2 * SOURCES_PER_SOURCE_STACK);
    expect(Object.keys(resources).length + 1).toBeLessThanOrEqual(STACK_RESOURCE_BUDGET); // + CDK's metadata resource, off in tests
    expect(SOURCES_PER_SOURCE_STACK).toBe(197);
  });

  test("refuses, in one line, a source stack built directly past CloudFormation's 500 resources", () => {
    // 248 sources x 2 + 5 = 501.
    expect(() => sourceStack(248)).toThrow("Source248: 248 sources need 501 resources (2 per source: stream and table statements, plus 5), over CloudFormation's 500 per stack; at most 247 sources in one source stack");
    expect(() => sourceStack(247)).not.toThrow();
    // Without the watch, one statement per source.
    expect(() => sourceStack(480, false)).not.toThrow();
    expect(() => sourceStack(496, false)).toThrow("Source496: 496 sources need 501 resources (1 per source, plus 5), over CloudFormation's 500 per stack; at most 495 sources in one source stack");
  });
});
