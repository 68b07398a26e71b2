/**
 * `ddb-audit query change-attribution|actor-activity --athena`: when Athena's rows say
 * cloudtrail-unavailable (a deployment without a trail, whose cloudtrail_events is empty on
 * purpose, or an account/region whose data events are off), the command warns once on stderr,
 * naming where, beside the rows. Both queries share the join that gives the reason. Athena has no local peer, so its client is mocked
 * (aws-sdk-client-mock); the rows are spelled as Athena returns them (text, NULL as a missing value).
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { queryCommand } from '../../cli/query/query-command';
import { captureIo } from '../support/capture-io';

const COLUMNS = ['event_id', 'account_id', 'region', 'matched_by', 'attribution', 'attribution_reason', 'principal_arn'];

// One mock for the file: a second mockClient of the same class would replace the first's stubs.
const athena = mockClient(AthenaClient);

describe.each([
  ['actor-activity', ['from=2026-03-01', 'to=2026-03-01', 'actor=alice@example.com']],
  ['change-attribution', ['from=2026-03-01', 'to=2026-03-01']],
])('%s on Athena', (query, param) => {
  afterEach(() => athena.reset());

  function answer(rows: (string | null)[][]): void {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: COLUMNS.map((Name) => ({ Name, Type: 'varchar' })) },
        Rows: [{ Data: COLUMNS.map((VarCharValue) => ({ VarCharValue })) }, ...rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) }))],
      },
    });
  }
  const run = async () => {
    const io = captureIo();
    const code = await queryCommand(query, { param, athena: true, workgroup: 'ddb-audit', format: 'csv' }, io);
    return { code, out: io.out.join(''), err: io.err.join('') };
  };

  it('warns once, by account and region, when rows have no CloudTrail input', async () => {
    answer([
      ['e-1', '111122223333', 'us-east-1', 'attribute', 'none', 'cloudtrail-unavailable', null],
      ['e-2', '111122223333', 'us-east-1', 'attribute', 'none', 'cloudtrail-unavailable', null],
      ['e-3', '444455556666', 'us-east-1', 'attribute', 'exact', 'single-item-call', 'arn:aws:iam::444455556666:user/alice'],
    ]);
    const { code, out, err } = await run();
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(4);
    expect(err).toBe('ddb-audit query: warning: 2 row(s) have attribution_reason cloudtrail-unavailable: cloudtrail_events holds no DynamoDB write event for their account/region in the days read: 111122223333/us-east-1 (2) (docs/attribution.md)\n');
  });

  it('says nothing when every row had CloudTrail input', async () => {
    answer([['e-3', '444455556666', 'us-east-1', 'attribute', 'exact', 'single-item-call', 'arn:aws:iam::444455556666:user/alice']]);
    expect((await run()).err).toBe('');
  });
});
