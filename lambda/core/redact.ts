/**
 * Redaction: configured attribute paths (syntax: ./redact-path.ts) whose values never leave the collector.
 *
 * The value found at a path is replaced by the string REDACTED_VALUE (an S attribute, in the plain
 * image and in its type information alike). Redaction fails closed: where a path cannot descend
 * (it names a member of something that is not a map, `[*]` meets something that is not a list: a set,
 * a string, a number, binary, NULL), the whole value it reached is replaced, never skipped. `[*]`
 * applies the rest of the path to every element of a list.
 *
 * The image is copied on write, so the stream record itself is not changed (the caller still
 * compares the originals to list what changed).
 *
 * Key attributes are never redacted: they identify the item (item_key must stay usable to find its
 * history). A path whose first step names a key attribute is not applied and is returned in
 * `onKeyAttribute`, so the caller can report it (config validation refuses such a path where the
 * key schema is known; see docs/security.md, Redaction).
 */
import { RedactPath, RedactStep } from './redact-path';

export const REDACTED_VALUE = '[REDACTED]';
const REDACTED_ATTRIBUTE = Object.freeze({ S: REDACTED_VALUE });

export interface RedactionResult {
  /** The image with the paths replaced (the same object when nothing matched). */
  readonly image: Record<string, unknown>;
  /** The configured paths (their text) that were present and replaced. */
  readonly applied: string[];
  /** The configured paths that name a key attribute: not applied, to be reported. */
  readonly onKeyAttribute: string[];
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** `keyNames`: the top-level attributes of the stream record's Keys (never redacted). */
export function redactImage(image: Record<string, unknown>, paths: readonly RedactPath[], keyNames: ReadonlySet<string> = NO_KEYS): RedactionResult {
  let result = image;
  const applied: string[] = [];
  const onKeyAttribute: string[] = [];
  for (const path of paths) {
    const first = path.steps[0] as { kind: 'name'; name: string };
    if (keyNames.has(first.name)) {
      onKeyAttribute.push(path.text);
      continue;
    }
    const replaced = replaceInMap(result, path.steps, 0);
    if (replaced !== undefined) {
      result = replaced;
      applied.push(path.text);
    }
  }
  return { image: result, applied, onKeyAttribute };
}

// A copy of `map` with the value at steps[at] (a name step) and below redacted; undefined when absent.
function replaceInMap(map: Record<string, unknown>, steps: readonly RedactStep[], at: number): Record<string, unknown> | undefined {
  const step = steps[at] as { kind: 'name'; name: string };
  if (!Object.prototype.hasOwnProperty.call(map, step.name)) return undefined;
  const replaced = replaceValue(map[step.name], steps, at + 1);
  return replaced === undefined ? undefined : { ...map, [step.name]: replaced };
}

/**
 * The AttributeValue `value` with steps[at..] redacted inside it: REDACTED_ATTRIBUTE when the path
 * ends here or cannot descend into it (fail closed); undefined when the path descends but finds
 * nothing to redact (an absent map member, an empty list).
 */
function replaceValue(value: unknown, steps: readonly RedactStep[], at: number): unknown {
  const step = steps[at];
  if (step === undefined) return REDACTED_ATTRIBUTE;
  if (value === null || typeof value !== 'object') return REDACTED_ATTRIBUTE;
  const v = value as { M?: unknown; L?: unknown };
  if (step.kind === 'name') {
    if (!isOnlyTag(v, 'M') || v.M === null || typeof v.M !== 'object' || Array.isArray(v.M)) return REDACTED_ATTRIBUTE;
    const inner = replaceInMap(v.M as Record<string, unknown>, steps, at);
    return inner === undefined ? undefined : { M: inner };
  }
  if (!isOnlyTag(v, 'L') || !Array.isArray(v.L)) return REDACTED_ATTRIBUTE;
  let copy: unknown[] | undefined;
  const list = v.L as unknown[];
  for (let i = 0; i < list.length; i++) {
    const replaced = replaceValue(list[i], steps, at + 1);
    if (replaced === undefined) continue;
    copy ??= list.slice();
    copy[i] = replaced;
  }
  return copy === undefined ? undefined : { L: copy };
}

// A value with another tag beside the expected one is malformed; treat it as one it cannot descend into.
function isOnlyTag(value: object, tag: string): boolean {
  let count = 0;
  for (const key in value) {
    if (key !== tag) return false;
    count++;
  }
  return count === 1;
}
