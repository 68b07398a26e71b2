/**
 * `ddb-audit doctor` against a mocked installation. No local peer exists for the APIs doctor reads
 * (CloudFormation, SNS, DynamoDB Streams DescribeStream, Lambda ListEventSourceMappings, Firehose
 * DescribeDeliveryStream, CloudWatch GetMetricData, Glue, Athena; S3 listing of the change log; the
 * watch's state object in the bucket its stack's output names: the local S3 peer has no stacks),
 * so every call is answered by aws-sdk-client-mock with replies shaped as the API references give
 * them. The clients themselves are the real SDK clients made by createDoctorClients, with static
 * test credentials from the environment.
 *
 * Each failing installation changes one reply of the passing one and asserts the line that names it.
 */
import { AthenaClient, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetPartitionsCommand, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { LambdaClient, ListEventSourceMappingsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glueDataColumns, gluePartitionKeys } from '../../schemas/derive';
import { AUDIT_STACK_OUTPUT } from '../../schemas/deployment';
import { run as doctor } from '../../bin/commands/doctor';
import { mapBounded } from '../../cli/doctor/concurrency';
import { renderText, type CheckLine } from '../../cli/doctor/result';
import { retentionOf } from '../../cli/doctor/checks/digest';
import { processingResultVerdict } from '../../cli/doctor/checks/mappings';
import { stackStatusVerdict } from '../../cli/doctor/checks/stacks';
import { captureIo } from '../support/capture-io';
import { WATCH_STATE_KEY, type SourceState, type WatchState } from '../../lambda/watch/watch-state';
import { shardCount } from '../../lambda/watch/check-sources';

const NOW = new Date('2026-03-10T10:40:00Z');
const AUDIT = '111111111111';
const REGION = 'eu-west-1';
const HEARTBEAT_STREAM = `arn:aws:dynamodb:${REGION}:${AUDIT}:table/ddb-audit-heartbeat/stream/2026-03-01T00:00:00.000`;
const streamOf = (i: number, label = '2026-01-15T10:00:00.000') => `arn:aws:dynamodb:${REGION}:${String(222222222222 + (i % 3)).padStart(12, '0')}:table/Table${i}/stream/${label}`;

const OUTPUTS: Record<string, string> = {
  [AUDIT_STACK_OUTPUT.changeLogBucket]: 'changelog',
  [AUDIT_STACK_OUTPUT.failureBucket]: 'failures',
  [AUDIT_STACK_OUTPUT.deliveryStreams]: 'ddb-audit-changes',
  [AUDIT_STACK_OUTPUT.athenaWorkgroup]: 'ddb-audit',
  [AUDIT_STACK_OUTPUT.glueTable]: 'ddb_audit.audit_changes',
  [AUDIT_STACK_OUTPUT.digestKeyArn]: `arn:aws:kms:${REGION}:${AUDIT}:key/k`,
  [AUDIT_STACK_OUTPUT.alarmTopicArn]: `arn:aws:sns:${REGION}:${AUDIT}:alarms`,
  [AUDIT_STACK_OUTPUT.collectorFunction]: 'ddb-audit-collector',
  [AUDIT_STACK_OUTPUT.heartbeatTable]: 'ddb-audit-heartbeat',
};

const stack = (name: string, status: string, outputs: Record<string, string> = {}): Stack => ({
  StackName: name,
  StackId: `arn:aws:cloudformation:${REGION}:${AUDIT}:stack/${name}/0b5e`,
  StackStatus: status as Stack['StackStatus'],
  CreationTime: new Date('2026-03-01T00:00:00Z'),
  Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
});

const WATCH_STATE_BUCKET = 'ddb-audit-watch-state';
const tableOf = (i: number) => streamOf(i).split('/stream/')[0] as string;
const healthySource = (i: number): SourceState => ({
  tableArn: tableOf(i),
  configuredStreamArn: streamOf(i),
  latestStreamArn: streamOf(i),
  health: 'healthy',
  problems: [],
  unknownReasons: [],
  streamStatus: 'ENABLED',
  mappingState: 'Enabled',
  command: null,
  checkedAt: new Date(NOW.getTime() - 3 * 60_000).toISOString(),
  lastHealthyAt: new Date(NOW.getTime() - 3 * 60_000).toISOString(),
  openGap: null,
});
/** The state a run 3 minutes ago wrote, every source healthy (lambda/watch/watch-state.ts). */
const watchStateOf = (sourceCount: number): WatchState => ({
  version: 1,
  updatedAt: new Date(NOW.getTime() - 3 * 60_000).toISOString(),
  sources: Object.fromEntries(Array.from({ length: sourceCount }, (_, i) => [tableOf(i), healthySource(i)])),
});

const TOPIC_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'EnforceSSL', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: OUTPUTS.AlarmTopicArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Sid: 'CloudWatchAlarms', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: OUTPUTS.AlarmTopicArn, Condition: { StringEquals: { 'aws:SourceAccount': AUDIT } } },
    { Sid: 'FailureRule', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['sns:Publish'], Resource: OUTPUTS.AlarmTopicArn, Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:${REGION}:${AUDIT}:rule/r` } } },
  ],
};

const digestDocument = (objects: unknown[]) => ({
  format: 'ddb-audit/log-digest/v1',
  hour_start: '2026-03-10T09:00:00.000Z',
  hour_end: '2026-03-10T10:00:00.000Z',
  created_at: '2026-03-10T10:15:04.000Z',
  log_location: 's3://changelog',
  changes_prefix: 'changes/',
  previous_digest: { key: 'digests/2026/03/10/08.json', sha256: 'a'.repeat(64) },
  object_count: objects.length,
  total_bytes: 0,
  objects,
  signing: { algorithm: 'ECDSA_SHA_256', public_key_sha256: 'b'.repeat(64), kms_key_id: OUTPUTS.DigestSigningKeyArn },
});
const lockedEntry = (key: string) => ({ key, size: 10, sha256: 'c'.repeat(64), last_modified: '2026-03-10T09:10:00.000Z', late: false, object_lock_mode: 'GOVERNANCE', object_lock_retain_until: '2027-03-10T09:10:00.000Z' });

/** The replies of a healthy installation, each one a value a failing case may replace. */
interface Installation {
  sourceCount: number;
  stacks: Record<string, Stack | undefined>;
  topicPolicy: unknown;
  describeStream: (arn: string) => { StreamStatus?: string; StreamViewType?: string } | Error;
  mappings: EventSourceMappingConfiguration[];
  deliveryStatus: string;
  successValues: number[];
  heartbeatLastModified: Date | undefined;
  digestHours: string[];
  digest: unknown;
  glueTable: 'present' | 'missing' | 'retyped';
  /** The table properties (as the catalog construct writes them). */
  tableParameters: Record<string, string>;
  /** Partition folders in S3, "account_id=…/table_name=…/dt=…", with the age in minutes of each one's first object. */
  partitionsInS3: Map<string, number>;
  /** The partitions Glue has registered, as the same folder names. */
  registered: Set<string>;
  workgroup: 'healthy' | 'missing' | 'disabled';
  /** The watch's state object as stored (a string is written as is); undefined: no such key. */
  watchState: WatchState | string | undefined;
  /** The config's watch key; undefined leaves the defaults (enabled, every 5 minutes). */
  watchConfig?: Record<string, unknown>;
}

/** One mappings stack per source account of streamOf(), and one more per 300 of its tables (lib/stack-chunks.ts). */
function mappingsStacks(sourceCount: number): Record<string, Stack> {
  const stacks: Record<string, Stack> = {};
  for (let a = 0; a < Math.min(sourceCount, 3); a++) {
    const tables = Math.floor(sourceCount / 3) + (a < sourceCount % 3 ? 1 : 0);
    for (let chunk = 0; chunk * 300 < tables; chunk++) {
      const name = `DdbAuditMappings-${222222222222 + a}${chunk === 0 ? '' : `-${chunk}`}`;
      stacks[name] = stack(name, 'CREATE_COMPLETE');
    }
  }
  return stacks;
}

function healthy(sourceCount = 3): Installation {
  const streams = Array.from({ length: sourceCount }, (_, i) => streamOf(i));
  // Yesterday's and today's partition of every source and of the heartbeat, plus an older day doctor does not compare.
  const sources = [...streams.map((a) => `account_id=${a.split(':')[4]}/table_name=${a.split('/')[1]}`), `account_id=${AUDIT}/table_name=ddb-audit-heartbeat`];
  const partitions = new Map(sources.flatMap((s) => ['2026-03-08', '2026-03-09', '2026-03-10'].map((dt) => [`${s}/dt=${dt}`, 60] as const)));
  return {
    sourceCount,
    stacks: { DdbAuditCollector: stack('DdbAuditCollector', 'UPDATE_COMPLETE', OUTPUTS), DdbAuditWatch: stack('DdbAuditWatch', 'UPDATE_COMPLETE', { WatchStateBucketName: WATCH_STATE_BUCKET }), ...mappingsStacks(sourceCount) },
    topicPolicy: TOPIC_POLICY,
    describeStream: () => ({ StreamStatus: 'ENABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' }),
    mappings: [...streams, HEARTBEAT_STREAM].map((arn, i) => ({ UUID: `uuid-${i}`, EventSourceArn: arn, State: 'Enabled', LastProcessingResult: i % 2 === 0 ? 'OK' : 'No records processed' })),
    deliveryStatus: 'ACTIVE',
    successValues: [1, 1, 1, 1],
    heartbeatLastModified: new Date(NOW.getTime() - 6 * 60_000),
    digestHours: ['07', '08', '09'],
    digest: digestDocument([lockedEntry('changes/account_id=222222222222/table_name=Table0/dt=2026-03-10/a.parquet')]),
    glueTable: 'present',
    tableParameters: { 'partition_filtering.enabled': 'true' },
    partitionsInS3: partitions,
    registered: new Set(partitions.keys()),
    workgroup: 'healthy',
    watchState: watchStateOf(sourceCount),
  };
}

const mocks = {
  cfn: mockClient(CloudFormationClient),
  sns: mockClient(SNSClient),
  streams: mockClient(DynamoDBStreamsClient),
  lambda: mockClient(LambdaClient),
  firehose: mockClient(FirehoseClient),
  cloudWatch: mockClient(CloudWatchClient),
  s3: mockClient(S3Client),
  glue: mockClient(GlueClient),
  athena: mockClient(AthenaClient),
};

const awsError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

function install(installation: Installation): { inFlight: { max: number } } {
  for (const m of Object.values(mocks)) m.reset();
  const inFlight = { now: 0, max: 0 };
  mocks.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    const found = installation.stacks[input.StackName];
    if (!found) throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    return { Stacks: [found] };
  });
  mocks.sns.on(GetTopicAttributesCommand).callsFake(() => ({ Attributes: { TopicArn: OUTPUTS.AlarmTopicArn, Policy: JSON.stringify(installation.topicPolicy) } }));
  mocks.streams.on(DescribeStreamCommand).callsFake(async (input: { StreamArn: string; Limit?: number }) => {
    expect(input.Limit).toBe(1);
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    await new Promise((r) => setImmediate(r));
    inFlight.now--;
    const reply = installation.describeStream(input.StreamArn);
    if (reply instanceof Error) throw reply;
    return { StreamDescription: { StreamArn: input.StreamArn, ...reply, Shards: [] } };
  });
  // Pages of 100, as MaxItems asks, linked by Marker.
  mocks.lambda.on(ListEventSourceMappingsCommand).callsFake((input: { FunctionName: string; Marker?: string; MaxItems?: number }) => {
    expect(input.FunctionName).toBe('ddb-audit-collector');
    const start = Number(input.Marker ?? 0);
    const size = input.MaxItems ?? 100;
    const page = installation.mappings.slice(start, start + size);
    return { EventSourceMappings: page, ...(start + size < installation.mappings.length ? { NextMarker: String(start + size) } : {}) };
  });
  mocks.firehose.on(DescribeDeliveryStreamCommand).callsFake((input: { DeliveryStreamName: string }) => ({ DeliveryStreamDescription: { DeliveryStreamName: input.DeliveryStreamName, DeliveryStreamStatus: installation.deliveryStatus } }));
  mocks.cloudWatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string; MetricStat: { Metric: { MetricName: string; Namespace: string } } }[] }) => {
    expect(input.MetricDataQueries.map((q) => [q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName])).toEqual([['AWS/Firehose', 'DeliveryToS3.Success']]);
    return { MetricDataResults: [{ Id: 's0', Label: 'DeliveryToS3.Success', StatusCode: 'Complete', Timestamps: installation.successValues.map(() => NOW), Values: installation.successValues }] };
  });
  mocks.s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string; Delimiter?: string; StartAfter?: string; MaxKeys?: number }) => {
    expect(input.Bucket).toBe('changelog');
    if (input.Delimiter === '/') {
      // One level of the Hive layout: the sub-folders of Prefix, after StartAfter.
      const children = new Set<string>();
      for (const path of installation.partitionsInS3.keys()) {
        const key = `changes/${path}/`;
        if (!key.startsWith(input.Prefix)) continue;
        const child = `${input.Prefix}${key.slice(input.Prefix.length).split('/')[0]}/`;
        if (input.StartAfter === undefined || child > input.StartAfter) children.add(child);
      }
      return { CommonPrefixes: [...children].sort().map((Prefix) => ({ Prefix })), IsTruncated: false };
    }
    const partition = installation.partitionsInS3.get(input.Prefix.replace(/^changes\//, '').replace(/\/$/, ''));
    if (input.MaxKeys === 1 && partition !== undefined) return { Contents: [{ Key: `${input.Prefix}ddb-audit-changes-1.parquet`, LastModified: new Date(NOW.getTime() - partition * 60_000) }], IsTruncated: false };
    if (input.Prefix === `changes/account_id=${AUDIT}/table_name=ddb-audit-heartbeat/dt=2026-03-10/`) {
      return { Contents: installation.heartbeatLastModified ? [{ Key: `${input.Prefix}ddb-audit-changes-1.parquet`, LastModified: installation.heartbeatLastModified }] : [], IsTruncated: false };
    }
    if (input.Prefix === 'digests/2026/03/10/') return { Contents: installation.digestHours.flatMap((h) => [{ Key: `digests/2026/03/10/${h}.json` }, { Key: `digests/2026/03/10/${h}.json.sig` }]), IsTruncated: false };
    return { Contents: [], IsTruncated: false };
  });
  mocks.s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    if (input.Bucket === WATCH_STATE_BUCKET) {
      if (input.Key !== WATCH_STATE_KEY || installation.watchState === undefined) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      const text = typeof installation.watchState === 'string' ? installation.watchState : JSON.stringify(installation.watchState);
      return { Body: { transformToString: async () => text } as never };
    }
    expect(input.Bucket).toBe('changelog');
    const newest = installation.digestHours.at(-1);
    if (input.Key !== `digests/2026/03/10/${newest}.json`) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
    const bytes = Buffer.from(JSON.stringify(installation.digest));
    return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } as never };
  });
  mocks.glue.on(GetTableCommand, { DatabaseName: 'ddb_audit', Name: 'audit_changes' }).callsFake(() => {
    if (installation.glueTable === 'missing') throw awsError('EntityNotFoundException', 'Table audit_changes not found.');
    const columns = glueDataColumns().map((c) => ({ Name: c.name, Type: installation.glueTable === 'retyped' && c.name === 'event_time' ? 'string' : c.type }));
    return { Table: { Name: 'audit_changes', DatabaseName: 'ddb_audit', Parameters: installation.tableParameters, StorageDescriptor: { Columns: columns }, PartitionKeys: gluePartitionKeys().map((c) => ({ Name: c.name, Type: c.type })) } };
  });
  mocks.glue.on(GetPartitionsCommand).callsFake((input: { DatabaseName: string; TableName: string; Expression: string }) => {
    expect([input.DatabaseName, input.TableName]).toEqual(['ddb_audit', 'audit_changes']);
    const m = /^account_id = '([^']+)' AND table_name = '([^']+)' AND dt >= '([^']+)'$/.exec(input.Expression);
    if (!m) throw awsError('InvalidInputException', `unexpected expression ${input.Expression}`);
    const [, account, table, since] = m as unknown as [string, string, string, string];
    const dts = [...installation.registered].filter((p) => p.startsWith(`account_id=${account}/table_name=${table}/dt=`)).map((p) => p.split('dt=')[1] as string);
    return { Partitions: dts.filter((dt) => dt >= since).map((dt) => ({ Values: [account, table, dt], StorageDescriptor: { Location: `s3://changelog/changes/account_id=${account}/table_name=${table}/dt=${dt}/` } })) };
  });
  mocks.athena.on(GetWorkGroupCommand, { WorkGroup: 'ddb-audit' }).callsFake(() => {
    if (installation.workgroup === 'missing') throw awsError('InvalidRequestException', 'WorkGroup ddb-audit is not found.');
    return { WorkGroup: { Name: 'ddb-audit', State: installation.workgroup === 'disabled' ? 'DISABLED' : 'ENABLED', Configuration: { EnforceWorkGroupConfiguration: true, ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: OUTPUTS.DigestSigningKeyArn } } } } };
  });
  return { inFlight };
}

let dir: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  // Static test credentials for the default chain: every call is mocked, nothing leaves the machine.
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_PROFILE;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  dir = mkdtempSync(join(tmpdir(), 'ddb-audit-doctor-'));
});
afterAll(() => {
  process.env = savedEnv;
  for (const m of Object.values(mocks)) m.restore();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(sourceCount: number, watch?: Record<string, unknown>): string {
  const path = join(dir, `cdk-${sourceCount}.json`);
  const sources = Array.from({ length: sourceCount }, (_, i) => ({ streamArn: streamOf(i) }));
  writeFileSync(path, JSON.stringify({ context: { audit: { auditAccountId: AUDIT, region: REGION, retention: { mode: 'GOVERNANCE', days: 365 }, sources, ...(watch ? { watch } : {}) } } }));
  return path;
}

async function runDoctor(installation: Installation, extraArgs: string[] = [], afterInstall: () => void = () => undefined) {
  const state = install(installation);
  afterInstall();
  const io = captureIo({ cwd: dir, env: {} });
  const status = await doctor(['--config', writeConfig(installation.sourceCount, installation.watchConfig), ...extraArgs], io, undefined, NOW);
  return { status, out: io.out.join(''), err: io.err.join(''), lines: io.out.join('').trim().split('\n'), inFlight: state.inFlight };
}

describe('ddb-audit doctor on a passing installation', () => {
  it('prints one PASS line per check and exits 0', async () => {
    // Act
    const { status, lines, err } = await runDoctor(healthy());
    // Assess
    expect(err).toBe('');
    expect(lines).toEqual([
      'PASS stack DdbAuditCollector: UPDATE_COMPLETE',
      'PASS stack DdbAuditWatch: UPDATE_COMPLETE',
      'PASS stack DdbAuditMappings-222222222222: CREATE_COMPLETE',
      'PASS stack DdbAuditMappings-222222222223: CREATE_COMPLETE',
      'PASS stack DdbAuditMappings-222222222224: CREATE_COMPLETE',
      'PASS outputs of DdbAuditCollector: all 9 present (stack DdbAuditCollector)',
      'PASS alarm topic lets CloudWatch alarms publish',
      'PASS alarm topic lets the failure-bucket rule publish',
      'PASS 3 of 3 streams ENABLED with NEW_AND_OLD_IMAGES',
      'PASS 4 of 4 event source mappings Enabled with a good last processing result, 3 of 3 onboarded streams mapped',
      'PASS watch state s3://ddb-audit-watch-state/watch/state.json: written 3 minutes ago (runs every 5 minutes)',
      'PASS watched sources: all 3 onboarded sources in the watch state and healthy',
      'PASS delivery stream ddb-audit-changes ACTIVE',
      'PASS delivery stream ddb-audit-changes delivered to S3 in the last hour: 4 five-minute periods with deliveries, all successful',
      'PASS heartbeat lag: newest heartbeat object 6 minutes old',
      'PASS newest digest: hour 2026-03-10T09:00Z (100 minutes ago)',
      'PASS retention of the 1 objects in digest 2026-03-10T09:00Z: all 1 under Object Lock retention',
      `PASS Glue table ddb_audit.audit_changes: ${glueDataColumns().length} columns and 3 partition keys as in schemas/change-record.ts`,
      'PASS Glue table ddb_audit.audit_changes partitions: registered (no projection), with partition filtering enabled',
      'PASS Glue partitions of the last 2 days: all 8 partitions of 4 sources registered',
      'PASS Athena workgroup ddb-audit: ENABLED, configuration enforced, results encrypted (SSE_KMS)',
      'doctor: 21 passed, 0 warnings, 0 failed',
    ]);
    expect(status).toBe(0);
  });

  it('--json prints every line as data with the counts', async () => {
    const { status, out } = await runDoctor(healthy(), ['--json']);
    const report = JSON.parse(out) as { lines: CheckLine[]; counts: Record<string, number> };
    expect(status).toBe(0);
    expect(report.counts).toEqual({ PASS: 21, WARN: 0, FAIL: 0, INFO: 0 });
    expect(new Set(report.lines.map((l) => l.check))).toEqual(new Set(['stacks', 'alarm-topic', 'streams', 'mappings', 'watch', 'delivery', 'heartbeat', 'digest', 'glue', 'partitions', 'athena']));
  });

  it('checks 1,200 sources with at most 8 DescribeStream calls in flight, reads every mapping page, and summarizes in one line', async () => {
    // Act
    const { status, lines, inFlight } = await runDoctor(healthy(1200));
    // Assess
    expect(status).toBe(0);
    expect(lines).toContain('PASS 1200 of 1200 streams ENABLED with NEW_AND_OLD_IMAGES');
    expect(lines).toContain('PASS 1201 of 1201 event source mappings Enabled with a good last processing result, 1200 of 1200 onboarded streams mapped');
    expect(mocks.lambda.commandCalls(ListEventSourceMappingsCommand)).toHaveLength(13);
    expect(inFlight.max).toBeLessThanOrEqual(8);
    expect(inFlight.max).toBeGreaterThan(1);
    expect(lines).toContain('PASS Glue partitions of the last 2 days: all 2402 partitions of 1201 sources registered');
    // One line per stack (the audit stack, and 2 mappings stacks for each account's 400 tables); every per-source check summarized in one.
    expect(lines.filter((l) => l.startsWith('PASS stack DdbAuditMappings-'))).toHaveLength(6);
    // The watch: one GetObject of its state for all 1,200 sources, one line for them.
    expect(lines).toContain('PASS watched sources: all 1200 onboarded sources in the watch state and healthy');
    expect(mocks.s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Bucket === WATCH_STATE_BUCKET)).toHaveLength(1);
    expect(lines).toHaveLength(25);
  });

  it('takes the outputs from --stack-outputs when given', async () => {
    // Prepare: the file's delivery stream differs from the stack's, so its use is visible
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ DdbAuditCollector: { ...OUTPUTS, DeliveryStreamNames: 'from-file' } }));
    // Act
    const { lines } = await runDoctor(healthy(), ['--stack-outputs', 'outputs.json']);
    // Assess
    expect(lines).toContain('PASS outputs of DdbAuditCollector: all 9 present (outputs.json)');
    expect(lines).toContain('PASS delivery stream from-file ACTIVE');
  });
});

type Case = [string, (i: Installation) => void, RegExp, number?];

describe('ddb-audit doctor on failing installations', () => {
  const cases: Case[] = [
    ['the audit stack is missing', (i) => (i.stacks.DdbAuditCollector = undefined), /^FAIL stack DdbAuditCollector: does not exist in this account and region; fix: cdk deploy DdbAuditCollector/],
    ['a mappings stack is ROLLBACK_COMPLETE', (i) => (i.stacks['DdbAuditMappings-222222222223'] = stack('DdbAuditMappings-222222222223', 'ROLLBACK_COMPLETE')), /^FAIL stack DdbAuditMappings-222222222223: ROLLBACK_COMPLETE; fix: the first deploy failed/],
    ['an account\'s mappings stack is missing (e.g. only the old single DdbAuditMappings is deployed)', (i) => (i.stacks['DdbAuditMappings-222222222224'] = undefined), /^FAIL stack DdbAuditMappings-222222222224: does not exist in this account and region; fix: cdk deploy DdbAuditMappings-222222222224/],
    ['an output is missing', (i) => (i.stacks.DdbAuditCollector = stack('DdbAuditCollector', 'UPDATE_COMPLETE', Object.fromEntries(Object.entries(OUTPUTS).filter(([k]) => k !== 'AthenaWorkgroupName')))), /^FAIL outputs of DdbAuditCollector: missing AthenaWorkgroupName/],
    ['the stack is in another account than the config says', (i) => (i.stacks.DdbAuditCollector = { ...stack('DdbAuditCollector', 'UPDATE_COMPLETE', OUTPUTS), StackId: `arn:aws:cloudformation:${REGION}:999999999999:stack/DdbAuditCollector/1` }), /^FAIL audit account: stack DdbAuditCollector is in account 999999999999, but the config's auditAccountId is 111111111111/],
    ['the topic policy does not allow CloudWatch', (i) => (i.topicPolicy = { ...TOPIC_POLICY, Statement: TOPIC_POLICY.Statement.filter((s) => s.Sid !== 'CloudWatchAlarms') }), /^FAIL alarm topic lets CloudWatch alarms publish: no statement .* allows cloudwatch\.amazonaws\.com sns:Publish/],
    ['the topic policy holds only the Deny', (i) => (i.topicPolicy = { ...TOPIC_POLICY, Statement: [TOPIC_POLICY.Statement[0]] }), /^FAIL alarm topic lets the failure-bucket rule publish/],
    ['a stream is DISABLED', (i) => (i.describeStream = (arn) => ({ StreamStatus: arn === streamOf(1) ? 'DISABLED' : 'ENABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' })), new RegExp(`^FAIL stream ${streamOf(1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is DISABLED; fix: changes to this table are not being recorded`)],
    ['a stream is KEYS_ONLY', (i) => (i.describeStream = (arn) => ({ StreamStatus: 'ENABLED', StreamViewType: arn === streamOf(2) ? 'KEYS_ONLY' : 'NEW_AND_OLD_IMAGES' })), /^FAIL stream .*Table2.*: view type KEYS_ONLY: the log gets keys only/],
    ['a stream no longer exists', (i) => (i.describeStream = (arn) => (arn === streamOf(0) ? awsError('ResourceNotFoundException', 'Requested resource not found') : { StreamStatus: 'ENABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' })), /^FAIL stream .*Table0.*: does not exist/],
    ['a mapping is Disabled', (i) => (i.mappings[0] = { ...i.mappings[0], State: 'Disabled', StateTransitionReason: 'USER_INITIATED' }), /^FAIL mapping uuid-0 \(.*Table0.*\): is Disabled \(USER_INITIATED\)/],
    ['a mapping reports a PROBLEM', (i) => (i.mappings[1] = { ...i.mappings[1], LastProcessingResult: 'PROBLEM: Function call failed' }), /^FAIL mapping uuid-1 .*: last processing result: PROBLEM: Function call failed/],
    ['a mapping reads the old stream of a replaced table', (i) => (i.mappings[2] = { ...i.mappings[2], EventSourceArn: streamOf(2, '2025-06-01T00:00:00.000') }), /^FAIL mapping uuid-2 .*2025-06-01.*: reads an old stream of the table; the config onboards .*Table2\/stream\/2026-01-15/],
    ['a mapping reads a stream the config does not onboard', (i) => i.mappings.push({ UUID: 'stray', EventSourceArn: streamOf(7), State: 'Enabled', LastProcessingResult: 'OK' }), /^FAIL mapping stray .*: reads a stream the config does not onboard/],
    ['an onboarded stream has no mapping', (i) => i.mappings.splice(0, 1), /^FAIL stream .*Table0.*: has no event source mapping/],
    ['the heartbeat stream has no mapping', (i) => (i.mappings = i.mappings.filter((m) => m.EventSourceArn !== HEARTBEAT_STREAM)), /^FAIL heartbeat table ddb-audit-heartbeat: its stream has no event source mapping/],
    ['the delivery stream is not ACTIVE', (i) => (i.deliveryStatus = 'CREATING_FAILED'), /^FAIL delivery stream ddb-audit-changes: is CREATING_FAILED, not ACTIVE/],
    ['nothing was delivered in the last hour', (i) => (i.successValues = []), /^FAIL delivery stream ddb-audit-changes delivered to S3 in the last hour: no DeliveryToS3\.Success datapoint/],
    ['some S3 puts failed', (i) => (i.successValues = [1, 0.5, 1]), /^FAIL delivery stream ddb-audit-changes delivered to S3 in the last hour: some S3 puts failed \(lowest DeliveryToS3\.Success 0\.5\)/],
    ['the heartbeat is stale', (i) => (i.heartbeatLastModified = new Date(NOW.getTime() - 45 * 60_000)), /^FAIL heartbeat lag: newest heartbeat object is 45 minutes old \(limit 30\)/],
    ['no heartbeat arrived since yesterday', (i) => (i.heartbeatLastModified = undefined), /^FAIL heartbeat lag: no heartbeat object under s3:\/\/changelog\/changes\/account_id=111111111111\/table_name=ddb-audit-heartbeat\/dt=2026-03-10\//],
    ['the newest digest is stale', (i) => (i.digestHours = ['06', '07']), /^FAIL newest digest: hour 2026-03-10T07:00Z is 220 minutes old \(limit 150\)/],
    ['the newest digest lists an unlocked object', (i) => (i.digest = digestDocument([lockedEntry('a'), { ...lockedEntry('changes/b.parquet'), object_lock_mode: null, object_lock_retain_until: null }])), /^FAIL retention of the 2 objects in digest 2026-03-10T09:00Z: 1 unlocked \(no Object Lock retention\), e\.g\. s3:\/\/changelog\/changes\/b\.parquet/],
    ['the Glue table is missing', (i) => (i.glueTable = 'missing'), /^FAIL Glue table ddb_audit\.audit_changes: does not exist/],
    ['a Glue column has the wrong type', (i) => (i.glueTable = 'retyped'), /^FAIL Glue table ddb_audit\.audit_changes: column event_time is string, expected timestamp/],
    ['the table still has partition projection enabled (an older version)', (i) => (i.tableParameters['projection.enabled'] = 'true'), /^FAIL Glue table ddb_audit\.audit_changes partitions: the table still has partition projection enabled: Athena ignores the registered partitions/],
    ['yesterday\'s partition of a table is not registered', (i) => i.registered.delete('account_id=222222222223/table_name=Table1/dt=2026-03-09'), /^FAIL partition s3:\/\/changelog\/changes\/account_id=222222222223\/table_name=Table1\/dt=2026-03-09\/: is not registered in ddb_audit\.audit_changes \(first object 60 minutes old\): Athena returns none of its rows/],
    ['the heartbeat\'s partition of today is not registered', (i) => i.registered.delete(`account_id=${AUDIT}/table_name=ddb-audit-heartbeat/dt=2026-03-10`), /^FAIL partition s3:\/\/changelog\/changes\/account_id=111111111111\/table_name=ddb-audit-heartbeat\/dt=2026-03-10\/: is not registered/],
    ['the workgroup is missing', (i) => (i.workgroup = 'missing'), /^FAIL Athena workgroup ddb-audit: does not exist \(WorkGroup ddb-audit is not found\.\)/],
    ['the workgroup is disabled', (i) => (i.workgroup = 'disabled'), /^FAIL Athena workgroup ddb-audit: is DISABLED, not ENABLED/],
  ];

  it.each(cases)('fails when %s, naming it with its fix, and exits 1', async (_name, breakIt, expected, status = 1) => {
    // Prepare
    const installation = healthy();
    breakIt(installation);
    // Act
    const result = await runDoctor(installation);
    // Assess
    expect(result.lines.filter((l) => expected.test(l))).toHaveLength(1);
    const line = result.lines.find((l) => expected.test(l)) as string;
    expect(line).toMatch(/; fix: /);
    expect(result.status).toBe(status);
    expect(result.err).toBe('');
  });

  it.each<Case>([
    ['a stream is NEW_IMAGE', (i) => (i.describeStream = (arn) => ({ StreamStatus: 'ENABLED', StreamViewType: arn === streamOf(0) ? 'NEW_IMAGE' : 'NEW_AND_OLD_IMAGES' })), /^WARN stream .*Table0.*: view type NEW_IMAGE/],
    ['the newest digest predates retention records', (i) => (i.digest = digestDocument([{ key: 'a', size: 1, sha256: 'd'.repeat(64), last_modified: '2026-03-10T09:01:00.000Z', late: false }])), /^WARN retention of the 1 objects in digest 2026-03-10T09:00Z: retention not recorded for 1/],
    ['DescribeStream is refused by the stream policies', (i) => (i.describeStream = () => awsError('AccessDeniedException', 'not authorized', 400)), /^WARN 3 of 3 streams: not checked: DescribeStream was refused/],
    ['the stack is being updated', (i) => (i.stacks['DdbAuditMappings-222222222222'] = stack('DdbAuditMappings-222222222222', 'UPDATE_IN_PROGRESS')), /^WARN stack DdbAuditMappings-222222222222: UPDATE_IN_PROGRESS: a deployment is under way/],
    ['the table does not enable partition filtering', (i) => delete i.tableParameters['partition_filtering.enabled'], /^WARN Glue table ddb_audit\.audit_changes partitions: partition_filtering\.enabled is not "true"/],
    ['the change log has no source folders at all', (i) => i.partitionsInS3.clear(), /^WARN Glue partitions of the last 2 days: no account_id=\/table_name= folders under s3:\/\/changelog\/changes\/, so nothing could be checked/],
    ['the newest digest lists no objects, so nothing shows retention', (i) => (i.digest = digestDocument([])), /^WARN retention of the 0 objects in digest 2026-03-10T09:00Z: no objects were delivered in that hour/],
  ])('warns, without failing, when %s', async (_name, breakIt, expected) => {
    const installation = healthy();
    breakIt(installation);
    const result = await runDoctor(installation);
    expect(result.lines.filter((l) => expected.test(l))).toHaveLength(1);
    expect(result.lines.some((l) => l.startsWith('FAIL'))).toBe(false);
    expect(result.status).toBe(0);
  });

  it('counts a partition whose first object arrived minutes ago as being registered, and compares only the last 2 days', async () => {
    // Prepare: a new partition 2 minutes old, and an old day (not compared) never registered.
    const installation = healthy();
    installation.partitionsInS3.set('account_id=222222222222/table_name=Table0/dt=2026-03-10', 2);
    installation.registered.delete('account_id=222222222222/table_name=Table0/dt=2026-03-10');
    installation.registered.delete('account_id=222222222222/table_name=Table0/dt=2026-03-08');
    // Act
    const { status, lines } = await runDoctor(installation);
    // Assess
    expect(lines).toContain('PASS Glue partitions of the last 2 days: all 7 partitions of 4 sources registered, 1 being registered (first object under 15 minutes old)');
    expect(status).toBe(0);
  });

  it('reports a refused call as a missing read permission of that check only', async () => {
    // Act
    const { status, lines } = await runDoctor(healthy(), [], () => {
      mocks.athena.reset();
      mocks.athena.on(GetWorkGroupCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:sts::111111111111:assumed-role/ops/me is not authorized to perform: athena:GetWorkGroup'));
    });
    // Assess
    expect(status).toBe(1);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([
      'FAIL Athena workgroup ddb-audit: not allowed to call athena:GetWorkGroup (AccessDeniedException: User: arn:aws:sts::111111111111:assumed-role/ops/me is not authorized to perform: athena:GetWorkGroup); fix: give the identity running doctor read access; see docs/operations.md#doctor-permissions',
    ]);
  });

  it('reports a stack it may not describe as a missing permission, not as a missing stack', async () => {
    // Act
    const { status, lines } = await runDoctor(healthy(), [], () => {
      mocks.cfn.reset();
      mocks.cfn.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'User: me is not authorized to perform: cloudformation:DescribeStacks', 403));
    });
    // Assess
    expect(status).toBe(1);
    expect(lines.slice(0, 6)).toEqual([
      'FAIL stack DdbAuditCollector: not allowed to call cloudformation:DescribeStacks (AccessDenied: User: me is not authorized to perform: cloudformation:DescribeStacks); fix: give the identity running doctor read access; see docs/operations.md#doctor-permissions',
      'FAIL stack DdbAuditWatch: not allowed to call cloudformation:DescribeStacks (AccessDenied: User: me is not authorized to perform: cloudformation:DescribeStacks); fix: give the identity running doctor read access; see docs/operations.md#doctor-permissions',
      ...['222222222222', '222222222223', '222222222224'].map(
        (a) => `FAIL stack DdbAuditMappings-${a}: not allowed to call cloudformation:DescribeStacks (AccessDenied: User: me is not authorized to perform: cloudformation:DescribeStacks); fix: give the identity running doctor read access; see docs/operations.md#doctor-permissions`,
      ),
      'FAIL outputs of DdbAuditCollector: not available from stack DdbAuditCollector; fix: cdk deploy DdbAuditCollector; see docs/operations.md#stacks',
    ]);
    expect(lines.some((l) => /does not exist/.test(l))).toBe(false);
  });

  it('never passes a collector without any event source mapping, even with nothing onboarded', async () => {
    const installation = healthy(0);
    installation.mappings = [];
    installation.stacks.DdbAuditCollector = stack('DdbAuditCollector', 'UPDATE_COMPLETE', { ...OUTPUTS, HeartbeatTableName: '' });
    const { lines } = await runDoctor(installation);
    expect(lines).toContain('WARN 0 of 0 event source mappings Enabled with a good last processing result, 0 of 0 onboarded streams mapped: the collector has no event source mapping: it reads nothing');
    expect(lines).toContain('WARN heartbeat lag: the heartbeat is disabled: nothing proves the pipeline end to end; fix: enable it (config heartbeat.enabled, cdk deploy --all); see docs/operations.md#heartbeat');
    expect(lines.some((l) => l.startsWith('PASS') && /streams|mappings/.test(l))).toBe(false);
  });

  it('without the heartbeat output, fails the outputs only, and still knows the heartbeat mapping by its table name', async () => {
    const installation = healthy();
    installation.stacks.DdbAuditCollector = stack('DdbAuditCollector', 'UPDATE_COMPLETE', Object.fromEntries(Object.entries(OUTPUTS).filter(([k]) => k !== 'HeartbeatTableName')));
    const { status, lines } = await runDoctor(installation);
    expect(status).toBe(1);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual(['FAIL outputs of DdbAuditCollector: missing HeartbeatTableName (stack DdbAuditCollector); fix: deploy the current version: cdk deploy DdbAuditCollector']);
    expect(lines).toContain('WARN heartbeat lag: not checked: the stack output HeartbeatTableName is missing (see the DdbAuditCollector lines)');
  });

  it('lists the first 50 failing sources of a check and counts the rest', async () => {
    const installation = healthy(120);
    installation.describeStream = () => ({ StreamStatus: 'DISABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const { lines } = await runDoctor(installation);
    expect(lines.filter((l) => /^FAIL stream .*: is DISABLED/.test(l))).toHaveLength(50);
    expect(lines).toContain('FAIL streams: 71 more lines not shown (ddb-audit doctor --json lists every one)');
  });
});

describe('ddb-audit doctor usage', () => {
  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['extra'], /unexpected argument "extra"/],
    [['--config', 'missing.json'], /^ddb-audit doctor: --config missing\.json: cannot read .*missing\.json/],
    [['--concurrency', '0'], /--concurrency "0" is not a whole number from 1 to 64/],
    [['--stack-outputs', 'none.json'], /^ddb-audit doctor: cannot read none\.json: ENOENT/],
  ])('rejects %j with exit status 2 and one line', async (args, message) => {
    const io = captureIo({ cwd: dir, env: {} });
    const withConfig = args.includes('--config') ? args : [...args, '--config', writeConfig(1)];
    expect(await doctor(withConfig, io)).toBe(2);
    expect(io.err.join('')).toMatch(message);
    expect(io.err.join('').trim().split('\n')).toHaveLength(1);
  });

  it('rejects an invalid config in one line naming every problem', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ context: { audit: { auditAccountId: '12', region: REGION, retention: { mode: 'GOVERNANCE', days: 1 }, sources: [] } } }));
    const io = captureIo({ cwd: dir, env: {} });
    expect(await doctor(['--config', path], io)).toBe(2);
    expect(io.err.join('')).toMatch(/^ddb-audit doctor: --config .*bad\.json: auditAccountId: "12" is not a 12-digit AWS account id/);
    expect(io.err.join('').trim().split('\n')).toHaveLength(1);
  });
});

describe('doctor building blocks', () => {
  it('mapBounded keeps order and never exceeds its limit, for any sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(3), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), async (delays, limit) => {
        let now = 0;
        let max = 0;
        const out = await mapBounded(delays, limit, async (d, i) => {
          now++;
          max = Math.max(max, now);
          for (let k = 0; k < d; k++) await new Promise((r) => setImmediate(r));
          now--;
          return i;
        });
        expect(out).toEqual(delays.map((_, i) => i));
        expect(max).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 50 },
    );
  });

  it('passes only settled healthy stack statuses', () => {
    expect(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].map(stackStatusVerdict)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'].map(stackStatusVerdict)).toEqual(['WARN', 'WARN', 'WARN']);
    expect(['ROLLBACK_COMPLETE', 'CREATE_FAILED', 'DELETE_COMPLETE', 'UPDATE_ROLLBACK_FAILED', undefined].map(stackStatusVerdict)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
  });

  it('fails a PROBLEM processing result, passes the known good ones, and warns on any other text', () => {
    expect(processingResultVerdict('PROBLEM: Connection error.')).toBe('FAIL');
    expect(processingResultVerdict('OK')).toBe('PASS');
    expect(processingResultVerdict('No records processed')).toBe('PASS');
    fc.assert(fc.property(fc.string(), (text) => {
      const verdict = processingResultVerdict(text);
      expect(verdict).toBe(text === 'OK' || text === 'No records processed' ? 'PASS' : /^PROBLEM/i.test(text) ? 'FAIL' : 'WARN');
    }));
  });

  it('counts a digest entry as locked only for a recorded GOVERNANCE or COMPLIANCE mode, fail-closed for any other value', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('GOVERNANCE'), fc.constant('COMPLIANCE'), fc.constant(null), fc.constant(undefined), fc.string())), (modes) => {
        const entries = modes.map((mode, i) => (mode === undefined ? { key: `k${i}` } : { key: `k${i}`, object_lock_mode: mode }));
        const summary = retentionOf(entries);
        expect(summary.locked).toBe(modes.filter((m) => m === 'GOVERNANCE' || m === 'COMPLIANCE').length);
        expect(summary.notRecorded).toBe(modes.filter((m) => m === undefined).length);
        expect(summary.unlocked.length + summary.locked + summary.notRecorded).toBe(modes.length);
      }),
    );
  });

  it('escapes terminal control characters a table writer could put in a name', () => {
    expect(renderText([{ status: 'FAIL', check: 'x', what: 'object \u001b[2Kevil', fix: 'f' }]).split('\n')[0]).toBe('FAIL object \\x1b[2Kevil; fix: f');
  });
});

describe('ddb-audit doctor checks the stream watch', () => {
  const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const unhealthy = (i: number): SourceState => ({
    ...healthySource(i),
    health: 'unhealthy',
    problems: ['stream-replaced'],
    latestStreamArn: streamOf(i, '2026-03-10T09:00:00.000'),
    command: `ddb-audit sources rotate --table-arn ${tableOf(i)} --stream-arn ${streamOf(i, '2026-03-10T09:00:00.000')} && npx cdk deploy --all`,
  });
  const withSources = (state: WatchState | string | undefined, edit: (s: Record<string, SourceState>) => void): WatchState => {
    const sources = { ...(state as WatchState).sources };
    edit(sources);
    return { ...(state as WatchState), sources };
  };

  const cases: Case[] = [
    ['the watch stack is missing', (i) => (i.stacks.DdbAuditWatch = undefined), /^FAIL stack DdbAuditWatch: does not exist in this account and region; fix: cdk deploy DdbAuditWatch/],
    ['the watch stack rolled back its first create', (i) => (i.stacks.DdbAuditWatch = stack('DdbAuditWatch', 'ROLLBACK_COMPLETE', { WatchStateBucketName: WATCH_STATE_BUCKET })), /^FAIL stack DdbAuditWatch: ROLLBACK_COMPLETE; fix: the first deploy failed/],
    ['the watch stack predates the state bucket output', (i) => (i.stacks.DdbAuditWatch = stack('DdbAuditWatch', 'UPDATE_COMPLETE')), /^FAIL stream watch: stack DdbAuditWatch has no output WatchStateBucketName, so its state cannot be found; fix: deploy the current version: npx cdk deploy DdbAuditWatch/],
    ['the state object is missing', (i) => (i.watchState = undefined), /^FAIL watch state s3:\/\/ddb-audit-watch-state\/watch\/state\.json: does not exist: the watch has never completed a run, so no stream is watched; fix: read the log group \/aws\/lambda\/ddb-audit-stream-watch and the alarm ddb-audit-WatchErrors; see docs\/operations\.md#watch/],
    ['the state object is not a watch state', (i) => (i.watchState = '{"version":2}'), /^FAIL watch state s3:\/\/ddb-audit-watch-state\/watch\/state\.json: is not a watch state .*; fix: read the log group \/aws\/lambda\/ddb-audit-stream-watch/],
    ['the state is stale (16 minutes with a 5-minute interval: limit 2 x 5 + 5)', (i) => (i.watchState = { ...(i.watchState as WatchState), updatedAt: new Date(NOW.getTime() - 16 * 60_000).toISOString() }), /^FAIL watch state s3:\/\/ddb-audit-watch-state\/watch\/state\.json: last written 2026-03-10T10:24:00\.000Z, 16 minutes ago \(limit 15: runs every 5 minutes\): the watch is not running; fix: read the log group \/aws\/lambda\/ddb-audit-stream-watch and the alarm ddb-audit-WatchErrors/],
    ['the watch marks one source unhealthy', (i) => (i.watchState = withSources(i.watchState, (s) => (s[tableOf(1)] = unhealthy(1)))), new RegExp(`^FAIL source ${esc(tableOf(1))}: the watch marks it unhealthy \\(stream-replaced; .*\\): its changes are not reaching the log; fix: ${esc(unhealthy(1).command as string)}; see docs/operations\\.md#watch-unhealthy$`)],
    ['an onboarded source is absent from the state long after the watch stack was deployed', (i) => (i.watchState = withSources(i.watchState, (s) => delete s[tableOf(2)])), new RegExp(`^FAIL source ${esc(tableOf(2))}: not in the watch state: the watch does not check this stream, so a change to it would raise no alarm; fix: npx cdk deploy DdbAuditWatch`)],
  ];

  it.each(cases)('fails when %s, naming it with its fix, and exits 1', async (_name, breakIt, expected) => {
    // Prepare
    const installation = healthy();
    breakIt(installation);
    // Act
    const result = await runDoctor(installation);
    // Assess
    expect(result.lines.filter((l) => expected.test(l))).toHaveLength(1);
    expect(result.lines.some((l) => l.startsWith('PASS watched sources'))).toBe(false);
    expect(result.status).toBe(1);
    expect(result.err).toBe('');
  });

  it('the healthy installation passes the watch in two lines and reads its state once', async () => {
    const { status, lines } = await runDoctor(healthy());
    expect(lines.filter((l) => /watch/.test(l) && !l.startsWith('PASS'))).toEqual([]);
    expect(lines).toContain('PASS watched sources: all 3 onboarded sources in the watch state and healthy');
    expect(mocks.s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Bucket === WATCH_STATE_BUCKET).map((c) => c.args[0].input.Key)).toEqual([WATCH_STATE_KEY]);
    expect(status).toBe(0);
  });

  it('warns, without failing, on a source absent from the state while the watch has not yet reached it after a deploy', async () => {
    const installation = healthy();
    installation.stacks.DdbAuditWatch = { ...stack('DdbAuditWatch', 'UPDATE_COMPLETE', { WatchStateBucketName: WATCH_STATE_BUCKET }), LastUpdatedTime: new Date(NOW.getTime() - 4 * 60_000) };
    installation.watchState = withSources(installation.watchState, (s) => delete s[tableOf(0)]);
    const { status, lines } = await runDoctor(installation);
    expect(lines).toContain(`WARN source ${tableOf(0)}: not in the watch state yet: stack DdbAuditWatch was deployed 4 minutes ago and the watch reaches every source within 20 minutes; fix: run doctor again after that`);
    expect(lines).toContain('WARN watched sources: 2 of 3 onboarded sources healthy in the watch state; fix: see docs/operations.md#watch-unhealthy');
    expect(status).toBe(0);
  });

  it('warns on a source the watch could not check, with its reason, never passing it', async () => {
    const installation = healthy();
    installation.watchState = withSources(installation.watchState, (s) => (s[tableOf(0)] = { ...healthySource(0), health: 'unknown', unknownReasons: ['DescribeTable: throttled (ThrottlingException) after 4 attempts'] }));
    const { status, lines } = await runDoctor(installation);
    expect(lines).toContain(`WARN source ${tableOf(0)}: the watch could not check it (DescribeTable: throttled (ThrottlingException) after 4 attempts), checked 2026-03-10T10:37:00.000Z; fix: see docs/operations.md#watch`);
    expect(lines.some((l) => l.startsWith('PASS watched sources'))).toBe(false);
    expect(status).toBe(0);
  });

  it('says once that the watch is disabled, as information, neither a pass nor a finding, and reads nothing of it', async () => {
    const installation = healthy();
    installation.watchConfig = { enabled: false };
    installation.stacks.DdbAuditWatch = undefined;
    const { status, lines } = await runDoctor(installation);
    const watchLines = lines.filter((l) => /\bwatch\b/i.test(l));
    expect(watchLines).toEqual(['INFO stream watch: disabled (watch.enabled is false): a stream that is disabled or replaced, or a mapping that stops, goes dark without an alarm; fix: enable it (config watch.enabled, npx cdk deploy --all); see docs/operations.md#watch']);
    expect(lines.at(-1)).toBe('doctor: 18 passed, 0 warnings, 0 failed, 1 informational');
    expect(mocks.cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).not.toContain('DdbAuditWatch');
    expect(mocks.s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Bucket === WATCH_STATE_BUCKET)).toHaveLength(0);
    expect(status).toBe(0);
  });

  it('reports a refused state read as a missing permission that may also be a missing state', async () => {
    const { status, lines } = await runDoctor(healthy(), [], () => {
      mocks.s3.on(GetObjectCommand, { Bucket: WATCH_STATE_BUCKET }).rejects(awsError('AccessDenied', 'Access Denied', 403));
    });
    expect(lines.filter((l) => /watch state/.test(l))).toEqual([
      'FAIL watch state s3://ddb-audit-watch-state/watch/state.json: not allowed to call s3:GetObject (AccessDenied: Access Denied); without s3:ListBucket on the bucket this is also what a missing state looks like; fix: give the identity running doctor read access; see docs/operations.md#doctor-permissions',
    ]);
    expect(status).toBe(1);
  });

  it('fresh means within 2 x interval + 5 minutes, for any interval and age (fast-check)', async () => {
    const { stateMaxAgeMinutes } = await import('../../cli/doctor/checks/watch');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), (interval) => stateMaxAgeMinutes(interval) === 2 * interval + 5),
    );
    // The absent-source grace is every shard's run plus the freshness limit.
    expect(shardCount(3, 5, 50)).toBe(1);
  });
});
