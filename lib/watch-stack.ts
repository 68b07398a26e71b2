/**
 * The stream-lifecycle watch (./constructs/stream-watch.ts) in a stack of its own, in the audit
 * account: DdbAuditWatch.
 *
 * Why apart from the audit stack: the audit stack's resource budget is spent by design on up to 42
 * delivery streams (6 resources each; test/infra/scale.cdkunit.test.ts keeps it at or below 400),
 * and the watch's 13 resources would pass it. Apart, the watch's source list (a layer file that
 * changes with every onboarded table) also keeps onboarding from touching the audit stack.
 *
 * Order: audit stack (delivery streams, buckets, key, topic) -> this stack (the watch role) ->
 * source stacks, whose statements name the watch role: DynamoDB refuses a policy naming a
 * principal that does not exist yet ("Invalid principal in policy document").
 */
import { CfnOutput, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AuditConfig } from '../schemas/audit-config';
import { WATCH_STACK_OUTPUT } from '../schemas/deployment';
import { resolveWatch } from './config/load';
import { CHANGE_LOG_BUCKET_ARN_EXPORT, type AuditStack } from './audit-stack';
import { StreamWatch } from './constructs/stream-watch';

export interface WatchStackProps extends StackProps {
  readonly config: AuditConfig;
  /** Provides delivery stream 0, the change-log bucket (by its named export), the key and the alarm topic. */
  readonly audit: AuditStack;
  /** How many delivery streams the audit stack has (deliveryStreamPlan). */
  readonly deliveryStreamCount: number;
}

export class WatchStack extends Stack {
  public readonly watch: StreamWatch;

  constructor(scope: Construct, id: string, props: WatchStackProps) {
    super(scope, id, props);
    // Strong references (CloudFormation exports), as the mappings stacks: the audit stack cannot drop
    // what the watch uses while it exists.
    this.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
    const watch = resolveWatch(props.config);
    const { audit } = props;
    this.watch = new StreamWatch(this, 'Watch', {
      streamArns: props.config.sources.map((s) => s.streamArn),
      intervalMinutes: watch.intervalMinutes,
      maxCallsPerSecond: watch.maxCallsPerSecond,
      deliveryStream: audit.delivery.deliveryStream,
      deliveryStreamCount: props.deliveryStreamCount,
      // By its named export: see CHANGE_LOG_BUCKET_ARN_EXPORT.
      overflowBucket: s3.Bucket.fromBucketArn(this, 'ChangeLog', Fn.importValue(CHANGE_LOG_BUCKET_ARN_EXPORT)),
      key: audit.key.key,
      alarmTopic: audit.alarms.topic,
    });
    // `ddb-audit doctor` finds the state object by this output (a name CDK generates, so not known otherwise).
    new CfnOutput(this, WATCH_STACK_OUTPUT.stateBucket, { value: this.watch.stateBucket.bucketName, description: 'Bucket of the watch state object watch/state.json, read by ddb-audit doctor' });
  }
}
