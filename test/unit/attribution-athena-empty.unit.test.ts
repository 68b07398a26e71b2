/**
 * An empty Athena answer of a query that reads cloudtrail_events (change-attribution filtered by
 * principal, actor-activity matching by principal) has no row to carry cloudtrail-unavailable, so
 * runQuery probes cloudtrail_events under the query's own trail predicate (LIMIT 1) and warns when
 * it holds nothing; an evidence package of that answer says so in its manifest and summary.md.
 * Athena has no local peer, so its client is mocked (aws-sdk-client-mock): each execution id
 * answers with its own rows, and the SQL each StartQueryExecution sent is read back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { cloudTrailProbeSql, loadQuery, renderQuery, runQuery } from '../../cli/query';
import { resolveParams } from '../../cli/query/params';
import { exportEvidence } from '../../cli/evidence/export';
import type { EvidenceManifest } from '../../cli/evidence/manifest';
import { ed25519Signer, generateEd25519KeyPair } from '../../lambda/digest/signing';

const athena = mockClient(AthenaClient);
const root = mkdtempSync(join(tmpdir(), 'attribution-athena-empty-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => athena.reset());

/** The main query answers `mainRows` rows, the probe (the second execution) `probeRows`. */
function answer(mainRows: number, probeRows: number): void {
  let started = 0;
  athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${++started}` }));
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId: string }) => {
    const n = input.QueryExecutionId === 'q-1' ? mainRows : probeRows;
    const columns = input.QueryExecutionId === 'q-1' ? ['event_id', 'account_id', 'region', 'attribution_reason'] : ['present'];
    const row = input.QueryExecutionId === 'q-1' ? ['e-1', '111122223333', 'us-east-1', 'single-item-call'] : ['1'];
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'varchar' })) },
        Rows: [{ Data: columns.map((VarCharValue) => ({ VarCharValue })) }, ...Array.from({ length: n }, () => ({ Data: row.map((VarCharValue) => ({ VarCharValue })) }))],
      },
    };
  });
}
const sent = (): string[] => athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString as string);

const CASES: [string, Record<string, string>, string][] = [
  ['change-attribution', { from: '2026-03-01', to: '2026-03-02', account_id: '111122223333', principal: 'arn:aws:iam::111122223333:role/orders' }, ' of account 111122223333'],
  ['actor-activity', { from: '2026-03-01', to: '2026-03-02', actor: 'arn:aws:iam::111122223333:role/orders', match_by: 'principal' }, ''],
];

describe.each(CASES)('%s on Athena, no rows', (name, params, account) => {
  it('warns when cloudtrail_events holds no DynamoDB write event for the days read', async () => {
    answer(0, 0);
    const result = await runQuery({ name, params, athena: { workgroup: 'wg' } }, { athena: { sleep: async () => {} } });
    expect(result.rows).toEqual([]);
    expect(result.warnings).toEqual([
      `no rows, and cloudtrail_events holds no DynamoDB write event${account} for log_date 2026-03-01 to 2026-03-02 (± 1 day) (Athena query q-2): principal attribution is unavailable, so no row does not mean no change by that caller (docs/attribution.md)`,
    ]);
    const [main, probe] = sent();
    expect(sent()).toHaveLength(2);
    expect(probe).toMatch(/^SELECT 1 AS present FROM cloudtrail_events\nWHERE log_date BETWEEN [\s\S]*\nLIMIT 1$/);
    // The probe's predicate is the main query's, with the same literals.
    expect(main).toContain((probe as string).split('\nWHERE ')[1]?.replace(/\nLIMIT 1$/, ''));
  });

  it('says nothing when the probe finds CloudTrail input', async () => {
    answer(0, 1);
    const result = await runQuery({ name, params, athena: { workgroup: 'wg' } }, { athena: { sleep: async () => {} } });
    expect(result.warnings).toBeUndefined();
    expect(sent()).toHaveLength(2);
  });

  it('runs no probe when the query returned rows', async () => {
    answer(1, 0);
    const result = await runQuery({ name, params, athena: { workgroup: 'wg' } }, { athena: { sleep: async () => {} } });
    expect(result.rows).toHaveLength(1);
    expect(result.warnings).toBeUndefined();
    expect(sent()).toHaveLength(1);
  });
});

test('a query that reads no CloudTrail runs no probe on an empty answer', async () => {
  answer(0, 0);
  const result = await runQuery({ name: 'item-history', params: { from: '2026-03-01', to: '2026-03-01', account_id: '111122223333', table_name: 'orders', item_key: '{"pk":"1"}' }, athena: { workgroup: 'wg' } }, { athena: { sleep: async () => {} } });
  expect(result.warnings).toBeUndefined();
  expect(sent()).toHaveLength(1);
});

test('the probe predicate is the trail predicate of the rendered query, for any valid dates and account', () => {
  const day = fc.date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const account = fc.oneof(fc.constant('*'), fc.stringMatching(/^[0-9]{12}$/));
  fc.assert(
    fc.property(fc.constantFrom('change-attribution', 'actor-activity'), day, day, account, (name, a, b, acct) => {
      const [from, to] = a <= b ? [a, b] : [b, a];
      const params: Record<string, string> = name === 'change-attribution' ? { from, to, account_id: acct } : { from, to, actor: 'alice@example.com' };
      const definition = loadQuery(name);
      const probe = cloudTrailProbeSql(definition, resolveParams(name, definition.params, params));
      const predicate = probe.split('\nWHERE ')[1]?.replace(/\nLIMIT 1$/, '') as string;
      expect(predicate).toContain(`'${from}'`);
      expect(renderQuery(name, params).sql).toContain(`FROM cloudtrail_events\n  WHERE ${predicate}\n),`);
    }),
    { numRuns: 50 },
  );
});

test('an evidence package of an empty answer without CloudTrail input says so in manifest.json and summary.md', async () => {
  answer(0, 0);
  const [name, params] = CASES[0] as [string, Record<string, string>, string];
  const out = join(root, 'package');
  const { manifest } = await exportEvidence({
    runQuery: (request) => runQuery(request, { athena: { sleep: async () => {} } }),
    request: { name, params, athena: { workgroup: 'wg' } },
    outDir: out,
    signer: ed25519Signer(generateEd25519KeyPair().privateKeyPem),
    tool: { version: '0', gitCommit: 'unknown' },
  });
  const warning = expect.stringMatching(/^no rows, and cloudtrail_events holds no DynamoDB write event of account 111122223333 .*principal attribution is unavailable/);
  expect(manifest.result.empty).toBe(true);
  expect(manifest.cloudtrail_input).toEqual({ table: 'ddb_audit.cloudtrail_events', files: null, attribution_unavailable: [], warnings: [warning] });
  expect((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as EvidenceManifest).cloudtrail_input?.warnings).toEqual([warning]);
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('- **The query warned:** no rows, and cloudtrail_events holds no DynamoDB write event of account 111122223333');
});
