/**
 * Appends one element to an array inside a JSON document by editing its text, so every other byte
 * of the file (its layout, key order, inline arrays, comments-free formatting choices) is kept and
 * the diff of `ddb-audit sources add` is exactly the new entry's lines.
 *
 * A small scanner finds the byte span of each value on the path (the last of duplicate keys, as
 * JSON.parse takes the last); the caller checks the edited text by parsing it (insertIntoJsonArray
 * does) so a scanner mistake can never write a document other than the intended one.
 */

interface Span {
  readonly start: number;
  /** One past the value's last character. */
  readonly end: number;
}

interface Member {
  readonly key: string;
  readonly keyStart: number;
  readonly value: Span;
}

export class JsonEditError extends Error {
  override name = 'JsonEditError';
}

/**
 * `text` with `element` appended to the array at `path` (object keys). When the last key is absent
 * from its object, the member is added holding a one-element array.
 */
export function insertIntoJsonArray(text: string, path: readonly string[], element: unknown): string {
  const scanner = new Scanner(text);
  const root = scanner.valueAt(scanner.skipSpace(0));
  let span = root;
  for (let depth = 0; depth < path.length; depth++) {
    const key = path[depth] as string;
    if (text[span.start] !== '{') throw new JsonEditError(`${path.slice(0, depth).join('.') || 'the document'} is not an object`);
    const member = [...scanner.members(span)].reverse().find((m) => m.key === key);
    if (!member) {
      if (depth !== path.length - 1) throw new JsonEditError(`no "${path.slice(0, depth + 1).join('.')}" object`);
      return checked(text, appendMember(text, scanner, span, key, [element]), path, element);
    }
    span = member.value;
  }
  if (text[span.start] !== '[') throw new JsonEditError(`"${path.join('.')}" is not an array`);
  return checked(text, appendElement(text, scanner, span, element), path, element);
}

/**
 * `text` with the string member `key` of the `index`-th element of the array at `path` set to `value`
 * (used by `sources rotate`). Only that value's characters change; the result is checked by parsing it
 * against the intended document, as insertIntoJsonArray is.
 */
export function replaceStringInJsonArray(text: string, path: readonly string[], index: number, key: string, value: string): string {
  const scanner = new Scanner(text);
  let span = scanner.valueAt(scanner.skipSpace(0));
  for (let depth = 0; depth < path.length; depth++) {
    if (text[span.start] !== '{') throw new JsonEditError(`${path.slice(0, depth).join('.') || 'the document'} is not an object`);
    const member = [...scanner.members(span)].reverse().find((m) => m.key === path[depth]);
    if (!member) throw new JsonEditError(`no "${path.slice(0, depth + 1).join('.')}"`);
    span = member.value;
  }
  if (text[span.start] !== '[') throw new JsonEditError(`"${path.join('.')}" is not an array`);
  const element = [...scanner.elements(span)][index];
  if (!element || text[element.start] !== '{') throw new JsonEditError(`"${path.join('.')}[${index}]" is not an object`);
  const member = [...scanner.members(element)].reverse().find((m) => m.key === key);
  if (!member || text[member.value.start] !== '"') throw new JsonEditError(`"${path.join('.')}[${index}].${key}" is not a string`);
  const edited = `${text.slice(0, member.value.start)}${JSON.stringify(value)}${text.slice(member.value.end)}`;
  const expected = JSON.parse(text) as Record<string, any>;
  let parent: any = expected;
  for (const k of path) parent = parent[k];
  parent[index][key] = value;
  if (JSON.stringify(JSON.parse(edited)) !== JSON.stringify(expected)) throw new JsonEditError(`editing the text would change more than ${key}; nothing written`);
  return edited;
}

function appendElement(text: string, scanner: Scanner, array: Span, element: unknown): string {
  const items = [...scanner.elements(array)];
  const eol = lineEnd(text);
  const arrayIndent = indentOfLine(text, array.start);
  const last = items[items.length - 1];
  if (last === undefined || items[0] === undefined) {
    const unit = indentUnit(text);
    const inner = arrayIndent + unit;
    return `${text.slice(0, array.start)}[${eol}${inner}${render(element, inner, unit, eol)}${eol}${arrayIndent}]${text.slice(array.end)}`;
  }
  const first = items[0];
  const between = text.slice(array.start + 1, first.start);
  if (!between.includes('\n')) {
    // An inline array ([a, b]): stays inline.
    return `${text.slice(0, last.end)}, ${JSON.stringify(element)}${text.slice(last.end)}`;
  }
  const elementIndent = indentOfLine(text, first.start);
  const unit = elementIndent.startsWith(arrayIndent) && elementIndent.length > arrayIndent.length ? elementIndent.slice(arrayIndent.length) : indentUnit(text);
  return `${text.slice(0, last.end)},${eol}${elementIndent}${render(element, elementIndent, unit, eol)}${text.slice(last.end)}`;
}

function appendMember(text: string, scanner: Scanner, object: Span, key: string, value: unknown): string {
  const members = [...scanner.members(object)];
  const eol = lineEnd(text);
  const unit = indentUnit(text);
  const objectIndent = indentOfLine(text, object.start);
  const last = members[members.length - 1];
  if (last === undefined) {
    const inner = objectIndent + unit;
    return `${text.slice(0, object.start)}{${eol}${inner}${JSON.stringify(key)}: ${render(value, inner, unit, eol)}${eol}${objectIndent}}${text.slice(object.end)}`;
  }
  const memberIndent = indentOfLine(text, last.keyStart);
  return `${text.slice(0, last.value.end)},${eol}${memberIndent}${JSON.stringify(key)}: ${render(value, memberIndent, unit, eol)}${text.slice(last.value.end)}`;
}

/** The edit must parse, and give the original document with exactly the one element added. */
function checked(original: string, edited: string, path: readonly string[], element: unknown): string {
  const expected = JSON.parse(original) as Record<string, unknown>;
  let parent: any = expected;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const lastKey = path[path.length - 1] as string;
  parent[lastKey] = Object.prototype.hasOwnProperty.call(parent, lastKey) ? [...(parent[lastKey] as unknown[]), element] : [element];
  let actual: unknown;
  try {
    actual = JSON.parse(edited);
  } catch (err) {
    throw new JsonEditError(`editing the text would not give valid JSON (${(err as Error).message}); nothing written`);
  }
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new JsonEditError('editing the text would change more than the new entry; nothing written');
  return edited;
}

/** Objects one member a line; arrays of plain values inline, as cdk.json writes "redact": ["a", "b"]. */
function render(value: unknown, indent: string, unit: string, eol = '\n'): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    const inner = indent + unit;
    return `[${eol}${value.map((v) => inner + render(v, inner, unit, eol)).join(`,${eol}`)}${eol}${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = indent + unit;
    return `{${eol}${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${render(v, inner, unit, eol)}`).join(`,${eol}`)}${eol}${indent}}`;
  }
  return JSON.stringify(value);
}

function lineEnd(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function indentOfLine(text: string, position: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, position))?.[0] ?? '';
}

/** The file's indentation step: the first indented line's leading white space, else two spaces. */
function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** Finds value spans in JSON text; throws JsonEditError on text that is not JSON. */
class Scanner {
  constructor(private readonly text: string) {}

  skipSpace(i: number): number {
    while (i < this.text.length && ' \t\r\n'.includes(this.text[i] as string)) i++;
    return i;
  }

  private fail(i: number, what: string): never {
    throw new JsonEditError(`not valid JSON at character ${i}: ${what}`);
  }

  valueAt(i: number): Span {
    const c = this.text[i];
    if (c === '{' || c === '[') return { start: i, end: this.containerEnd(i) };
    if (c === '"') return { start: i, end: this.stringEnd(i) };
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(i, i + 400));
    if (!m) this.fail(i, 'expected a value');
    return { start: i, end: i + m[0].length };
  }

  private stringEnd(i: number): number {
    for (let j = i + 1; j < this.text.length; j++) {
      if (this.text[j] === '\\') j++;
      else if (this.text[j] === '"') return j + 1;
    }
    return this.fail(i, 'unterminated string');
  }

  private containerEnd(i: number): number {
    const span = { start: i, end: this.text.length };
    let end = i + 1;
    if (this.text[i] === '{') for (const m of this.members(span)) end = m.value.end;
    else for (const e of this.elements(span)) end = e.end;
    const close = this.skipSpace(end === i + 1 ? i + 1 : end);
    if (this.text[close] !== (this.text[i] === '{' ? '}' : ']')) this.fail(close, 'expected the end of the object or array');
    return close + 1;
  }

  *members(object: Span): Generator<Member> {
    let i = this.skipSpace(object.start + 1);
    if (this.text[i] === '}') return;
    for (;;) {
      if (this.text[i] !== '"') this.fail(i, 'expected a key');
      const i0 = i;
      const keyEnd = this.stringEnd(i);
      const key = JSON.parse(this.text.slice(i, keyEnd)) as string;
      i = this.skipSpace(keyEnd);
      if (this.text[i] !== ':') this.fail(i, 'expected ":"');
      const value = this.valueAt(this.skipSpace(i + 1));
      yield { key, keyStart: i0, value };
      i = this.skipSpace(value.end);
      if (this.text[i] === ',') i = this.skipSpace(i + 1);
      else if (this.text[i] === '}') return;
      else this.fail(i, 'expected "," or "}"');
    }
  }

  *elements(array: Span): Generator<Span> {
    let i = this.skipSpace(array.start + 1);
    if (this.text[i] === ']') return;
    for (;;) {
      const value = this.valueAt(i);
      yield value;
      i = this.skipSpace(value.end);
      if (this.text[i] === ',') i = this.skipSpace(i + 1);
      else if (this.text[i] === ']') return;
      else this.fail(i, 'expected "," or "]"');
    }
  }

}
