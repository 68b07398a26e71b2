/**
 * A JSON parser for the change record's image texts that keeps every number's digits.
 *
 * JSON.parse turns the 38-digit numbers DynamoDB allows into doubles (losing digits), and its objects
 * treat "__proto__" and integer-like names specially; an item restored from the log must be exact.
 * Here a number is kept as its text (JsonNumber), an object is a prototype-less record, and anything
 * that is not exactly one JSON value (trailing text, a duplicate member, a lone surrogate escape is
 * kept as JSON.parse keeps it) is refused with the position.
 */

export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | { [name: string]: JsonValue };

export class JsonTextError extends Error {
  override name = 'JsonTextError';
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
const MAX_DEPTH = 64;

/** Parses exactly one JSON value; throws a JsonTextError naming the position otherwise. */
export function parseJsonText(text: string, what = 'JSON text'): JsonValue {
  let i = 0;
  const fail = (reason: string): never => {
    throw new JsonTextError(`${what}: ${reason} at position ${i}`);
  };
  const skip = (): void => {
    WHITESPACE.lastIndex = i;
    WHITESPACE.exec(text);
    i = WHITESPACE.lastIndex;
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const out = Object.create(null) as Record<string, JsonValue>;
      skip();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected a member name');
        const name = string();
        if (Object.prototype.hasOwnProperty.call(out, name)) fail(`duplicate member ${JSON.stringify(name)}`);
        skip();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        out[name] = value(depth + 1);
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return out;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: JsonValue[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === '') return fail('expected a JSON value');
    i = NUMBER.lastIndex;
    return new JsonNumber(m[0]);
  };
  const string = (): string => {
    // Find the closing quote, then let JSON.parse decode the escapes (exactly as the writer, JSON.stringify, meant them).
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('unescaped control character in a string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid string escape');
    }
  };
  const result = value(0);
  skip();
  if (i !== text.length) fail('text after the JSON value');
  return result;
}
