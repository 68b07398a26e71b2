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
 * AttributeValueError naming the path, so the caller can deliver an error record instead.
 */

export class AttributeValueError extends Error {
  override name = 'AttributeValueError';
}

/** DynamoDB allows 32 levels of nesting; a deeper value is malformed input, not an item. */
export const MAX_NESTING_DEPTH = 32;

// A JSON number token. DynamoDB sends normalized decimals, which always match this.
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// Decimal spellings DynamoDB accepts on input that JSON does not: "+5", ".5", "5.", "007".
const LOOSE_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?([eE][+-]?\d+)?$/;

/** Serializes one AttributeValue to JSON text. `path` names it in errors. */
export function attributeToJson(value: unknown, path: string, depth = 0): string {
  if (value === null || typeof value !== 'object') throw new AttributeValueError(`${path}: expected an AttributeValue object, got ${describe(value)}`);
  let tag: string | undefined;
  for (const key in value) {
    if (tag !== undefined) throw new AttributeValueError(`${path}: an AttributeValue has exactly one type tag, got ${Object.keys(value).join(', ')}`);
    tag = key;
  }
  const inner = (value as Record<string, unknown>)[tag as string];
  switch (tag) {
    case 'S':
      if (typeof inner !== 'string') throw new AttributeValueError(`${path}.S: expected a string, got ${describe(inner)}`);
      return JSON.stringify(inner);
    case 'N':
      return numberToken(inner, `${path}.N`);
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new AttributeValueError(`${path}.BOOL: expected a boolean, got ${describe(inner)}`);
      return inner ? 'true' : 'false';
    case 'NULL':
      if (inner !== true) throw new AttributeValueError(`${path}.NULL: expected true, got ${describe(inner)}`);
      return 'null';
    case 'B':
      return JSON.stringify(binaryToBase64(inner, `${path}.B`));
    case 'M':
      if (depth >= MAX_NESTING_DEPTH) throw new AttributeValueError(`${path}: nested deeper than ${MAX_NESTING_DEPTH} levels`);
      return mapToJson(inner, `${path}.M`, depth + 1);
    case 'L':
      if (depth >= MAX_NESTING_DEPTH) throw new AttributeValueError(`${path}: nested deeper than ${MAX_NESTING_DEPTH} levels`);
      return listToJson(inner, `${path}.L`, depth + 1);
    case 'SS':
      return setToJson(inner, `${path}.SS`, stringMember);
    case 'NS':
      return setToJson(inner, `${path}.NS`, numberToken);
    case 'BS':
      return setToJson(inner, `${path}.BS`, (member, p) => JSON.stringify(binaryToBase64(member, p)));
    case undefined:
      throw new AttributeValueError(`${path}: empty AttributeValue (no type tag)`);
    default:
      throw new AttributeValueError(`${path}: unknown type tag "${tag}"`);
  }
}

/** Serializes a map of attribute name -> AttributeValue (an M value, an image or Keys). */
export function mapToJson(map: unknown, path: string, depth = 0): string {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new AttributeValueError(`${path}: expected a map of attributes, got ${describe(map)}`);
  let out = '{';
  let first = true;
  for (const name in map) {
    out += (first ? '' : ',') + JSON.stringify(name) + ':' + attributeToJson((map as Record<string, unknown>)[name], `${path}.${name}`, depth);
    first = false;
  }
  return out + '}';
}

function listToJson(list: unknown, path: string, depth: number): string {
  if (!Array.isArray(list)) throw new AttributeValueError(`${path}: expected a list, got ${describe(list)}`);
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    out += (i === 0 ? '' : ',') + attributeToJson(list[i], `${path}[${i}]`, depth);
  }
  return out + ']';
}

function setToJson(set: unknown, path: string, member: (m: unknown, p: string) => string): string {
  if (!Array.isArray(set)) throw new AttributeValueError(`${path}: expected a list of set members, got ${describe(set)}`);
  const members = new Array<string>(set.length);
  for (let i = 0; i < set.length; i++) members[i] = member(set[i], `${path}[${i}]`);
  // Sets are unordered: sorting gives one set one spelling, so equal sets compare equal as text.
  members.sort();
  return `[${members.join(',')}]`;
}

function stringMember(member: unknown, path: string): string {
  if (typeof member !== 'string') throw new AttributeValueError(`${path}: expected a string, got ${describe(member)}`);
  return JSON.stringify(member);
}

/** A DynamoDB number as a JSON number token, keeping every digit: never through a double. */
export function numberToken(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new AttributeValueError(`${path}: expected a number as a string, got ${describe(value)}`);
  if (JSON_NUMBER.test(value)) return value;
  return canonicalDecimal(value, path);
}

// Rewrites decimal spellings JSON rejects, textually: the digits are kept exactly.
function canonicalDecimal(value: string, path: string): string {
  const m = LOOSE_DECIMAL.exec(value);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw new AttributeValueError(`${path}: "${truncate(value)}" is not a number`);
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const fraction = m[3] ? `.${m[3]}` : '';
  return `${sign}${intPart}${fraction}${m[4] ?? ''}`;
}

function binaryToBase64(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  throw new AttributeValueError(`${path}: expected base64 text or bytes, got ${describe(value)}`);
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
