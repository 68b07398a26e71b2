/**
 * DynamoDB AttributeValue -> plain JSON text, written directly as text.
 *
 * Why not `unmarshall` from @aws-sdk/util-dynamodb: it turns SS/NS/BS into JS Sets (JSON.stringify
 * writes `{}`), numbers into doubles (38-digit values lose digits) or BigInt (JSON.stringify throws),
 * and building objects only to stringify them again costs twice. Here:
 *   - N is written as a JSON number token with exactly the digits received (`-1.5E-130` stays so);
 *   - B is its base64 text; SS/NS/BS become arrays, sorted so that one set always has one spelling;
 *   - NULL is null, BOOL a boolean, M an object in the attribute order received, L an array.
 * Anything else (unknown tag, two tags in one value, a malformed number) throws an
 * AttributeValueError, so the caller can deliver an error record instead.
 *
 * Speed matters (every change passes here), so the walk does not build attribute paths: `path` is
 * undefined on the fast path, and only when a value fails does the caller walk again with a path
 * (see `explainImageError` in normalize.ts) to name where the problem is.
 */

import { ENTRY_OVERHEAD_BYTES, stringBytes } from './cache-bytes';

export class AttributeValueError extends Error {
  override name = 'AttributeValueError';
}

/**
 * Set to true whenever a B, SS, NS or BS value is serialized: the types plain JSON does not show.
 * The normalizer clears it before an attribute and reads it after, so it walks a value for its type
 * information (./attribute-types.ts) only when the value holds such a type: most attributes (strings,
 * numbers, maps and lists of them) then cost nothing more.
 */
export const typedValues = { seen: false };

/** DynamoDB allows 32 levels of nesting; a deeper value is malformed input, not an item. */
export const MAX_NESTING_DEPTH = 32;

// A JSON number token. DynamoDB sends normalized decimals, which always match this.
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// Decimal spellings DynamoDB accepts on input that JSON does not: "+5", ".5", "5.", "007".
const LOOSE_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?([eE][+-]?\d+)?$/;

/** Serializes one AttributeValue to JSON text. `path` names it in errors. */
export function attributeToJson(value: unknown, path?: string, depth = 0): string {
  if (value === null || typeof value !== 'object') throw new AttributeValueError(`${at(path)}: expected an AttributeValue object, got ${describe(value)}`);
  let tag: string | undefined;
  for (const key in value) {
    if (tag !== undefined) throw new AttributeValueError(`${at(path)}: an AttributeValue has exactly one type tag, got ${Object.keys(value).join(', ')}`);
    tag = key;
  }
  const inner = (value as Record<string, unknown>)[tag as string];
  switch (tag) {
    case 'S':
      if (typeof inner !== 'string') throw new AttributeValueError(`${at(path, '.S')}: expected a string, got ${describe(inner)}`);
      return JSON.stringify(inner);
    case 'N':
      return numberToken(inner, at(path, '.N'));
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new AttributeValueError(`${at(path, '.BOOL')}: expected a boolean, got ${describe(inner)}`);
      return inner ? 'true' : 'false';
    case 'NULL':
      if (inner !== true) throw new AttributeValueError(`${at(path, '.NULL')}: expected true, got ${describe(inner)}`);
      return 'null';
    case 'B':
      typedValues.seen = true;
      return JSON.stringify(binaryToBase64(inner, at(path, '.B')));
    case 'M':
      if (depth >= MAX_NESTING_DEPTH) throw new AttributeValueError(`${at(path)}: nested deeper than ${MAX_NESTING_DEPTH} levels`);
      return mapToJson(inner, at(path, '.M'), depth + 1);
    case 'L':
      if (depth >= MAX_NESTING_DEPTH) throw new AttributeValueError(`${at(path)}: nested deeper than ${MAX_NESTING_DEPTH} levels`);
      return listToJson(inner, at(path, '.L'), depth + 1);
    case 'SS':
      typedValues.seen = true;
      return stringSetToJson(inner, at(path, '.SS'));
    case 'NS':
      typedValues.seen = true;
      return numberSetToJson(inner, at(path, '.NS'));
    case 'BS':
      typedValues.seen = true;
      return binarySetToJson(inner, at(path, '.BS'));
    case undefined:
      throw new AttributeValueError(`${at(path)}: empty AttributeValue (no type tag)`);
    default:
      throw new AttributeValueError(`${at(path)}: unknown type tag "${tag}"`);
  }
}

/**
 * Attribute names repeat across every record of a table, so their JSON spelling as an object member
 * (`"name":`, and `,"name":` after the first) is cached. The cache lives as long as the warm Lambda
 * and its names come from table writers, so it is bounded in bytes, not in count: names longer than
 * MAX_CACHED_NAME_LENGTH are never cached (a 60 KB name costs its JSON.stringify each time, not the
 * memory of a warm container), and once MEMBER_PREFIX_CACHE_BYTES is reached new names are no longer
 * added (a table with unbounded distinct names just stops being cached).
 */
const memberPrefixes = new Map<string, readonly [first: string, next: string]>();
/** @see memberPrefixes */
export const MAX_CACHED_NAME_LENGTH = 256;
/** @see memberPrefixes */
export const MEMBER_PREFIX_CACHE_BYTES = 4 * 1024 * 1024;
let memberPrefixBytes = 0;

/** The member-prefix cache's accounted bytes (see cache-bytes.ts). */
export function memberPrefixCacheBytes(): number {
  return memberPrefixBytes;
}

/** `"name":` for the first member of an object, `,"name":` for the others. */
export function memberPrefix(name: string, first: boolean): string {
  let prefixes = memberPrefixes.get(name);
  if (prefixes === undefined) {
    const quoted = `${JSON.stringify(name)}:`;
    prefixes = [quoted, `,${quoted}`];
    if (name.length <= MAX_CACHED_NAME_LENGTH) {
      const bytes = ENTRY_OVERHEAD_BYTES + stringBytes(name) + stringBytes(prefixes[0]) + stringBytes(prefixes[1]);
      if (memberPrefixBytes + bytes <= MEMBER_PREFIX_CACHE_BYTES) {
        memberPrefixes.set(name, prefixes);
        memberPrefixBytes += bytes;
      }
    }
  }
  return first ? prefixes[0] : prefixes[1];
}

/** Serializes a map of attribute name -> AttributeValue (an M value, an image or Keys). */
export function mapToJson(map: unknown, path?: string, depth = 0): string {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new AttributeValueError(`${at(path)}: expected a map of attributes, got ${describe(map)}`);
  let out = '{';
  let first = true;
  for (const name in map) {
    out += memberPrefix(name, first) + attributeToJson((map as Record<string, unknown>)[name], path === undefined ? undefined : `${path}.${name}`, depth);
    first = false;
  }
  return out + '}';
}

function listToJson(list: unknown, path: string | undefined, depth: number): string {
  if (!Array.isArray(list)) throw new AttributeValueError(`${at(path)}: expected a list, got ${describe(list)}`);
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    out += (i === 0 ? '' : ',') + attributeToJson(list[i], indexPath(path, i), depth);
  }
  return out + ']';
}

// Sets are unordered: members are sorted by their JSON text, so one set always has one spelling
// and equal sets compare equal as text. One function per set type keeps each call site monomorphic.
function stringSetToJson(set: unknown, path: string | undefined): string {
  const received = setList(set, path);
  const members = new Array<string>(received.length);
  for (let i = 0; i < received.length; i++) {
    const member = received[i];
    if (typeof member !== 'string') throw new AttributeValueError(`${indexPath(path, i)}: expected a string, got ${describe(member)}`);
    members[i] = JSON.stringify(member);
  }
  return joinSorted(members);
}

function numberSetToJson(set: unknown, path: string | undefined): string {
  const received = setList(set, path);
  const members = new Array<string>(received.length);
  for (let i = 0; i < received.length; i++) members[i] = numberToken(received[i], indexPath(path, i));
  return joinSorted(members);
}

function binarySetToJson(set: unknown, path: string | undefined): string {
  const received = setList(set, path);
  const members = new Array<string>(received.length);
  for (let i = 0; i < received.length; i++) members[i] = JSON.stringify(binaryToBase64(received[i], indexPath(path, i)));
  return joinSorted(members);
}

/** The received set members, checked to be a list. Their texts go into a new array: the received one is left as it is. */
function setList(set: unknown, path: string | undefined): readonly unknown[] {
  if (!Array.isArray(set)) throw new AttributeValueError(`${at(path)}: expected a list of set members, got ${describe(set)}`);
  return set;
}

// Most sets hold a handful of members, where an insertion sort costs a fraction of
// Array.prototype.sort's setup. Both order by UTF-16 code units, so the spelling is the same.
const INSERTION_SORT_MAX = 16;

function joinSorted(members: string[]): string {
  if (members.length > INSERTION_SORT_MAX) members.sort();
  else {
    for (let i = 1; i < members.length; i++) {
      const member = members[i] as string;
      let j = i - 1;
      while (j >= 0 && (members[j] as string) > member) {
        members[j + 1] = members[j] as string;
        j--;
      }
      members[j + 1] = member;
    }
  }
  return `[${members.join(',')}]`;
}

/** A DynamoDB number as a JSON number token, keeping every digit: never through a double. */
function numberToken(value: unknown, path: string | undefined): string {
  if (typeof value !== 'string') throw new AttributeValueError(`${at(path)}: expected a number as a string, got ${describe(value)}`);
  if (JSON_NUMBER.test(value)) return value;
  return canonicalDecimal(value, path);
}

// Rewrites decimal spellings JSON rejects, textually: the digits are kept exactly.
function canonicalDecimal(value: string, path: string | undefined): string {
  const m = LOOSE_DECIMAL.exec(value);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw new AttributeValueError(`${at(path)}: "${truncate(value)}" is not a number`);
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const fraction = m[3] ? `.${m[3]}` : '';
  return `${sign}${intPart}${fraction}${m[4] ?? ''}`;
}

function binaryToBase64(value: unknown, path: string | undefined): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  throw new AttributeValueError(`${at(path)}: expected base64 text or bytes, got ${describe(value)}`);
}

function at(path: string | undefined, suffix = ''): string | undefined {
  return path === undefined ? undefined : `${path}${suffix}`;
}

// Only a path being tracked (the slow, error-explaining walk) is extended: the fast path builds no strings.
function indexPath(path: string | undefined, index: number): string | undefined {
  return path === undefined ? undefined : `${path}[${index}]`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string "${truncate(value)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
