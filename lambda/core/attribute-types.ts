/**
 * The type information that the plain-JSON images (./attribute-json.ts) leave out, so that a
 * change record can be turned back into the exact DynamoDB item (`ddb-audit item restore`).
 *
 * Plain JSON is ambiguous in exactly these places: a JSON string is S or B; a JSON array is L, SS,
 * NS or BS. Everything else is implied: number -> N, true/false -> BOOL, null -> NULL, object -> M.
 * So the encoding writes only what differs from "string is S, array is L":
 *
 *   annotation := "B" | "SS" | "NS" | "BS" | { key: annotation, ... }
 *
 *   - "B" on a string, "SS" / "NS" / "BS" on an array: that type (the members are then fully
 *     implied: SS and BS members are strings, NS members numbers);
 *   - an object on a JSON object (an M) or on a JSON array (an L): annotations of its members that
 *     need one, keyed by attribute name (M) or by decimal list index (L); members not listed are implied;
 *   - no annotation: the implied type, and for an M or L, every member implied too.
 *
 * An image's type field (keys_types, new_image_types, old_image_types) is the annotation object of
 * its top-level attributes, as compact JSON text, or null when no attribute needs one (the common
 * case: most items hold only strings, numbers, booleans, maps and lists) or when the image itself
 * is null. The rule is total: every AttributeValue has exactly one (plain text, annotation) pair, and
 * cli/item/typed-item.ts decodes it back. Set members come back in the plain image's order (sorted):
 * DynamoDB does not preserve the order of a set's members either
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html,
 * "Sets": "The order of the values within a set is not preserved").
 *
 * Values are those attribute-json.ts has already accepted (the normalizer serializes first), so
 * nothing here validates.
 */

import { memberPrefix } from './attribute-json';

export type TypeAnnotation = 'B' | 'SS' | 'NS' | 'BS' | { readonly [key: string]: TypeAnnotation };

/** The annotation of one AttributeValue, or undefined when its plain JSON implies its type. */
export function typeAnnotation(value: unknown): TypeAnnotation | undefined {
  let tag: string | undefined;
  for (const key in value as object) {
    tag = key;
    break;
  }
  switch (tag) {
    case 'B':
    case 'SS':
    case 'NS':
    case 'BS':
      return tag;
    case 'M':
      return membersAnnotation((value as { M: Record<string, unknown> }).M);
    case 'L': {
      const list = (value as { L: unknown[] }).L;
      let out: Record<string, TypeAnnotation> | undefined;
      for (let i = 0; i < list.length; i++) {
        const inner = typeAnnotation(list[i]);
        if (inner === undefined) continue;
        out ??= Object.create(null) as Record<string, TypeAnnotation>;
        out[String(i)] = inner;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The annotation object of a map's members (an M, or a whole image), or undefined when none needs one. */
export function membersAnnotation(map: Record<string, unknown>): Record<string, TypeAnnotation> | undefined {
  let out: Record<string, TypeAnnotation> | undefined;
  for (const name in map) {
    const inner = typeAnnotation(map[name]);
    if (inner === undefined) continue;
    // A prototype-less object: an attribute named "__proto__" is then an ordinary member.
    out ??= Object.create(null) as Record<string, TypeAnnotation>;
    out[name] = inner;
  }
  return out;
}

/**
 * Appends one top-level member to an annotation object's text under construction (null: none yet;
 * the caller closes it with "}"). Members are written in the image's attribute order, the same
 * whichever caller builds the text, so one image always has one spelling.
 */
export function appendAnnotation(text: string | null, name: string, annotation: TypeAnnotation): string {
  const value = typeof annotation === 'string' ? `"${annotation}"` : JSON.stringify(annotation);
  // memberPrefix: the '"name":' spelling the image text already cached for this name.
  return text === null ? `{${memberPrefix(name, true)}${value}` : `${text}${memberPrefix(name, false)}${value}`;
}
