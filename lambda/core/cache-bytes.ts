/**
 * Byte accounting of the collector's warm caches: the module-level state that outlives one batch in a
 * warm Lambda execution environment. Items are written by the people the log watches, so nothing kept
 * between batches may grow with what they write: every cache counts its bytes with these estimates and
 * keeps within its own budget, and `warm-caches.ts` sums them against one bound.
 *
 * The estimate is an upper bound of what V8 keeps for a string (2 bytes per UTF-16 code unit, as a
 * two-byte string, plus a header), not a measurement: the tests assert the accounting, and
 * bench/warm-memory.ts reports the process's RSS beside it.
 */

/** Bytes V8 may hold for a string: two-byte storage plus a header. */
export function stringBytes(text: string): number {
  return 16 + 2 * text.length;
}

/** Overhead of one Map entry or array slot with its tuple, beyond the strings it holds. */
export const ENTRY_OVERHEAD_BYTES = 64;
