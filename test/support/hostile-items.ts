/**
 * Hostile items: what a writer with access to one source table can put in an item, up to every limit
 * DynamoDB documents, chosen so the change record's JSON grows as much as it can (control characters
 * escape six-fold, a quote or backslash two-fold).
 *
 * Limits (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html and
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html):
 *   - item: 400 KB, "including both attribute name binary length (UTF-8 length) and attribute value lengths";
 *   - partition key value 2048 bytes, sort key value 1024 bytes; key attribute names 1 to 255 characters
 *     (KeySchemaElement.AttributeName, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_KeySchemaElement.html);
 *   - other attribute names: "at least one character long and less than 64 KB";
 *   - nested attributes: 32 levels; numbers: up to 38 digits of precision; sets: members unique.
 *
 * Item sizes here are counted as DynamoDB counts them (names and string/binary values by their bytes,
 * a number as at most 21 bytes, 1 byte per BOOL/NULL, 3 bytes per list or map plus 1 per element),
 * and every item stays within 400 KB, so each could really be written.
 */
import fc from 'fast-check';
import { buildStreamRecord } from './dynamodb-arbitraries';

export const MAX_ITEM_BYTES = 400 * 1024;
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;
export const MAX_KEY_NAME_CHARS = 255;
/** "less than 64 KB". */
export const MAX_NAME_BYTES = 64 * 1024 - 1;
export const MAX_NESTING = 32;

type Av = Record<string, unknown>;

/** Characters whose JSON spelling is longest per UTF-8 byte first: control characters, then quote and backslash, then multi-byte ones. */
export const HOSTILE_CHARS = ['\u0000', '\u0001', '\u001f', '\u007f', '"', '\\', '\u2028', '😀'] as const;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** `count` bytes (rounded down to whole characters) of `char`, ending in `tag` so that names stay unique. */
export function fill(char: string, count: number, tag = ''): string {
  const room = Math.max(0, count - bytes(tag));
  return char.repeat(Math.floor(room / bytes(char))) + tag;
}

/** DynamoDB's size of one attribute value. */
export function valueSize(value: Av): number {
  const [tag, inner] = Object.entries(value)[0] as [string, unknown];
  switch (tag) {
    case 'S':
      return bytes(inner as string);
    case 'N':
      return 21;
    case 'B':
      return typeof inner === 'string' ? Buffer.from(inner, 'base64').length : (inner as Uint8Array).length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (inner as string[]).reduce((n, s) => n + bytes(s), 0);
    case 'NS':
      return (inner as string[]).length * 21;
    case 'BS':
      return (inner as string[]).reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
    case 'M':
      return 3 + Object.entries(inner as Record<string, Av>).reduce((n, [k, v]) => n + bytes(k) + valueSize(v) + 1, 0);
    case 'L':
      return 3 + (inner as Av[]).reduce((n, v) => n + valueSize(v) + 1, 0);
    default:
      throw new Error(`unknown tag ${tag}`);
  }
}

export function itemSize(item: Record<string, Av>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + bytes(name) + valueSize(value), 0);
}

export interface HostileChange {
  /** What the item pushes to its limit, for failure messages. */
  readonly how: string;
  readonly keys: Record<string, Av>;
  readonly oldItem: Record<string, Av>;
  readonly newItem: Record<string, Av>;
}

/** The largest key DynamoDB allows, spelled in `char`: names of 255 characters, values of 2048 and 1024 bytes. */
function maxKeys(char: string, binary: boolean): Record<string, Av> {
  const pkName = fill(char, MAX_KEY_NAME_CHARS, 'p');
  const skName = fill(char, MAX_KEY_NAME_CHARS, 's');
  if (binary) return { [pkName]: { B: Buffer.alloc(MAX_PARTITION_KEY_BYTES, 0xff).toString('base64') }, [skName]: { B: Buffer.alloc(MAX_SORT_KEY_BYTES, 0xfe).toString('base64') } };
  return { [pkName]: { S: fill(char, MAX_PARTITION_KEY_BYTES) }, [skName]: { S: fill(char, MAX_SORT_KEY_BYTES) } };
}

/** Fills an item (which holds the keys) with attributes made by `next(i, room)` until 400 KB would be passed. */
function fillItem(keys: Record<string, Av>, next: (i: number, room: number) => [string, Av] | undefined, budget = MAX_ITEM_BYTES): Record<string, Av> {
  const item: Record<string, Av> = { ...keys };
  let size = itemSize(item);
  for (let i = 0; ; i++) {
    const made = next(i, budget - size);
    if (made === undefined) break;
    const [name, value] = made;
    const cost = bytes(name) + valueSize(value);
    if (size + cost > budget || name in item) break;
    item[name] = value;
    size += cost;
  }
  return item;
}

const KINDS = ['long-names', 'max-keys', 'deep', 'many-tiny', 'string-set', 'number-set', 'binary-set', 'big-string', 'big-binary', 'actor'] as const;
export type HostileKind = (typeof KINDS)[number];

/** The item of one kind, in `char`, with `variant` making old and new images differ. */
export function hostileItem(kind: HostileKind, char: string, keys: Record<string, Av>, variant: number): Record<string, Av> {
  const v = String(variant);
  switch (kind) {
    case 'long-names':
      // Names of (almost) 64 KB each, all of `char`: changed_attributes alone escapes to ~2.4 MB.
      return fillItem(keys, (i, room) => (room < 64 ? undefined : [fill(char, Math.min(MAX_NAME_BYTES, room - 8), `${i}`), { S: v }]));
    case 'max-keys':
      return fillItem(keys, (i, room) => (room < 64 ? undefined : [fill(char, 16, `${i}`), { S: fill(char, Math.min(60_000, room - 40), v) }]));
    case 'deep': {
      // 32 levels of maps and lists, names of `char` at every level, then filler.
      let value: Av = { S: fill(char, 1000, v) };
      for (let depth = 1; depth <= MAX_NESTING; depth++) value = depth % 2 === 0 ? { L: [value, { N: '-1.5E-130' }] } : { M: { [fill(char, 100, `${depth}`)]: value } };
      return fillItem({ ...keys, deep: value }, (i, room) => (room < 64 ? undefined : [fill(char, 8, `f${i}`), { S: fill(char, Math.min(50_000, room - 40), v) }]));
    }
    case 'many-tiny':
      // Tens of thousands of attributes: changed_attributes has one entry each.
      return fillItem(keys, (i) => [`${char}${i.toString(36)}`, { BOOL: variant === 1 }]);
    case 'string-set':
      return { ...keys, set: { SS: Array.from({ length: Math.floor((MAX_ITEM_BYTES - itemSize(keys) - 100) / (bytes(char) * 8 + 6)) }, (_, i) => `${char.repeat(8)}${i.toString(36)}${v}`) } };
    case 'number-set':
      // 38 significant digits, the most DynamoDB keeps.
      return { ...keys, set: { NS: Array.from({ length: Math.floor((MAX_ITEM_BYTES - itemSize(keys) - 100) / 21) }, (_, i) => `-${(10n ** 37n + BigInt(i) * 7919n + BigInt(variant)).toString()}E-130`) } };
    case 'binary-set':
      return { ...keys, set: { BS: Array.from({ length: Math.floor((MAX_ITEM_BYTES - itemSize(keys) - 100) / 40) }, (_, i) => Buffer.from(`${i}`.padStart(40, String(variant))).toString('base64')) } };
    case 'big-string':
      return { ...keys, body: { S: fill(char, MAX_ITEM_BYTES - itemSize(keys) - 16, v) } };
    case 'big-binary':
      return { ...keys, body: { B: Buffer.alloc(MAX_ITEM_BYTES - itemSize(keys) - 16, variant).toString('base64') } };
    case 'actor':
      // The configured actor attribute (see HOSTILE_ACTOR_ATTRIBUTE) holds nearly the whole item.
      return { ...keys, [HOSTILE_ACTOR_ATTRIBUTE]: { S: fill(char, MAX_ITEM_BYTES - itemSize(keys) - 40, v) } };
  }
}

/** The actor attribute a test configures for the 'actor' kind. */
export const HOSTILE_ACTOR_ATTRIBUTE = 'updatedBy';

export const hostileChange: fc.Arbitrary<HostileChange> = fc
  .record({ kind: fc.constantFrom(...KINDS), char: fc.constantFrom(...HOSTILE_CHARS), binaryKey: fc.boolean(), id: fc.nat({ max: 1_000_000 }) })
  .map(({ kind, char, binaryKey, id }) => {
    const keys = kind === 'max-keys' ? maxKeys(char, binaryKey) : { pk: { S: `hostile#${id}` } };
    return { how: `${kind} in ${JSON.stringify(char)}${kind === 'max-keys' && binaryKey ? ' (binary keys)' : ''}`, keys, oldItem: hostileItem(kind, char, keys, 0), newItem: hostileItem(kind, char, keys, 1) };
  });

/** Every kind in the worst character, so each limit is always tried, not only when drawn. */
export const EVERY_KIND: readonly HostileChange[] = KINDS.map((kind) => {
  const keys = kind === 'max-keys' ? maxKeys('\u0001', false) : { pk: { S: `every#${kind}` } };
  return { how: `${kind} in "\\u0001"`, keys, oldItem: hostileItem(kind, '\u0001', keys, 0), newItem: hostileItem(kind, '\u0001', keys, 1) };
});

/** A stream record of the change (a MODIFY with both images unless said otherwise). */
export function hostileStreamRecord(change: HostileChange, id: string, sequence: bigint, eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'MODIFY') {
  return buildStreamRecord({
    eventName,
    viewType: 'NEW_AND_OLD_IMAGES',
    keys: change.keys,
    oldImage: change.oldItem,
    newImage: change.newItem,
    seconds: 1772366400,
    sequence,
    id,
    sizeBytes: Math.max(itemSize(change.oldItem), itemSize(change.newItem)),
  });
}

/** An ordinary small change, to share a batch with hostile ones. */
export function ordinaryStreamRecord(i: number, sequence: bigint) {
  const keys = { pk: { S: `ordinary#${i}` } };
  return buildStreamRecord({ eventName: 'MODIFY', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: { ...keys, n: { N: '1' } }, newImage: { ...keys, n: { N: '2' }, updatedBy: { S: 'alice' } }, seconds: 1772366400, sequence, id: `ordinary-${i}`, sizeBytes: 40 });
}
