/**
 * The change record: the one normalized row written for every DynamoDB stream record.
 *
 * This list is the single source of truth. The TypeScript type (`ChangeRecord`), the Glue
 * columns of the deployed table, the Parquet schema of the local pipeline and the canonical
 * form behind `record_hash` are all derived from it (see ./derive.ts); a test proves they agree.
 *
 * Field names are a contract: Athena queries, evidence exports and downstream tooling use them.
 * Add fields at the end of a group; never rename or retype one (Parquet files already written
 * keep the old shape forever, since the log is append-only).
 *
 * This module has no dependencies so that runtime code, CDK code and tooling can all import it.
 */

/** Logical column types. Each maps to one Glue type, one Parquet type and one TypeScript type. */
export type FieldType = 'string' | 'boolean' | 'int' | 'bigint' | 'timestamp' | 'string_list';

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  /** False only for fields every record (including error records) carries. */
  readonly nullable: boolean;
  /** A Glue/Hive partition key: sent to Firehose (its JQ reads it) but not a Parquet data column. */
  readonly partition?: boolean;
  /** Part of the canonical content that `record_hash` covers. */
  readonly hashed?: boolean;
  /** A string holding exactly one JSON value as text (an image, the keys): record_hash's canonical form holds it as that text (see lambda/core/record-hash.ts). */
  readonly json?: boolean;
  /**
   * The item controls this field's size (its values, its attribute names). When a change does not fit
   * in one Firehose record, the collector moves the field to the overflow object and lists it in
   * overflow_fields (lambda/core/overflow-pointer.ts). Mark every new field whose size an item write
   * can grow, or one hostile item can make its change undeliverable.
   */
  readonly itemSized?: boolean;
  /**
   * An item-sized field the bundled queries select on (the keys, changed_attributes, actor): it stays in an
   * overflow pointer whenever the pointer still fits with it, so an oversize change is still found by item,
   * attribute and actor. Item-sized fields without it (the images, raw_record) always move.
   */
  readonly keptInPointer?: boolean;
  /**
   * The schema_version that added the field. A hashed field is part of the canonical form of records
   * of that version and later only, so records written before it still verify. @default 1
   */
  readonly sinceVersion?: number;
  readonly doc: string;
}

/**
 * Bumped when the canonical hash form or a field's meaning changes. Stored in every record.
 *   1: the first form.
 *   2: type information (keys_types, new_image_types, old_image_types) and an unambiguous
 *      canonical form (JSON-text fields length-prefixed, so the text "null" and a missing value,
 *      and text moved between adjacent fields, no longer hash alike). Records of version 1 still verify.
 *   3: snapshot rows (op r, event_name SNAPSHOT) from `ddb-audit backfill`, and snapshot_source.
 *      Records of versions 1 and 2 still verify.
 */
export const SCHEMA_VERSION = 3;

export const CHANGE_RECORD_FIELDS = [
  // Identity of the change
  { name: 'schema_version', type: 'int', nullable: false, hashed: true, doc: 'Version of this schema and of the record_hash canonical form.' },
  { name: 'event_id', type: 'string', nullable: true, hashed: true, doc: 'The stream record eventID. Unique per change; consumers de-duplicate on it.' },
  { name: 'event_name', type: 'string', nullable: true, hashed: true, doc: 'INSERT, MODIFY or REMOVE, as in the stream record; SNAPSHOT for a row of `ddb-audit backfill` (the item as a DynamoDB export holds it); GAP for a gap record.' },
  { name: 'op', type: 'string', nullable: true, hashed: true, doc: 'Debezium-style operation: c (INSERT), u (MODIFY), d (REMOVE), r (SNAPSHOT: the item\'s state at the export time, from `ddb-audit backfill`; docs/completeness.md), g (a gap record, event_name GAP: a window of the table\'s changes read from no stream, its fields as JSON in new_image; docs/coverage.md, "Gaps").' },
  { name: 'is_ttl_expiry', type: 'boolean', nullable: false, hashed: true, doc: 'True only for REMOVE records made by DynamoDB Time to Live (userIdentity Service dynamodb.amazonaws.com).' },
  { name: 'event_version', type: 'string', nullable: true, hashed: true, doc: 'The stream record eventVersion.' },
  // Time
  { name: 'event_time', type: 'timestamp', nullable: true, hashed: true, doc: 'ApproximateCreationDateTime of the stream record, UTC. DynamoDB gives whole seconds.' },
  { name: 'processed_at', type: 'timestamp', nullable: false, doc: 'When the collector normalized the record, UTC. Differs between duplicate deliveries, so it is not hashed.' },
  // Where it happened
  { name: 'account_id', type: 'string', nullable: false, partition: true, hashed: true, doc: 'Source AWS account id (12 characters, leading zeros kept), from eventSourceARN. "unknown" when the ARN cannot be parsed.' },
  { name: 'region', type: 'string', nullable: true, hashed: true, doc: 'AWS region of the source table, from eventSourceARN.' },
  { name: 'table_name', type: 'string', nullable: false, partition: true, hashed: true, doc: 'Source table name, from eventSourceARN. "unknown" when the ARN cannot be parsed.' },
  { name: 'stream_arn', type: 'string', nullable: true, hashed: true, doc: 'The eventSourceARN: the stream the record was read from.' },
  { name: 'dt', type: 'string', nullable: false, partition: true, hashed: true, doc: 'yyyy-MM-dd of event_time in UTC (of processed_at when event_time is unknown).' },
  // Position in the stream
  { name: 'sequence_number', type: 'string', nullable: true, hashed: true, doc: 'SequenceNumber exactly as received: a decimal string of 21 to 40 digits, as DynamoDB documents it (a record with any other is an error record). Orders changes of one item.' },
  { name: 'stream_view_type', type: 'string', nullable: true, hashed: true, doc: 'KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.' },
  { name: 'size_bytes', type: 'bigint', nullable: true, hashed: true, doc: 'SizeBytes of the stream record.' },
  // What changed
  { name: 'keys', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, keptInPointer: true, doc: 'The key attributes as plain JSON text.' },
  { name: 'item_key', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, keptInPointer: true, doc: 'Canonical, stable text of the key attributes (sorted by name) for equality filters, e.g. {"pk":"user#1","sk":"profile"}.' },
  { name: 'new_image', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, doc: 'The item after the change as plain JSON text; null when the view type does not carry it, or for REMOVE.' },
  { name: 'old_image', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, doc: 'The item before the change as plain JSON text; null when the view type does not carry it, or for INSERT.' },
  { name: 'changed_attributes', type: 'string_list', nullable: true, hashed: true, itemSized: true, keptInPointer: true, doc: 'Top-level attribute names that differ (MODIFY: added, removed or changed at any depth; INSERT: all of the new image; REMOVE: all of the old image). Null when the images needed are absent.' },
  { name: 'user_identity', type: 'string', nullable: true, hashed: true, json: true, doc: 'The stream record userIdentity as JSON text (only TTL deletes carry one).' },
  // Who
  { name: 'actor', type: 'string', nullable: true, hashed: true, itemSized: true, keptInPointer: true, doc: 'Who made the change, as far as it is known: the configured actor attribute of the new image (old image for REMOVE), or dynamodb.amazonaws.com for TTL. Streams do not record the caller.' },
  { name: 'actor_source', type: 'string', nullable: true, hashed: true, doc: 'Where actor came from: "attribute:<name>", "attribute:<name>:redacted" (the attribute is redacted, or holds a redacted path, so actor is [REDACTED]) or "ttl"; null when unknown.' },
  // Protection and integrity
  { name: 'redacted_attributes', type: 'string_list', nullable: true, hashed: true, doc: 'Configured attribute paths whose values were replaced (by the S value [REDACTED]) in the images before leaving the collector; a path that could not descend replaced the whole value it reached. Key attributes are never redacted.' },
  { name: 'overflow_uri', type: 'string', nullable: true, hashed: false, doc: 'For a change too large for one Firehose record: the s3:// URI of the full record (one JSON line). The fields listed in overflow_fields are then null here and complete in that object.' },
  { name: 'record_hash', type: 'string', nullable: false, doc: 'SHA-256 (hex) of the canonical form of the hashed fields; identical for duplicate deliveries of one stream record.' },
  // Bad input, kept rather than dropped
  { name: 'normalization_error', type: 'string', nullable: true, hashed: true, itemSized: true, keptInPointer: true, doc: 'Why the stream record could not be normalized; null for normal records.' },
  { name: 'raw_record', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, doc: 'The original stream record as JSON text, kept only when normalization_error is set.' },
  // Appended (the schema is append-only). Type information: docs/change-record.md, "Type information".
  { name: 'overflow_fields', type: 'string_list', nullable: true, doc: 'For an overflow pointer (overflow_uri set): the fields whose values moved to the overflow object and are null here. Null for every other record. Not hashed, like overflow_uri.' },
  { name: 'keys_types', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, sinceVersion: 2, doc: 'DynamoDB types of keys that its plain JSON does not imply (B keys), as compact JSON; null when all are implied (S or N). See docs/change-record.md.' },
  { name: 'new_image_types', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, sinceVersion: 2, doc: 'DynamoDB types of new_image that its plain JSON does not imply (B, SS, NS, BS, nested), as compact JSON; null when all are implied or new_image is null. See docs/change-record.md.' },
  { name: 'old_image_types', type: 'string', nullable: true, hashed: true, json: true, itemSized: true, sinceVersion: 2, doc: 'DynamoDB types of old_image that its plain JSON does not imply (B, SS, NS, BS, nested), as compact JSON; null when all are implied or old_image is null. See docs/change-record.md.' },
  // Appended for backfill (docs/completeness.md, "Backfill"). Bounded: an export ARN and a checked gap id, never item data.
  { name: 'snapshot_source', type: 'string', nullable: true, hashed: true, json: true, sinceVersion: 3, doc: 'For a snapshot row (op r): where it came from, as compact JSON {"export_arn":"…","gap_id":…} (gap_id null, or the --gap-id given to backfill). Null for every other record.' },
] as const satisfies readonly FieldDefinition[];

type Fields = typeof CHANGE_RECORD_FIELDS;
type Field = Fields[number];

/** TypeScript value of each logical type. Timestamps travel as ISO-8601 UTC strings with milliseconds. */
interface TypeOf {
  string: string;
  boolean: boolean;
  int: number;
  bigint: number;
  timestamp: string;
  string_list: string[];
}

type ValueOf<F extends Field> = F['nullable'] extends true ? TypeOf[F['type']] | null : TypeOf[F['type']];

/** One normalized change, exactly as it is sent to Firehose (one JSON object). */
export type ChangeRecord = { [F in Field as F['name']]: ValueOf<F> };

export type ChangeRecordField = keyof ChangeRecord;

export const FIELD_NAMES: readonly ChangeRecordField[] = CHANGE_RECORD_FIELDS.map((f) => f.name);

export const PARTITION_KEYS = ['account_id', 'table_name', 'dt'] as const satisfies readonly ChangeRecordField[];

/**
 * StreamRecord.SequenceNumber: "Length Constraints: Minimum length of 21. Maximum length of 40."
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html).
 * The normalizer accepts exactly this; the bundled queries order by lpad(sequence_number, MAX, '0').
 */
export const SEQUENCE_NUMBER_MIN_DIGITS = 21;
export const SEQUENCE_NUMBER_MAX_DIGITS = 40;

/** Values for the partition keys when the source cannot be determined from a malformed record. */
export const UNKNOWN_PARTITION_VALUE = 'unknown';
