/**
 * SHA-256 of a byte stream, and of many objects at once.
 *
 * Hashing runs on OpenSSL through node:crypto (SHA extensions where the CPU has them), fed with
 * large reads; several files are read at once so disk or network waits overlap with hashing.
 */
import { createHash } from 'node:crypto';

export interface StreamDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Large reads: the per-chunk overhead of a stream dominates below about 256 KiB. */
export const READ_CHUNK_BYTES = 1 << 20;

export async function sha256OfStream(stream: AsyncIterable<Uint8Array | string>): Promise<StreamDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export { sha256Hex } from '../core/sha256';

/** Runs `task` over `items` with at most `concurrency` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
