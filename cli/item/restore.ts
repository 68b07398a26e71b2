/**
 * `ddb-audit item restore`: the DynamoDB-typed item as it was after one change, or at one time,
 * rebuilt from the change log, as a PutItem request body ({"TableName": ..., "Item": {...}}).
 *
 * Only what the log can vouch for is printed. The versions come from athena-queries/item-versions.sql
 * (every stored copy, locally with DuckDB or on Athena), and the chosen version must pass each check:
 *   - the copies of one event_id agree (same record_hash): conflicting copies are refused;
 *   - its record_hash is recomputed from the row and matches (a row someone edited is refused);
 *   - it carries the item after the change: not a REMOVE (the item was deleted: exit 1), not a
 *     view type without a new image, not an oversize pointer whose images live in the overflow object;
 *   - it carries type information (schema_version 2); a version-1 row cannot tell S from B or
 *     L from a set, so it is refused unless --allow-untyped;
 *   - nothing in it is redacted; otherwise the redacted paths are named and it is refused unless
 *     --allow-redacted (their values are then the string "[REDACTED]", not the originals).
 * The item is exactly the stream record's NewImage, except that set members come back sorted:
 * DynamoDB does not keep a set's order either.
 */
import { JsonNumber, JsonTextError, parseJsonText } from './json-text';
import { AttributeValue, typedItem, TypedItemError } from './typed-item';
import { recomputeRecordHash } from '../evidence/row-record';

export type RestoreTarget = { readonly eventId: string } | { readonly at: string };

export interface RestoreOptions {
  readonly tableName: string;
  readonly target: RestoreTarget;
  /** Print an item with redacted attributes (flagged on stderr). @default false */
  readonly allowRedacted?: boolean;
  /** Print an item from a schema_version 1 row, whose S/B and L/set types are guessed as S and L. @default false */
  readonly allowUntyped?: boolean;
}

export interface PutItemBody {
  readonly TableName: string;
  readonly Item: Record<string, AttributeValue>;
}

export type RestoreOutcome =
  | { readonly status: 'restored'; readonly body: PutItemBody; readonly eventId: string; readonly eventTime: string | null; readonly warnings: string[] }
  | { readonly status: 'deleted'; readonly message: string }
  | { readonly status: 'refused'; readonly message: string };

export class KeyArgumentError extends Error {
  override name = 'KeyArgumentError';
}

/**
 * The item_key spelling of a key given on the command line: JSON with the attribute names sorted,
 * strings quoted as JSON.stringify writes them and numbers with their digits as given, exactly as
 * the collector writes item_key (lambda/core/normalize.ts, canonicalKey).
 */
export function itemKeyOf(text: string): string {
  let parsed;
  try {
    parsed = parseJsonText(text, '--key');
  } catch (err) {
    if (err instanceof JsonTextError) throw new KeyArgumentError(err.message);
    throw err;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof JsonNumber) throw new KeyArgumentError('--key: expected a JSON object of the key attributes, e.g. {"pk":"user#1","sk":"profile"}');
  const names = Object.keys(parsed).sort();
  if (names.length < 1 || names.length > 2) throw new KeyArgumentError(`--key: a DynamoDB key has one or two attributes, got ${names.length}`);
  const members = names.map((name) => {
    const value = (parsed as Record<string, unknown>)[name];
    if (typeof value === 'string') return `${JSON.stringify(name)}:${JSON.stringify(value)}`;
    if (value instanceof JsonNumber) return `${JSON.stringify(name)}:${value.text}`;
    throw new KeyArgumentError(`--key: attribute ${JSON.stringify(name)} must be a string or a number (key attributes are S, N or B; B as its base64 text)`);
  });
  return `{${members.join(',')}}`;
}

interface Version {
  readonly row: Record<string, unknown>;
  readonly eventId: string;
  readonly sequence: bigint;
}

/** Chooses the version the target names and rebuilds its item; never throws for what the log holds. */
export function restoreFromRows(rows: readonly Record<string, unknown>[], options: RestoreOptions): RestoreOutcome {
  const refused = (message: string): RestoreOutcome => ({ status: 'refused', message });
  if (rows.length === 0) return refused('the log holds no change of this item (check --account, --table, --key, and --from/--to)');

  // One version per event_id; its copies must agree.
  const byEvent = new Map<string, Version>();
  for (const row of rows) {
    const eventId = row.event_id;
    const sequenceText = row.sequence_number;
    if (typeof eventId !== 'string' || typeof sequenceText !== 'string' || !/^\d+$/.test(sequenceText)) continue;
    const seen = byEvent.get(eventId);
    if (seen !== undefined) {
      if (seen.row.record_hash !== row.record_hash) return refused(`change ${eventId} is stored twice with different content (record_hash ${String(seen.row.record_hash)} and ${String(row.record_hash)}): the log needs checking (ddb-audit log verify) before anything is restored from it`);
      continue;
    }
    byEvent.set(eventId, { row, eventId, sequence: BigInt(sequenceText) });
  }
  const versions = [...byEvent.values()].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));

  let chosen: Version | undefined;
  if ('eventId' in options.target) {
    const wanted = options.target.eventId;
    chosen = versions.find((v) => v.eventId === wanted);
    if (chosen === undefined) return refused(`the log holds no change ${JSON.stringify(wanted)} of this item`);
  } else {
    const at = Date.parse(options.target.at);
    const before = versions.filter((v) => typeof v.row.event_time === 'string' && Date.parse(v.row.event_time) <= at);
    chosen = before[before.length - 1];
    if (chosen === undefined) return refused(`the log holds no change of this item at or before ${options.target.at} (its first is at ${String(versions[0]?.row.event_time)})`);
  }
  return restoreVersion(chosen, options);
}

function restoreVersion(version: Version, options: RestoreOptions): RestoreOutcome {
  const { row, eventId } = version;
  const refused = (message: string): RestoreOutcome => ({ status: 'refused', message: `change ${eventId}: ${message}` });
  if (row.event_name === 'REMOVE') {
    const how = row.is_ttl_expiry === true || row.is_ttl_expiry === 'true' ? 'expired (Time to Live)' : 'deleted';
    return { status: 'deleted', message: `the item was ${how} by change ${eventId} at ${String(row.event_time)}: there is no item to restore at that point` };
  }
  if (typeof row.overflow_uri === 'string' && row.overflow_uri !== '') return refused(`an oversize change: its images are in the overflow object ${row.overflow_uri}, which item restore does not read yet`);
  const hash = recomputeRecordHash(row);
  if (hash.status === 'mismatch') return refused(`record_hash ${hash.expected} does not match the row's content (recomputed ${hash.actual}): the row is not what the collector wrote`);
  if (hash.status !== 'match') return refused(`record_hash cannot be checked: ${hash.reason}`);
  if (typeof row.new_image !== 'string') return refused(`the stream view type ${String(row.stream_view_type)} carries no image after the change (NEW_IMAGE or NEW_AND_OLD_IMAGES does)`);

  const warnings: string[] = [];
  const version1 = row.schema_version === 1 || row.schema_version === '1';
  if (version1) {
    const note = 'it was written before type information (schema_version 1): strings are taken as S and arrays as L, so B values and sets come back as S and L';
    if (!options.allowUntyped) return refused(`${note}; pass --allow-untyped to print it anyway`);
    warnings.push(note);
  }
  const redacted = redactedPaths(row.redacted_attributes);
  if (redacted.length > 0) {
    const note = `attributes redacted in this change: ${redacted.join(', ')}; their values are the string "[REDACTED]", not the originals, so the item cannot be restored faithfully`;
    if (!options.allowRedacted) return refused(`${note}; pass --allow-redacted to print it anyway`);
    warnings.push(note);
  }
  try {
    const item = typedItem(row.new_image, version1 ? null : ((row.new_image_types as string | null) ?? null), 'new_image');
    return { status: 'restored', body: { TableName: options.tableName, Item: item }, eventId, eventTime: typeof row.event_time === 'string' ? row.event_time : null, warnings };
  } catch (err) {
    if (err instanceof TypedItemError || err instanceof JsonTextError) return refused(err.message);
    throw err;
  }
}

/** redacted_attributes as JSON array text (the query's spelling) or a list. */
function redactedPaths(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through: an unreadable list is treated as "something is redacted" (fail closed)
    }
    return [value];
  }
  return [String(value)];
}
