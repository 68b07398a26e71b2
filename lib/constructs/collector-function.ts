/**
 * The collector Lambda and its execution role. The role has a fixed name (lib/stream-policy.ts) so
 * source accounts can name it in their stream policies before it exists.
 *
 * Sized for 1,000 accounts x 10,000 tables: nothing here grows with the number of sources.
 *   - The role's policies are a fixed set of region-scoped patterns (see `streamReadStatements`):
 *     IAM caps a role's inline policies at 10,240 characters
 *     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), which one ARN
 *     per stream passed at about 100 sources.
 *   - The per-source options (actor attribute, redaction) are a JSON file in a Lambda layer built
 *     at synth, read once at cold start (SOURCE_OPTIONS_FILE). They used to be inlined with esbuild
 *     `define`, whose command line passed Linux's 128 KB limit on one argument (E2BIG) at about
 *     3,000 sources. A layer rather than an S3 object or AppConfig: it is a CDK asset like the code,
 *     so `cdk deploy` alone publishes a new version and points the function at it, with no runtime
 *     dependency, no extra IAM and nothing to fetch at cold start but a local file; a layer may be
 *     250 MB unzipped with the function (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
 *     and 10,000 sources' options are about 1 MB.
 *   - The delivery streams are stream 0's name plus a prefix and a count (lambda/core/delivery-routing.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/core/telemetry';
import { COLLECTOR_FUNCTION_NAME, collectorRoleName, STREAM_READ_ACTIONS } from '../stream-policy';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { DELIVERY_STREAM_NAME_PREFIX } from '../../lambda/core/delivery-routing';
import { COLLECTOR_NODE_OPTIONS } from '../../lambda/core/runtime-options';
import { functionDefaults } from './function-defaults';


/** Where the per-source options file is inside the layer; Lambda mounts layers under /opt. */
export const SOURCE_OPTIONS_LAYER_PATH = 'ddb-audit/source-options.json';
export const SOURCE_OPTIONS_FILE = `/opt/${SOURCE_OPTIONS_LAYER_PATH}`;

export interface CollectorFunctionProps {
  /** Stream 0: the collector is told its name; streams 1..count-1 are named DELIVERY_STREAM_NAME_PREFIX + i. */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** How many delivery streams the deployment has (lambda/core/delivery-routing.ts). @default 1 */
  readonly deliveryStreamCount?: number;
  /** The change-log bucket: oversize changes are written whole under OVERFLOW_PREFIX. */
  readonly overflowBucket: s3.IBucket;
  /**
   * The event source mappings' on-failure bucket. Lambda writes discarded batches there with the
   * function's role, so the role (not the mapping) carries the grant.
   */
  readonly failureBucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly packing: 'ndjson' | 'single';
  /** Per-source actor attribute and redaction, deployed as a JSON file in a layer (Lambda caps environment variables at 4 KB). */
  readonly sourceOptions: CollectorSourceOptionsByTable;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export class CollectorFunction extends Construct {
  public readonly role: iam.Role;
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  /** The layer holding the per-source options file. */
  public readonly sourceOptionsLayer: lambda.LayerVersion;
  /** The policy that lets the role read source streams: the same bytes whatever the sources. */
  public readonly streamReadPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: CollectorFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.role = new iam.Role(this, 'Role', {
      roleName: collectorRoleName(stack.region),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ddb-audit collector: reads onboarded DynamoDB streams, writes the change log through Firehose',
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${COLLECTOR_FUNCTION_NAME}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Error records log the raw stream record, which may hold item data.
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const defaults = functionDefaults('collector', { nodeOptions: COLLECTOR_NODE_OPTIONS });
    this.sourceOptionsLayer = new lambda.LayerVersion(this, 'SourceOptions', {
      code: lambda.Code.fromAsset(sourceOptionsDirectory(props.sourceOptions)),
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      description: 'ddb-audit collector: per-source options (actor attribute, redaction), keyed by table ARN',
    });
    const streamCount = props.deliveryStreamCount ?? 1;
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...defaults,
      functionName: COLLECTOR_FUNCTION_NAME,
      description: 'ddb-audit collector: DynamoDB stream records to change records to Firehose',
      memorySize: 1024,
      // Long enough for Firehose retries with backoff; the sink bounds itself by the remaining time.
      timeout: Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      layers: [this.sourceOptionsLayer],
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...defaults.environment,
        DELIVERY_STREAM_NAME: props.deliveryStream.deliveryStreamName,
        DELIVERY_STREAM_PREFIX: DELIVERY_STREAM_NAME_PREFIX,
        DELIVERY_STREAM_COUNT: String(streamCount),
        SOURCE_OPTIONS_FILE,
        OVERFLOW_BUCKET: props.overflowBucket.bucketName,
        OVERFLOW_PREFIX,
        PACKING: props.packing,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    const policy = new iam.Policy(this, 'Policy', {
        statements: [
          new iam.PolicyStatement({
            sid: 'WriteOwnLogs',
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [this.logGroup.logGroupArn],
          }),
          new iam.PolicyStatement({
            sid: 'DeliverChangeRecords',
            actions: ['firehose:PutRecordBatch'],
            // Stream 0 by ARN, the others by their fixed name prefix: the same two entries whatever the
            // stream count, so the role's policy does not change when sources are added.
            resources: [props.deliveryStream.deliveryStreamArn, deliveryStreamPatternArn(stack)],
          }),
          new iam.PolicyStatement({
            sid: 'WriteOversizeChanges',
            actions: ['s3:PutObject'],
            resources: [props.overflowBucket.arnForObjects(`${OVERFLOW_PREFIX}*`)],
          }),
          new iam.PolicyStatement({
            sid: 'WriteDiscardedBatches',
            // Lambda's documented needs for an S3 on-failure destination.
            actions: ['s3:PutObject', 's3:ListBucket'],
            resources: [props.failureBucket.bucketArn, props.failureBucket.arnForObjects('*')],
          }),
          new iam.PolicyStatement({
            sid: 'EncryptObjects',
            actions: ['kms:GenerateDataKey'],
            resources: [props.key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
          }),
        ],
    });
    this.role.attachInlinePolicy(policy);

    this.streamReadPolicy = new iam.Policy(this, 'StreamReadPolicy', { statements: streamReadStatements(stack) });
    this.role.attachInlinePolicy(this.streamReadPolicy);
    Validations.of(this.streamReadPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams does not support resource-level permissions (Lambda calls it when it sets up a mapping).',
    });
    for (const pattern of streamReadPatterns(stack)) {
      Validations.of(this.streamReadPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(stack, pattern)}]`,
        reason:
          'Constant-size grant (IAM caps inline policies at 10,240 characters): a cross-account stream or key is readable only if its own resource or key policy also names the collector role, which only onboarded sources do; the audit account\'s own streams and keys are denied.',
      });
    }
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceText(stack, deliveryStreamPatternArn(stack))}]`,
      reason: 'The delivery streams after the first, by their fixed name prefix: one entry whatever the stream count.',
    });

    const logicalId = (bucket: s3.IBucket) => stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.overflowBucket)}.Arn>/${OVERFLOW_PREFIX}*]`,
      reason: 'Each oversize change is its own object, named at run time; the grant is PutObject under the overflow prefix only.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.failureBucket)}.Arn>/*]`,
      reason: 'Lambda names the discarded-batch objects itself; the bucket holds nothing else, and the grant is PutObject (no read, no delete).',
    });
    // Tracing's grant: X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.
    const tracingPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (tracingPolicy) {
      Validations.of(tracingPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
      });
    }
  }
}

/** Every delivery stream after the first, by its fixed name prefix. */
export function deliveryStreamPatternArn(stack: Stack): string {
  return stack.formatArn({ service: 'firehose', resource: 'deliverystream', resourceName: `${DELIVERY_STREAM_NAME_PREFIX}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * The collector's stream-read grant: the same statements, byte for byte, whatever the sources.
 *
 * Why patterns are safe here: reading another account's stream needs both this identity grant and
 * the stream's resource policy naming the collector role, and decrypting with another account's key
 * needs that key's policy too (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 * Only onboarded sources carry our statement (the source stacks merge it), so the pattern adds
 * nothing a source account has not granted. In the audit account itself, where the identity grant
 * alone would suffice, every stream but the heartbeat's is denied.
 *
 * Keys of the audit account are NOT denied the same way: Lambda decrypts a function's environment
 * variables with the execution role's credentials (through the aws/lambda key, whose policy allows
 * it via Lambda), so a Deny on the role for the account's other keys would stop the collector from
 * starting. The KMS pattern therefore also reaches audit-account keys whose key policy delegates to
 * IAM; the collector itself never calls KMS (stream records arrive decrypted), see docs/scale-and-cost.md.
 *
 * The denial uses aws:ResourceAccount, a global key "included in the request context for most
 * service actions" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount).
 * We found no page that says DynamoDB Streams' actions carry it, so the design does not depend on
 * it: a Deny with StringEquals on a key that is absent does not apply, so collection never breaks;
 * only the denial would lapse. No kms:ViaService condition: what DynamoDB Streams presents as the
 * calling service is documented nowhere we found, and a wrong guess would stop collection.
 */
export function streamReadStatements(stack: Stack): iam.PolicyStatement[] {
  const [anyAccountStreams, anyAccountKeys] = streamReadPatterns(stack) as [string, string];
  const heartbeatStreams = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${HEARTBEAT_TABLE_NAME}/stream/*` });
  const inAuditAccount = { StringEquals: { 'aws:ResourceAccount': stack.account } };
  return [
    new iam.PolicyStatement({
      sid: 'ListStreams',
      // ListStreams has no resource-level permissions; Lambda calls it when it sets up a mapping.
      actions: ['dynamodb:ListStreams'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({ sid: 'ReadSourceStreams', actions: [...STREAM_READ_ACTIONS], resources: [anyAccountStreams] }),
    new iam.PolicyStatement({ sid: 'DenyOwnAccountStreams', effect: iam.Effect.DENY, actions: [...STREAM_READ_ACTIONS], notResources: [heartbeatStreams], conditions: inAuditAccount }),
    new iam.PolicyStatement({ sid: 'DecryptSourceStreams', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [anyAccountKeys] }),
  ];
}

/** Every stream and every key of the region, in any account (see streamReadStatements). */
function streamReadPatterns(stack: Stack): string[] {
  return [
    stack.formatArn({ service: 'dynamodb', account: '*', resource: 'table', resourceName: '*/stream/*' }),
    stack.formatArn({ service: 'kms', account: '*', resource: 'key', resourceName: '*' }),
  ];
}

/** How cdk-nag writes a resource in a finding id: literal parts as they are, pseudo parameters as <AWS::...>, attributes as <Logical.Attr>, imports by name. */
export function nagResourceText(stack: Stack, arn: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const object = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; 'Fn::ImportValue'?: string };
    if (object.Ref !== undefined) return `<${object.Ref}>`;
    if (object['Fn::GetAtt']) return `<${object['Fn::GetAtt'].join('.')}>`;
    // Another stack's export (a strong cross-stack reference): cdk-nag writes its name as it is.
    if (typeof object['Fn::ImportValue'] === 'string') return object['Fn::ImportValue'];
    if (object['Fn::Join']) return object['Fn::Join'][1].map(render).join(object['Fn::Join'][0]);
    throw new Error(`nagResourceText: cannot render ${JSON.stringify(value)}`);
  };
  return render(stack.resolve(arn));
}

/** A fresh folder holding the options file at the layer path; its content alone decides the asset hash. */
function sourceOptionsDirectory(options: CollectorSourceOptionsByTable): string {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-source-options-'));
  mkdirSync(join(dir, 'ddb-audit'));
  writeFileSync(join(dir, SOURCE_OPTIONS_LAYER_PATH), JSON.stringify(options));
  return dir;
}
