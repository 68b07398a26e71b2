/**
 * The watch's configuration, read once per execution environment; a missing or invalid variable
 * fails the cold start with its name: a watch that silently checks nothing would report no gap.
 *
 * Every variable is constant in size whatever the number of sources (Lambda caps a function's
 * environment at 4 KB in all, https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html):
 *   - the source list is a JSON file, WATCH_SOURCES_FILE, deployed with the function in a Lambda
 *     layer built from the config at synth (lib/constructs/stream-watch.ts), as the collector's
 *     SOURCE_OPTIONS_FILE. It is never inlined into the bundle with esbuild `define`: at ~3,000
 *     sources that passed Linux's 128 KB limit on one command-line argument (E2BIG). WATCH_SOURCES
 *     (the same JSON, inline) is for the local pipeline and tests only; setting both is refused;
 *   - the delivery streams are DELIVERY_STREAM_NAME (stream 0) plus DELIVERY_STREAM_PREFIX and
 *     DELIVERY_STREAM_COUNT, read by the collector's own function (../core/collector-environment.ts),
 *     so a gap record goes to the stream that carries its table's changes (../core/delivery-routing.ts).
 */
import { readFileSync } from 'node:fs';
import { readDeliveryStreamNames } from '../core/collector-environment';
import { fileOrInlineSetting, requiredEnv } from '../core/required-env';
import { parseStreamArn } from '../core/stream-arn';
import type { WatchSource } from './check-sources';

export interface WatchEnvironment {
  readonly sources: WatchSource[];
  readonly collectorFunctionName: string;
  readonly intervalMinutes: number;
  readonly maxCallsPerSecond: number;
  readonly stateBucket: string;
  /** Stream 0's name. */
  readonly deliveryStreamName: string;
  /** Every delivery stream, index = stream (delivery-routing.ts). */
  readonly deliveryStreamNames: readonly string[];
  readonly overflowBucket: string;
  readonly overflowPrefix: string;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number {
  const value = Number(requiredEnv(env, name));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive number, got "${env[name]}"`);
  return value;
}

/** The stream ARNs of the config, each with its table ARN. */
export function parseWatchSources(text: string | undefined, what = 'WATCH_SOURCES'): WatchSource[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${what} must be a JSON array of stream ARNs`);
  return parsed.map((arn, i) => {
    const parts = typeof arn === 'string' ? parseStreamArn(arn) : undefined;
    if (!parts) throw new Error(`${what}[${i}] is not a stream ARN: ${JSON.stringify(arn)}`);
    return { tableArn: parts.tableArn, streamArn: arn as string };
  });
}

/** The source list: from WATCH_SOURCES_FILE (deployed) or WATCH_SOURCES (local and tests), never both, never neither. */
function readWatchSources(env: NodeJS.ProcessEnv, readFile: (path: string) => string): WatchSource[] {
  const setting = fileOrInlineSetting(env, 'WATCH_SOURCES_FILE', 'WATCH_SOURCES', readFile);
  if (setting === undefined) throw new Error('environment variable WATCH_SOURCES_FILE (or, locally, WATCH_SOURCES) is required but not set');
  return parseWatchSources(setting.text, setting.where);
}

export function readWatchEnvironment(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): WatchEnvironment {
  const overflowPrefix = requiredEnv(env, 'OVERFLOW_PREFIX');
  if (!overflowPrefix.endsWith('/')) throw new Error(`environment variable OVERFLOW_PREFIX must end with "/", got "${overflowPrefix}"`);
  const deliveryStreamName = requiredEnv(env, 'DELIVERY_STREAM_NAME');
  return {
    sources: readWatchSources(env, readFile),
    collectorFunctionName: requiredEnv(env, 'COLLECTOR_FUNCTION_NAME'),
    intervalMinutes: positiveNumber(env, 'INTERVAL_MINUTES'),
    maxCallsPerSecond: positiveNumber(env, 'MAX_CALLS_PER_SECOND'),
    stateBucket: requiredEnv(env, 'STATE_BUCKET'),
    deliveryStreamName,
    deliveryStreamNames: readDeliveryStreamNames(env),
    overflowBucket: requiredEnv(env, 'OVERFLOW_BUCKET'),
    overflowPrefix,
  };
}
