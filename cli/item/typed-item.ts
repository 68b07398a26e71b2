/**
 * A change record's plain image + its type field -> the DynamoDB-typed item (AttributeValue map).
 *
 * The inverse of lambda/core/attribute-json.ts with lambda/core/attribute-types.ts; the encoding is
 * documented in docs/change-record.md ("Type information"):
 *   no annotation: string -> S, number -> N (its digits exactly), true/false -> BOOL, null -> NULL,
 *   object -> M, array -> L (members likewise unannotated);
 *   "B" on a string, "SS" / "NS" / "BS" on an array; an object on an object or array annotates
 *   the members it names (attribute name, or decimal list index).
 * An annotation that does not fit its value (B on a number, a member that is not there) means the
 * row is not what the collector wrote: refused, never guessed.
 */
import { JsonNumber, JsonValue, parseJsonText } from './json-text';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export class TypedItemError extends Error {
  override name = 'TypedItemError';
}

/** The typed item from an image text and its type field text (null: every type implied). */
export function typedItem(imageText: string, typesText: string | null, what = 'image'): Record<string, AttributeValue> {
  const plain = parseJsonText(imageText, what);
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain) || plain instanceof JsonNumber) throw new TypedItemError(`${what}: not a JSON object`);
  let types: unknown = undefined;
  if (typesText !== null) {
    types = parseJsonText(typesText, `${what} types`);
    if (types === null || typeof types !== 'object' || Array.isArray(types) || types instanceof JsonNumber) throw new TypedItemError(`${what} types: not a JSON object`);
  }
  return membersOf(plain as Record<string, JsonValue>, types as Record<string, unknown> | undefined, what);
}

function membersOf(plain: Record<string, JsonValue>, annotation: Record<string, unknown> | undefined, path: string): Record<string, AttributeValue> {
  const out = Object.create(null) as Record<string, AttributeValue>;
  for (const name of Object.keys(plain)) out[name] = typedValue(plain[name] as JsonValue, member(annotation, name), `${path}.${name}`);
  if (annotation !== undefined) {
    for (const name of Object.keys(annotation)) if (!Object.prototype.hasOwnProperty.call(plain, name)) throw new TypedItemError(`${path}: the types name attribute ${JSON.stringify(name)}, which the image does not hold`);
  }
  return out;
}

function member(annotation: Record<string, unknown> | undefined, key: string): unknown {
  return annotation !== undefined && Object.prototype.hasOwnProperty.call(annotation, key) ? annotation[key] : undefined;
}

function typedValue(value: JsonValue, annotation: unknown, path: string): AttributeValue {
  const misfit = (): never => {
    throw new TypedItemError(`${path}: type ${JSON.stringify(annotation)} does not fit the value ${describe(value)}`);
  };
  if (annotation === undefined) {
    if (typeof value === 'string') return { S: value };
    if (value instanceof JsonNumber) return { N: value.text };
    if (typeof value === 'boolean') return { BOOL: value };
    if (value === null) return { NULL: true };
    if (Array.isArray(value)) return { L: value.map((v, i) => typedValue(v, undefined, `${path}[${i}]`)) };
    return { M: membersOf(value, undefined, path) };
  }
  switch (annotation) {
    case 'B':
      return typeof value === 'string' ? { B: value } : misfit();
    case 'SS':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? { SS: value as string[] } : misfit();
    case 'BS':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? { BS: value as string[] } : misfit();
    case 'NS':
      return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof JsonNumber) ? { NS: (value as JsonNumber[]).map((n) => n.text) } : misfit();
  }
  if (annotation === null || typeof annotation !== 'object' || Array.isArray(annotation)) return misfit();
  const members = annotation as Record<string, unknown>;
  if (Array.isArray(value)) {
    for (const key of Object.keys(members)) {
      const index = Number(key);
      if (!/^(0|[1-9]\d*)$/.test(key) || index >= value.length) throw new TypedItemError(`${path}: the types name list index ${JSON.stringify(key)}, which the list does not hold`);
    }
    return { L: value.map((v, i) => typedValue(v, member(members, String(i)), `${path}[${i}]`)) };
  }
  if (value !== null && typeof value === 'object' && !(value instanceof JsonNumber)) return { M: membersOf(value, members, path) };
  return misfit();
}

function describe(value: JsonValue): string {
  if (value instanceof JsonNumber) return `number ${value.text}`;
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}
