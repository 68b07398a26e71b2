/**
 * What the first deploy in a real account depends on (issue 10), read from the synthesized audit
 * stack: alarms that can publish, EventBridge rules their targets accept, the Firehose trust,
 * per-object Object Lock retention, the heartbeat, the failure bucket's access, and the outputs.
 * Synthesized twice with the real CDK synthesizer: the example cdk.json (defaults: per-object
 * retention, heartbeat on) and a variant (bucket-default retention, heartbeat off, COMPLIANCE,
 * reserved digest concurrency).
 */
import { CHANGE_LOG_BUCKET_ARN_EXPORT } from '../../lib/audit-stack';
import { Template } from 'aws-cdk-lib/assertions';
import { AUDIT_STACK_OUTPUT, HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import type { AuditConfig } from '../../schemas/audit-config';
import { STREAM_READ_ACTIONS } from '../../lib/stream-policy';
import { HEARTBEAT_ALARM_WINDOW_MINUTES } from '../../lib/config/heartbeat';
import { buildTestApp, exampleConfig } from '../support/audit-app';

type Json = any;
type Resources = Record<string, { Type: string; Properties: Json; DependsOn?: string[] }>;

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

let config: AuditConfig;
let resources: Resources;
let outputs: Record<string, Json>;
let variant: Resources;

/** With cdk-nag: synthesis throws on any unacknowledged finding, so the variant is checked too. */
function auditTemplate(c: AuditConfig): { Resources: Resources; Outputs: Record<string, Json> } {
  const { stacks } = buildTestApp(c, { nag: true });
  return Template.fromStack(stacks.audit).toJSON() as { Resources: Resources; Outputs: Record<string, Json> };
}

beforeAll(() => {
  config = exampleConfig();
  const t = auditTemplate(config);
  resources = t.Resources;
  outputs = t.Outputs;
  variant = auditTemplate({
    ...config,
    retention: { mode: 'COMPLIANCE', days: 400, apply: 'bucket-default' },
    heartbeat: { enabled: false },
    digest: { reservedConcurrency: 1 },
  }).Resources;
});

/** CloudFormation value -> text, with tokens written as ${Logical.Attr} / ${Ref}. */
function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join(',');
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) return `\${${[].concat(value['Fn::GetAtt']).join('.')}}`;
    if ('Fn::Join' in value) return (value['Fn::Join'][1] as Json[]).map(flatten).join(value['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, x]) => x.Type === type);
/** The logical id a Ref or GetAtt points at. */
const target = (value: Json): string => (value?.Ref ?? [].concat(value?.['Fn::GetAtt'] ?? [])[0]) as string;

function allows(statements: Json[], service: string, action: string): Json[] {
  return statements.filter((s) => s.Effect === 'Allow' && list(s.Principal?.Service).includes(service) && list<string>(s.Action).includes(action));
}
function keyStatements(r: Resources, keyRef: Json): Json[] {
  const key = r[target(keyRef)];
  expect(key?.Type).toBe('AWS::KMS::Key');
  return key!.Properties.KeyPolicy.Statement;
}
function topicStatements(r: Resources, topicId: string): Json[] {
  return ofType(r, 'AWS::SNS::TopicPolicy')
    .filter(([, p]) => p.Properties.Topics.some((t: Json) => t.Ref === topicId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
function queueStatements(r: Resources, queueId: string): Json[] {
  return ofType(r, 'AWS::SQS::QueuePolicy')
    .filter(([, p]) => p.Properties.Queues.some((q: Json) => q.Ref === queueId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
/** An IAM ARN pattern (ArnLike, with * wildcards) as a regular expression, pseudo parameters resolved. */
function arnPattern(pattern: string): RegExp {
  const text = pattern.replace('${AWS::Partition}', 'aws');
  return new RegExp(`^${text.split('*').map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`);
}
const ruleArn = (name: string) => `arn:\${AWS::Partition}:events:${REGION}:${ACCOUNT}:rule/${name}`;

describe('alarms can publish', () => {
  test('every alarm has an explicit name starting ddb-audit-', () => {
    for (const r of [resources, variant]) {
      const names = ofType(r, 'AWS::CloudWatch::Alarm').map(([id, a]) => [id, a.Properties.AlarmName]);
      expect(names.length).toBeGreaterThan(10);
      expect(names.filter(([, name]) => typeof name !== 'string' || !name.startsWith('ddb-audit-'))).toEqual([]);
    }
  });

  test('every topic an alarm notifies lets CloudWatch publish for exactly those alarms, on the topic and its key', () => {
    for (const r of [resources, variant]) {
      const alarms = ofType(r, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      const topicIds = new Set(alarms.flatMap((a) => [...list(a.AlarmActions), ...list(a.OKActions)]).map(target));
      expect(topicIds.size).toBeGreaterThan(0);
      for (const topicId of topicIds) {
        const notifying = alarms.filter((a) => [...list(a.AlarmActions), ...list(a.OKActions)].some((x) => target(x) === topicId));
        const [publish, ...more] = allows(topicStatements(r, topicId), 'cloudwatch.amazonaws.com', 'sns:Publish');
        expect(more).toEqual([]);
        expect(publish?.Condition?.StringEquals?.['aws:SourceAccount']).toBe(ACCOUNT);
        const pattern = flatten(publish.Condition.ArnLike['aws:SourceArn']);
        expect(pattern).toBe(`arn:\${AWS::Partition}:cloudwatch:${REGION}:${ACCOUNT}:alarm:ddb-audit-*`);
        for (const a of notifying) expect(`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.AlarmName}`).toMatch(arnPattern(pattern));
        const keyGrant = keyStatements(r, r[topicId]!.Properties.KmsMasterKeyId).filter((s) => s.Effect === 'Allow' && list(s.Principal?.Service).includes('cloudwatch.amazonaws.com'));
        expect(keyGrant).toHaveLength(1);
        expect(list(keyGrant[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
        expect(keyGrant[0].Condition).toEqual(publish.Condition);
      }
    }
  });

  test('every rule targeting a topic or queue is allowed by exactly its ARN, on the target and its key, with no RoleArn', () => {
    let checked = 0;
    for (const r of [resources, variant]) {
      for (const [ruleId, rule] of ofType(r, 'AWS::Events::Rule')) {
        for (const t of list<Json>(rule.Properties.Targets)) {
          const targetResource = r[target(t.Arn)];
          if (targetResource?.Type === 'AWS::Lambda::Function') continue; // invoked through a Lambda permission
          expect({ ruleId, type: targetResource?.Type }).toEqual({ ruleId, type: expect.stringMatching(/^AWS::(SNS::Topic|SQS::Queue)$/) });
          expect({ ruleId, role: t.RoleArn }).toEqual({ ruleId, role: undefined });
          const name: string = rule.Properties.Name;
          expect(name).toMatch(/^ddb-audit-/);
          const isTopic = targetResource!.Type === 'AWS::SNS::Topic';
          const statements = isTopic ? topicStatements(r, target(t.Arn)) : queueStatements(r, target(t.Arn));
          const grants = allows(statements, 'events.amazonaws.com', isTopic ? 'sns:Publish' : 'sqs:SendMessage');
          expect({ ruleId, sources: grants.map((g) => flatten(g.Condition?.ArnEquals?.['aws:SourceArn'])) }).toEqual({ ruleId, sources: [ruleArn(name)] });
          const keyGrants = keyStatements(r, targetResource!.Properties.KmsMasterKeyId).filter(
            (s) => s.Effect === 'Allow' && list(s.Principal?.Service).includes('events.amazonaws.com') && flatten(s.Condition?.ArnEquals?.['aws:SourceArn']) === ruleArn(name),
          );
          expect({ ruleId, actions: keyGrants.map((g) => list(g.Action).sort()) }).toEqual({ ruleId, actions: [['kms:Decrypt', 'kms:GenerateDataKey*']] });
          checked++;
        }
      }
    }
    // failure-object alert (x2), partition queue (x2), retention queue, heartbeat landings (example only) and the digest arrivals queue (x2)
    expect(checked).toBe(8);
  });

  test("each rule that delivers to the topic or a queue has an alarm on its FailedInvocations", () => {
    const failedInvocationRules = ofType(resources, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.Namespace === 'AWS/Events' && a.MetricName === 'FailedInvocations')
      .map((a) => a.Dimensions.find((d: Json) => d.Name === 'RuleName').Value);
    expect(failedInvocationRules.sort()).toEqual(['ddb-audit-change-log-arrivals', 'ddb-audit-change-log-object-created', 'ddb-audit-change-log-partitions', 'ddb-audit-failure-object-created']);
  });

  test('the collector alarms when it cannot write a discarded batch to the failure bucket', () => {
    const alarm = ofType(resources, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.MetricName === 'DestinationDeliveryFailures');
    expect(alarm?.[1].Properties).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1, AlarmName: 'ddb-audit-CollectorDestinationDeliveryFailures' });
  });
});

describe('Firehose role trust', () => {
  test('every role Firehose assumes is trusted with sts:ExternalId = the audit account, the documented form, not aws:SourceAccount', () => {
    const roles = ofType(resources, 'AWS::IAM::Role').filter(([, r]) => r.Properties.AssumeRolePolicyDocument.Statement.some((s: Json) => list(s.Principal?.Service).includes('firehose.amazonaws.com')));
    // Our destination role and the L2's stream-encryption role.
    expect(roles).toHaveLength(2);
    for (const [id, role] of roles) {
      expect({ id, conditions: role.Properties.AssumeRolePolicyDocument.Statement.map((s: Json) => s.Condition) }).toEqual({ id, conditions: [{ StringEquals: { 'sts:ExternalId': ACCOUNT } }] });
    }
  });
});

describe('change-log bucket policy', () => {
  const changeLogStatements = (r: Resources) => {
    const [bucketId] = ofType(r, 'AWS::S3::Bucket').find(([id]) => id.includes('ChangeLog'))!;
    return ofType(r, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId)![1].Properties.PolicyDocument.Statement as Json[];
  };
  const denied = (statements: Json[], action: string) => statements.filter((s) => s.Effect === 'Deny' && s.Principal?.AWS === '*' && list(s.Action).includes(action));

  test('denies deletes, governance bypass and lifecycle rules to everyone, unconditionally', () => {
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutLifecycleConfiguration']) {
      const denies = denied(changeLogStatements(resources), action);
      expect({ action, denies: denies.length, conditions: denies.map((d) => d.Condition) }).toEqual({ action, denies: 1, conditions: [undefined] });
    }
  });

  test('denies changing the Object Lock configuration absolutely, in both modes', () => {
    for (const r of [resources, variant]) {
      const [deny, ...more] = denied(changeLogStatements(r), 's3:PutBucketObjectLockConfiguration');
      expect(more).toEqual([]);
      expect(deny.Condition).toBeUndefined();
    }
    // bucket-default: the Sid names the retention, so the documented two-step change restores the deny.
    expect(denied(changeLogStatements(variant), 's3:PutBucketObjectLockConfiguration')[0].Sid).toBe('DenyObjectLockChangesCOMPLIANCE400d');
  });

  test('denies setting a retention shorter than configured (one day of rounding slack), at upload or later', () => {
    for (const [r, days] of [[resources, config.retention.days], [variant, 400]] as const) {
      const [deny] = changeLogStatements(r).filter((s) => s.Sid === 'DenyShorterRetention');
      expect(list(deny.Action).sort()).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
      expect(deny.Condition).toEqual({ NumericLessThan: { 's3:object-lock-remaining-retention-days': String(days - 1) } });
    }
  });

  test('in COMPLIANCE mode denies a GOVERNANCE retention, only on requests that name a mode', () => {
    expect(changeLogStatements(resources).filter((s) => s.Sid === 'DenyWeakerRetentionMode')).toEqual([]);
    const [deny] = changeLogStatements(variant).filter((s) => s.Sid === 'DenyWeakerRetentionMode');
    expect(deny.Condition).toEqual({ StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' }, Null: { 's3:object-lock-mode': 'false' } });
  });
});

describe('retention.apply', () => {
  const bucket = (r: Resources) => ofType(r, 'AWS::S3::Bucket').find(([id]) => id.includes('ChangeLog'))![1].Properties;

  test('bucket-default keeps the default retention on the bucket and deploys no retention function', () => {
    expect(bucket(variant).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } });
    // The digest's arrivals queues and the partition queues are there whatever retention.apply says; no retention queue.
    expect(ofType(variant, 'AWS::SQS::Queue').filter(([id]) => !id.startsWith('DigestArrivals')).map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['PartitionsDeadLetters', 'PartitionsQueue']);
    expect(ofType(variant, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Retention'))).toEqual([]);
  });

  test('per-object: new objects under the four prefixes go from EventBridge to a KMS queue with a dead-letter queue', () => {
    const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === 'ddb-audit-change-log-object-created')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: ofType(resources, 'AWS::S3::Bucket').find(([id]) => id.includes('ChangeLog'))![0] }] }, object: { key: [{ prefix: 'changes/' }, { prefix: 'overflow/' }, { prefix: 'errors/' }, { prefix: 'digests/' }] } },
    });
    const queue = resources[target(rule.Properties.Targets[0].Arn)]!.Properties;
    expect(queue.KmsMasterKeyId).toBeDefined();
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(5);
    const dlq = resources[target(queue.RedrivePolicy.deadLetterTargetArn)]!.Properties;
    expect(dlq.KmsMasterKeyId).toBeDefined();
    expect(dlq.MessageRetentionPeriod).toBe(14 * 86400);
  });

  test('per-object: the function reads SQS with partial batch responses and may only get and put object retention', () => {
    const [, esm] = ofType(resources, 'AWS::Lambda::EventSourceMapping').find(([, m]) => target(m.Properties.FunctionName).startsWith('RetentionFunction'))!;
    expect(esm.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Bounded, so a burst of objects cannot starve the collector of account concurrency.
    expect(esm.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    const [, policy] = ofType(resources, 'AWS::IAM::Policy').find(([id]) => id.startsWith('RetentionPolicy'))!;
    const s3Actions = policy.Properties.PolicyDocument.Statement.flatMap((s: Json) => list<string>(s.Action)).filter((a: string) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(['s3:GetObjectRetention', 's3:PutObjectRetention']);
    const fn = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('RetentionFunction'))![1].Properties;
    expect(fn.Environment.Variables).toMatchObject({ RETENTION_MODE: config.retention.mode, RETENTION_DAYS: String(config.retention.days), RETAINED_PREFIXES: 'changes/,overflow/,errors/,digests/' });
  });

  test('per-object: alarms on dead-lettered messages and on the age of the oldest message', () => {
    const byName = Object.fromEntries(ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    expect(byName['ddb-audit-RetentionDeadLetters']).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(byName['ddb-audit-RetentionQueueAge']).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 });
  });
});

describe('digest function', () => {
  test('reserves concurrency only when digest.reservedConcurrency is set', () => {
    const digestFn = (r: Resources) => ofType(r, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DigestFunction'))![1].Properties;
    expect(digestFn(resources).ReservedConcurrentExecutions).toBeUndefined();
    expect(digestFn(variant).ReservedConcurrentExecutions).toBe(1);
  });
});

describe('heartbeat', () => {
  test('is a KMS-encrypted, on-demand table with a NEW_AND_OLD_IMAGES stream and PITR', () => {
    const tables = ofType(resources, 'AWS::DynamoDB::Table').filter(([id]) => id.startsWith('Heartbeat'));
    expect(tables).toHaveLength(1);
    const p = tables[0]![1].Properties;
    expect(p).toMatchObject({
      TableName: HEARTBEAT_TABLE_NAME,
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
    expect(p.SSESpecification.KMSMasterKeyId).toBeDefined();
    // Without the heartbeat only the digest's arrivals ledger is a table.
    expect(ofType(variant, 'AWS::DynamoDB::Table').filter(([id]) => !id.startsWith('DigestArrivals'))).toEqual([]);
  });

  test('is read by the collector through its own mapping, which waits for a statement naming only its stream', () => {
    const [tableId] = ofType(resources, 'AWS::DynamoDB::Table').find(([id]) => id.startsWith('Heartbeat'))!;
    const [, esm] = ofType(resources, 'AWS::Lambda::EventSourceMapping').find(([, m]) => target(m.Properties.EventSourceArn) === tableId)!;
    expect(flatten(esm.Properties.FunctionName)).toContain('CollectorFunction');
    expect(esm.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const [policyId, policy] = ofType(resources, 'AWS::IAM::Policy').find(([id]) => id.startsWith('HeartbeatCollectorReadsHeartbeat'))!;
    expect(esm.DependsOn).toContain(policyId);
    const read = policy.Properties.PolicyDocument.Statement.find((s: Json) => s.Sid === 'ReadHeartbeatStream');
    expect(read).toEqual({ Sid: 'ReadHeartbeatStream', Effect: 'Allow', Action: [...STREAM_READ_ACTIONS], Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] } });
  });

  test('is written by EventBridge Scheduler through the universal PutItem target, with a role that may only put into that table', () => {
    const [, schedule] = ofType(resources, 'AWS::Scheduler::Schedule')[0]!;
    const t = schedule.Properties.Target;
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(flatten(t.Arn)).toBe('arn:${AWS::Partition}:scheduler:::aws-sdk:dynamodb:putItem');
    const input = JSON.parse(t.Input);
    expect(input.TableName).toBe(HEARTBEAT_TABLE_NAME);
    // Every item differs (DynamoDB writes no stream record for a write that changes nothing).
    expect(input.Item.scheduled_time).toEqual({ S: '<aws.scheduler.scheduled-time>' });
    const role = resources[target(t.RoleArn)]!.Properties;
    const statements = role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    const [tableId] = ofType(resources, 'AWS::DynamoDB::Table').find(([id]) => id.startsWith('Heartbeat'))!;
    expect(statements.filter((s: Json) => list<string>(s.Action).some((a) => a.startsWith('dynamodb:')))).toEqual([
      { Sid: 'PutHeartbeatItem', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
    ]);
    expect(statements.filter((s: Json) => list<string>(s.Action).some((a) => a.startsWith('kms:'))).every((s: Json) => s.Condition?.StringEquals?.['kms:ViaService'] === `dynamodb.${REGION}.amazonaws.com`)).toBe(true);
    expect(role.AssumeRolePolicyDocument.Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } });
  });

  test(`alarms when no heartbeat object lands under its partition for ${HEARTBEAT_ALARM_WINDOW_MINUTES} minutes, missing data breaching`, () => {
    const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === 'ddb-audit-heartbeat-landed')!;
    expect(rule.Properties.EventPattern.detail.object).toEqual({ key: [{ prefix: `changes/account_id=${ACCOUNT}/table_name=${HEARTBEAT_TABLE_NAME}/` }] });
    const alarm = ofType(resources, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === 'ddb-audit-HeartbeatMissing')![1].Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: 'ddb-audit-heartbeat-landed' }],
      Statistic: 'Sum',
      Period: HEARTBEAT_ALARM_WINDOW_MINUTES * 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });
});

describe('failure bucket', () => {
  const failures = (r: Resources) => ofType(r, 'AWS::S3::Bucket').find(([id]) => id.includes('MappingFailures'))!;

  test('expires discarded batches after 14 days (noncurrent versions after 1)', () => {
    const rule = failures(resources)[1].Properties.LifecycleConfiguration.Rules[0];
    expect(rule).toMatchObject({ ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' });
  });

  test('only the replay role reads its objects and only the collector role writes them', () => {
    const [bucketId] = failures(resources);
    const statements: Json[] = ofType(resources, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId)![1].Properties.PolicyDocument.Statement;
    const read = statements.find((s) => s.Sid === 'OnlyReplayRoleReadsPayloads');
    expect(read).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(list(read.Action)).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion']));
    expect(flatten(read.Condition.ArnNotEquals['aws:PrincipalArn'])).toBe(`arn:\${AWS::Partition}:iam::${ACCOUNT}:role/ddb-audit-replay-${REGION}`);
    const write = statements.find((s) => s.Sid === 'OnlyCollectorRoleWritesPayloads');
    expect(write).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    expect(flatten(write.Condition.ArnNotEquals['aws:PrincipalArn'])).toBe(`arn:\${AWS::Partition}:iam::${ACCOUNT}:role/ddb-audit-collector-${REGION}`);
  });

  test('the replay role is named ddb-audit-replay-<region>, trusts the audit account and can read the bucket', () => {
    const [, role] = ofType(resources, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === `ddb-audit-replay-${REGION}`)!;
    expect(flatten(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS)).toBe(`arn:\${AWS::Partition}:iam::${ACCOUNT}:root`);
    const [, policy] = ofType(resources, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ReplayPolicy'))!;
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: Json) => list<string>(s.Action));
    expect(actions).toEqual(expect.arrayContaining(['s3:ListBucket', 's3:GetObject', 'firehose:PutRecordBatch', 's3:PutObject']));
    expect(actions.filter((a: string) => /Delete/.test(a))).toEqual([]);
  });
});

describe('stack outputs', () => {
  test('export every key of AUDIT_STACK_OUTPUT', () => {
    // (The Exports* outputs are CDK's own, for the mappings stack's cross-stack references;
    // ChangeLogBucketArnExport is the one named export, imported by the watch stack.)
    expect(Object.keys(outputs).filter((k) => !k.startsWith('ExportsOutput') && k !== 'ChangeLogBucketArnExport').sort()).toEqual(Object.values(AUDIT_STACK_OUTPUT).sort());
    expect(outputs.ChangeLogBucketArnExport.Export).toEqual({ Name: CHANGE_LOG_BUCKET_ARN_EXPORT });
    expect(outputs[AUDIT_STACK_OUTPUT.heartbeatTable].Value).toBe(HEARTBEAT_TABLE_NAME);
    expect(outputs[AUDIT_STACK_OUTPUT.glueTable].Value).toBe('ddb_audit.audit_changes');
  });
});
