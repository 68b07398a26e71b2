/**
 * `ddb-audit replay` delivering to the local Firehose through the real Firehose SDK client over
 * HTTP, read back from the Parquet by DuckDB. Listing and reading an s3:// failure prefix uses
 * aws-sdk-client-mock: the local pipeline has no S3 that serves ListObjectsV2 or the failure
 * bucket, only the collector's own overflow PutObject/GetObject.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { collectorSourceOptions, loadAuditConfig } from '../../lib/config/load';
import { normalizeRecords } from '../../lambda/core/normalize';
import { LocalFirehose, startLocalFirehose } from '../../local/firehose';
import { run } from '../../bin/commands/replay';
import { captureIo } from '../support/capture-io';

const REPO = join(__dirname, '..', '..');
const FIXTURE = join(REPO, 'test', 'events', 'on-failure-record.json');
const STREAM = 'ddb-audit-replay-test';

describe('ddb-audit replay to the local Firehose', () => {
  let dataDir: string;
  let firehose: LocalFirehose;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // Dummy credentials for the SDK's default chain: the local endpoint does not check signatures.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-replay-'));
    firehose = await startLocalFirehose({ dataDir, streamName: STREAM, writer: 'inline' });
    env = { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint, AWS_ENDPOINT_URL_S3: firehose.endpoint, DELIVERY_STREAM_NAME: STREAM, OVERFLOW_BUCKET: 'overflow' };
  });
  afterAll(async () => {
    await firehose.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function logRows(): Promise<Record<string, unknown>[]> {
    await firehose.flush();
    const connection = await openLocalConnection(dataDir);
    try {
      const reader = await connection.runAndReadAll('SELECT event_id, record_hash, normalization_error IS NOT NULL AS error, redacted_attributes, new_image FROM audit_changes ORDER BY event_id, processed_at');
      return reader.getRowObjectsJson();
    } finally {
      connection.closeSync();
    }
  }

  it('re-delivers a failure file with the event_id and record_hash the collector gives, and a second run only adds identical duplicates', async () => {
    // Prepare: what the collector itself would have written, with the project's per-source options
    const streamRecords = JSON.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')).payload).Records;
    const expected = normalizeRecords(streamRecords, { sourceOptions: collectorSourceOptions(loadAuditConfig(join(REPO, 'cdk.json'))) });
    // Act
    const first = captureIo({ cwd: REPO, env });
    const firstStatus = await run(['--from', FIXTURE], first);
    const afterFirst = await logRows();
    const second = captureIo({ cwd: REPO, env });
    const secondStatus = await run(['--from', FIXTURE], second);
    const afterSecond = await logRows();
    // Assess
    expect([firstStatus, secondStatus]).toEqual([0, 0]);
    expect(first.out.join('')).toBe(
      `${FIXTURE}: 1 failure record, 4 records read, 4 re-delivered, 0 failed (1 as error records)\nreplayed 4 records from 1 failure record in 1 file: 4 re-delivered, 0 failed, 1 error record\n`,
    );
    expect(afterFirst.map((r) => [r.event_id, r.record_hash])).toEqual(expected.map((r) => [r.event_id, r.record_hash]).sort());
    expect(afterFirst.filter((r) => r.error).map((r) => r.event_id)).toEqual(['7f3a1c9e2b4d4e6f8a0b1c2d3e4f5a63']);
    // Redaction applies on replay as in the collector: the card number never reaches the log.
    expect(afterFirst.every((r) => !String(r.new_image).includes('4111'))).toBe(true);
    expect(afterSecond).toHaveLength(8);
    expect(new Set(afterSecond.map((r) => `${r.event_id} ${r.record_hash}`)).size).toBe(4);
  });

  it('--dry-run sends nothing', async () => {
    const before = firehose.stats().calls;
    const io = captureIo({ cwd: REPO, env });
    expect(await run(['--from', FIXTURE, '--dry-run'], io)).toBe(0);
    expect(firehose.stats().calls).toBe(before);
  });

  it('replays every object under an s3:// prefix of the failure bucket', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    try {
      const record = JSON.parse(readFileSync(FIXTURE, 'utf8'));
      const only = (i: number) => JSON.stringify({ ...record, payload: JSON.stringify({ Records: [{ ...JSON.parse(record.payload).Records[i], eventID: `s3-replay-${i}` }] }) });
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'aws/lambda/m/s/2026/03/01/x' }, { Key: 'aws/lambda/m/s/2026/03/01/y' }], IsTruncated: false });
      s3.on(GetObjectCommand, { Key: 'aws/lambda/m/s/2026/03/01/x' }).resolves({ Body: { transformToString: async () => only(0) } as never });
      s3.on(GetObjectCommand, { Key: 'aws/lambda/m/s/2026/03/01/y' }).resolves({ Body: { transformToString: async () => only(1) } as never });
      const io = captureIo({ cwd: REPO, env });
      // Act
      const status = await run(['--from', 's3://failures/aws/lambda/', '--json'], io);
      // Assess
      expect(status).toBe(0);
      expect(JSON.parse(io.out.join('')).totals).toMatchObject({ sources: 2, read: 2, redelivered: 2, failed: 0 });
      expect((await logRows()).filter((r) => String(r.event_id).startsWith('s3-replay-')).map((r) => r.event_id)).toEqual(['s3-replay-0', 's3-replay-1']);
    } finally {
      s3.restore();
    }
  });

  it('--stack-outputs takes the delivery stream from a cdk deploy --outputs-file file, and an explicit --delivery-stream still wins', async () => {
    // Prepare: no collector variables at all, only the outputs file
    const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-outputs-'));
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ DdbAuditCollector: { DeliveryStreamNames: STREAM, ChangeLogBucketName: 'overflow' } }));
    const record = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    writeFileSync(join(dir, 'one.json'), JSON.stringify({ ...record, payload: JSON.stringify({ Records: [{ ...JSON.parse(record.payload).Records[0], eventID: 'outputs-file-0' }] }) }));
    const bareEnv = { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint, AWS_ENDPOINT_URL_S3: firehose.endpoint, SOURCE_OPTIONS: '{}' };
    // Act
    const viaFile = captureIo({ cwd: dir, env: bareEnv });
    const viaFileStatus = await run(['--from', 'one.json', '--stack-outputs', 'outputs.json'], viaFile);
    const overridden = captureIo({ cwd: dir, env: bareEnv });
    const overriddenStatus = await run(['--from', 'one.json', '--stack-outputs', 'outputs.json', '--delivery-stream', 'no-such-stream'], overridden);
    // Assess
    expect(viaFileStatus).toBe(0);
    expect((await logRows()).filter((r) => r.event_id === 'outputs-file-0')).toHaveLength(1);
    // The flag won: the local Firehose refuses the unknown stream, so nothing was re-delivered.
    expect(overriddenStatus).toBe(1);
    expect(overridden.out.join('')).toContain('0 re-delivered, 1 failed');
    rmSync(dir, { recursive: true, force: true });
  });
});
