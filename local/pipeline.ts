/**
 * The whole local pipeline in one process: the local Firehose (and S3 for overflow) on an
 * ephemeral port, and the real collector handler pointed at it through the AWS SDK's
 * service-specific endpoint variables. Nothing in the handler knows it is local.
 */
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { CollectorSourceOptionsByTable } from '../schemas/audit-config';
import { OVERFLOW_PREFIX } from '../schemas/partitioning';
import { FaultOptions } from './firehose/faults';
import { LocalFirehose, startLocalFirehose } from './firehose/server';
import type { BufferOptions } from './firehose/buffer';
import { DELIVERY_STREAM_NAME_PREFIX, deliveryStreamNames } from '../lambda/core/delivery-routing';

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type CollectorHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<BatchResponse>;

export interface LocalPipelineOptions {
  readonly dataDir: string;
  readonly sourceOptions?: CollectorSourceOptionsByTable;
  /** @default 'ndjson' */
  readonly packing?: 'ndjson' | 'single';
  readonly buffer?: Partial<BufferOptions>;
  readonly faults?: FaultOptions;
  readonly writer?: 'worker' | 'inline';
  /**
   * Delivery streams, routed to by the collector exactly as deployed (lambda/core/delivery-routing.ts):
   * stream 0 is LOCAL_STREAM_NAME, stream i is DELIVERY_STREAM_NAME_PREFIX + i. @default 1
   */
  readonly streamCount?: number;
  /**
   * Loads the collector after the environment is set. The default loads a fresh copy (new SDK
   * clients that read the endpoint variables); jest tests pass one that uses jest.isolateModules.
   */
  readonly loadHandler?: () => CollectorHandler;
}

export interface LocalPipeline {
  readonly firehose: LocalFirehose;
  readonly handler: CollectorHandler;
  /** Invokes the handler as Lambda would, with a context whose deadline is `timeoutMs` away. */
  invoke(event: DynamoDBStreamEvent, timeoutMs?: number): Promise<BatchResponse>;
  close(): Promise<void>;
}

export const LOCAL_STREAM_NAME = 'ddb-audit-local';
export const LOCAL_OVERFLOW_BUCKET = 'ddb-audit-local-overflow';

/** The environment the collector reads, pointed at a local endpoint. */
export function collectorEnvironment(endpoint: string, options: Pick<LocalPipelineOptions, 'packing' | 'sourceOptions' | 'streamCount'>): Record<string, string> {
  return {
    DELIVERY_STREAM_NAME: LOCAL_STREAM_NAME,
    DELIVERY_STREAM_PREFIX: DELIVERY_STREAM_NAME_PREFIX,
    DELIVERY_STREAM_COUNT: String(options.streamCount ?? 1),
    OVERFLOW_BUCKET: LOCAL_OVERFLOW_BUCKET,
    OVERFLOW_PREFIX,
    PACKING: options.packing ?? 'ndjson',
    SOURCE_OPTIONS: JSON.stringify(options.sourceOptions ?? {}),
    AWS_ENDPOINT_URL_FIREHOSE: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    // Dummy credentials: the local endpoint does not check signatures, and no real ones are looked up.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: '',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
  };
}

const HANDLER_MODULE = '../lambda/handlers/collector';

function loadFreshHandler(): CollectorHandler {
  delete require.cache[require.resolve(HANDLER_MODULE)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(HANDLER_MODULE) as { handler: CollectorHandler }).handler;
}

export function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ddb-audit-collector-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ddb-audit-collector-local',
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Date.now().toString(36)}`,
    logGroupName: '/aws/lambda/ddb-audit-collector-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const additionalStreamNames = deliveryStreamNames(LOCAL_STREAM_NAME, DELIVERY_STREAM_NAME_PREFIX, options.streamCount ?? 1).slice(1);
  const firehose = await startLocalFirehose({ dataDir: options.dataDir, streamName: LOCAL_STREAM_NAME, additionalStreamNames, buffer: options.buffer, faults: options.faults, writer: options.writer });
  const env = collectorEnvironment(firehose.endpoint, options);
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    previous[name] = process.env[name];
    if (value === '') delete process.env[name];
    else process.env[name] = value;
  }
  let handler: CollectorHandler;
  try {
    handler = (options.loadHandler ?? loadFreshHandler)();
  } catch (err) {
    await firehose.close();
    throw err;
  }
  return {
    firehose,
    handler,
    invoke: (event, timeoutMs = 60_000) => handler(event, lambdaContext(timeoutMs)),
    async close() {
      await firehose.close();
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
