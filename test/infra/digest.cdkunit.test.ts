/**
 * The ChangeLogDigest construct in a small test stack (a KMS-encrypted, Object-Locked bucket and
 * an alarm topic), synthesized once with the real CDK synthesizer, esbuild bundling and cdk-nag;
 * with it, the arrivals ledger and its event intake (DigestArrivals).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChangeLogDigest } from '../../lib/constructs/digest';
import { ARRIVALS_RULE_NAME } from '../../lib/constructs/digest-arrivals';
import { DIGEST_ENV, DIGEST_METRIC, DIGEST_METRICS_NAMESPACE, DIGEST_SERVICE_NAME } from '../../lambda/digest/telemetry';

/** As AuditBuckets sets for its log bucket: server access logs are allowed by bucket policy, not ACL. */
const LOG_DELIVERY_BY_POLICY = { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true };

type Resources = Record<string, { Type: string; Properties: any; DeletionPolicy?: string }>;

let template: Template;
let resources: Resources;
let nagFindingsInConstruct: string[];
let ids: { bucket: string; bucketKey: string; topic: string };

beforeAll(() => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'digest-cdk-')), context: LOG_DELIVERY_BY_POLICY });
  const stack = new Stack(app, 'DigestTest', { env: { account: '111122223333', region: 'eu-west-1' } });
  const bucketKey = new kms.Key(stack, 'BucketKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'ChangeLog', { encryption: s3.BucketEncryption.KMS, encryptionKey: bucketKey, objectLockEnabled: true, enforceSSL: true, versioned: true });
  const topic = new sns.Topic(stack, 'Alarms', { masterKey: bucketKey });
  const accessLogs = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED, objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED });
  new ChangeLogDigest(stack, 'Digest', { bucket, bucketKey, alarmTopic: topic, serverAccessLogsBucket: accessLogs });
  // The fixture around the construct is not under test: only findings inside Digest/ count.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const allFindings = nagFindings(app);
  nagFindingsInConstruct = allFindings.filter((f) => f.includes(' DigestTest/Digest/'));

  // Synthesized once: the template is written before validation runs, so read it from the assembly.
  template = Template.fromJSON(JSON.parse(readFileSync(join(app.outdir, `${stack.artifactId}.template.json`), 'utf8')));
  resources = template.toJSON().Resources as Resources;
  const idOf = (type: string, part: string) => Object.keys(resources).find((id) => resources[id]!.Type === type && id.startsWith(part)) as string;
  ids = { bucket: idOf('AWS::S3::Bucket', 'ChangeLog'), bucketKey: idOf('AWS::KMS::Key', 'BucketKey'), topic: idOf('AWS::SNS::Topic', 'Alarms') };
});

/** cdk-nag 3 reports through CDK validation: synthesis throws and writes a JSON report. */
function nagFindings(app: App): string[] {
  try {
    app.synth();
    return [];
  } catch (err) {
    const match = /found in: (\S+validation-report\.json)/.exec((err as Error).message);
    if (!match) throw err;
    const report = JSON.parse(readFileSync(match[1] as string, 'utf8'));
    const out: string[] = [];
    for (const plugin of report.pluginReports ?? []) {
      for (const v of plugin.violations ?? []) for (const c of v.violatingConstructs ?? []) out.push(`${v.ruleName} ${c.constructPath}`);
    }
    // Synthesis failed, so something was found: an empty list would mean the report was misread.
    if (out.length === 0) throw new Error(`validation failed but no finding was read from ${match[1]}`);
    return out;
  }
}

function resourcesOf(type: string): [string, Resources[string]][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

function digestPolicyStatements(): any[] {
  const [entry] = resourcesOf('AWS::IAM::Policy').filter(([id]) => id.startsWith('DigestPolicy'));
  return entry![1].Properties.PolicyDocument.Statement;
}

const bucketArn = () => ({ 'Fn::GetAtt': [ids.bucket, 'Arn'] });
const objectsArn = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${prefix}*`]] });

describe('ChangeLogDigest', () => {
  test('creates an asymmetric ECC_NIST_P256 signing key that is kept when the stack is deleted', () => {
    const keys = resourcesOf('AWS::KMS::Key').filter(([, r]) => r.Properties.KeySpec === 'ECC_NIST_P256');
    expect(keys).toHaveLength(1);
    expect(keys[0]![1].Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(keys[0]![1].DeletionPolicy).toBe('Retain');
  });

  test('grants exactly list, read, read-retention, write-digests, sign, bucket-key use and ledger reads, each on its narrowest resource', () => {
    const statements = digestPolicyStatements();
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['ListChangeLogAndDigests', 'ReadArrivals', 'ReadChangeLogAndDigests', 'ReadObjectRetention', 'SignDigests', 'UseBucketKeyThroughS3', 'UseLedgerKey', 'WriteDigests', 'WriteOwnLogs']);
    // The arrivals ledger: Query and DescribeTable only (no Scan, no writes), and the table key's read actions.
    const ledgerId = resourcesOf('AWS::DynamoDB::Table')[0]![0];
    expect(bySid.ReadArrivals).toMatchObject({ Action: ['dynamodb:Query', 'dynamodb:DescribeTable'], Resource: { 'Fn::GetAtt': [ledgerId, 'Arn'] } });
    expect(bySid.UseLedgerKey).toMatchObject({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: { 'Fn::GetAtt': [ids.bucketKey, 'Arn'] } });
    // The digest records each object's retention (verify reports unlocked objects).
    expect(bySid.ReadObjectRetention).toMatchObject({
      Action: 's3:GetObjectRetention',
      Resource: [objectsArn('changes/'), objectsArn('overflow/'), objectsArn('errors/'), objectsArn('digests/')],
    });
    expect(bySid.ListChangeLogAndDigests).toMatchObject({ Action: 's3:ListBucket', Resource: bucketArn(), Condition: { StringLike: { 's3:prefix': ['changes/*', 'digests/*'] } } });
    expect(bySid.ReadChangeLogAndDigests).toMatchObject({ Action: 's3:GetObject', Resource: [objectsArn('changes/'), objectsArn('digests/')] });
    expect(bySid.WriteDigests).toMatchObject({ Action: 's3:PutObject', Resource: objectsArn('digests/') });
    const signingKeyId = resourcesOf('AWS::KMS::Key').find(([, r]) => r.Properties.KeySpec === 'ECC_NIST_P256')![0];
    expect(bySid.SignDigests).toMatchObject({ Action: ['kms:Sign', 'kms:GetPublicKey'], Resource: { 'Fn::GetAtt': [signingKeyId, 'Arn'] } });
    expect(bySid.UseBucketKeyThroughS3).toMatchObject({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [ids.bucketKey, 'Arn'] }, Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } });
    const everyAction = statements.flatMap((s) => [s.Action].flat());
    expect(everyAction).not.toContain('s3:DeleteObject');
    expect(everyAction.some((a: string) => a.endsWith('*'))).toBe(false);
  });

  test('runs on Node.js 24 ARM64 without reserved concurrency, with the bucket and signing key in its environment', () => {
    const fn = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('DigestFunction'))![1].Properties;
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    // Reserving fails to deploy in accounts with a low concurrency quota; conditional puts keep overlapping runs safe.
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.Environment.Variables[DIGEST_ENV.bucket]).toEqual({ Ref: ids.bucket });
    expect(Object.keys(fn.Environment.Variables)).toContain(DIGEST_ENV.signingKeyId);
  });

  test('is scheduled hourly at minute 15, after the hour has settled', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(15 * * * ? *)', State: 'ENABLED' });
  });

  test('alarms on a missed hour, including an hour with no run at all, and notifies the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: DIGEST_METRICS_NAMESPACE,
      MetricName: DIGEST_METRIC.undigestedHours,
      Dimensions: [{ Name: 'service', Value: DIGEST_SERVICE_NAME }],
      Period: 3600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: ids.topic }],
    });
  });

  test('has no cdk-nag findings inside the construct', () => {
    expect(nagFindingsInConstruct).toEqual([]);
  });

  test('reserves concurrency only when asked to', () => {
    const stack = new Stack(new App({ context: LOG_DELIVERY_BY_POLICY }), 'Reserved', { env: { account: '111122223333', region: 'eu-west-1' } });
    const bucketKey = new kms.Key(stack, 'K');
    new ChangeLogDigest(stack, 'Digest', { bucket: new s3.Bucket(stack, 'B'), bucketKey, reservedConcurrency: 1, serverAccessLogsBucket: new s3.Bucket(stack, 'L') });
    const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const digestFn = Object.entries(fns).find(([id]) => id.startsWith('DigestFunction'))![1] as any;
    expect(digestFn.Properties.ReservedConcurrentExecutions).toBe(1);
  });

  test('names its alarms ddb-audit-*, the names the alarm topic lets CloudWatch publish for', () => {
    const names = resourcesOf('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName);
    expect(names.sort()).toEqual([
      'ddb-audit-DigestArrivalsDeadLetters',
      'ddb-audit-DigestArrivalsQueueAge',
      'ddb-audit-DigestArrivalsReconciled',
      'ddb-audit-DigestArrivalsRuleFailedInvocations',
      'ddb-audit-DigestErrors',
      'ddb-audit-DigestMissedHour',
      'ddb-audit-DigestReconcileErrors',
    ]);
  });

  test('rejects a schedule minute before the hour has settled, saying what it got', () => {
    const stack = new Stack(new App({ context: LOG_DELIVERY_BY_POLICY }), 'Bad');
    const bucketKey = new kms.Key(stack, 'K');
    const bucket = new s3.Bucket(stack, 'B');
    expect(() => new ChangeLogDigest(stack, 'Digest', { bucket, bucketKey, scheduleMinute: 5, serverAccessLogsBucket: new s3.Bucket(stack, 'L') })).toThrow('scheduleMinute must be an integer from 15 to 59 (digests wait 15 minutes after the hour), got 5');
  });
});

describe('DigestArrivals (the ledger the digest reads)', () => {
  const only = <T>(list: T[]): T => {
    expect(list).toHaveLength(1);
    return list[0] as T;
  };

  test('a rule for Object Created under changes/ of this bucket only, delivering to the arrivals queue without a RoleArn', () => {
    const [, rule] = only(resourcesOf('AWS::Events::Rule').filter(([, r]) => r.Properties.Name === ARRIVALS_RULE_NAME));
    expect(rule.Properties.EventPattern).toEqual({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: ids.bucket }] }, object: { key: [{ prefix: 'changes/' }] } } });
    const queueId = resourcesOf('AWS::SQS::Queue').find(([id, r]) => id.startsWith('DigestArrivalsQueue') && r.Properties.RedrivePolicy)![0];
    expect(rule.Properties.Targets).toEqual([{ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, Id: 'Target0' }]);
  });

  test('the queue and the key allow only this rule to send (aws:SourceArn), and the queue dead-letters after 5 receives', () => {
    const ruleArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:111122223333:rule/${ARRIVALS_RULE_NAME}`]] };
    const [, queuePolicy] = only(resourcesOf('AWS::SQS::QueuePolicy').filter(([id]) => id.startsWith('DigestArrivalsQueue')));
    const sends = queuePolicy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'ArrivalsRuleSends');
    expect(sends).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } });
    const keyStatements = resources[ids.bucketKey]!.Properties.KeyPolicy.Statement;
    expect(keyStatements.find((s: any) => s.Sid === 'ArrivalsRuleUsesQueueKey')).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } });
    const [, queue] = resourcesOf('AWS::SQS::Queue').find(([id, r]) => id.startsWith('DigestArrivalsQueue') && r.Properties.RedrivePolicy)!;
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.bucketKey, 'Arn'] });
  });

  test('the ledger table is keyed by hour and object key, on demand, encrypted with the bucket key, expiring by TTL', () => {
    const [, table] = only(resourcesOf('AWS::DynamoDB::Table'));
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'hour', KeyType: 'HASH' }, { AttributeName: 'key', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [ids.bucketKey, 'Arn'] } },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  test('the arrivals function may only PutItem into the ledger (and use its key), and reads its queue with partial batch responses', () => {
    const [, policy] = only(resourcesOf('AWS::IAM::Policy').filter(([id]) => id.startsWith('DigestArrivalsPolicy')));
    const bySid = Object.fromEntries(policy.Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['RecordArrivals', 'UseLedgerKey', 'WriteOwnLogs']);
    const ledgerId = resourcesOf('AWS::DynamoDB::Table')[0]![0];
    expect(bySid.RecordArrivals).toMatchObject({ Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [ledgerId, 'Arn'] } });
    const [, mapping] = only(resourcesOf('AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 5 } });
    const digestFn = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('DigestFunction'))![1];
    expect(digestFn.Properties.Environment.Variables[DIGEST_ENV.arrivalsTable]).toEqual({ Ref: ledgerId });
  });
});

describe('DigestReconciliation (S3 Inventory against the digests)', () => {
  test('the change-log bucket gets a daily CSV inventory of changes/ with LastModifiedDate, delivered to the inventory bucket', () => {
    expect(resources[ids.bucket]!.Properties.InventoryConfigurations).toEqual([
      {
        Id: 'ddb-audit-digest-reconcile',
        Enabled: true,
        Prefix: 'changes/',
        ScheduleFrequency: 'Daily',
        IncludedObjectVersions: 'Current',
        OptionalFields: ['Size', 'LastModifiedDate'],
        Destination: { BucketArn: { 'Fn::GetAtt': [expect.stringMatching(/^DigestReconcileInventory/), 'Arn'] }, Format: 'CSV', Prefix: 'reports' },
      },
    ]);
  });

  test('the inventory bucket is encrypted (SSE-S3), blocks public access, expires reports after 7 days, and lets only S3 Inventory of the change-log bucket write', () => {
    const [inventoryId, inventory] = resourcesOf('AWS::S3::Bucket').find(([id]) => id.startsWith('DigestReconcileInventory'))!;
    expect(inventory.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(inventory.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(inventory.Properties.LifecycleConfiguration.Rules).toEqual([{ ExpirationInDays: 7, Status: 'Enabled' }]);
    expect(inventory.Properties.ObjectLockEnabled).toBeUndefined();
    const [, bucketPolicy] = resourcesOf('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket.Ref === inventoryId)!;
    const writes = bucketPolicy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(writes).toEqual([expect.objectContaining({ Principal: { Service: 's3.amazonaws.com' }, Action: 's3:PutObject', Condition: expect.objectContaining({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.bucket, 'Arn'] } } }) })]);
  });

  test('the reconcile function reads only the reports and digests, and may only PutItem into the ledger; it runs daily', () => {
    const [, policy] = resourcesOf('AWS::IAM::Policy').find(([id]) => id.startsWith('DigestReconcilePolicy'))!;
    const bySid = Object.fromEntries(policy.Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['ListInventoryReports', 'ReadDigests', 'ReadInventoryReports', 'RecordArrivals', 'UseAuditKey', 'WriteOwnLogs']);
    expect(bySid.ReadDigests).toMatchObject({ Action: 's3:GetObject', Resource: objectsArn('digests/') });
    expect(bySid.RecordArrivals.Action).toBe('dynamodb:PutItem');
    const everyAction = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
    expect(everyAction.some((a: string) => a.endsWith('*') || a.startsWith('s3:Delete') || a === 's3:PutObject')).toBe(false);
    const [, rule] = resourcesOf('AWS::Events::Rule').find(([id]) => id.startsWith('DigestReconcileDaily'))!;
    expect(rule.Properties.ScheduleExpression).toBe('cron(30 12 * * ? *)');
  });

  test('alarms when a run finds objects no digest listed, and when no run succeeded in a day', () => {
    const [, alarm] = resourcesOf('AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === 'ddb-audit-DigestArrivalsReconciled')!;
    expect(alarm.Properties).toMatchObject({ MetricName: DIGEST_METRIC.reconciledObjects, Namespace: DIGEST_METRICS_NAMESPACE, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'breaching', Period: 86400 });
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: ids.topic }]);
  });
});
