/**
 * Redaction: configured attribute paths whose values never leave the collector.
 *
 * A path is attribute names joined by dots, descending through maps (M): `ssn`, `card.number`.
 * The value found there is replaced by the string REDACTED_VALUE; the image is copied on write, so
 * the stream record itself is not changed (the caller still compares the originals to list what
 * changed). Paths through lists are not supported: a path that meets anything but a map stops there.
 * Key attributes are never redacted here (they identify the item; see the README's limits).
 */

export const REDACTED_VALUE = '[REDACTED]';
const REDACTED_ATTRIBUTE = Object.freeze({ S: REDACTED_VALUE });

export interface RedactionResult {
  /** The image with the paths replaced (the same object when nothing matched). */
  readonly image: Record<string, unknown>;
  /** The configured paths that were present and replaced. */
  readonly applied: string[];
}

export function redactImage(image: Record<string, unknown>, paths: readonly string[]): RedactionResult {
  let result = image;
  const applied: string[] = [];
  for (const path of paths) {
    const replaced = replaceAt(result, path.split('.'));
    if (replaced !== undefined) {
      result = replaced;
      applied.push(path);
    }
  }
  return { image: result, applied };
}

// Returns a copy of `map` with the value at `segments` replaced, or undefined when the path is absent.
function replaceAt(map: Record<string, unknown>, segments: readonly string[]): Record<string, unknown> | undefined {
  const [head, ...rest] = segments;
  if (head === undefined || !Object.prototype.hasOwnProperty.call(map, head)) return undefined;
  if (rest.length === 0) return { ...map, [head]: REDACTED_ATTRIBUTE };
  const child = map[head] as { M?: unknown } | null | undefined;
  if (child === null || typeof child !== 'object' || child.M === null || typeof child.M !== 'object' || Array.isArray(child.M)) return undefined;
  const replacedChild = replaceAt(child.M as Record<string, unknown>, rest);
  return replacedChild === undefined ? undefined : { ...map, [head]: { M: replacedChild } };
}
