/**
 * The collector's configuration, read once from its environment. A missing or malformed variable
 * fails the cold start with a message naming it: better a loud failed deploy than a silent gap.
 */
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import type { Packing } from './packing';

export interface CollectorEnvironment {
  readonly deliveryStreamName: string;
  readonly overflowBucket: string;
  readonly overflowPrefix: string;
  readonly packing: Packing;
  readonly sourceOptions: CollectorSourceOptionsByTable;
}

export function readCollectorEnvironment(env: NodeJS.ProcessEnv): CollectorEnvironment {
  const deliveryStreamName = required(env, 'DELIVERY_STREAM_NAME');
  const overflowBucket = required(env, 'OVERFLOW_BUCKET');
  const overflowPrefix = env.OVERFLOW_PREFIX ?? OVERFLOW_PREFIX;
  if (!overflowPrefix.endsWith('/')) throw new Error(`environment variable OVERFLOW_PREFIX must end with "/", got "${overflowPrefix}"`);
  const packing = env.PACKING ?? 'ndjson';
  if (packing !== 'ndjson' && packing !== 'single') throw new Error(`environment variable PACKING must be "ndjson" or "single", got "${packing}"`);
  // SOURCE_OPTIONS is inlined at bundle time by the CDK stack (Lambda caps variables at 4 KB in all).
  return { deliveryStreamName, overflowBucket, overflowPrefix, packing, sourceOptions: parseSourceOptions(env.SOURCE_OPTIONS) };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required but not set`);
  return value;
}

export function parseSourceOptions(text: string | undefined): CollectorSourceOptionsByTable {
  if (text === undefined || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`SOURCE_OPTIONS is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('SOURCE_OPTIONS must be a JSON object keyed by table ARN');
  return parsed as CollectorSourceOptionsByTable;
}
