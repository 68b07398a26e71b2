/**
 * The local Firehose through the real @aws-sdk/client-firehose (and client-s3) over HTTP, and its
 * Parquet read back by DuckDB. Every fault scenario uses a fresh client: the SDK's retry budget
 * is per client and drains after a few dozen failed retries.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANGE_RECORD_FIELDS } from '../../schemas/change-record';
import { DUCKDB_TYPES, glueDataColumns } from '../../schemas/derive';
import { LocalFirehose, startLocalFirehose } from '../../local/firehose';
import { changesGlob } from '../../cli/query/duckdb-engine';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const STREAM = 'ddb-audit-local';

function changeRecord(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1, event_id: `e${i}`, event_name: 'MODIFY', op: 'u', is_ttl_expiry: false, event_version: '1.1',
    event_time: `2026-03-0${1 + (i % 2)}T12:00:00.000Z`, processed_at: '2026-03-02T12:00:01.250Z', account_id: i % 3 === 0 ? '012345678901' : '111122223333',
    region: 'us-east-1', table_name: 'Orders', stream_arn: 'arn:aws:dynamodb:us-east-1:012345678901:table/Orders/stream/x', dt: `2026-03-0${1 + (i % 2)}`,
    sequence_number: `${100000000000000000000n + BigInt(i)}`, stream_view_type: 'NEW_AND_OLD_IMAGES', size_bytes: 9007199254740991, keys: '{"pk":"a"}',
    item_key: '{"pk":"a"}', new_image: '{"pk":"a","n":12345678901234567890123456789012345678,"u":"Grüße 👩🏽‍💻"}', old_image: '{"pk":"a"}',
    changed_attributes: ['n', 'u'], user_identity: null, actor: 'bob', actor_source: 'attribute:updatedBy', redacted_attributes: [],
    overflow_uri: null, record_hash: 'ab'.repeat(32), normalization_error: null, raw_record: null, ...overrides,
  };
}

const ndjson = (records: Record<string, unknown>[]) => Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'));

describe('local Firehose through the real AWS SDK', () => {
  let dataDir: string;
  let firehose: LocalFirehose;
  let client: () => FirehoseClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-fh-'));
    firehose = await startLocalFirehose({ dataDir, streamName: STREAM, writer: 'worker' });
    client = () => new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    await firehose.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('describes its delivery stream as an active DirectPut stream with dynamic partitioning', async () => {
    const reply = await client().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }));
    expect(reply.DeliveryStreamDescription?.DeliveryStreamStatus).toBe('ACTIVE');
    expect(reply.DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription?.Prefix).toBe('changes/account_id=!{partitionKeyFromQuery:account_id}/table_name=!{partitionKeyFromQuery:table_name}/dt=!{partitionKeyFromQuery:dt}/');
  });

  it('refuses a batch of 501 records the way Firehose does (the SDK sends it anyway)', async () => {
    const records = Array.from({ length: 501 }, (_, i) => ({ Data: ndjson([changeRecord(i)]) }));
    await expect(client().send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses an unknown delivery stream with ResourceNotFoundException', async () => {
    await expect(client().send(new PutRecordBatchCommand({ DeliveryStreamName: 'other', Records: [{ Data: Buffer.from('{}') }] }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('writes Parquet per account/table/day that DuckDB reads back with the schema types', async () => {
    // Prepare
    const records = Array.from({ length: 60 }, (_, i) => changeRecord(i));
    // Act
    const reply = await client().send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: ndjson(records.slice(0, 30)) }, { Data: ndjson(records.slice(30)) }] }));
    await firehose.flush();
    // Assess
    expect(reply.FailedPutCount).toBe(0);
    const partitions = readdirSync(join(dataDir, 'changes'), { recursive: true }).map(String).filter((p) => p.endsWith('.parquet')).map((p) => p.split('/').slice(0, 3).join('/'));
    expect(new Set(partitions)).toEqual(new Set(['account_id=012345678901/table_name=Orders/dt=2026-03-01', 'account_id=012345678901/table_name=Orders/dt=2026-03-02', 'account_id=111122223333/table_name=Orders/dt=2026-03-01', 'account_id=111122223333/table_name=Orders/dt=2026-03-02']));

    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    for (const file of firehose.stats().files) {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${join(dataDir, file)}', hive_partitioning = false)`);
      const types = Object.fromEntries(described.getRowObjectsJson().map((r) => [r.column_name, r.column_type]));
      const expected = Object.fromEntries(CHANGE_RECORD_FIELDS.filter((f) => !('partition' in f)).map((f) => [f.name, DUCKDB_TYPES[f.type]]));
      expect(types).toEqual(expected);
    }
    const rows = await connection.runAndReadAll(
      `SELECT account_id, event_time, size_bytes, changed_attributes, new_image FROM read_parquet('${changesGlob(dataDir)}', hive_partitioning = true, hive_types = {'account_id': VARCHAR, 'table_name': VARCHAR, 'dt': VARCHAR}) WHERE event_id = 'e3'`,
    );
    expect(rows.getRowObjectsJS()).toEqual([
      { account_id: '012345678901', event_time: new Date('2026-03-02T12:00:00.000Z'), size_bytes: 9007199254740991n, changed_attributes: ['n', 'u'], new_image: records[3]?.new_image },
    ]);
    connection.closeSync();
  });

  it('writes records it cannot partition or convert under errors/, in Firehose error-record shape', async () => {
    // Prepare
    const bad = [changeRecord(1, { dt: null }), changeRecord(2, { record_hash: null })];
    // Act
    await client().send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: Buffer.from(`${JSON.stringify(bad[0])}\n${JSON.stringify(bad[1])}\nnot json`) }] }));
    await firehose.flush();
    // Assess
    const errorFiles = readdirSync(join(dataDir, 'errors'), { recursive: true }).map(String).filter((p) => /[0-9a-f]{8}-[0-9a-f-]+$/.test(p));
    const entries = errorFiles.flatMap((f) => readFileSync(join(dataDir, 'errors', f), 'utf8').trim().split('\n').map((l) => ({ type: f.split('/')[0], ...JSON.parse(l) })));
    expect(entries.map((e) => [e.type, e.errorCode]).sort()).toEqual([
      ['format-conversion-failed', 'DataFormatConversion.MalformedData'],
      ['processing-failed', 'Deaggregation.InvalidJson'],
      ['processing-failed', 'DynamicPartitioning.MetadataExtractionFailed'],
    ]);
    expect(entries.map((e) => Buffer.from(e.rawData, 'base64').toString()).sort()).toEqual([JSON.stringify(bad[0]), JSON.stringify(bad[1]), 'not json'].sort());
  });

  it('fails the configured share of entries with FailedPutCount and per-entry ErrorCode, deterministically', async () => {
    // Prepare
    const run = async () => {
      firehose.setFaults({ failedEntryRate: 0.3, seed: 11 });
      const records = Array.from({ length: 100 }, (_, i) => ({ Data: ndjson([changeRecord(1000 + i)]) }));
      return client().send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records }));
    };
    // Act
    const first = await run();
    const second = await run();
    firehose.setFaults({});
    // Assess
    const failed = (first.RequestResponses ?? []).filter((r) => r.ErrorCode);
    expect(first.FailedPutCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(15);
    expect(failed.length).toBeLessThan(45);
    expect(failed.every((r) => ['ServiceUnavailableException', 'InternalFailure'].includes(r.ErrorCode as string) && r.ErrorMessage)).toBe(true);
    expect((second.RequestResponses ?? []).map((r) => Boolean(r.ErrorCode))).toEqual((first.RequestResponses ?? []).map((r) => Boolean(r.ErrorCode)));
  });

  it('throttles calls with errors the SDK retries, and the SDK gives up after its attempts when every call is throttled', async () => {
    firehose.setFaults({ throttleRate: 1, seed: 3 });
    const before = firehose.stats().throttled;
    const fast = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });
    await expect(fast.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: ndjson([changeRecord(1)]) }] }))).rejects.toMatchObject({
      name: expect.stringMatching(/^(LimitExceededException|ServiceUnavailableException)$/),
    });
    firehose.setFaults({});
    expect(firehose.stats().throttled - before).toBe(2);
  });

  it('is unreachable while down and serves again when up', async () => {
    await firehose.down();
    const quick = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    await expect(quick.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }))).rejects.toThrow(/ECONNREFUSED/);
    await firehose.up();
    await expect(client().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }))).resolves.toBeDefined();
  });

  it('stores S3 PutObject (path-style) under the overflow prefix and serves it back', async () => {
    const s3 = new S3Client({ endpoint: firehose.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    const body = JSON.stringify(changeRecord(7, { new_image: 'x'.repeat(2_000_000) }));
    await s3.send(new PutObjectCommand({ Bucket: 'overflow-bucket', Key: 'overflow/2026/03/01/e7.json', Body: body }));
    expect(readFileSync(join(dataDir, 'overflow/2026/03/01/e7.json'), 'utf8')).toBe(body);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'overflow-bucket', Key: 'overflow/2026/03/01/e7.json' }));
    expect(await got.Body?.transformToString()).toBe(body);
  });
});

describe('local Firehose Parquet files, as Athena reads them', () => {
  let dataDir: string;
  let firehose: LocalFirehose;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-fh-parquet-'));
    firehose = await startLocalFirehose({ dataDir, streamName: STREAM, writer: 'inline' });
    connection = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(async () => {
    connection.closeSync();
    await firehose.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes data columns in schema order, UTC INT64 millisecond timestamps, 3-level string lists and SNAPPY', async () => {
    // Prepare
    const client = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials });
    // Act
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: ndjson([changeRecord(3), changeRecord(9)]) }] }));
    await firehose.flush();
    // Assess
    const [file] = firehose.stats().files;
    const path = join(dataDir, file as string);
    const schema = (await connection.runAndReadAll(`SELECT name, type, converted_type, logical_type, repetition_type FROM parquet_schema('${path}')`)).getRowObjectsJson();
    const top = schema.slice(1).filter((e) => e.name !== 'list' && e.name !== 'element');
    expect(top.map((e) => e.name)).toEqual(glueDataColumns().map((c) => c.name));
    const timestamps: string[] = CHANGE_RECORD_FIELDS.filter((f) => f.type === 'timestamp').map((f) => f.name);
    // Converted type TIMESTAMP_MILLIS with no logical type: the legacy annotation that means UTC (as parquetjs-lite wrote).
    expect(schema.filter((e) => timestamps.includes(String(e.name)))).toEqual(timestamps.map((name) => ({ name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: null, repetition_type: 'OPTIONAL' })));
    const list = schema.findIndex((e) => e.name === 'changed_attributes');
    expect(schema.slice(list, list + 3).map((e) => [e.name, e.type, e.converted_type, e.repetition_type])).toEqual([
      ['changed_attributes', null, 'LIST', 'OPTIONAL'],
      ['list', null, null, 'REPEATED'],
      ['element', 'BYTE_ARRAY', 'UTF8', 'OPTIONAL'],
    ]);
    const codecs = (await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`)).getRowObjectsJson();
    expect(codecs).toEqual([{ compression: 'SNAPPY' }]);
    const rows = (await connection.runAndReadAll(`SELECT event_time, processed_at, new_image FROM read_parquet('${path}') ORDER BY event_id`)).getRowObjectsJS();
    expect(rows).toEqual([
      { event_time: new Date('2026-03-02T12:00:00.000Z'), processed_at: new Date('2026-03-02T12:00:01.250Z'), new_image: changeRecord(3).new_image },
      { event_time: new Date('2026-03-02T12:00:00.000Z'), processed_at: new Date('2026-03-02T12:00:01.250Z'), new_image: changeRecord(9).new_image },
    ]);
  });

  it('writes a record the Parquet writer refuses under errors/format-conversion-failed/ and the rest of its batch as Parquet', async () => {
    // Prepare: 30 February passes the JSON-level checks; only the timestamp cast refuses it.
    const records = Array.from({ length: 20 }, (_, i) => changeRecord(100 + 2 * i));
    records[7] = changeRecord(114, { event_id: 'feb30', event_time: '2026-02-30T12:00:00.000Z' });
    const client = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials });
    const before = firehose.stats();
    // Act
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: ndjson(records) }] }));
    await firehose.flush();
    // Assess
    const after = firehose.stats();
    expect([after.rowsWritten - before.rowsWritten, after.conversionFailures - before.conversionFailures]).toEqual([19, 1]);
    const errorDir = join(dataDir, 'errors', 'format-conversion-failed');
    const entries = readdirSync(errorDir, { recursive: true }).map(String).filter((p) => /[0-9a-f]{8}-[0-9a-f-]+$/.test(p)).flatMap((f) => readFileSync(join(errorDir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    expect(entries.map((e) => [e.errorCode, JSON.parse(Buffer.from(e.rawData, 'base64').toString()).event_id])).toEqual([['DataFormatConversion.MalformedData', 'feb30']]);
    const written = after.files.filter((f) => !before.files.includes(f)).map((f) => `'${join(dataDir, f)}'`);
    const ids = (await connection.runAndReadAll(`SELECT event_id FROM read_parquet([${written.join(', ')}]) ORDER BY sequence_number`)).getRowObjectsJson().map((r) => r.event_id);
    expect(ids).toEqual(records.filter((_, i) => i !== 7).map((r) => r.event_id));
  });
});
