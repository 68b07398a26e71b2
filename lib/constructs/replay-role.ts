/**
 * The replay role: the one principal that may read the failure bucket's unredacted payloads, with
 * exactly what `ddb-audit replay` needs to re-deliver them (runbook 1).
 *
 * It trusts the audit account, which delegates the choice of who may assume it to IAM policies in
 * that account: grant `sts:AssumeRole` on this role to the incident responders, nobody else. A
 * named principal in the trust policy would need to exist before the stack (IAM refuses unknown
 * principals) and would tie the stack to one person's role.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { deliveryStreamPatternArn, nagResourceText } from './collector-function';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';

/** IAM names are global to an account and the pipeline is regional, so the region is part of it. */
export function replayRoleName(region: string): string {
  return `ddb-audit-replay-${region}`;
}

/** The replay role's ARN, known before the role exists (the failure bucket's policy names it). */
export function replayRoleArn(scope: Construct): string {
  const stack = Stack.of(scope);
  return stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: replayRoleName(stack.region) });
}

export interface ReplayRoleProps {
  readonly failureBucket: s3.IBucket;
  /** Where replayed oversize changes go (under OVERFLOW_PREFIX). */
  readonly changeLogBucket: s3.IBucket;
  /** Stream 0; streams 1..count-1 are granted by their fixed name prefix (lambda/core/delivery-routing.ts). */
  readonly deliveryStream: firehose.IDeliveryStream;
  /** @default 1 */
  readonly deliveryStreamCount?: number;
  /** Encrypts both buckets. */
  readonly key: kms.IKey;
  /** Name of the audit stack, whose outputs replay reads. */
  readonly auditStackName: string;
}

export class ReplayRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReplayRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: replayRoleName(stack.region),
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'ddb-audit replay: reads discarded batches (unredacted) from the failure bucket and re-delivers them',
    });
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'ListDiscardedBatches', actions: ['s3:ListBucket'], resources: [props.failureBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'ReadDiscardedBatches', actions: ['s3:GetObject'], resources: [props.failureBucket.arnForObjects('*')] }),
        new iam.PolicyStatement({
          sid: 'RedeliverChanges',
          actions: ['firehose:PutRecordBatch'],
          resources: [props.deliveryStream.deliveryStreamArn, ...((props.deliveryStreamCount ?? 1) > 1 ? [deliveryStreamPatternArn(stack)] : [])],
        }),
        new iam.PolicyStatement({ sid: 'WriteOversizeChanges', actions: ['s3:PutObject'], resources: [props.changeLogBucket.arnForObjects(`${OVERFLOW_PREFIX}*`)] }),
        new iam.PolicyStatement({
          sid: 'UseAuditKeyThroughS3',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadStackOutputs',
          actions: ['cloudformation:DescribeStacks'],
          resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${props.auditStackName}/*` })],
        }),
      ],
    });
    if ((props.deliveryStreamCount ?? 1) > 1) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(stack, deliveryStreamPatternArn(stack))}]`,
        reason: 'The delivery streams after the first, by their fixed name prefix: one entry whatever the stream count.',
      });
    }
    const logicalId = (bucket: s3.IBucket) => stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.failureBucket)}.Arn>/*]`,
      reason: 'Replay reads the discarded-batch objects Lambda named at run time; the failure bucket holds nothing else.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.changeLogBucket)}.Arn>/${OVERFLOW_PREFIX}*]`,
      reason: 'Replayed oversize changes are written as objects named at run time, under the overflow prefix only (PutObject, no read or delete).',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${nagText(stack.region, 'AWS::Region')}:${nagText(stack.account, 'AWS::AccountId')}:stack/${props.auditStackName}/*]`,
      reason: 'A stack ARN ends in its generated id; the grant is DescribeStacks on the audit stack only.',
    });
  }
}

/** How cdk-nag writes a value in a finding id: literal when known, <AWS::...> when a pseudo parameter. */
function nagText(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}
