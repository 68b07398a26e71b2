/**
 * actor-activity.sql attributes changes with change-attribution.sql's join, copied rather than
 * referenced (a bundled query is one self-contained file, for the Athena console and the named
 * queries). This keeps the copy honest: the CTEs from `scoped` to `attributed` are the same text,
 * less change-attribution's account, table and item filters, which actor-activity does not have
 * (it attributes every change of the days: any change may be the caller's).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUERY_DIR } from '../../cli/query';

const read = (name: string) => readFileSync(join(QUERY_DIR, `${name}.sql`), 'utf8');

/** From `WITH scoped AS (` to the end of the `attributed` CTE. */
function joinCtes(sql: string): string {
  const start = sql.indexOf('WITH scoped AS (');
  const endMarker = '  WHERE c.delivery = 1\n)';
  const end = sql.indexOf(endMarker, sql.indexOf('\nattributed AS ('));
  if (start < 0 || end < 0) throw new Error('no scoped … attributed CTEs');
  return sql.slice(start, end + endMarker.length);
}

const withoutFilters = (ctes: string, params: readonly string[]) => ctes.split('\n').filter((line) => !params.some((p) => line.includes(`:${p}`))).join('\n');

describe("actor-activity's join", () => {
  test("is change-attribution's, less its account, table and item filters", () => {
    const attribution = joinCtes(read('change-attribution'));
    const activity = joinCtes(read('actor-activity'));
    expect(activity).toBe(withoutFilters(attribution, ['account_id', 'table_name', 'item_key']));
    // and it is the whole join, not a fragment: every CTE the attribution's final SELECT reads
    for (const cte of ['scoped', 'changes', 'change_keys', 'change_window', 'trail_scoped', 'trail', 'matches', 'candidates', 'per_change', 'per_event', 'key_hints', 'table_hints', 'attributed']) {
      expect(activity).toMatch(new RegExp(`(^WITH |\\n)${cte} AS \\(`));
    }
  });

  test('gives every reason change-attribution gives, and one of its own for a change with no CloudTrail input', () => {
    // The CASE that ends `END AS attribution_reason`.
    const reasons = (sql: string) => {
      const end = sql.indexOf('END AS attribution_reason');
      const block = sql.slice(sql.lastIndexOf('CASE', end), end);
      return new Set([...block.matchAll(/(?:THEN|ELSE) '([a-z-]+)'/g)].map((m) => m[1]));
    };
    const attribution = reasons(read('change-attribution'));
    const activity = reasons(read('actor-activity'));
    expect(activity).toEqual(new Set([...attribution, 'cloudtrail-unavailable']));
  });
});
