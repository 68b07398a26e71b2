/**
 * Every --athena path configures its Athena client like the command's other clients
 * (cli/aws-client-config.ts): the region from the command's environment (AWS_REGION, then
 * AWS_DEFAULT_REGION, else the SDK's chain), the endpoint from AWS_ENDPOINT_URL_ATHENA. Before,
 * query and coverage built `new AthenaClient({})`, which reads process.env, not the command's.
 * (backfill --gap-id --athena with --region: test/unit/backfill.unit.test.ts.) Athena has no local
 * peer: aws-sdk-client-mock answers, and each call's client (thisValue) is inspected.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { queryCommand } from '../../cli/query/query-command';
import { coverageCommand } from '../../cli/coverage/coverage-command';
import { athenaClient } from '../../cli/query/athena-engine';
import { captureIo } from '../support/capture-io';

const athena = mockClient(AthenaClient);
beforeEach(() => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'x', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'x' }] }] } });
});
afterEach(() => athena.reset());

async function regionsCalled(): Promise<string[]> {
  return Promise.all(athena.calls().map((c) => (c.thisValue as AthenaClient).config.region()));
}

test('athenaClient: an explicit region wins over the environment, which wins over the SDK chain', async () => {
  expect(await athenaClient({ AWS_REGION: 'eu-west-1' }, 'ap-southeast-2').config.region()).toBe('ap-southeast-2');
  expect(await athenaClient({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }).config.region()).toBe('eu-west-1');
  expect(await athenaClient({ AWS_DEFAULT_REGION: 'us-west-2' }).config.region()).toBe('us-west-2');
});

test('query --athena uses the region of the command\'s environment', async () => {
  const io = captureIo({ env: { AWS_REGION: 'eu-central-1' } });
  expect(await queryCommand('daily-volume', { param: ['from=2026-03-01', 'to=2026-03-01'], athena: true, workgroup: 'wg', format: 'csv' }, io)).toBe(0);
  const regions = await regionsCalled();
  expect(regions.length).toBeGreaterThan(0);
  expect(new Set(regions)).toEqual(new Set(['eu-central-1']));
});

test('coverage --athena uses the region of the command\'s environment', async () => {
  const io = captureIo({ env: { AWS_DEFAULT_REGION: 'sa-east-1' } });
  await coverageCommand({ from: '2026-03-01', to: '2026-03-01', athena: true, workgroup: 'wg', config: false, format: 'json' }, io);
  const regions = await regionsCalled();
  expect(regions.length).toBeGreaterThan(0);
  expect(new Set(regions)).toEqual(new Set(['sa-east-1']));
});
