/**
 * `ddb-audit item restore --athena`: the same restore from Athena's text results. Athena has no local
 * peer, so its client is mocked (aws-sdk-client-mock); the rows are the collector's own records
 * spelled as Athena returns them (timestamps "yyyy-MM-dd HH:mm:ss.SSS", numbers and booleans as text,
 * NULL as a missing VarCharValue, lists as JSON text through json_format).
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { normalizeRecord } from '../../lambda/core/normalize';
import { run as itemCommand } from '../../bin/commands/item';
import type { CommandIo } from '../../bin/commands/io';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';

const COLUMNS: [string, string][] = [
  ['schema_version', 'integer'], ['event_id', 'varchar'], ['event_name', 'varchar'], ['op', 'varchar'], ['is_ttl_expiry', 'boolean'], ['event_version', 'varchar'],
  ['event_time', 'timestamp'], ['processed_at', 'timestamp'], ['account_id', 'varchar'], ['region', 'varchar'], ['table_name', 'varchar'], ['stream_arn', 'varchar'],
  ['dt', 'varchar'], ['sequence_number', 'varchar'], ['stream_view_type', 'varchar'], ['size_bytes', 'bigint'], ['keys', 'varchar'], ['item_key', 'varchar'],
  ['new_image', 'varchar'], ['old_image', 'varchar'], ['changed_attributes', 'varchar'], ['user_identity', 'varchar'], ['actor', 'varchar'], ['actor_source', 'varchar'],
  ['redacted_attributes', 'varchar'], ['overflow_uri', 'varchar'], ['record_hash', 'varchar'], ['normalization_error', 'varchar'], ['raw_record', 'varchar'],
  ['keys_types', 'varchar'], ['new_image_types', 'varchar'], ['old_image_types', 'varchar'], ['snapshot_source', 'varchar'],
];

function athenaText(value: unknown, type: string): { VarCharValue?: string } {
  if (value === null || value === undefined) return {};
  if (type === 'timestamp') return { VarCharValue: (value as string).replace('T', ' ').replace('Z', '') };
  if (Array.isArray(value)) return { VarCharValue: JSON.stringify(value) };
  return { VarCharValue: String(value) };
}

describe('item restore --athena', () => {
  const athena = mockClient(AthenaClient);
  afterEach(() => athena.reset());

  it('restores the typed item from Athena text results and queries the partitions of that item', async () => {
    const keys = { pk: { S: 'item#1' } };
    const newImage = { ...keys, blob: { B: 'AAE=' }, ids: { NS: ['12345678901234567890123456789012345678', '1'] }, at: { N: '1.5E-130' }, flag: { BOOL: false } };
    const record = normalizeRecord(buildStreamRecord({ eventName: 'INSERT', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: {}, newImage, seconds: 1_772_452_800, sequence: 10n ** 25n, id: 'e-1', sizeBytes: 9 }), { processedAt: '2026-03-02T12:00:01.250Z' });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: COLUMNS.map(([Name, Type]) => ({ Name, Type })) },
        Rows: [{ Data: COLUMNS.map(([name]) => ({ VarCharValue: name })) }, { Data: COLUMNS.map(([name, type]) => athenaText((record as Record<string, unknown>)[name], type)) }],
      },
    });
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '', cwd: process.cwd(), env: {} };

    const code = await itemCommand(['restore', '--athena', '--workgroup', 'audit', '--account', '012345678901', '--table', 'Fuzz', '--key', '{"pk":"item#1"}', '--at', '2026-03-02T12:30:00Z', '--from', '2026-03-01'], io);

    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ TableName: 'Fuzz', Item: { ...newImage, ids: { NS: ['1', '12345678901234567890123456789012345678'] } } });
    const sql = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.QueryString ?? '';
    expect(sql).toContain("WHERE dt BETWEEN '2026-03-01' AND '2026-03-02'");
    expect(sql).toContain("AND item_key = '{\"pk\":\"item#1\"}'");
  });
});
