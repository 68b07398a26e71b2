/**
 * The normalizer: one DynamoDB stream record (as Lambda delivers it) -> one ChangeRecord.
 *
 * Contract:
 *   - every input record yields exactly one output record, in input order;
 *   - a record that cannot be normalized (no dynamodb block, unknown type tag, unparsable ARN, ...)
 *     yields an error record: normalization_error says why, raw_record keeps the original JSON, and
 *     every field that could still be read is filled in. It is never dropped and never throws;
 *   - nothing here does I/O, so it is tested without AWS.
 */
import { ChangeRecord, FIELD_NAMES, SCHEMA_VERSION, SEQUENCE_NUMBER_MAX_DIGITS, SEQUENCE_NUMBER_MIN_DIGITS, UNKNOWN_PARTITION_VALUE } from '../../schemas/change-record';
import type { CollectorSourceOptions, CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { AttributeValueError, attributeToJson, describe, mapToJson, memberPrefix, typedValues } from './attribute-json';
import { attributeValuesEqual } from './attribute-equality';
import { appendAnnotation, typeAnnotation, TypeAnnotation } from './attribute-types';
import { redactImage, REDACTED_VALUE, RedactionResult } from './redact';
import { parseRedactPath, RedactPath, RedactPathError, topLevelName } from './redact-path';
import { flattened } from './flat-string';
import { formatIsoMillis } from './iso-timestamp';
import { recordHash } from './record-hash';
import { sha256Hex } from './sha256';
import { ENTRY_OVERHEAD_BYTES, stringBytes } from './cache-bytes';
import { parseStreamArn, StreamArnParts, explainStreamArn } from './stream-arn';

export interface NormalizeOptions {
  /** Per-source options keyed by table ARN (see schemas/audit-config.ts). */
  readonly sourceOptions?: CollectorSourceOptionsByTable;
  /** processed_at of the batch, ISO-8601 UTC. @default now */
  readonly processedAt?: string;
  /**
   * Called for each configured redact path that names a key attribute of a record's table (keys are
   * never redacted, so the path is not applied): the caller reports it (process-batch.ts logs
   * REDACT_PATH_ON_KEY_LOG_MESSAGE and counts METRIC.redactPathsOnKeyAttributes). @default none
   */
  readonly onRedactPathOnKeyAttribute?: (tableArn: string, path: string) => void;
}

const OPERATIONS: Record<string, 'c' | 'u' | 'd'> = { INSERT: 'c', MODIFY: 'u', REMOVE: 'd' };
const VIEW_TYPES = new Set(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
const TTL_ACTOR = { actor: TTL_PRINCIPAL, source: 'ttl' };
// Exactly what DynamoDB produces (see SEQUENCE_NUMBER_MAX_DIGITS): the queries order by it left-padded to that width.
const SEQUENCE_NUMBER = new RegExp(`^\\d{${SEQUENCE_NUMBER_MIN_DIGITS},${SEQUENCE_NUMBER_MAX_DIGITS}}$`);

/** A record the normalizer refuses, with a one-line reason naming the field. */
class MalformedRecordError extends Error {}

/** Normalizes every record of a Lambda DynamoDB stream event, in order. */
export function normalizeRecords(records: readonly unknown[], options: NormalizeOptions = {}): ChangeRecord[] {
  const batchOptions = { ...options, processedAt: options.processedAt ?? new Date().toISOString() };
  const out = new Array<ChangeRecord>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = normalizeRecord(records[i], batchOptions);
  return out;
}

/** Normalizes one stream record. Never throws: malformed input becomes an error record. */
export function normalizeRecord(record: unknown, options: NormalizeOptions = {}): ChangeRecord {
  const processedAt = options.processedAt ?? new Date().toISOString();
  try {
    return normalizeValid(record, processedAt, options.sourceOptions, options.onRedactPathOnKeyAttribute);
  } catch (err) {
    const reason =
      err instanceof MalformedRecordError
        ? err.message
        : err instanceof AttributeValueError
          ? explainImageError(record, err).message
          : err instanceof RedactPathError
            ? `source config: ${err.message}; the images are withheld`
            : `unexpected ${(err as Error)?.name ?? 'error'}: ${(err as Error)?.message ?? String(err)}`;
    return errorRecord(record, reason, processedAt, options.sourceOptions, options.onRedactPathOnKeyAttribute);
  }
}

/** One item of a DynamoDB full export (`{"Item": {…}}`), with what the export's manifest says about it. */
export interface SnapshotItem {
  /** exportArn of manifest-summary.json. */
  readonly exportArn: string;
  /** tableArn of manifest-summary.json: arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME. */
  readonly tableArn: string;
  /** exportTime of manifest-summary.json, ISO-8601 UTC: the instant the item's state is from. */
  readonly exportTime: string;
  /** The table's key attribute names (partition key, then sort key): an export line does not say which they are. */
  readonly keyAttributes: readonly string[];
  /** The typed item (the line's Item). */
  readonly item: unknown;
  /** The gap this backfill fills (`--gap-id`), recorded in snapshot_source. @default null */
  readonly gapId?: string;
}

/** An export item the normalizer cannot turn into a snapshot row; the message names what is wrong. */
export class SnapshotItemError extends Error {
  override name = 'SnapshotItemError';
}

/** event_id of a snapshot row: one item of one export always gets the same id, so a re-run de-duplicates (docs/completeness.md). */
export function snapshotEventId(exportArn: string, itemKey: string): string {
  return `snapshot:${sha256Hex(`${exportArn}\n${itemKey}`)}`;
}

/**
 * A snapshot row (op r, event_name SNAPSHOT): the item's state at the export time, normalized as an
 * INSERT of that item is (same key spelling, same redaction, same type fields), with no stream
 * position and no actor (a state is not a change). Throws SnapshotItemError for an item that cannot
 * be normalized: unlike a stream record, which must never hold up the batch it came in, a bad export
 * line is refused before anything of the export is sent (cli/backfill).
 */
export function normalizeSnapshotItem(snapshot: SnapshotItem, options: NormalizeOptions = {}): ChangeRecord {
  const processedAt = options.processedAt ?? new Date().toISOString();
  // A table ARN is a stream ARN without its /stream/LABEL: parse it with the same rules.
  const arn = /^arn:[^:]+:dynamodb:[^:]+:\d{12}:table\/[^/]+$/.test(snapshot.tableArn) ? parseStreamArn(`${snapshot.tableArn}/stream/snapshot`) : undefined;
  if (arn === undefined) throw new SnapshotItemError(`tableArn: "${snapshot.tableArn.slice(0, 200)}" is not a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)`);
  const eventTimeMs = Date.parse(snapshot.exportTime);
  if (Number.isNaN(eventTimeMs)) throw new SnapshotItemError(`exportTime: "${snapshot.exportTime}" is not a timestamp`);
  const eventTime = formatIsoMillis(eventTimeMs);
  const item = snapshot.item;
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new SnapshotItemError(`Item: expected a map of attributes, got ${describe(item)}`);
  const image = item as Record<string, unknown>;
  const keyMap: Record<string, unknown> = {};
  for (const name of snapshot.keyAttributes) {
    const value = image[name] as Record<string, unknown> | undefined;
    if (!Object.prototype.hasOwnProperty.call(image, name) || value === null || typeof value !== 'object') throw new SnapshotItemError(`Item: has no key attribute "${name}" (is --key-attributes the table's key?)`);
    if (!(typeof value.S === 'string' || typeof value.N === 'string' || typeof value.B === 'string') || Object.keys(value).length !== 1) {
      throw new SnapshotItemError(`Item.${name}: a key attribute must be S, N or B, got ${describe(value)} (is --key-attributes the table's key?)`);
    }
    keyMap[name] = value;
  }
  try {
    const keys = serializeImage(keyMap);
    const itemKey = canonicalKey(keys);
    const tableOptions = options.sourceOptions?.[arn.tableArn];
    const paths = tableOptions?.redact === undefined ? undefined : redactPaths(tableOptions.redact);
    const redaction = paths === undefined ? undefined : redactImage(image, paths, new Set(keys.names));
    const texts = imageTexts(image, undefined, redaction);
    if (options.onRedactPathOnKeyAttribute !== undefined) for (const path of new Set(redaction?.onKeyAttribute ?? [])) options.onRedactPathOnKeyAttribute(arn.tableArn, path);
    const out: ChangeRecord = {
      schema_version: SCHEMA_VERSION,
      event_id: snapshotEventId(snapshot.exportArn, itemKey),
      event_name: 'SNAPSHOT',
      op: 'r',
      is_ttl_expiry: false,
      event_version: null,
      event_time: eventTime,
      processed_at: processedAt,
      account_id: arn.accountId,
      region: arn.region,
      table_name: arn.tableName,
      stream_arn: null,
      dt: eventTime.slice(0, 10),
      sequence_number: null,
      stream_view_type: null,
      size_bytes: null,
      keys: flattened(keys.json),
      item_key: itemKey,
      new_image: flattened(texts.json),
      old_image: null,
      changed_attributes: sortedNames(image),
      user_identity: null,
      actor: null,
      actor_source: null,
      redacted_attributes: paths === undefined ? null : mergeRedacted(redaction?.applied, undefined),
      overflow_uri: null,
      record_hash: '',
      normalization_error: null,
      raw_record: null,
      overflow_fields: null,
      keys_types: serializedTypes(keys),
      new_image_types: texts.types,
      old_image_types: null,
      snapshot_source: JSON.stringify({ export_arn: snapshot.exportArn, gap_id: snapshot.gapId ?? null }),
    };
    out.record_hash = recordHash(out);
    return out;
  } catch (err) {
    if (err instanceof AttributeValueError) {
      try {
        mapToJson(image, 'Item');
      } catch (named) {
        if (named instanceof AttributeValueError) throw new SnapshotItemError(named.message);
      }
      throw new SnapshotItemError(`Item: ${err.message}`);
    }
    if (err instanceof RedactPathError) throw new SnapshotItemError(`source config: ${err.message}`);
    throw err;
  }
}

// The flag attribute-json.ts sets on B and sets, read through one local binding on the hot path.
const typed = typedValues;

// The configured paths of each source, parsed once (the options object lives as long as the container).
const parsedPaths = new WeakMap<readonly string[], readonly RedactPath[] | RedactPathError>();

/** The source's redact paths, parsed; throws the RedactPathError of the first one that does not parse. */
function redactPaths(redact: readonly string[]): readonly RedactPath[] {
  let parsed = parsedPaths.get(redact);
  if (parsed === undefined) {
    try {
      parsed = redact.map(parseRedactPath);
    } catch (err) {
      if (!(err instanceof RedactPathError)) throw err;
      parsed = err;
    }
    parsedPaths.set(redact, parsed);
  }
  if (parsed instanceof RedactPathError) throw parsed;
  return parsed;
}

function normalizeValid(
  record: unknown,
  processedAt: string,
  sourceOptions: CollectorSourceOptionsByTable | undefined,
  onRedactPathOnKeyAttribute: ((tableArn: string, path: string) => void) | undefined,
): ChangeRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new MalformedRecordError(`record: expected an object, got ${describe(record)}`);
  const r = record as Record<string, any>;

  const eventName = r.eventName;
  const op = OPERATIONS[eventName];
  if (op === undefined) throw new MalformedRecordError(`eventName: expected INSERT, MODIFY or REMOVE, got ${describe(eventName)}`);
  if (typeof r.eventID !== 'string' || r.eventID === '') throw new MalformedRecordError(`eventID: expected a non-empty string, got ${describe(r.eventID)}`);
  const arn = requireArn(r.eventSourceARN);
  const ddb = r.dynamodb;
  if (ddb === null || typeof ddb !== 'object' || Array.isArray(ddb)) throw new MalformedRecordError(`dynamodb: expected the stream record's dynamodb block, got ${describe(ddb)}`);
  if (typeof ddb.SequenceNumber !== 'string' || !SEQUENCE_NUMBER.test(ddb.SequenceNumber)) {
    throw new MalformedRecordError(`dynamodb.SequenceNumber: expected a decimal string of ${SEQUENCE_NUMBER_MIN_DIGITS} to ${SEQUENCE_NUMBER_MAX_DIGITS} digits, got ${describe(ddb.SequenceNumber)}`);
  }
  const eventTime = requireEventTime(ddb.ApproximateCreationDateTime);
  const viewType = ddb.StreamViewType;
  if (!VIEW_TYPES.has(viewType)) throw new MalformedRecordError(`dynamodb.StreamViewType: expected KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES, got ${describe(viewType)}`);
  if (ddb.SizeBytes !== undefined && !(Number.isSafeInteger(ddb.SizeBytes) && ddb.SizeBytes >= 0)) {
    throw new MalformedRecordError(`dynamodb.SizeBytes: expected a non-negative integer, got ${describe(ddb.SizeBytes)}`);
  }
  if (ddb.Keys === undefined) throw new MalformedRecordError('dynamodb.Keys: missing (every stream record carries the item key)');

  const keys = serializeImage(ddb.Keys);
  const oldImage: Record<string, unknown> | undefined = ddb.OldImage;
  const newImage: Record<string, unknown> | undefined = ddb.NewImage;
  // Only a MODIFY compares attribute by attribute; the others serialize each image in one pass.
  const compare = eventName === 'MODIFY' && oldImage !== undefined && newImage !== undefined;
  const oldSerialized = compare ? serializeImage(oldImage) : undefined;
  const newSerialized = compare ? serializeImage(newImage) : undefined;
  const options: CollectorSourceOptions | undefined = sourceOptions?.[arn.tableArn];

  const isTtlExpiry = eventName === 'REMOVE' && isTtlIdentity(r.userIdentity);
  // Compared on the originals (values and types), so a change to a redacted attribute is still listed:
  // its name is not secret, its value is; only names leave this function.
  const changed = changedAttributes(eventName, oldImage, oldSerialized, newImage, newSerialized);

  // Redaction first: every field below (images, their types, actor, record_hash) is derived from the
  // redacted images. Each image is serialized once: the redacted copy where a path matched, else
  // the original (whose per-attribute texts a MODIFY has already built for the comparison above).
  const paths = options?.redact === undefined ? undefined : redactPaths(options.redact);
  const keyNames = paths === undefined ? undefined : new Set(keys.names);
  const oldRedaction = paths !== undefined && oldImage !== undefined ? redactImage(oldImage, paths, keyNames) : undefined;
  const newRedaction = paths !== undefined && newImage !== undefined ? redactImage(newImage, paths, keyNames) : undefined;
  const oldTexts = imageTexts(oldImage, oldSerialized, oldRedaction);
  const newTexts = imageTexts(newImage, newSerialized, newRedaction);
  // Reported once the images are known good: a record that still fails becomes an error record, which reports its own.
  if (onRedactPathOnKeyAttribute !== undefined) {
    for (const path of new Set([...(oldRedaction?.onKeyAttribute ?? []), ...(newRedaction?.onKeyAttribute ?? [])])) onRedactPathOnKeyAttribute(arn.tableArn, path);
  }
  const oldJson = flattened(oldTexts.json);
  const newJson = flattened(newTexts.json);
  const redacted = paths === undefined ? null : mergeRedacted(oldRedaction?.applied, newRedaction?.applied);

  const actorRedaction = eventName === 'REMOVE' ? oldRedaction : newRedaction;
  const actor = isTtlExpiry ? TTL_ACTOR : actorFrom(options, actorRedaction?.image ?? (eventName === 'REMOVE' ? oldImage : newImage), paths, actorRedaction?.applied);

  // Built once, in schema order, with the hash filled in last.
  const out: ChangeRecord = {
    schema_version: SCHEMA_VERSION,
    event_id: r.eventID as string,
    event_name: eventName as string,
    op,
    is_ttl_expiry: isTtlExpiry,
    event_version: typeof r.eventVersion === 'string' ? r.eventVersion : null,
    event_time: eventTime,
    processed_at: processedAt,
    account_id: arn.accountId,
    region: arn.region,
    table_name: arn.tableName,
    stream_arn: r.eventSourceARN as string,
    dt: eventTime.slice(0, 10),
    sequence_number: ddb.SequenceNumber as string,
    stream_view_type: viewType as string,
    size_bytes: ddb.SizeBytes ?? null,
    keys: flattened(keys.json),
    item_key: canonicalKey(keys),
    new_image: newJson,
    old_image: oldJson,
    changed_attributes: changed,
    user_identity: r.userIdentity === undefined || r.userIdentity === null ? null : JSON.stringify(r.userIdentity),
    actor: actor === null ? null : actor.actor,
    actor_source: actor === null ? null : actor.source,
    redacted_attributes: redacted,
    overflow_uri: null,
    record_hash: '',
    normalization_error: null,
    raw_record: null,
    overflow_fields: null,
    keys_types: serializedTypes(keys),
    new_image_types: newTexts.types,
    old_image_types: oldTexts.types,
    snapshot_source: null,
  };
  out.record_hash = recordHash(out);
  return out;
}

/** An item's top-level attributes, each serialized once: reused for the image text and for comparison. */
interface SerializedImage {
  readonly names: string[];
  readonly texts: string[];
  /** Each attribute's type annotation (./attribute-types.ts), undefined where its text implies its type; undefined when no attribute has one. */
  readonly annotations: (TypeAnnotation | undefined)[] | undefined;
  /** The whole item as JSON text, built in the same pass. */
  readonly json: string;
}

function serializeImage(image: unknown): SerializedImage {
  if (image === null || typeof image !== 'object' || Array.isArray(image)) throw new AttributeValueError('expected a map of attributes');
  const names: string[] = [];
  const texts: string[] = [];
  let annotations: (TypeAnnotation | undefined)[] | undefined;
  let json = '{';
  for (const name in image) {
    const value = (image as Record<string, unknown>)[name];
    typed.seen = false;
    const text = attributeToJson(value);
    json += memberPrefix(name, names.length === 0) + text;
    // Only a value that held B or a set has type information to walk for.
    if (typed.seen) {
      const annotation = typeAnnotation(value);
      if (annotation !== undefined) (annotations ??= new Array<TypeAnnotation | undefined>(names.length))[names.length] = annotation;
    }
    names.push(name);
    texts.push(text);
  }
  return { names, texts, annotations, json: `${json}}` };
}

/** The type field of an image serialized for comparison, from the annotations built in that pass. */
function serializedTypes(serialized: SerializedImage): string | null {
  const annotations = serialized.annotations;
  if (annotations === undefined) return null;
  let text: string | null = null;
  for (let i = 0; i < serialized.names.length; i++) {
    const annotation = annotations[i];
    if (annotation !== undefined) text = appendAnnotation(text, serialized.names[i] as string, annotation);
  }
  return text === null ? null : `${text}}`;
}

const NO_IMAGE = { json: null, types: null } as const;

/**
 * An image's JSON text and its type field, serialized once: from the redacted copy where a
 * configured path matched, else from the original (whose texts a MODIFY has already built).
 */
function imageTexts(image: Record<string, unknown> | undefined, serialized: SerializedImage | undefined, redaction: RedactionResult | undefined): { json: string | null; types: string | null } {
  if (image === undefined) return NO_IMAGE;
  if (redaction !== undefined && redaction.applied.length > 0) return jsonAndTypes(redaction.image);
  if (serialized !== undefined) return { json: serialized.json, types: serializedTypes(serialized) };
  return jsonAndTypes(image);
}

/**
 * mapToJson's text of an image plus its type field, in one pass: a value is walked for its type
 * information only when its serialization met B or a set (typed.seen, set by attribute-json.ts).
 */
function jsonAndTypes(image: Record<string, unknown>): { json: string; types: string | null } {
  let json = '{';
  let types: string | null = null;
  let first = true;
  for (const name in image) {
    const value = image[name];
    typed.seen = false;
    json += memberPrefix(name, first) + attributeToJson(value);
    first = false;
    if (typed.seen) {
      const annotation = typeAnnotation(value);
      if (annotation !== undefined) types = appendAnnotation(types, name, annotation);
    }
  }
  return { json: `${json}}`, types: types === null ? null : `${types}}` };
}

function joinObject(names: readonly string[], texts: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < names.length; i++) out += memberPrefix(names[i] as string, i === 0) + texts[i];
  return out + '}';
}

/**
 * The walk above names no paths (for speed). When it fails, walk the images again with paths so
 * the error says where: "dynamodb.NewImage.address.M.geo: unknown type tag \"Q\"".
 */
function explainImageError(record: unknown, fallback: AttributeValueError): AttributeValueError {
  const ddb = (record as { dynamodb?: Record<string, unknown> } | null)?.dynamodb;
  if (ddb === null || typeof ddb !== 'object') return fallback;
  for (const name of ['Keys', 'NewImage', 'OldImage']) {
    if (ddb[name] === undefined) continue;
    try {
      mapToJson(ddb[name], `dynamodb.${name}`);
    } catch (err) {
      if (err instanceof AttributeValueError) return err;
    }
  }
  return fallback;
}

// A batch comes from one stream: remember the last ARN parsed.
let lastArn = '';
let lastArnParts: StreamArnParts | undefined;

function requireArn(value: unknown): StreamArnParts {
  if (value === lastArn && lastArnParts !== undefined) return lastArnParts;
  if (typeof value !== 'string') throw new MalformedRecordError(`eventSourceARN: expected a stream ARN, got ${describe(value)}`);
  const parts = parseStreamArn(value);
  if (!parts) throw new MalformedRecordError(`eventSourceARN: "${value.slice(0, 200)}" is not a DynamoDB stream ARN: ${explainStreamArn(value)}`);
  // Remembered across batches in a warm Lambda: only an ARN of the documented length (StreamArn is at most 1,024).
  if (value.length <= 1024) {
    lastArn = value;
    lastArnParts = parts;
  }
  return parts;
}

/** ApproximateCreationDateTime (epoch seconds; whole seconds in practice, fractions kept to the ms) as ISO-8601 UTC with milliseconds. */
function requireEventTime(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 253402300799) {
    throw new MalformedRecordError(`dynamodb.ApproximateCreationDateTime: expected epoch seconds, got ${describe(value)}`);
  }
  return formatIsoMillis(Math.round(value * 1000));
}

function isTtlIdentity(identity: unknown): boolean {
  if (identity === null || typeof identity !== 'object') return false;
  const id = identity as Record<string, unknown>;
  return id.type === 'Service' && id.principalId === TTL_PRINCIPAL;
}

/** The key attributes as JSON text with names sorted: one item, one spelling, whatever the order received. */
function canonicalKey(keys: SerializedImage): string {
  if (keys.names.length <= 1) return keys.json;
  if (keys.names.length === 2) {
    const [a, b] = keys.names as [string, string];
    return a <= b ? keys.json : joinObject([b, a], [keys.texts[1] as string, keys.texts[0] as string]);
  }
  const order = keys.names.map((_, i) => i).sort((a, b) => ((keys.names[a] as string) < (keys.names[b] as string) ? -1 : 1));
  return joinObject(
    order.map((i) => keys.names[i] as string),
    order.map((i) => keys.texts[i] as string),
  );
}

/**
 * Top-level attributes that differ. INSERT: all of the new image; REMOVE: all of the old image;
 * MODIFY: added, removed, or changed at any depth. Null when the images needed are absent
 * (KEYS_ONLY, or a one-sided view of a MODIFY). Computed before redaction, so a change to a
 * redacted attribute is still listed.
 */
function changedAttributes(
  eventName: string,
  oldImage: Record<string, unknown> | undefined,
  oldSerialized: SerializedImage | undefined,
  newImage: Record<string, unknown> | undefined,
  newSerialized: SerializedImage | undefined,
): string[] | null {
  if (eventName === 'INSERT') return newImage === undefined ? null : sortedNames(newImage);
  if (eventName === 'REMOVE') return oldImage === undefined ? null : sortedNames(oldImage);
  if (oldImage === undefined || newImage === undefined || oldSerialized === undefined || newSerialized === undefined) return null;
  const changed: string[] = [];
  const oldNames = oldSerialized.names;
  let oldIndex: Map<string, number> | undefined;
  for (let i = 0; i < newSerialized.names.length; i++) {
    const name = newSerialized.names[i] as string;
    // Images of one item usually list attributes in the same order: compare position by position first.
    let j: number | undefined = i;
    if (oldNames[i] !== name) {
      oldIndex ??= new Map(oldNames.map((n, k) => [n, k]));
      j = oldIndex.get(name);
    }
    if (j === undefined) {
      changed.push(name);
      continue;
    }
    const before = oldSerialized.texts[j] as string;
    const after = newSerialized.texts[i] as string;
    if (before === after) {
      // Equal text, equal value only if the types the text leaves out are equal too (S vs B, L vs SS...).
      if (!sameAnnotation(oldSerialized.annotations?.[j], newSerialized.annotations?.[i])) changed.push(name);
    } else if (!(mayHoldMap(before) && mayHoldMap(after) && attributeValuesEqual(oldImage[name], newImage[name]))) {
      // Different text may still be an equal map in another attribute order (sets are written
      // sorted, so only a map can differ in text alone); the structural check compares type tags too.
      changed.push(name);
    }
  }
  for (const name of oldNames) {
    if (!Object.prototype.hasOwnProperty.call(newImage, name)) changed.push(name);
  }
  return changed.sort();
}

function sameAnnotation(a: TypeAnnotation | undefined, b: TypeAnnotation | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a === 'string' || typeof b === 'string') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether an attribute's text can contain a map: an object, or a list with one (a string with a brace only costs a structural check). */
function mayHoldMap(text: string): boolean {
  return text.charCodeAt(0) === 0x7b /* { */ || (text.charCodeAt(0) === 0x5b /* [ */ && text.includes('{'));
}

// Items of one table mostly carry the same attributes in the same order: remember the last sort,
// when its names are short enough to keep in a warm Lambda (at most SORTED_NAMES_CACHE_CHARS in all).
let lastNames: string[] = [];
let lastSorted: string[] = [];
const SORTED_NAMES_CACHE_CHARS = 64 * 1024;

/** The normalizer's remembered ARN and attribute sort, in accounted bytes (see cache-bytes.ts). */
export function normalizerCacheBytes(): number {
  const names = (list: readonly string[]) => list.reduce((n, name) => n + ENTRY_OVERHEAD_BYTES / 4 + stringBytes(name), 0);
  return stringBytes(lastArn) + ENTRY_OVERHEAD_BYTES * 4 + names(lastNames) + names(lastSorted);
}

function sortedNames(image: Record<string, unknown>): string[] {
  const names = Object.keys(image);
  let same = names.length === lastNames.length;
  for (let i = 0; same && i < names.length; i++) same = names[i] === lastNames[i];
  if (!same) {
    const sorted = [...names].sort();
    if (names.reduce((n, name) => n + name.length, 0) > SORTED_NAMES_CACHE_CHARS) return sorted;
    lastNames = names;
    lastSorted = sorted;
  }
  return lastSorted.slice();
}

/**
 * The actor, read from the image after redaction. An actor attribute that a path redacted, whole or
 * in part (`updatedBy` or `updatedBy.email`), yields [REDACTED] with actor_source
 * "attribute:<name>:redacted": the part that was not redacted is withheld too, since an M or L
 * actor would otherwise carry the redacted marker beside what it was meant to hide.
 */
function actorFrom(
  options: CollectorSourceOptions | undefined,
  image: Record<string, unknown> | undefined,
  paths: readonly RedactPath[] | undefined,
  applied: readonly string[] | undefined,
): { actor: string; source: string } | null {
  const attribute = options?.actorAttribute;
  if (attribute === undefined || image === undefined) return null;
  if (!Object.prototype.hasOwnProperty.call(image, attribute)) return null;
  const value = image[attribute] as Record<string, unknown> | undefined;
  if (value === undefined || value === null || typeof value !== 'object') return null;
  const source = `attribute:${attribute}`;
  if (paths !== undefined && applied !== undefined && applied.length > 0 && paths.some((p) => topLevelName(p) === attribute && applied.includes(p.text))) {
    return { actor: REDACTED_VALUE, source: `${source}:redacted` };
  }
  if (typeof value.S === 'string') return { actor: value.S, source };
  if (typeof value.N === 'string') return { actor: value.N, source };
  if ('NULL' in value) return null;
  return { actor: attributeToJson(value, `actor attribute ${attribute}`), source };
}

function mergeRedacted(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

/** The record for input that could not be normalized: everything still readable, plus the original. */
function errorRecord(
  record: unknown,
  reason: string,
  processedAt: string,
  sourceOptions: CollectorSourceOptionsByTable | undefined,
  onRedactPathOnKeyAttribute: ((tableArn: string, path: string) => void) | undefined,
): ChangeRecord {
  const r = (record !== null && typeof record === 'object' ? record : {}) as Record<string, any>;
  const ddb = (r.dynamodb !== null && typeof r.dynamodb === 'object' ? r.dynamodb : {}) as Record<string, any>;
  const arn = typeof r.eventSourceARN === 'string' ? parseStreamArn(r.eventSourceARN) : undefined;
  const redact = arn ? sourceOptions?.[arn.tableArn]?.redact : undefined;
  const raw = redact && r.dynamodb === ddb ? redactRawRecord(r, ddb, redact) : { record, applied: null, onKeyAttribute: [] };
  if (arn && onRedactPathOnKeyAttribute !== undefined) for (const path of raw.onKeyAttribute) onRedactPathOnKeyAttribute(arn.tableArn, path);
  // keys_types, new_image_types and old_image_types stay null: an error record carries no images outside raw_record.
  const eventTime = safeEventTime(ddb.ApproximateCreationDateTime);
  const eventName = typeof r.eventName === 'string' && r.eventName in OPERATIONS ? (r.eventName as string) : null;
  const content = {
    schema_version: SCHEMA_VERSION,
    event_id: typeof r.eventID === 'string' ? r.eventID : null,
    event_name: eventName,
    op: eventName === null ? null : (OPERATIONS[eventName] as string),
    is_ttl_expiry: false,
    event_version: typeof r.eventVersion === 'string' ? r.eventVersion : null,
    event_time: eventTime,
    account_id: arn?.accountId ?? UNKNOWN_PARTITION_VALUE,
    region: arn?.region ?? null,
    table_name: arn?.tableName ?? UNKNOWN_PARTITION_VALUE,
    stream_arn: typeof r.eventSourceARN === 'string' ? r.eventSourceARN : null,
    dt: (eventTime ?? processedAt).slice(0, 10),
    sequence_number: typeof ddb.SequenceNumber === 'string' ? ddb.SequenceNumber : null,
    stream_view_type: typeof ddb.StreamViewType === 'string' ? ddb.StreamViewType : null,
    size_bytes: Number.isSafeInteger(ddb.SizeBytes) ? (ddb.SizeBytes as number) : null,
    keys: null,
    item_key: null,
    new_image: null,
    old_image: null,
    changed_attributes: null,
    user_identity: null,
    actor: null,
    actor_source: null,
    redacted_attributes: raw.applied,
    normalization_error: reason,
    raw_record: rawJson(raw.record),
    keys_types: null,
    new_image_types: null,
    old_image_types: null,
    snapshot_source: null,
  };
  return orderFields({ ...content, processed_at: processedAt, overflow_uri: null, record_hash: recordHash(content), overflow_fields: null });
}

/**
 * Redaction applies to error records too: raw_record must not leak what the source redacts.
 * An image whose structure is too broken to find the paths in is withheld whole, and says so.
 */
function redactRawRecord(r: Record<string, any>, ddb: Record<string, any>, redact: readonly string[]): { record: unknown; applied: string[]; onKeyAttribute: string[] } {
  const applied = new Set<string>();
  const onKeyAttribute = new Set<string>();
  const copy: Record<string, unknown> = { ...ddb };
  let paths: readonly RedactPath[] | undefined;
  try {
    paths = redactPaths(redact);
  } catch {
    // A path that does not parse cannot be applied: withhold both images whole (fail closed).
    for (const name of ['NewImage', 'OldImage'] as const) if (ddb[name] !== undefined) copy[name] = WITHHELD_IMAGE;
    return { record: { ...r, dynamodb: copy }, applied: [...redact].sort(), onKeyAttribute: [] };
  }
  const keys = ddb.Keys;
  const keyNames = keys !== null && typeof keys === 'object' && !Array.isArray(keys) ? new Set(Object.keys(keys)) : undefined;
  for (const name of ['NewImage', 'OldImage'] as const) {
    const image = ddb[name];
    if (image === undefined) continue;
    if (image === null || typeof image !== 'object' || Array.isArray(image)) {
      copy[name] = WITHHELD_IMAGE;
      redact.forEach((p) => applied.add(p));
      continue;
    }
    try {
      const result = redactImage(image as Record<string, unknown>, paths, keyNames);
      result.applied.forEach((p) => applied.add(p));
      result.onKeyAttribute.forEach((p) => onKeyAttribute.add(p));
      copy[name] = result.image;
    } catch {
      copy[name] = WITHHELD_IMAGE;
      redact.forEach((p) => applied.add(p));
    }
  }
  return { record: { ...r, dynamodb: copy }, applied: [...applied].sort(), onKeyAttribute: [...onKeyAttribute] };
}

const WITHHELD_IMAGE = '[WITHHELD: malformed image of a source with redacted attributes]';

/** The record with its keys in schema order, as normal records have them. */
function orderFields(record: ChangeRecord): ChangeRecord {
  const ordered: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) ordered[name] = record[name];
  return ordered as ChangeRecord;
}

function safeEventTime(value: unknown): string | null {
  try {
    return requireEventTime(value);
  } catch {
    return null;
  }
}

/** The original record as JSON text; input that JSON cannot hold is described rather than lost silently. */
function rawJson(record: unknown): string {
  try {
    const text = JSON.stringify(record, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    return text === undefined ? JSON.stringify(String(record)) : text;
  } catch (err) {
    return JSON.stringify({ unserializable: String(record), reason: (err as Error).message });
  }
}
