/**
 * Puts the collector's read policy on an existing table's stream (dynamodb:PutResourcePolicy) and
 * removes it when the source is removed (DeleteResourcePolicy).
 *
 * PutResourcePolicy replaces the stream's whole policy. A stream that already has one (another
 * consumer) should not use this construct: merge streamResourcePolicy()'s statement into it instead.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { streamResourcePolicy } from '../stream-policy';

export interface StreamResourcePolicyProps {
  readonly streamArn: string;
  /** The collector role ARN, granted DescribeStream, GetRecords and GetShardIterator. */
  readonly collectorRoleArn: string;
}

export class StreamResourcePolicy extends Construct {
  public readonly resource: cr.AwsCustomResource;
  /** The policy document put on the stream. */
  public readonly policy: ReturnType<typeof streamResourcePolicy>;

  constructor(scope: Construct, id: string, props: StreamResourcePolicyProps) {
    super(scope, id);
    this.policy = streamResourcePolicy(props.collectorRoleArn, props.streamArn);
    const put: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'PutResourcePolicy',
      // The API takes the policy as a JSON string; an object is rejected.
      parameters: { ResourceArn: props.streamArn, Policy: JSON.stringify(this.policy) },
      physicalResourceId: cr.PhysicalResourceId.of(props.streamArn),
    };
    this.resource = new cr.AwsCustomResource(this, 'Resource', {
      resourceType: 'Custom::DdbAuditStreamPolicy',
      onCreate: put,
      onUpdate: put,
      onDelete: {
        service: 'DynamoDB',
        action: 'DeleteResourcePolicy',
        parameters: { ResourceArn: props.streamArn },
        // Already gone (stream disabled, table deleted, policy removed by hand): nothing left to remove.
        ignoreErrorCodesMatching: 'PolicyNotFoundException|ResourceNotFoundException',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy'],
          resources: [props.streamArn],
        }),
      ]),
      // The runtime's SDK has these calls; installing the latest at deploy time would need npm access from Lambda.
      installLatestAwsSdk: false,
    });
  }
}

