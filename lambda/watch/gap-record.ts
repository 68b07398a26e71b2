/**
 * Gap records (op = 'g'): the change log's own statement that a window of a table's changes was
 * not read from any stream.
 *
 * A gap opens when a table's stream is disabled or replaced (a new stream ARN: re-enabling the
 * stream or changing its view type gives it one) while the event source mapping still reads the old
 * ARN, and closes once the mapping reads the table's current stream again. Bounds are conservative:
 * the gap may be smaller, never larger, than [gap_from, gap_to] (see docs/coverage.md, "Gaps").
 *
 * A gap is an "item" of its table's partition whose key is {"gap_id": "..."}, and each state change
 * is one version of it: the row with the newest event_time per gap_id is the gap's current state.
 * The gap's fields travel as plain JSON in new_image, so the schema needs no new column and every
 * field is covered by record_hash like any other change (schemas/change-record.ts is append-only;
 * a new column would be null in every other row).
 *
 * States: 'open' (written by the watch when it sees the stream go), 'closed' (written by the watch
 * when the mapping reads the table's current stream: gap_to is then known), 'filled' (written by
 * `ddb-audit backfill` after it re-delivered the window from an export; filled_by names the export).
 */
import { SCHEMA_VERSION, type ChangeRecord } from '../../schemas/change-record';
import { recordHash, type HashedContent } from '../core/record-hash';
import { sha256Hex } from '../core/sha256';

export const GAP_OP = 'g';
export const GAP_EVENT_NAME = 'GAP';

export type GapState = 'open' | 'closed' | 'filled';

export interface Gap {
  /** Deterministic: the same table and old stream always give the same gap (see gapIdOf). */
  readonly gapId: string;
  readonly tableArn: string;
  /** The stream the mapping read until the gap began. */
  readonly oldStreamArn: string;
  /** The table's stream after the gap; null while the stream is disabled and no new one exists. */
  readonly newStreamArn: string | null;
  /** Lower bound: the last time the old stream was seen current; null when never seen (unbounded). */
  readonly from: string | null;
  /** Upper bound: from when the new stream's changes are read; null while the gap is open. */
  readonly to: string | null;
  readonly detectedAt: string;
}

export interface GapRecordInput extends Gap {
  readonly state: GapState;
  /** When this state was recorded (event_time of the row). */
  readonly at: string;
  /** For state 'filled': what filled it (the export ARN). */
  readonly filledBy?: string;
}

const TABLE_ARN = /^arn:([a-z-]+):dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})$/;

/**
 * One gap per table and old stream: a stream that ends once cannot end again, so this id is stable
 * across watch runs and re-deliveries, and its rows de-duplicate on event_id.
 */
export function gapIdOf(tableArn: string, oldStreamArn: string): string {
  return sha256Hex(`ddb-audit/gap/v1\n${tableArn}\n${oldStreamArn}`).slice(0, 32);
}

/** The gap's fields as stored in new_image (snake_case, like the rest of the log). */
export interface GapImage {
  readonly gap_id: string;
  readonly state: GapState;
  readonly table_arn: string;
  readonly old_stream_arn: string;
  readonly new_stream_arn: string | null;
  readonly gap_from: string | null;
  readonly gap_to: string | null;
  readonly detected_at: string;
  readonly filled_by: string | null;
}

export function gapRecord(input: GapRecordInput, processedAt: string = new Date().toISOString()): ChangeRecord {
  const table = TABLE_ARN.exec(input.tableArn);
  if (!table) throw new Error(`gap record: "${input.tableArn}" is not a table ARN (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME)`);
  if (Number.isNaN(Date.parse(input.at))) throw new Error(`gap record: at "${input.at}" is not a timestamp`);
  const [, , region, accountId, tableName] = table as unknown as [string, string, string, string, string];
  const image: GapImage = {
    gap_id: input.gapId,
    state: input.state,
    table_arn: input.tableArn,
    old_stream_arn: input.oldStreamArn,
    new_stream_arn: input.newStreamArn,
    gap_from: input.from,
    gap_to: input.to,
    detected_at: input.detectedAt,
    filled_by: input.filledBy ?? null,
  };
  const key = JSON.stringify({ gap_id: input.gapId });
  const content: HashedContent = {
    schema_version: SCHEMA_VERSION,
    // One row per gap and state (and, for 'filled', per export): a re-delivery de-duplicates.
    event_id: `gap/${input.gapId}/${input.state}${input.filledBy ? `/${sha256Hex(input.filledBy).slice(0, 16)}` : ''}`,
    event_name: GAP_EVENT_NAME,
    op: GAP_OP,
    is_ttl_expiry: false,
    event_version: null,
    event_time: new Date(input.at).toISOString(),
    account_id: accountId,
    region,
    table_name: tableName,
    stream_arn: input.newStreamArn ?? input.oldStreamArn,
    dt: new Date(input.at).toISOString().slice(0, 10),
    sequence_number: null,
    stream_view_type: null,
    size_bytes: null,
    keys: key,
    item_key: key,
    new_image: JSON.stringify(image),
    old_image: null,
    changed_attributes: null,
    user_identity: null,
    actor: 'ddb-audit',
    actor_source: input.state === 'filled' ? 'backfill' : 'watch',
    redacted_attributes: null,
    normalization_error: null,
    raw_record: null,
    keys_types: null,
    new_image_types: null,
    old_image_types: null,
    snapshot_source: null,
  };
  return { ...content, processed_at: processedAt, overflow_uri: null, overflow_fields: null, record_hash: recordHash(content) };
}
