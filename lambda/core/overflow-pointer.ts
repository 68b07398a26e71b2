/**
 * The overflow pointer: what goes through Firehose in place of a change too large for one Firehose
 * record, whose full line is written to the overflow object (see firehose-sink.ts).
 *
 * Which fields may move is a property of the schema, never a list here: every field marked `itemSized`
 * (schemas/change-record.ts) is one whose size an item write controls, so a new such field cannot be
 * forgotten. The pointer is built in steps, stopping at the first that fits:
 *
 *   1. the item-sized fields not `keptInPointer` move (the images, raw_record): the record did not fit,
 *      and a pointer never carries a partial picture of the item;
 *   2. then the `keptInPointer` fields (keys, item_key, changed_attributes, actor, normalization_error)
 *      move one at a time, largest first, so the small ones the queries select on usually stay;
 *   3. last, every nullable field moves (all but overflow_uri and overflow_fields). Only a record that
 *      DynamoDB cannot produce gets here (say, a malformed record with a megabyte eventID): what is left
 *      are the non-nullable fields, whose formats the collector itself guarantees (account id, table
 *      name, day, timestamps, the hash), so this step is bounded by the schema alone.
 *
 * Once every item-sized field has moved, what remains is what DynamoDB (not the item) decides; its
 * worst case is computed from the documented limits in test/unit/overflow-pointer.unit.test.ts.
 *
 * overflow_fields lists, in schema order, each moved field whose value was not null: a field named there
 * is null in the pointer and complete in the object, and every other field of the pointer holds its true
 * value. record_hash stays as it is: it covers the full record, which the object holds. Pure: no I/O.
 */
import { CHANGE_RECORD_FIELDS, ChangeRecord, ChangeRecordField, FieldDefinition } from '../../schemas/change-record';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;
const names = (fields: readonly FieldDefinition[]) => fields.map((f) => f.name as ChangeRecordField);

/** Item-sized fields that always move (step 1). */
export const ALWAYS_MOVED_FIELDS: readonly ChangeRecordField[] = names(FIELDS.filter((f) => f.itemSized && !f.keptInPointer));
/** Item-sized fields kept while the pointer fits with them (step 2). */
export const KEPT_WHILE_FITTING_FIELDS: readonly ChangeRecordField[] = names(FIELDS.filter((f) => f.itemSized && f.keptInPointer));
/** Every field the last step moves: all nullable fields but the pointer's own (step 3). */
export const LAST_RESORT_FIELDS: readonly ChangeRecordField[] = names(FIELDS.filter((f) => f.nullable && f.name !== 'overflow_uri' && f.name !== 'overflow_fields'));

export interface OverflowPointer {
  readonly pointer: ChangeRecord;
  /** The pointer's NDJSON line (with its newline) and its UTF-8 size. */
  readonly text: string;
  readonly bytes: number;
}

export interface PointerOptions {
  /** Start at step 3 (every nullable field moves): for a line Firehose refused although it was within the limits. @default false */
  readonly lastResort?: boolean;
}

/**
 * The pointer of `record`, whose full line is at `overflowUri`: the first step whose line is at most
 * `maxBytes`, else the last step's (the caller checks the size: a line over the limit is never sent).
 */
export function overflowPointer(record: ChangeRecord, overflowUri: string, maxBytes: number, options: PointerOptions = {}): OverflowPointer {
  const moved = new Set<ChangeRecordField>(options.lastResort ? LAST_RESORT_FIELDS : ALWAYS_MOVED_FIELDS);
  let built = pointerMoving(record, overflowUri, moved);
  if (built.bytes <= maxBytes) return built;
  // Largest first: the field whose JSON is longest goes next (ties in schema order, so the result is stable).
  const kept = KEPT_WHILE_FITTING_FIELDS.filter((name) => !moved.has(name) && record[name] !== null && record[name] !== undefined)
    .map((name, order) => ({ name, order, size: JSON.stringify(record[name]).length }))
    .sort((a, b) => b.size - a.size || a.order - b.order);
  for (const { name } of kept) {
    moved.add(name);
    built = pointerMoving(record, overflowUri, moved);
    if (built.bytes <= maxBytes) return built;
  }
  return pointerMoving(record, overflowUri, new Set(LAST_RESORT_FIELDS));
}

function pointerMoving(record: ChangeRecord, overflowUri: string, moving: ReadonlySet<ChangeRecordField>): OverflowPointer {
  const pointer: Record<string, unknown> = {};
  const moved: string[] = [];
  // Schema order, as every record is written.
  for (const f of FIELDS) {
    const value = record[f.name as ChangeRecordField];
    if (moving.has(f.name as ChangeRecordField)) {
      if (value !== null && value !== undefined) moved.push(f.name);
      pointer[f.name] = null;
    } else pointer[f.name] = value;
  }
  pointer.overflow_uri = overflowUri;
  pointer.overflow_fields = moved;
  const text = `${JSON.stringify(pointer)}\n`;
  return { pointer: pointer as ChangeRecord, text, bytes: Buffer.byteLength(text, 'utf8') };
}
