/**
 * Reading on-failure records and replaying them through the sink, without a network: the sink
 * talks to a scripted Firehose here; the wire path is covered by test/integration/replay.
 * Listing and reading the failure bucket uses aws-sdk-client-mock: there is no local S3 that
 * serves ListObjectsV2 (the local pipeline emulates only the collector's PutObject/GetObject).
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRecords } from '../../lambda/core/normalize';
import { silentLogger } from '../../lambda/core/logger';
import { parseFailureRecords } from '../../cli/replay/failure-records';
import { replaySource } from '../../cli/replay/replay';
import { run } from '../../bin/commands/replay';
import { captureIo } from '../support/capture-io';
import { RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

const FIXTURE = join(__dirname, '..', 'events', 'on-failure-record.json');
const fixtureText = () => readFileSync(FIXTURE, 'utf8');
const fixture = () => JSON.parse(fixtureText());

describe('parseFailureRecords', () => {
  it('reads the stream records of a Lambda S3 on-failure record whose payload is JSON text', () => {
    // Act
    const [batch, ...rest] = parseFailureRecords(fixtureText(), 'f.json');
    // Assess
    expect(rest).toEqual([]);
    expect(batch?.batch).toEqual({
      shardId: 'shardId-00000001772366000000-864758bb',
      startSequenceNumber: '5000000000000123456701',
      endSequenceNumber: '5000000000000123456704',
      batchSize: 4,
      streamArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000',
    });
    expect(batch?.condition).toBe('RetryAttemptsExhausted');
    expect(batch?.records).toEqual(JSON.parse(fixture().payload).Records);
  });

  it('accepts a payload that is already an object', () => {
    const record = fixture();
    record.payload = JSON.parse(record.payload);
    expect(parseFailureRecords(JSON.stringify(record), 'f.json')[0]?.records).toHaveLength(4);
  });

  it('reads several records from NDJSON and from a JSON array, in order', () => {
    // Prepare
    const a = fixture();
    const b = { ...fixture(), payload: JSON.stringify({ Records: [JSON.parse(a.payload).Records[0]] }) };
    // Act
    const fromLines = parseFailureRecords(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`, 'f.ndjson');
    const fromArray = parseFailureRecords(JSON.stringify([b, a]), 'f.json');
    // Assess
    expect(fromLines.map((x) => x.records.length)).toEqual([4, 1]);
    expect(fromArray.map((x) => x.records.length)).toEqual([1, 4]);
  });

  it('rejects a record without payload, naming the shard and sequence range to read from the stream', () => {
    const record = fixture();
    delete record.payload;
    expect(() => parseFailureRecords(JSON.stringify(record), 'sqs.json')).toThrow(
      'sqs.json: has no payload (SQS and SNS destinations carry metadata only); read sequence numbers 5000000000000123456701..5000000000000123456704 of shardId-00000001772366000000-864758bb from arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000 before they expire (24 hours)',
    );
  });

  it('rejects input that is not an on-failure record, naming the source and line', () => {
    expect(() => parseFailureRecords('{"Records":[]}', 'event.json')).toThrow('event.json: not a DynamoDB stream on-failure record: DDBStreamBatchInfo is missing');
    expect(() => parseFailureRecords(`${fixtureText().replace(/\n\s*/g, '')}\n{oops`, 'two.ndjson')).toThrow(/^two\.ndjson line 2 is not JSON/);
    expect(() => parseFailureRecords(JSON.stringify({ ...fixture(), payload: '{"Records":' }), 'cut.json')).toThrow(/^cut\.json: payload is not JSON/);
    expect(() => parseFailureRecords(JSON.stringify({ ...fixture(), DDBStreamBatchInfo: { shardId: 's' } }), 'x.json')).toThrow('x.json: DDBStreamBatchInfo.startSequenceNumber: expected a non-empty string, got undefined');
    expect(() => parseFailureRecords('  ', 'empty.json')).toThrow('empty.json is empty');
  });
});

describe('replaySource', () => {
  const source = (text: string) => ({ name: 'failure.json', read: async () => text });
  const sink = { deliveryStreamName: 's', packing: 'single' as const, overflowBucket: 'b', overflowPrefix: 'overflow/', sleep: async () => undefined, maxRounds: 3 };

  it('re-delivers every record, error records included, with the event_id and record_hash the collector gives them', async () => {
    // Prepare
    const firehose = new ScriptedFirehose();
    const streamRecords = JSON.parse(fixture().payload).Records;
    // Act
    const report = await replaySource(source(fixtureText()), { sourceOptions: {}, logger: silentLogger, delivery: { clients: { firehose, s3: new RecordingS3() }, sink } });
    // Assess
    expect(report).toEqual({ source: 'failure.json', failureRecords: 1, read: 4, redelivered: 4, failed: 0, normalizationErrors: 1 });
    const direct = normalizeRecords(streamRecords);
    expect(firehose.acceptedRecords().map((r) => [r.event_id, r.record_hash])).toEqual(direct.map((r) => [r.event_id, r.record_hash]));
    expect(firehose.acceptedRecords()[2].normalization_error).toMatch(/unknown type tag/);
  });

  it('counts records Firehose still refuses after the retries as failed, not as re-delivered', async () => {
    // Prepare: the entry of one change fails on every attempt
    const firehose = new ScriptedFirehose((entries) => ({ fail: entries.map((e) => e.toString().includes('7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a62')) }));
    // Act
    const report = await replaySource(source(fixtureText()), { sourceOptions: {}, logger: silentLogger, delivery: { clients: { firehose, s3: new RecordingS3() }, sink } });
    // Assess
    expect(report).toMatchObject({ read: 4, redelivered: 3, failed: 1 });
    // Replay has no visible log: the report says what Firehose answered.
    expect(report.deliveryErrors).toEqual(['Firehose refused some entries: ServiceUnavailableException: Slow down.']);
  });

  it('reports a source it cannot parse and sends nothing from it', async () => {
    const firehose = new ScriptedFirehose();
    const report = await replaySource(source('not json'), { sourceOptions: {}, logger: silentLogger, delivery: { clients: { firehose, s3: new RecordingS3() }, sink } });
    expect(report.error).toBe('failure.json line 1 is not JSON: Unexpected token \'o\', "not json" is not valid JSON');
    expect(firehose.calls).toHaveLength(0);
  });
});

describe('ddb-audit replay', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());
  // The part of the SDK's stream body the command uses.
  const body = (text: string) => ({ transformToString: async () => text }) as never;

  it('--dry-run prints the change records it would send, applying the project config, and sends nothing', async () => {
    // Prepare: cwd is the repository, whose cdk.json redacts payment.cardNumber of Orders
    const io = captureIo({ cwd: join(__dirname, '..', '..'), env: {} });
    // Act
    const status = await run(['--from', FIXTURE, '--dry-run'], io);
    // Assess
    expect(status).toBe(0);
    const records = io.out.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.event_id)).toEqual(['7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a61', '7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a62', '7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a63', '7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a64']);
    expect(records[0].redacted_attributes).toEqual(['payment.cardNumber']);
    expect(records[0].new_image).not.toContain('4111');
    expect(io.err.join('')).toContain('dry run: would re-deliver 4 records from 1 failure record in 1 file: 1 error record');
  });

  it('--dry-run from a folder without cdk.json or SOURCE_OPTIONS refuses, rather than print unredacted records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-replay-no-config-'));
    const io = captureIo({ cwd: dir, env: {} });
    expect(await run(['--from', FIXTURE, '--dry-run'], io)).toBe(2);
    expect(io.err.join('')).toBe(
      `ddb-audit replay: no config: ${join(dir, 'cdk.json')} does not exist and SOURCE_OPTIONS is not set, and redaction and actor attributes come from them; pass --cdk-json PATH, or --no-config to replay without redaction\n`,
    );
    expect(io.out).toEqual([]);
  });

  it('--no-config replays without redaction, and says so on stderr', async () => {
    const configured = captureIo({ cwd: join(__dirname, '..', '..'), env: {} });
    await run(['--from', FIXTURE, '--dry-run'], configured);
    const io = captureIo({ cwd: mkdtempSync(join(tmpdir(), 'ddb-audit-replay-no-config-')), env: {} });
    expect(await run(['--from', FIXTURE, '--dry-run', '--no-config'], io)).toBe(0);
    expect(io.err.join('')).toContain("ddb-audit replay: warning: --no-config: no redaction and no actor attribute are applied, so the records hold every value as the stream has it, and record_hash differs from the collector's for any source whose config redacts\n");
    const [plain] = io.out.join('').trim().split('\n').map((l) => JSON.parse(l));
    const [redacted] = configured.out.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(plain.new_image).toContain('4111');
    expect(plain.record_hash).not.toBe(redacted.record_hash);
  });

  it('reads every object under an s3:// prefix, page by page', async () => {
    // Prepare
    const record = fixture();
    s3.on(ListObjectsV2Command, { Bucket: 'failures', Prefix: 'aws/lambda/', ContinuationToken: undefined }).resolves({ Contents: [{ Key: 'aws/lambda/esm/shard/2026/03/01/a' }], IsTruncated: true, NextContinuationToken: 't2' });
    s3.on(ListObjectsV2Command, { Bucket: 'failures', Prefix: 'aws/lambda/', ContinuationToken: 't2' }).resolves({ Contents: [{ Key: 'aws/lambda/esm/shard/2026/03/01/b' }], IsTruncated: false });
    s3.on(GetObjectCommand, { Bucket: 'failures', Key: 'aws/lambda/esm/shard/2026/03/01/a' }).callsFake(() => ({ Body: body(JSON.stringify(record)) }));
    s3.on(GetObjectCommand, { Bucket: 'failures', Key: 'aws/lambda/esm/shard/2026/03/01/b' }).callsFake(() => ({ Body: body(JSON.stringify({ ...record, payload: JSON.stringify({ Records: [JSON.parse(record.payload).Records[1]] }) })) }));
    const io = captureIo({ env: { AWS_REGION: 'eu-west-1', SOURCE_OPTIONS: '{}' } });
    // Act
    const status = await run(['--from', 's3://failures/aws/lambda/', '--dry-run', '--json'], io);
    // Assess
    expect(status).toBe(0);
    const report = JSON.parse(io.err.join('').trim());
    expect(report.sources.map((s: { source: string; read: number }) => [s.source, s.read])).toEqual([
      ['s3://failures/aws/lambda/esm/shard/2026/03/01/a', 4],
      ['s3://failures/aws/lambda/esm/shard/2026/03/01/b', 1],
    ]);
    expect(io.out.join('').trim().split('\n')).toHaveLength(5);
  });

  it('reads every file of a folder and reports the unreadable ones with exit status 1', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-replay-'));
    mkdirSync(join(dir, 'shard'));
    writeFileSync(join(dir, 'shard', 'a'), fixtureText());
    writeFileSync(join(dir, 'shard', 'b'), '{"Records":[]}');
    const io = captureIo({ cwd: dir, env: { SOURCE_OPTIONS: '{}' } });
    // Act
    const status = await run(['--from', '.', '--dry-run'], io);
    // Assess
    expect(status).toBe(1);
    expect(io.err.join('')).toContain('not replayed: shard/b: not a DynamoDB stream on-failure record');
    expect(io.out.join('').trim().split('\n')).toHaveLength(4);
  });

  it.each([
    [[], '--from FILE_OR_S3_URI is required'],
    [['--from', 'missing.json'], 'cannot read missing.json: no such file or folder'],
    [['--from', FIXTURE], '--delivery-stream (or environment variable DELIVERY_STREAM_NAME) is required but not set'],
    [['--from', FIXTURE, '--delivery-stream', 's', '--overflow-bucket', 'b', '--packing', 'zip'], '--packing (or environment variable PACKING) must be "ndjson" or "single", got "zip"'],
    [['--from', 's3://'], '"s3://" is not an S3 URI: expected s3://BUCKET/PREFIX'],
    [['--from', FIXTURE, '--bogus'], "unknown option '--bogus'"],
  ])('rejects %j with exit status 2 and a one-line reason', async (args, message) => {
    const io = captureIo({ env: { SOURCE_OPTIONS: '{}' } });
    expect(await run(args, io)).toBe(2);
    expect(io.err.join('')).toContain(message);
    expect(io.err.join('').trim().split('\n')).toHaveLength(1);
  });
});
