/**
 * Structural equality of two AttributeValues, ignoring the order of map attributes and of set
 * members. Only consulted when the JSON text of an attribute differs between the old and new
 * images, so that a map whose attributes merely arrive in another order is not reported changed.
 */
export function attributeValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => attributeValuesEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  const ar = a as Record<string, unknown>;
  const br = b as Record<string, unknown>;
  for (const key of aKeys) {
    if (!(key in br)) return false;
    if ((key === 'SS' || key === 'NS' || key === 'BS') && Array.isArray(ar[key]) && Array.isArray(br[key])) {
      if (!sameMembers(ar[key] as unknown[], br[key] as unknown[])) return false;
    } else if (!attributeValuesEqual(ar[key], br[key])) {
      return false;
    }
  }
  return true;
}

function sameMembers(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = a.map(String).sort();
  const sortedB = b.map(String).sort();
  return sortedA.every((v, i) => v === sortedB[i]);
}
