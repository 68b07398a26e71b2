/**
 * The watch's Lambda handler wired end to end: environment, SDK clients, state in S3, gap records
 * to Firehose. Every AWS API is mocked with aws-sdk-client-mock (no local peer of DynamoDB's control
 * plane, DynamoDB Streams or Lambda exists here; the sink's Firehose path is covered against the
 * local Firehose by the collector's tests and test/integration/coverage.integration.test.ts).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { readWatchEnvironment } from '../../lambda/watch/watch-environment';

const TABLE = 'arn:aws:dynamodb:eu-west-1:444455556666:table/Orders';
const OLD = `${TABLE}/stream/2026-03-01T00:00:00.000`;
const NEW = `${TABLE}/stream/2026-03-02T08:00:00.000`;

const ENV = {
  WATCH_SOURCES: JSON.stringify([OLD]),
  COLLECTOR_FUNCTION_NAME: 'ddb-audit-collector',
  INTERVAL_MINUTES: '5',
  MAX_CALLS_PER_SECOND: '1000',
  STATE_BUCKET: 'watch-state-bucket',
  DELIVERY_STREAM_NAME: 'ddb-audit-changes',
  OVERFLOW_BUCKET: 'change-log',
  OVERFLOW_PREFIX: 'overflow/',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'watch', awsRequestId: 'r' } as unknown as Context;

describe('the stream-watch handler', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('reads its state, writes the gap record to Firehose and the new state to S3', async () => {
    // Prepare
    const ddb = mockClient(DynamoDBClient);
    const streams = mockClient(DynamoDBStreamsClient);
    const lambda = mockClient(LambdaClient);
    const s3 = mockClient(S3Client);
    const firehose = mockClient(FirehoseClient);
    ddb.on(DescribeTableCommand).resolves({ Table: { LatestStreamArn: NEW, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } });
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { StreamStatus: 'DISABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'u', EventSourceArn: OLD, State: 'Enabled', LastProcessingResult: 'OK' }] });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('missing'), { name: 'NoSuchKey' }));
    s3.on(PutObjectCommand).resolves({});
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    let handler: (event: { time?: string }, context: Context) => Promise<{ unhealthy: number; gaps: number }>;
    // Loaded after the environment is set (it is read once, at load), in this file's module registry, so the mocks apply.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/stream-watch').handler;

    // Act
    const result = await handler!({ time: '2026-03-02T10:00:00Z' }, context);

    // Assess
    expect(result).toMatchObject({ unhealthy: 1, gaps: 1 });
    const sent = firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(sent?.DeliveryStreamName).toBe('ddb-audit-changes');
    const row = JSON.parse(Buffer.from(sent!.Records![0]!.Data as Uint8Array).toString('utf8'));
    expect(row).toMatchObject({ op: 'g', table_name: 'Orders', stream_arn: NEW });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: 'watch-state-bucket', Key: 'watch/state.json' });
    expect(JSON.parse(put!.Body as string).sources[TABLE].openGap).toMatchObject({ oldStreamArn: OLD, newStreamArn: NEW });
  });
});

describe('readWatchEnvironment', () => {
  it.each(['COLLECTOR_FUNCTION_NAME', 'STATE_BUCKET', 'DELIVERY_STREAM_NAME'])('fails naming %s when it is missing', (name) => {
    expect(() => readWatchEnvironment({ ...ENV, [name]: undefined })).toThrow(`environment variable ${name} is required but not set`);
  });

  it('refuses a non-positive limit, naming it and the value', () => {
    expect(() => readWatchEnvironment({ ...ENV, MAX_CALLS_PER_SECOND: '0' })).toThrow('environment variable MAX_CALLS_PER_SECOND must be a positive number, got "0"');
  });
});
