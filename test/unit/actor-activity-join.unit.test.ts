/**
 * actor-activity.sql attributes changes with change-attribution.sql's join, copied rather than
 * referenced (a bundled query is one self-contained file, for the Athena console and the named
 * queries). This keeps the copy honest: the CTEs from `scoped` to `judged` (the candidates, the
 * attribution and its reason) are the same text, less change-attribution's account, table and
 * item filters, which actor-activity does not have (it attributes every change of the days: any
 * change may be the caller's). The view audit_changes_attributed is change-attribution.sql itself
 * (lib/constructs/cloudtrail-catalog.ts), so the three cannot differ in their rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUERY_DIR } from '../../cli/query';

const read = (name: string) => readFileSync(join(QUERY_DIR, `${name}.sql`), 'utf8');

/** From `WITH scoped AS (` to the end of the `judged` CTE. */
function joinCtes(sql: string): string {
  const start = sql.indexOf('WITH scoped AS (');
  const endMarker = '  FROM attributed a\n)';
  const end = sql.indexOf(endMarker, sql.indexOf('\njudged AS ('));
  if (start < 0 || end < 0) throw new Error('no scoped … judged CTEs');
  return sql.slice(start, end + endMarker.length);
}

const withoutFilters = (ctes: string, params: readonly string[]) => ctes.split('\n').filter((line) => !params.some((p) => line.includes(`:${p}`))).join('\n');

/** The values a CASE ending in `END AS <column>` can give. */
function caseValues(sql: string, column: string): Set<string> {
  const end = sql.indexOf(`END AS ${column}`);
  if (end < 0) throw new Error(`no CASE … END AS ${column}`);
  const block = sql.slice(sql.lastIndexOf('CASE', end), end);
  return new Set([...block.matchAll(/(?:THEN|ELSE) '([a-z-]+)'/g)].map((m) => m[1] as string));
}

describe("actor-activity's join", () => {
  test("is change-attribution's, less its account, table and item filters", () => {
    const attribution = joinCtes(read('change-attribution'));
    const activity = joinCtes(read('actor-activity'));
    expect(activity).toBe(withoutFilters(attribution, ['account_id', 'table_name', 'item_key']));
    // and it is the whole join, not a fragment: every CTE the attribution's final SELECT reads
    for (const cte of ['scoped', 'changes', 'change_keys', 'change_window', 'trail_scoped', 'trail', 'matches', 'candidates', 'per_change', 'per_event', 'key_hints', 'table_hints', 'trail_coverage', 'attributed', 'judged']) {
      expect(activity).toMatch(new RegExp(`(^WITH |\\n)${cte} AS \\(`));
    }
  });

  test('decides attribution and its reason inside the shared CTEs, so neither query can give its own', () => {
    for (const name of ['change-attribution', 'actor-activity']) {
      const sql = read(name);
      const shared = joinCtes(sql);
      expect(caseValues(shared, 'attribution')).toEqual(new Set(['ttl', 'exact', 'ambiguous', 'none']));
      expect(caseValues(shared, 'attribution_reason')).toEqual(
        new Set(['ttl-expiry', 'snapshot', 'gap-record', 'single-item-call', 'competing-candidates', 'no-key-or-time', 'global-table-replica', 'transact-write-items', 'batch-write-item', 'partiql', 'conditional-check-failed', 'failed-call', 'cloudtrail-unavailable', 'no-cloudtrail-event']),
      );
      // Nothing after the shared CTEs computes either column again.
      const rest = sql.slice(sql.indexOf(shared) + shared.length);
      expect({ name, rest: /END AS attribution(_reason)?\b/.test(rest) }).toEqual({ name, rest: false });
    }
  });
});
