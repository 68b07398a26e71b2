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
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { deliveryStreamNames, streamIndexFor } from '../../lambda/core/delivery-routing';
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

/** Sets `env` in process.env for the enclosing describe block, and restores what was there after it. */
function useEnvironment(env: Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(env)) {
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
}

describe('the stream-watch handler', () => {
  useEnvironment(ENV);

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

describe('the stream-watch handler with several delivery streams', () => {
  // The same scenario as above, deployed with five streams: Orders' changes go to stream
  // streamIndexFor(TABLE, 5), so its gap record must go there too, not to stream 0.
  const COUNT = 5;
  const NAMES = deliveryStreamNames('ddb-audit-changes', 'ddb-audit-changes-', COUNT);
  useEnvironment({ ...ENV, DELIVERY_STREAM_PREFIX: 'ddb-audit-changes-', DELIVERY_STREAM_COUNT: String(COUNT) });

  it("delivers the gap record to the stream that carries its table's changes", async () => {
    // Prepare
    expect(streamIndexFor(TABLE, COUNT)).not.toBe(0); // the scenario would not tell routing from "always stream 0"
    let handler!: (event: { time?: string }, context: Context) => Promise<{ gaps: number }>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let firehose!: AwsStub<any, any, any>;
    // A fresh module registry (the handler reads its environment once, at load), so the SDK
    // classes are that registry's: the mocks are made from them.
    /* eslint-disable @typescript-eslint/no-require-imports */
    jest.isolateModules(() => {
      const sdk = {
        ddb: require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'),
        streams: require('@aws-sdk/client-dynamodb-streams') as typeof import('@aws-sdk/client-dynamodb-streams'),
        lambda: require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda'),
        s3: require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'),
        firehose: require('@aws-sdk/client-firehose') as typeof import('@aws-sdk/client-firehose'),
      };
      mockClient(sdk.ddb.DynamoDBClient).on(sdk.ddb.DescribeTableCommand).resolves({ Table: { LatestStreamArn: NEW, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } });
      mockClient(sdk.streams.DynamoDBStreamsClient).on(sdk.streams.DescribeStreamCommand).resolves({ StreamDescription: { StreamStatus: 'DISABLED', StreamViewType: 'NEW_AND_OLD_IMAGES' } });
      mockClient(sdk.lambda.LambdaClient).on(sdk.lambda.ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'u', EventSourceArn: OLD, State: 'Enabled', LastProcessingResult: 'OK' }] });
      const s3 = mockClient(sdk.s3.S3Client);
      s3.on(sdk.s3.GetObjectCommand).rejects(Object.assign(new Error('missing'), { name: 'NoSuchKey' }));
      s3.on(sdk.s3.PutObjectCommand).resolves({});
      firehose = mockClient(sdk.firehose.FirehoseClient);
      firehose.on(sdk.firehose.PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
      handler = require('../../lambda/handlers/stream-watch').handler;
    });
    /* eslint-enable @typescript-eslint/no-require-imports */

    // Act
    const result = await handler({ time: '2026-03-02T10:00:00Z' }, context);

    // Assess
    expect(result.gaps).toBe(1);
    const sent = firehose.calls().map((c: { args: unknown[] }) => (c.args[0] as { input: { DeliveryStreamName?: string } }).input.DeliveryStreamName);
    expect(sent).toEqual([NAMES[streamIndexFor(TABLE, COUNT)]]);
  });
});

describe('readWatchEnvironment', () => {
  it.each(['COLLECTOR_FUNCTION_NAME', 'STATE_BUCKET', 'DELIVERY_STREAM_NAME'])('fails naming %s when it is missing', (name) => {
    expect(() => readWatchEnvironment({ ...ENV, [name]: undefined })).toThrow(`environment variable ${name} is required but not set`);
  });

  it('refuses a non-positive limit, naming it and the value', () => {
    expect(() => readWatchEnvironment({ ...ENV, MAX_CALLS_PER_SECOND: '0' })).toThrow('environment variable MAX_CALLS_PER_SECOND must be a positive number, got "0"');
  });

  it('reads the source list from WATCH_SOURCES_FILE, as deployed (a layer file)', () => {
    const read: string[] = [];
    const config = readWatchEnvironment({ ...ENV, WATCH_SOURCES: undefined, WATCH_SOURCES_FILE: '/opt/ddb-audit/watch-sources.json' }, (path) => {
      read.push(path);
      return JSON.stringify([OLD]);
    });
    expect(read).toEqual(['/opt/ddb-audit/watch-sources.json']);
    expect(config.sources).toEqual([{ tableArn: TABLE, streamArn: OLD }]);
  });

  it.each<[Record<string, string>, (path: string) => string, string]>([
    [{ WATCH_SOURCES_FILE: '/opt/x.json' }, () => '[1', 'WATCH_SOURCES_FILE /opt/x.json is not valid JSON'],
    [{ WATCH_SOURCES_FILE: '/opt/x.json' }, () => '{}', 'WATCH_SOURCES_FILE /opt/x.json must be a JSON array of stream ARNs'],
    [{ WATCH_SOURCES_FILE: '/opt/x.json' }, () => '["arn:aws:dynamodb:eu-west-1:1:table/x"]', 'WATCH_SOURCES_FILE /opt/x.json[0] is not a stream ARN'],
    [{ WATCH_SOURCES_FILE: '/opt/x.json' }, (): string => { throw new Error('ENOENT: no such file or directory'); }, 'WATCH_SOURCES_FILE /opt/x.json cannot be read: ENOENT: no such file or directory'],
    [{ WATCH_SOURCES_FILE: '/opt/x.json', WATCH_SOURCES: JSON.stringify([OLD]) }, () => '[]', 'environment variables WATCH_SOURCES and WATCH_SOURCES_FILE are both set: set one'],
    [{}, () => '[]', 'environment variable WATCH_SOURCES_FILE (or, locally, WATCH_SOURCES) is required but not set'],
  ])('refuses %j in one line naming the variable or file', (vars, readFile, message) => {
    expect(() => readWatchEnvironment({ ...ENV, WATCH_SOURCES: undefined, ...vars }, readFile)).toThrow(message);
  });

  it('reads the delivery streams as the collector does: stream 0 by name, the others by prefix and count', () => {
    expect(readWatchEnvironment(ENV).deliveryStreamNames).toEqual(['ddb-audit-changes']);
    expect(readWatchEnvironment({ ...ENV, DELIVERY_STREAM_PREFIX: 'ddb-audit-changes-', DELIVERY_STREAM_COUNT: '3' }).deliveryStreamNames).toEqual(['ddb-audit-changes', 'ddb-audit-changes-1', 'ddb-audit-changes-2']);
    expect(() => readWatchEnvironment({ ...ENV, DELIVERY_STREAM_COUNT: '3' })).toThrow('environment variable DELIVERY_STREAM_PREFIX is required when DELIVERY_STREAM_COUNT is 3');
  });
});
