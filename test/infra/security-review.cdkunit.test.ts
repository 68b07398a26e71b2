/**
 * Security review of every synthesized template (audit stack, each source-account stack, mappings
 * stack), from the example cdk.json, synthesized once. It fails on:
 *   - an Allow statement with a wildcard action, or a wildcard resource, that is not in
 *     WILDCARD_EXCEPTIONS below (each with its reason). A resource counts as a wildcard when it
 *     contains "*" anywhere except as the tail of an object-key prefix of a resource defined in the
 *     same template (`<bucket ARN>/changes/*`). In a KMS key policy, Resource "*" means "this key"
 *     and is not counted;
 *   - an Allow statement to any principal ("*");
 *   - a resource policy granting a service principal without an aws:SourceAccount / aws:SourceArn
 *     condition (confused deputy), unless listed in the exceptions;
 *   - a bucket without all four public access blocks, without default encryption, or without a
 *     policy denying every request that is not TLS;
 *   - a stream resource policy granting more than DescribeStream, GetRecords and GetShardIterator,
 *     to anyone but the collector and watch roles, or on another resource than its own stream; a
 *     table resource policy granting more than DescribeTable, to anyone but the watch role;
 *   - an unencrypted Firehose stream (server-side or at its S3 destination) or Athena workgroup
 *     results that are not KMS-encrypted or whose settings clients may override.
 * An exception that no longer matches anything also fails, so the list stays true.
 */
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { RESOURCE_POLICY_STATEMENT_TYPE } from '../../lambda/resource-policy/contract';
import { collectorRoleArn, collectorStreamSid, STREAM_READ_ACTIONS, streamResourcePolicy, watchRoleArn, watchTableSid } from '../../lib/stream-policy';
import type { AuditConfig } from '../../schemas/audit-config';
import { buildTestApp, exampleConfig } from '../support/audit-app';

/** The one list of accepted wildcards and unconditioned service grants, each with its reason. */
const WILDCARD_EXCEPTIONS: readonly { finding: RegExp; reason: string }[] = [
  {
    finding: /^DdbAuditCollector (Key|DigestSigningKey)\w+ KeyPolicy principal=account-root action kms:\*$/,
    reason: 'CDK default key policy: the account root may administer the key, which delegates access to IAM policies in the audit account (without it the key becomes unmanageable).',
  },
  {
    finding: /^DdbAuditCollector Key\w+ KeyPolicy principal=logs\.[a-z0-9-]+\.amazonaws\.com action kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|Describe)\*$/,
    reason: 'CloudWatch Logs encrypts the log groups with the audit key; the statement is limited by a kms:EncryptionContext:aws:logs:arn condition to this account\'s log groups.',
  },
  {
    finding: /^DdbAuditCollector Key\w+ KeyPolicy principal=cloudwatch\.amazonaws\.com action kms:GenerateDataKey\*$/,
    reason: 'CloudWatch alarms publish to the KMS-encrypted alarm topic; GenerateDataKey* is the action family SNS documents for publishers. Conditioned on aws:SourceAccount and aws:SourceArn = this account\'s ddb-audit-* alarms.',
  },
  {
    finding: /^DdbAuditCollector Key\w+ KeyPolicy principal=events\.amazonaws\.com action kms:GenerateDataKey\*$/,
    reason: 'EventBridge rules deliver to the KMS-encrypted alarm topic and queues (failure-object alert, retention and partition queues, heartbeat landings); GenerateDataKey* is the documented action family, each statement conditioned on aws:SourceArn = that one rule.',
  },
  {
    finding: /^DdbAuditCollector awscdkawsgluealphaPartitionIndexProvider\w+ Policy resource \$\{awscdkawsgluealphaPartitionIndexProvider\w+\.Arn\}:\* \(lambda:InvokeFunction\)$/,
    reason: "CDK's partition-index provider (CloudFormation has no partition-index property; lib/constructs/change-log-catalog.ts): its framework functions and waiter may invoke the provider's own functions, any version (<function ARN>:*). Deploy time only.",
  },
  {
    finding: /^DdbAuditCollector HeartbeatCollectorReadsHeartbeat\w+ Policy resource \* \(dynamodb:ListStreams\)$/,
    reason: 'dynamodb:ListStreams is an account-level action without resource-level permissions; the heartbeat mapping lists streams when it is set up. Its stream reads are limited to the heartbeat stream ARN.',
  },
  {
    finding: /^DdbAuditCollector ReplayPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:cloudformation:[a-z0-9-]+:\d{12}:stack\/DdbAuditCollector\/\* \(cloudformation:DescribeStacks\)$/,
    reason: 'A stack ARN ends in an id CloudFormation generates; the replay role may only DescribeStacks on the audit stack, to read the outputs replay needs.',
  },
  {
    finding: /^DdbAuditCollector DeliveryStreamServiceRoleDefaultPolicy\w+ Policy action kms:(ReEncrypt|GenerateDataKey)\*$/,
    reason: 'The Firehose L2 grants its role these KMS action families for server-side encryption, on the audit key only (resource is that one key ARN).',
  },
  {
    finding: /^DdbAuditCollector CollectorRoleDefaultPolicy\w+ Policy resource \* \(xray:PutTraceSegments,xray:PutTelemetryRecords\)$/,
    reason: 'X-Ray tracing of the collector: PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
  },
  {
    finding: /^DdbAuditSource-\d{12} ResourcePolicyProviderPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:dynamodb:[a-z0-9-]+:\d{12}:table\/\*\/stream\/\* \(dynamodb:GetResourcePolicy,dynamodb:PutResourcePolicy,dynamodb:DeleteResourcePolicy\)$/,
    reason: "The source stack's policy provider may change resource policies of its own account's streams by ARN pattern, not one ARN per stream: listed ARNs would pass IAM's 10,240-character inline-policy limit at about 90 streams. The function writes only the statements it was deployed for (our Sid, the collector role, the three read actions) and removes only statements of that Sid, whoever invokes it.",
  },
  {
    finding: /^DdbAuditSource-\d{12}(-\d+)? ResourcePolicyProviderPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:dynamodb:[a-z0-9-]+:\d{12}:table\/\* \(dynamodb:GetResourcePolicy,dynamodb:PutResourcePolicy,dynamodb:DeleteResourcePolicy\)$/,
    reason: "With the stream watch, the same provider also merges the watch's DescribeTable statement into its own account's TABLE policies, by the same ARN pattern and for the same reason (constant size); it writes only the statements it was deployed for (ALLOWED_STATEMENTS: the watch's Sid, the watch role, dynamodb:DescribeTable).",
  },
  {
    finding: /^DdbAuditWatch WatchPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:dynamodb:[a-z0-9-]+:\*:table\/\* \(dynamodb:DescribeTable\)$/,
    reason: "The stream watch describes every onboarded table of the region, in any source account, by ARN pattern: a listed ARN per source would pass IAM's 10,240-character inline-policy limit at about 100 sources. Cross-account, DescribeTable also needs the table policy statement that only the source stacks add (the watch role only); DescribeTable reads metadata, never items.",
  },
  {
    finding: /^DdbAuditWatch WatchPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:dynamodb:[a-z0-9-]+:\*:table\/\*\/stream\/\* \(dynamodb:DescribeStream\)$/,
    reason: 'The stream watch describes every onboarded stream of the region by ARN pattern, for the same reason; cross-account it also needs the stream statement naming the watch role. DescribeStream only: no GetRecords or GetShardIterator, the watch never reads changes.',
  },
  {
    finding: /^DdbAuditWatch WatchPolicy\w+ Policy resource \* \(lambda:ListEventSourceMappings\)$/,
    reason: "lambda:ListEventSourceMappings has no resource type in Lambda's action table (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html); the watch lists the collector's mappings only (FunctionName), and the action reads configuration, never data.",
  },
  {
    finding: /^DdbAuditWatch WatchPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:firehose:[a-z0-9-]+:\d{12}:deliverystream\/ddb-audit-changes-\* \(firehose:PutRecordBatch\)$/,
    reason: "The watch delivers each gap record to its table's delivery stream (the collector's routing), so it has the collector's grant: the streams after the first by their fixed name prefix in the audit account, one entry whatever the stream count, PutRecordBatch only.",
  },
  {
    finding: /^DdbAuditWatch WatchPolicy\w+ Policy resource \{"Fn::ImportValue":"DdbAuditCollector-ChangeLogBucketArn"\}\/overflow\/\* \(s3:PutObject\)$/,
    reason: "The watch writes a gap record too large for Firehose whole under the change log's overflow/ prefix, as the collector does; the bucket is the audit stack's, imported by its named export, so the object-prefix rule (resources of the same template) cannot see it. PutObject only, under overflow/ only.",
  },
  {
    finding: /^DdbAuditCollector CollectorPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:firehose:[a-z0-9-]+:\d{12}:deliverystream\/ddb-audit-changes-\* \(firehose:PutRecordBatch\)$/,
    reason:
      'The delivery streams after the first (issue 11: as many as the sources need), by their fixed name prefix in the audit account: one entry whatever the stream count, so the role policy does not grow or change when sources are added. The grant is PutRecordBatch only.',
  },
  {
    finding: /^DdbAuditCollector CollectorStreamReadPolicy\w+ Policy resource \* \(dynamodb:ListStreams\)$/,
    reason: 'dynamodb:ListStreams is an account-level action without resource-level permissions; the event source mapping calls it.',
  },
  {
    finding: /^DdbAuditCollector CollectorStreamReadPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:dynamodb:[a-z0-9-]+:\*:table\/\*\/stream\/\* \(dynamodb:DescribeStream,dynamodb:GetRecords,dynamodb:GetShardIterator\)$/,
    reason:
      "Widened from one ARN per onboarded stream to every stream of the region (issue 11): listed ARNs passed IAM's 10,240-character inline-policy limit at about 100 sources. A cross-account read also needs the stream's resource policy to name the collector role, which only onboarded streams' policies do (source stacks), so the pattern reaches nothing no source account granted; the audit account's own streams, where the identity grant alone would do, are denied except the heartbeat's (DenyOwnAccountStreams, aws:ResourceAccount).",
  },
  {
    finding: /^DdbAuditCollector CollectorStreamReadPolicy\w+ Policy resource arn:\$\{AWS::Partition\}:kms:[a-z0-9-]+:\*:key\/\* \(kms:Decrypt,kms:DescribeKey\)$/,
    reason:
      "Widened from each source's listed key to every key of the region (issue 11), for a policy whose size does not grow with the sources. Another account's key is usable only if its key policy names the collector role (sourceKeyPolicyStatement, added by the source team); the audit account's own keys are not denied, because Lambda decrypts the function's environment variables as this role and a Deny would stop the collector starting; the collector never calls KMS itself. No kms:ViaService: its value for stream reads is documented nowhere.",
  },
];

type Json = any;

interface StackTemplate {
  readonly name: string;
  readonly resources: Record<string, { Type: string; Properties?: Json }>;
}

let config: AuditConfig;
let stacks: StackTemplate[];

beforeAll(() => {
  config = exampleConfig();
  const { app } = buildTestApp(config);
  stacks = app
    .synth()
    .stacks.map((s: CloudFormationStackArtifact) => ({ name: s.stackName, resources: (s.template as { Resources: StackTemplate['resources'] }).Resources }));
});

/** CloudFormation value -> text, with tokens written as ${Logical.Attr} / ${Ref}. */
function flatten(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join(',');
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) return `\${${[].concat(value['Fn::GetAtt']).join('.')}}`;
    if ('Fn::Join' in value) return (value['Fn::Join'][1] as Json[]).map(flatten).join(value['Fn::Join'][0]);
    if ('Fn::Sub' in value) return flatten([].concat(value['Fn::Sub'])[0]);
  }
  return JSON.stringify(value);
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

interface PolicySource {
  readonly stack: string;
  readonly id: string;
  readonly kind: 'Policy' | 'KeyPolicy' | 'BucketPolicy' | 'TopicPolicy' | 'RolePolicy';
  readonly statements: Json[];
}

function policySources(): PolicySource[] {
  const out: PolicySource[] = [];
  for (const stack of stacks) {
    for (const [id, r] of Object.entries(stack.resources)) {
      const p = r.Properties ?? {};
      const add = (kind: PolicySource['kind'], doc: Json) => out.push({ stack: stack.name, id, kind, statements: list(doc?.Statement) });
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') add('Policy', p.PolicyDocument);
      if (r.Type === 'AWS::IAM::Role') for (const inline of list<Json>(p.Policies)) add('RolePolicy', inline.PolicyDocument);
      if (r.Type === 'AWS::KMS::Key') add('KeyPolicy', p.KeyPolicy);
      if (r.Type === 'AWS::S3::BucketPolicy') add('BucketPolicy', p.PolicyDocument);
      if (r.Type === 'AWS::SNS::TopicPolicy') add('TopicPolicy', p.PolicyDocument);
    }
  }
  return out;
}

function principalName(principal: Json): string {
  if (principal === undefined) return '';
  if (principal === '*' || principal?.AWS === '*') return '*';
  const aws = list<Json>(principal?.AWS).map(flatten);
  if (aws.length > 0) return aws.map((a) => (/:iam::\d{12}:root$/.test(a) ? 'account-root' : a)).join(',');
  return list<string>(principal?.Service).join(',');
}

const SCOPED_OBJECT_PREFIX = /^\$\{[A-Za-z0-9]+\.Arn\}\/[^*]*\*$/;

/** Every wildcard, anyone-grant and unconditioned service grant, as one line each. */
function findings(): string[] {
  const out: string[] = [];
  for (const source of policySources()) {
    for (const s of source.statements) {
      if (s.Effect !== 'Allow') continue; // Deny statements only take away
      const principal = principalName(s.Principal);
      const where = `${source.stack} ${source.id} ${source.kind}${principal ? ` principal=${principal}` : ''}`;
      if (principal === '*') out.push(`${where} grants to any principal`);
      const actions = list<string>(s.Action ?? s.NotAction);
      if (s.NotAction !== undefined || s.NotResource !== undefined) out.push(`${where} uses NotAction/NotResource`);
      for (const action of actions.filter((a) => a.includes('*'))) out.push(`${where} action ${action}`);
      for (const resource of list<Json>(s.Resource).map(flatten)) {
        if (source.kind === 'KeyPolicy' && resource === '*') continue; // "this key"
        if (resource.includes('*') && !SCOPED_OBJECT_PREFIX.test(resource)) out.push(`${where} resource ${resource} (${actions.join(',')})`);
      }
      const isService = list<string>(s.Principal?.Service).length > 0;
      const conditionKeys = JSON.stringify(s.Condition ?? {});
      if (isService && source.kind !== 'Policy' && source.kind !== 'RolePolicy' && !/aws:Source(Account|Arn)|kms:EncryptionContext|kms:ViaService/.test(conditionKeys)) out.push(`${where} unconditioned service grant`);
    }
  }
  return out;
}

describe('security review of the synthesized templates', () => {
  it('synthesizes the audit stack, the watch stack, and one source stack and one mappings stack per source account', () => {
    const accounts = new Set(config.sources.map((s) => s.streamArn.split(':')[4]));
    expect(stacks.map((s) => s.name).sort()).toEqual(['DdbAuditCollector', 'DdbAuditWatch', ...[...accounts].flatMap((a) => [`DdbAuditSource-${a}`, `DdbAuditMappings-${a}`])].sort());
  });

  it('has no wildcard grant, grant to anyone, or unconditioned service grant beyond the documented exceptions', () => {
    const unexplained = findings().filter((f) => !WILDCARD_EXCEPTIONS.some((e) => e.finding.test(f)));
    expect(unexplained).toEqual([]);
  });

  it('documents only exceptions that are still needed, each with a reason', () => {
    const all = findings();
    const stale = WILDCARD_EXCEPTIONS.filter((e) => !all.some((f) => e.finding.test(f))).map((e) => e.finding.source);
    expect(stale).toEqual([]);
    expect(WILDCARD_EXCEPTIONS.every((e) => e.reason.length > 40)).toBe(true);
  });

  it('blocks public access, encrypts by default and denies non-TLS requests on every bucket', () => {
    const problems: string[] = [];
    let buckets = 0;
    for (const stack of stacks) {
      const policies = Object.values(stack.resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
      for (const [id, r] of Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket')) {
        buckets++;
        const p = r.Properties ?? {};
        const block = p.PublicAccessBlockConfiguration ?? {};
        if (!['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every((k) => block[k] === true)) problems.push(`${id}: public access not fully blocked`);
        if (list<Json>(p.BucketEncryption?.ServerSideEncryptionConfiguration).length === 0) problems.push(`${id}: no default encryption`);
        const policy = policies.find((bp) => flatten(bp.Properties?.Bucket) === `\${${id}}`);
        const tlsOnly = list<Json>(policy?.Properties?.PolicyDocument?.Statement).some((s) => {
          const resources = list<Json>(s.Resource).map(flatten);
          return (
            s.Effect === 'Deny' &&
            principalName(s.Principal) === '*' &&
            list<string>(s.Action).includes('s3:*') &&
            s.Condition?.Bool?.['aws:SecureTransport'] === 'false' &&
            resources.includes(`\${${id}.Arn}`) &&
            resources.includes(`\${${id}.Arn}/*`)
          );
        });
        if (!tlsOnly) problems.push(`${id}: no policy denying non-TLS requests to the bucket and its objects`);
      }
    }
    expect(buckets).toBeGreaterThanOrEqual(4); // change log, failures, Athena results, access logs
    expect(problems).toEqual([]);
  });

  it('grants each source stream exactly the three read actions to the collector and watch roles, and each table DescribeTable to the watch role only, each on its own resource', () => {
    // Prepare
    const location = { auditAccountId: config.auditAccountId, region: config.region };
    const role = collectorRoleArn(location);
    const watch = watchRoleArn(location);
    const streams: string[] = [];
    const tables: string[] = [];
    const problems: string[] = [];
    // Act: every statement a source stack merges into a stream's or table's policy (Custom::DdbAuditResourcePolicyStatement).
    for (const stack of stacks.filter((s) => s.name.startsWith('DdbAuditSource-'))) {
      for (const [id, r] of Object.entries(stack.resources).filter(([, r]) => r.Type.startsWith('Custom::'))) {
        expect({ id, type: r.Type }).toEqual({ id, type: RESOURCE_POLICY_STATEMENT_TYPE });
        const resource = r.Properties?.ResourceArn as string;
        const s = JSON.parse(r.Properties?.Statement as string) as Json;
        // The stream statement names both roles (the watch role's own IAM allows it DescribeStream only); the table statement the watch role only.
        // Each source stack writes its own chunk's Sids (lib/stream-policy.ts, collectorStreamSid).
        const chunk = Number(/^DdbAuditSource-\d{12}(?:-(\d+))?$/.exec(stack.name)?.[1] ?? 0);
        const isTable = s.Sid === watchTableSid(chunk);
        (isTable ? tables : streams).push(resource);
        const principal = isTable ? { AWS: watch } : { AWS: [role, watch] };
        const actions = isTable ? ['dynamodb:DescribeTable'] : [...STREAM_READ_ACTIONS];
        if (!isTable && s.Sid !== collectorStreamSid(chunk)) problems.push(`${id}: Sid ${JSON.stringify(s.Sid)}`);
        if (s.Effect !== 'Allow') problems.push(`${id}: effect ${JSON.stringify(s.Effect)}`);
        if (JSON.stringify(s.Principal) !== JSON.stringify(principal)) problems.push(`${id}: principal ${JSON.stringify(s.Principal)}`);
        if (JSON.stringify([...list<string>(s.Action)].sort()) !== JSON.stringify(actions.sort())) problems.push(`${id}: actions ${JSON.stringify(s.Action)}`);
        if (list<string>(s.Resource).some((res) => res !== resource)) problems.push(`${id}: resource ${JSON.stringify(s.Resource)} on ${resource}`);
        if (s.NotPrincipal !== undefined || s.NotAction !== undefined || s.NotResource !== undefined) problems.push(`${id}: NotPrincipal/NotAction/NotResource`);
      }
    }
    // Assess
    expect(problems).toEqual([]);
    expect(streams.sort()).toEqual(config.sources.map((s) => s.streamArn).sort());
    expect(tables.sort()).toEqual(config.sources.map((s) => s.streamArn.replace(/\/stream\/[^/]+$/, '')).sort());
    // The same document for teams that attach it themselves (TableV2 streamResourcePolicy).
    expect(streamResourcePolicy(role).Statement).toEqual([{ Sid: 'DdbAuditCollectorReadsStream', Effect: 'Allow', Principal: { AWS: role }, Action: [...STREAM_READ_ACTIONS], Resource: '*' }]);
  });

  it('encrypts every Firehose stream with a customer managed key, at rest in the stream and at its S3 destination', () => {
    const streams = stacks.flatMap((s) => Object.entries(s.resources).filter(([, r]) => r.Type === 'AWS::KinesisFirehose::DeliveryStream'));
    expect(streams.length).toBeGreaterThan(0);
    for (const [id, r] of streams) {
      const p = r.Properties ?? {};
      expect({ id, sse: p.DeliveryStreamEncryptionConfigurationInput?.KeyType }).toEqual({ id, sse: 'CUSTOMER_MANAGED_CMK' });
      expect({ id, key: typeof p.DeliveryStreamEncryptionConfigurationInput?.KeyARN }).toEqual({ id, key: 'object' });
      const destination = p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration;
      expect({ id, kms: destination?.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN !== undefined, none: destination?.EncryptionConfiguration?.NoEncryptionConfig }).toEqual({ id, kms: true, none: undefined });
    }
  });

  it('encrypts Athena results with KMS in every workgroup and enforces the workgroup settings', () => {
    const groups = stacks.flatMap((s) => Object.entries(s.resources).filter(([, r]) => r.Type === 'AWS::Athena::WorkGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const [id, r] of groups) {
      const c = r.Properties?.WorkGroupConfiguration ?? {};
      expect({ id, enforced: c.EnforceWorkGroupConfiguration, option: c.ResultConfiguration?.EncryptionConfiguration?.EncryptionOption, key: c.ResultConfiguration?.EncryptionConfiguration?.KmsKey !== undefined }).toEqual({
        id,
        enforced: true,
        option: expect.stringMatching(/^(SSE_KMS|CSE_KMS)$/),
        key: true,
      });
    }
  });
});
