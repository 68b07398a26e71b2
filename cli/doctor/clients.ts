/**
 * The AWS SDK clients doctor uses, created in this one place with the default credential chain
 * (or a named profile) and one region. Checks receive them as parameters, so tests pass clients
 * whose `send` is mocked, and nothing else in doctor constructs a client.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';

type Sender<C extends { send: unknown }> = Pick<C, 'send'>;

export interface DoctorClients {
  readonly cloudFormation: Sender<CloudFormationClient>;
  readonly sns: Sender<SNSClient>;
  readonly dynamodbStreams: Sender<DynamoDBStreamsClient>;
  readonly lambda: Sender<LambdaClient>;
  readonly firehose: Sender<FirehoseClient>;
  readonly cloudWatch: Sender<CloudWatchClient>;
  readonly s3: Sender<S3Client>;
  readonly glue: Sender<GlueClient>;
  readonly athena: Sender<AthenaClient>;
  /** Resolves the credentials once, before any check, so "no credentials" is one line, not nine. */
  readonly resolveCredentials: () => Promise<void>;
}

export interface DoctorClientOptions {
  readonly region: string;
  /** A profile of the shared config files; without it, the default chain (AWS_PROFILE, environment, SSO, instance role...). */
  readonly profile?: string;
}

export function createDoctorClients(options: DoctorClientOptions): DoctorClients {
  const config = { region: options.region, ...(options.profile !== undefined ? { profile: options.profile } : {}) };
  const cloudFormation = new CloudFormationClient(config);
  return {
    cloudFormation,
    sns: new SNSClient(config),
    dynamodbStreams: new DynamoDBStreamsClient(config),
    lambda: new LambdaClient(config),
    firehose: new FirehoseClient(config),
    cloudWatch: new CloudWatchClient(config),
    s3: new S3Client(config),
    glue: new GlueClient(config),
    athena: new AthenaClient(config),
    resolveCredentials: async () => {
      await cloudFormation.config.credentials();
    },
  };
}
