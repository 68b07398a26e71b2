/**
 * The watch's configuration, read once per execution environment; a missing or invalid variable
 * fails the cold start with its name. WATCH_SOURCES is inlined into the bundle at synth (like the
 * collector's SOURCE_OPTIONS): Lambda environment variables total at most 4 KB
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), which 10,000 sources exceed.
 */
import { parseStreamArn } from '../core/stream-arn';
import type { WatchSource } from './check-sources';

export interface WatchEnvironment {
  readonly sources: WatchSource[];
  readonly collectorFunctionName: string;
  readonly intervalMinutes: number;
  readonly maxCallsPerSecond: number;
  readonly stateBucket: string;
  readonly deliveryStreamName: string;
  readonly overflowBucket: string;
  readonly overflowPrefix: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required but not set`);
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number {
  const value = Number(required(env, name));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive number, got "${env[name]}"`);
  return value;
}

/** The stream ARNs of the config, each with its table ARN. */
export function parseWatchSources(text: string | undefined): WatchSource[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch (err) {
    throw new Error(`WATCH_SOURCES is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error('WATCH_SOURCES must be a JSON array of stream ARNs');
  return parsed.map((arn, i) => {
    const parts = typeof arn === 'string' ? parseStreamArn(arn) : undefined;
    if (!parts) throw new Error(`WATCH_SOURCES[${i}] is not a stream ARN: ${JSON.stringify(arn)}`);
    return { tableArn: parts.tableArn, streamArn: arn as string };
  });
}

export function readWatchEnvironment(env: NodeJS.ProcessEnv): WatchEnvironment {
  const overflowPrefix = required(env, 'OVERFLOW_PREFIX');
  if (!overflowPrefix.endsWith('/')) throw new Error(`environment variable OVERFLOW_PREFIX must end with "/", got "${overflowPrefix}"`);
  return {
    sources: parseWatchSources(env.WATCH_SOURCES),
    collectorFunctionName: required(env, 'COLLECTOR_FUNCTION_NAME'),
    intervalMinutes: positiveNumber(env, 'INTERVAL_MINUTES'),
    maxCallsPerSecond: positiveNumber(env, 'MAX_CALLS_PER_SECOND'),
    stateBucket: required(env, 'STATE_BUCKET'),
    deliveryStreamName: required(env, 'DELIVERY_STREAM_NAME'),
    overflowBucket: required(env, 'OVERFLOW_BUCKET'),
    overflowPrefix,
  };
}
