/**
 * Bounded parallelism for the per-source calls: 10,000 sources must neither run one after another
 * (hours) nor all at once (throttling, sockets). The SDK retries throttled calls with backoff, so a
 * small fixed limit keeps the request rate inside the APIs' quotas whatever the source count.
 */
import { mapWithConcurrency } from '../../lambda/digest/sha256';

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`concurrency must be a whole number of at least 1, got ${limit}`);
  return mapWithConcurrency(items, limit, fn);
}
