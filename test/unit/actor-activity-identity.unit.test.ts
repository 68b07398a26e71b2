/**
 * Which callers an :actor names in actor-activity, as a class: generated IAM names (roles whose
 * names are prefixes of each other, paths, session names with IAM's punctuation, other accounts,
 * IAM users named like roles) and every identity form a security engineer may type. The query's
 * own `caller` CTE and `by_principal` expression run on DuckDB (no AWS), and must agree with a
 * model stated from the session issuer (account and role name) rather than the session ARN.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { QUERY_DIR } from '../../cli/query';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { substitutePlaceholders } from '../../cli/query/placeholders';

const sql = readFileSync(join(QUERY_DIR, 'actor-activity.sql'), 'utf8');
const callerCte = sql.slice(sql.indexOf('\ncaller AS (') + 1, sql.indexOf('\nactivity AS ('));
const byPrincipal = (/\n\s*(coalesce\(x\.attribution = 'exact'.*) AS by_principal\n/.exec(sql) as RegExpExecArray)[1] as string;

type Caller = { type: 'AssumedRole'; account: string; role: string; path: string; session: string } | { type: 'IAMUser'; account: string; name: string };
const principalArn = (c: Caller) => (c.type === 'AssumedRole' ? `arn:aws:sts::${c.account}:assumed-role/${c.role}/${c.session}` : `arn:aws:iam::${c.account}:user/${c.name}`);
const issuerArn = (c: Caller) => (c.type === 'AssumedRole' ? `arn:aws:iam::${c.account}:role/${c.path}${c.role}` : null);

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const ROLE_AS_STS = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/?$/;
function model(actor: string, c: Caller): boolean {
  if (principalArn(c) === actor || issuerArn(c) === actor) return true;
  const wanted = ROLE_ARN.exec(actor) ?? ROLE_AS_STS.exec(actor);
  return wanted !== null && c.type === 'AssumedRole' && wanted[1] === 'aws' && wanted[2] === c.account && wanted[3] === c.role;
}

// IAM names: letters, digits and _+=,.@- (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html)
const nameChar = fc.constantFrom(...'abcAB09_+=,.@-'.split(''));
const base = fc.string({ unit: nameChar, minLength: 1, maxLength: 6 });
const account = fc.constantFrom('111122223333', '444455556666');
const path = fc.constantFrom('', 'aws-reserved/sso.amazonaws.com/', 'team/a/');
const caller: fc.Arbitrary<Caller> = fc.oneof(
  fc.record({ type: fc.constant('AssumedRole' as const), account, role: base, path, session: fc.string({ unit: nameChar, minLength: 2, maxLength: 8 }) }),
  fc.record({ type: fc.constant('IAMUser' as const), account, name: base }),
);
/** What may be typed: the caller's own forms, or those of a neighbour (a name extended, another account). */
const actorFor = (c: Caller): fc.Arbitrary<string> => {
  const roleName = c.type === 'AssumedRole' ? c.role : c.name;
  const names = fc.constantFrom(roleName, `${roleName}x`, roleName.slice(0, -1) || 'r');
  return fc.tuple(names, account, path, fc.nat(6)).map(([name, acct, p, form]) =>
    [
      principalArn(c),
      `arn:aws:iam::${acct}:role/${p}${name}`,
      `arn:aws:iam::${acct}:role/${name}`,
      `arn:aws:sts::${acct}:assumed-role/${name}`,
      `arn:aws:sts::${acct}:assumed-role/${name}/`,
      `arn:aws:iam::${acct}:user/${name}`,
      c.type === 'AssumedRole' ? c.session : name,
    ][form] as string,
  );
};

describe("actor-activity's principal match over generated IAM identities", () => {
  let dir: string;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ddb-audit-actor-identity-'));
    connection = await openLocalConnection(dir, []);
  });
  afterAll(() => {
    connection.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function queryMatches(actor: string, c: Caller): Promise<boolean> {
    const lit = (v: string | null) => (v === null ? 'CAST(NULL AS VARCHAR)' : `'${v.replace(/'/g, "''")}'`);
    const text = `WITH ${callerCte.trim().replace(/,$/, '')},\nactivity AS (SELECT 'exact' AS attribution, CAST(NULL AS VARCHAR) AS op, ${lit(principalArn(c))} AS principal_arn, ${lit(issuerArn(c))} AS session_issuer_arn)\nSELECT ${byPrincipal} AS m FROM activity x CROSS JOIN caller c`;
    const reader = await connection.runAndReadAll(substitutePlaceholders(text, { actor }));
    return reader.getRowObjectsJS()[0]?.m === true;
  }

  test('the extracted parts are the query\'s', () => {
    expect(callerCte.startsWith('caller AS (')).toBe(true);
    expect(byPrincipal).toContain('x.session_issuer_arn = :actor');
  });

  test('matches exactly the callers the model says, for every identity form', async () => {
    await fc.assert(
      fc.asyncProperty(
        caller.chain((c) => fc.tuple(fc.constant(c), actorFor(c))),
        async ([c, actor]) => {
          expect({ actor, caller: principalArn(c), matches: await queryMatches(actor, c) }).toEqual({ actor, caller: principalArn(c), matches: model(actor, c) });
        },
      ),
      { numRuns: 300 },
    );
  });
});
