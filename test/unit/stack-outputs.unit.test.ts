/**
 * Reading a deployment's stack outputs (both file shapes, and CloudFormation) and the precedence of
 * replay's delivery settings. CloudFormation's DescribeStacks uses aws-sdk-client-mock: no local
 * peer of CloudFormation exists here.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_STACK_OUTPUT } from '../../schemas/deployment';
import { auditDeployment, missingOutputKeys, parseStackOutputsFile, readStackOutputsFile, readStackOutputsFromCloudFormation } from '../../cli/deployment/stack-outputs';
import { replaySinkSettings } from '../../cli/replay/delivery-settings';
import { run as replay } from '../../bin/commands/replay';
import { captureIo } from '../support/capture-io';

const OUTPUTS = {
  ChangeLogBucketName: 'ddb-audit-changelog-111111111111',
  FailureBucketName: 'ddb-audit-failures-111111111111',
  DeliveryStreamNames: 'ddb-audit-changes',
  AthenaWorkgroupName: 'ddb-audit',
  GlueTable: 'ddb_audit.audit_changes',
  DigestSigningKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/abcd',
  AlarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ddb-audit-alarms',
  CollectorFunctionName: 'ddb-audit-collector',
  HeartbeatTableName: 'ddb-audit-heartbeat',
};

/** `cdk deploy --outputs-file` shape. */
const cdkOutputsFile = (outputs: Record<string, string> = OUTPUTS) => JSON.stringify({ DdbAuditMappings: {}, DdbAuditCollector: outputs });
/** `aws cloudformation describe-stacks` shape. */
const describeStacksFile = (outputs: Record<string, string> = OUTPUTS) =>
  JSON.stringify({ Stacks: [{ StackName: 'DdbAuditCollector', StackStatus: 'UPDATE_COMPLETE', Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue, Description: 'x' })) }] });

describe('parseStackOutputsFile', () => {
  it('reads the audit stack from a cdk deploy --outputs-file file and from describe-stacks JSON alike', () => {
    expect(parseStackOutputsFile(cdkOutputsFile(), 'outputs.json')).toEqual(OUTPUTS);
    expect(parseStackOutputsFile(describeStacksFile(), 'stacks.json')).toEqual(OUTPUTS);
  });

  it('gives the same outputs from either shape for any outputs', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,30}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string()), (outputs) => {
        expect(parseStackOutputsFile(cdkOutputsFile(outputs), 'a')).toEqual(parseStackOutputsFile(describeStacksFile(outputs), 'b'));
      }),
    );
  });

  it.each([
    ['{', /^f\.json is not JSON/],
    ['[]', 'f.json: expected a JSON object (cdk deploy --outputs-file, or aws cloudformation describe-stacks)'],
    ['{"DdbAuditMappings":{}}', 'f.json: no outputs of stack DdbAuditCollector (it has DdbAuditMappings); write them with cdk deploy --outputs-file f.json'],
    ['{"Stacks":[{"StackName":"Other"}]}', 'f.json: describe-stacks output has no stack DdbAuditCollector (it has Other)'],
    ['{"DdbAuditCollector":{"ChangeLogBucketName":7}}', 'f.json: DdbAuditCollector.ChangeLogBucketName is not a string'],
  ])('rejects %s with a message naming the file and what is wrong', (text, message) => {
    expect(() => parseStackOutputsFile(text, 'f.json')).toThrow(message);
  });

  it('names a file it cannot read', () => {
    expect(() => readStackOutputsFile('/nonexistent/outputs.json', 'outputs.json')).toThrow('cannot read outputs.json: ENOENT');
  });
});

describe('auditDeployment', () => {
  it('splits the delivery streams into a list and the Glue table into database and table', () => {
    const deployment = auditDeployment({ ...OUTPUTS, DeliveryStreamNames: 'a, b,,c ' });
    expect(deployment.deliveryStreams).toEqual(['a', 'b', 'c']);
    expect(deployment.glueTable).toEqual({ database: 'ddb_audit', table: 'audit_changes' });
    expect(deployment.heartbeatTable).toBe('ddb-audit-heartbeat');
  });

  it('reads an empty heartbeat output as "disabled" and an absent one as unknown', () => {
    expect(auditDeployment({ ...OUTPUTS, HeartbeatTableName: '' }).heartbeatTable).toBeNull();
    const { HeartbeatTableName: _, ...withoutHeartbeat } = OUTPUTS;
    expect(auditDeployment(withoutHeartbeat).heartbeatTable).toBeUndefined();
    expect(missingOutputKeys(withoutHeartbeat)).toEqual([AUDIT_STACK_OUTPUT.heartbeatTable]);
  });

  it('lists every contract key as missing from empty outputs', () => {
    expect(missingOutputKeys({})).toEqual(Object.values(AUDIT_STACK_OUTPUT));
  });
});

describe('readStackOutputsFromCloudFormation', () => {
  const cfn = mockClient(CloudFormationClient);
  afterEach(() => cfn.reset());
  afterAll(() => cfn.restore());

  it('reads the outputs of DdbAuditCollector', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'DdbAuditCollector' }).resolves(JSON.parse(describeStacksFile()));
    expect(await readStackOutputsFromCloudFormation(new CloudFormationClient({ region: 'eu-west-1' }))).toEqual(OUTPUTS);
  });

  it('says the stack does not exist when CloudFormation answers with its ValidationError', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id DdbAuditCollector does not exist'), { name: 'ValidationError' }));
    await expect(readStackOutputsFromCloudFormation(new CloudFormationClient({ region: 'eu-west-1' }))).rejects.toThrow('stack DdbAuditCollector does not exist in this account and region (deploy it, or check --region)');
  });
});

describe('replaySinkSettings: flags, then the stack outputs, then the collector variables', () => {
  const deployment = auditDeployment(OUTPUTS);
  const env = { DELIVERY_STREAM_NAME: 'from-env', OVERFLOW_BUCKET: 'env-bucket', PACKING: 'single' };

  it('takes the delivery stream and overflow bucket from the stack outputs over the environment', () => {
    expect(replaySinkSettings({}, env, deployment)).toEqual({ deliveryStreamName: 'ddb-audit-changes', overflowBucket: 'ddb-audit-changelog-111111111111', overflowPrefix: 'overflow/', packing: 'single' });
  });

  it('lets every flag win over the stack outputs', () => {
    expect(replaySinkSettings({ deliveryStream: 'flag-stream', overflowBucket: 'flag-bucket', overflowPrefix: 'o/', packing: 'ndjson' }, env, deployment)).toEqual({
      deliveryStreamName: 'flag-stream',
      overflowBucket: 'flag-bucket',
      overflowPrefix: 'o/',
      packing: 'ndjson',
    });
  });

  it('uses the collector variables when no stack outputs were asked for', () => {
    expect(replaySinkSettings({}, env)).toMatchObject({ deliveryStreamName: 'from-env', overflowBucket: 'env-bucket' });
  });

  it('asks which delivery stream when the deployment has several, and takes the one named', () => {
    const several = auditDeployment({ ...OUTPUTS, DeliveryStreamNames: 'ddb-audit-changes-0,ddb-audit-changes-1' });
    expect(() => replaySinkSettings({}, {}, several, 'outputs.json')).toThrow('outputs.json list 2 delivery streams (ddb-audit-changes-0, ddb-audit-changes-1): choose one with --delivery-stream');
    expect(replaySinkSettings({ deliveryStream: 'ddb-audit-changes-1' }, {}, several).deliveryStreamName).toBe('ddb-audit-changes-1');
  });

  it('names the flag, the variable and the output when a setting is found nowhere', () => {
    expect(() => replaySinkSettings({}, {})).toThrow('--delivery-stream (or environment variable DELIVERY_STREAM_NAME) is required but not set; or read it from the deployment with --from-stack or --stack-outputs FILE (output DeliveryStreamNames)');
    expect(() => replaySinkSettings({}, {}, auditDeployment({}), 'outputs.json')).toThrow('--delivery-stream (or environment variable DELIVERY_STREAM_NAME) is required but not set; outputs.json have no DeliveryStreamNames');
  });
});

describe('ddb-audit replay --stack-outputs', () => {
  it('rejects a stack-outputs file without the audit stack with exit status 2 and one line', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-outputs-'));
    writeFileSync(join(dir, 'outputs.json'), '{"Other":{}}');
    const io = captureIo({ cwd: dir, env: { SOURCE_OPTIONS: '{}' } });
    // Act
    const status = await replay(['--from', join(__dirname, '..', 'events', 'on-failure-record.json'), '--stack-outputs', 'outputs.json'], io);
    // Assess
    expect(status).toBe(2);
    expect(io.err.join('')).toBe('ddb-audit replay: outputs.json: no outputs of stack DdbAuditCollector (it has Other); write them with cdk deploy --outputs-file outputs.json\n');
  });

  it('rejects --stack-outputs together with --from-stack', async () => {
    const io = captureIo({ env: { SOURCE_OPTIONS: '{}' } });
    expect(await replay(['--from', join(__dirname, '..', 'events', 'on-failure-record.json'), '--stack-outputs', 'x.json', '--from-stack'], io)).toBe(2);
    expect(io.err.join('')).toContain('--stack-outputs and --from-stack are exclusive');
  });
});
