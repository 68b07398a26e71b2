/**
 * The collector's configuration, read once from its environment. A missing or malformed variable
 * fails the cold start with a message naming it: better a loud failed deploy than a silent gap.
 *
 * Every variable is constant in size whatever the number of sources (Lambda caps a function's
 * environment at 4 KB in all, https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html):
 *   - the delivery streams are DELIVERY_STREAM_NAME (stream 0) plus DELIVERY_STREAM_PREFIX and
 *     DELIVERY_STREAM_COUNT (stream i > 0 is PREFIX + i; see delivery-routing.ts);
 *   - the per-source options are a JSON file, SOURCE_OPTIONS_FILE, deployed with the function (a
 *     Lambda layer built from the config at synth); SOURCE_OPTIONS (inline JSON) is for the local
 *     pipeline and tests.
 */
import { readFileSync } from 'node:fs';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { deliveryStreamNames } from './delivery-routing';
import { fileOrInlineSetting, requiredEnv } from './required-env';
import type { Packing } from './packing';

export interface CollectorEnvironment {
  /** Stream 0's name. */
  readonly deliveryStreamName: string;
  /** Every delivery stream, index = stream (delivery-routing.ts). */
  readonly deliveryStreamNames: readonly string[];
  readonly overflowBucket: string;
  readonly overflowPrefix: string;
  readonly packing: Packing;
  readonly sourceOptions: CollectorSourceOptionsByTable;
}

export function readCollectorEnvironment(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): CollectorEnvironment {
  const deliveryStreamName = requiredEnv(env, 'DELIVERY_STREAM_NAME');
  const overflowBucket = requiredEnv(env, 'OVERFLOW_BUCKET');
  const overflowPrefix = env.OVERFLOW_PREFIX ?? OVERFLOW_PREFIX;
  if (!overflowPrefix.endsWith('/')) throw new Error(`environment variable OVERFLOW_PREFIX must end with "/", got "${overflowPrefix}"`);
  const packing = env.PACKING ?? 'ndjson';
  if (packing !== 'ndjson' && packing !== 'single') throw new Error(`environment variable PACKING must be "ndjson" or "single", got "${packing}"`);
  const names = readDeliveryStreamNames(env);
  return { deliveryStreamName, deliveryStreamNames: names, overflowBucket, overflowPrefix, packing, sourceOptions: readSourceOptions(env, readFile) };
}

/**
 * Every delivery stream's name, index = stream, from DELIVERY_STREAM_NAME, DELIVERY_STREAM_PREFIX
 * and DELIVERY_STREAM_COUNT. The stream watch reads them with this same function, so its gap
 * records are routed over the same list as the collector's changes (delivery-routing.ts).
 */
export function readDeliveryStreamNames(env: NodeJS.ProcessEnv): string[] {
  return deliveryStreamNames(requiredEnv(env, 'DELIVERY_STREAM_NAME'), env.DELIVERY_STREAM_PREFIX ?? '', streamCount(env));
}

function streamCount(env: NodeJS.ProcessEnv): number {
  const text = env.DELIVERY_STREAM_COUNT;
  if (text === undefined || text === '') return 1;
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) throw new Error(`environment variable DELIVERY_STREAM_COUNT must be a positive integer, got "${text}"`);
  if (count > 1 && (env.DELIVERY_STREAM_PREFIX ?? '') === '') throw new Error(`environment variable DELIVERY_STREAM_PREFIX is required when DELIVERY_STREAM_COUNT is ${count}`);
  return count;
}

function readSourceOptions(env: NodeJS.ProcessEnv, readFile: (path: string) => string): CollectorSourceOptionsByTable {
  const setting = fileOrInlineSetting(env, 'SOURCE_OPTIONS_FILE', 'SOURCE_OPTIONS', readFile);
  return setting === undefined ? {} : parseSourceOptions(setting.text, setting.where);
}

export function parseSourceOptions(text: string | undefined, what = 'SOURCE_OPTIONS'): CollectorSourceOptionsByTable {
  if (text === undefined || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${what} must be a JSON object keyed by table ARN`);
  return parsed as CollectorSourceOptionsByTable;
}
