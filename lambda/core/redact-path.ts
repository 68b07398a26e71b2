/**
 * The redact-path syntax: one parser for the config check (lib/config/validate.ts) and the
 * collector (./redact.ts), so a path means the same thing where it is accepted and where it is applied.
 *
 *   path     := name step*
 *   step     := "." name | "[*]"
 *   name     := one or more of: any character except . [ ] \ * , or an escape
 *   escape   := "\." | "\[" | "\]" | "\\" | "\*"       (the character itself, literally)
 *
 * Examples: `ssn`, `card.number`, `cards[*].number`, `matrix[*][*]`, `a\.b` (one attribute named
 * "a.b"), `x\*y` (one attribute named "x*y").
 *
 * DynamoDB allows a dot (and any other character) inside an attribute name, which its own
 * expressions can only reach through an expression attribute name
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html),
 * so a literal dot needs an escape here too. Everything the grammar does not define is refused with
 * the position (0-based, in UTF-16 code units) of the first character that does not fit: list indexes
 * other than `[*]`, a bare `*` (wildcards over map keys are not supported; a silently literal `*`
 * would redact nothing), unknown escapes, empty names, a path that starts with `[*]` (an item is a map).
 *
 * Every character that is special is escaped by formatRedactPath, and only those may be escaped,
 * so parse and format are inverse: formatRedactPath(parseRedactPath(p)) === p for every valid p.
 */

export type RedactStep = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'each' };

export interface RedactPath {
  /** The path as configured (the spelling redacted_attributes reports). */
  readonly text: string;
  /** First step is always a name: the top-level attribute. */
  readonly steps: readonly RedactStep[];
}

export class RedactPathError extends Error {
  override name = 'RedactPathError';
  constructor(
    readonly path: string,
    readonly position: number,
    /** What is wrong, e.g. 'has an empty attribute name'. */
    readonly reason: string,
  ) {
    super(`redact path ${JSON.stringify(path)} ${reason} at position ${position}`);
  }
}

const SPECIAL = new Set(['.', '[', ']', '\\', '*']);

/** Parses one redact path, or throws a RedactPathError naming the path and the position. */
export function parseRedactPath(text: string): RedactPath {
  const steps: RedactStep[] = [];
  let i = 0;
  let expectName = true;
  const fail = (position: number, reason: string): never => {
    throw new RedactPathError(text, position, reason);
  };
  if (text.length === 0) fail(0, 'is empty');
  while (i < text.length) {
    if (expectName) {
      let name = '';
      const start = i;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '\\') {
          const next = text[i + 1];
          if (next === undefined) fail(i, 'ends in an incomplete escape (a lone "\\")');
          if (!SPECIAL.has(next as string)) fail(i, `has an unsupported escape "\\${next}" (only \\. \\[ \\] \\\\ \\* are defined)`);
          name += next;
          i += 2;
        } else if (c === '.' || c === '[') break;
        else if (c === ']') fail(i, 'has an unmatched "]" (escape it as \\] in a name)');
        else if (c === '*') fail(i, 'has a wildcard "*" in a name (only [*] over list elements is supported; escape a literal star as \\*)');
        else {
          name += c;
          i++;
        }
      }
      if (name === '') fail(start, steps.length === 0 && text[start] === '[' ? 'starts with a list step (a path starts with a top-level attribute name)' : 'has an empty attribute name');
      steps.push({ kind: 'name', name });
      expectName = false;
      continue;
    }
    const c = text[i];
    if (c === '.') {
      i++;
      expectName = true;
      if (i === text.length) fail(i, 'has an empty attribute name');
    } else if (c === '[') {
      if (text.startsWith('[*]', i)) {
        steps.push({ kind: 'each' });
        i += 3;
      } else fail(i, 'has an unsupported list step (only [*], every element, is supported)');
    } else fail(i, `has an unexpected "${c}"`);
  }
  return { text, steps };
}

/** The path's text: names with their special characters escaped, joined by "." and "[*]". */
export function formatRedactPath(steps: readonly RedactStep[]): string {
  let out = '';
  steps.forEach((step, i) => {
    if (step.kind === 'each') out += '[*]';
    else out += (i === 0 ? '' : '.') + escapeName(step.name);
  });
  return out;
}

function escapeName(name: string): string {
  let out = '';
  for (const c of name) out += SPECIAL.has(c) ? `\\${c}` : c;
  return out;
}

/** The top-level attribute a path starts from. */
export function topLevelName(path: RedactPath): string {
  return (path.steps[0] as { kind: 'name'; name: string }).name;
}
