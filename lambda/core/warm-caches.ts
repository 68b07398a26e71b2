/**
 * Every cache the collector keeps between batches in a warm Lambda execution environment, and the one
 * bound their bytes stay under, whatever the items of any source hold (see cache-bytes.ts for how
 * bytes are counted). A cache added to lambda/ belongs here, with its budget.
 *
 *   - attribute-json.ts: the member-name prefixes, at most MEMBER_PREFIX_CACHE_BYTES;
 *   - record-hash.ts: one remembered spelling per hashed field, each at most MAX_REMEMBERED_TEXT characters;
 *   - normalize.ts: the last stream ARN (at most 1,024 characters) and the last attribute sort (at most 64 K characters);
 *   - iso-timestamp.ts: two day prefixes (constant size, not counted).
 *
 * Buffers that live for one batch only (the records, their lines, the packed Firehose records) are
 * bounded by the invocation payload instead: see docs/limits.md.
 */
import { CHANGE_RECORD_FIELDS } from '../../schemas/change-record';
import { memberPrefixCacheBytes, MEMBER_PREFIX_CACHE_BYTES } from './attribute-json';
import { ENTRY_OVERHEAD_BYTES } from './cache-bytes';
import { normalizerCacheBytes } from './normalize';
import { MAX_REMEMBERED_TEXT, rememberedValueBytes } from './record-hash';

const HASHED_FIELDS = CHANGE_RECORD_FIELDS.filter((f) => 'hashed' in f && f.hashed).length;

/** record-hash.ts: per field, a spelling and its value (at most as long), two bytes a character, plus the slots of the longest list that fits. */
export const REMEMBERED_HASH_VALUES_BOUND = HASHED_FIELDS * (ENTRY_OVERHEAD_BYTES + 2 * (16 + 2 * MAX_REMEMBERED_TEXT) + (MAX_REMEMBERED_TEXT / 3) * (ENTRY_OVERHEAD_BYTES / 4 + 16));

/** normalize.ts: the ARN, and two lists of names of 64 K characters in all (as many names as characters, at worst). */
export const NORMALIZER_CACHE_BOUND = 16 + 2 * 1024 + ENTRY_OVERHEAD_BYTES * 4 + 2 * (64 * 1024) * (ENTRY_OVERHEAD_BYTES / 4 + 16 + 2);

/** Upper bound of all warm caches together, in accounted bytes. */
export const WARM_CACHE_BYTES_BOUND = MEMBER_PREFIX_CACHE_BYTES + REMEMBERED_HASH_VALUES_BOUND + NORMALIZER_CACHE_BOUND;

export interface WarmCacheBytes {
  readonly memberPrefixes: number;
  readonly rememberedHashValues: number;
  readonly normalizer: number;
  readonly total: number;
}

/** The accounted bytes of every warm cache now. */
export function warmCacheBytes(): WarmCacheBytes {
  const memberPrefixes = memberPrefixCacheBytes();
  const rememberedHashValues = rememberedValueBytes();
  const normalizer = normalizerCacheBytes();
  return { memberPrefixes, rememberedHashValues, normalizer, total: memberPrefixes + rememberedHashValues + normalizer };
}
