/**
 * `ddb-audit backfill` end to end: an export fixture in AWS's layout, delivered through the real
 * Firehose SDK client to the local Firehose (and a near-400 KB item through the overflow objects the
 * local pipeline serves), read back from the Parquet by DuckDB with the bundled item-history query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { runQuery } from '../../cli/query';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { silentLogger } from '../../lambda/core/logger';
import { normalizeRecords } from '../../lambda/core/normalize';
import { LocalFirehose, startLocalFirehose } from '../../local/firehose';
import { run } from '../../bin/commands/backfill';
import { captureIo } from '../support/capture-io';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';
import { EXPORT_TABLE_ARN, orderItem, writeExport } from '../support/dynamodb-export';

const STREAM = 'ddb-audit-backfill-test';

describe('ddb-audit backfill to the local Firehose', () => {
  let dataDir: string;
  let exportDir: string;
  let firehose: LocalFirehose;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // Dummy credentials for the SDK's default chain: the local endpoint does not check signatures.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-backfill-log-'));
    exportDir = mkdtempSync(join(tmpdir(), 'ddb-audit-backfill-export-'));
    firehose = await startLocalFirehose({ dataDir, streamName: STREAM, writer: 'inline' });
    env = { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint, AWS_ENDPOINT_URL_S3: firehose.endpoint, DELIVERY_STREAM_NAME: STREAM, OVERFLOW_BUCKET: 'overflow' };
  });
  afterAll(async () => {
    await firehose.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('delivers every item once per run, de-duplicable, a large item through overflow, and item-history shows the snapshot first', async () => {
    // Prepare: an export of three items, one of them near DynamoDB's 400 KB item limit in control
    // characters (JSON escapes each six-fold, so its line is over Firehose's 1,000 KB record limit).
    const large = orderItem(3, { blob: { S: '\u0001'.repeat(390_000) } });
    writeExport(exportDir, [[orderItem(1, { status: { S: 'new' } }), orderItem(2)], [large]]);
    // A change the stream delivered after the export, for item 1, as the collector writes it.
    const streamChange = normalizeRecords([
      {
        ...buildStreamRecord({ eventName: 'MODIFY', viewType: 'NEW_AND_OLD_IMAGES', keys: { pk: { S: 'order#1' }, sk: { N: '1' } }, oldImage: orderItem(1, { status: { S: 'new' } }), newImage: orderItem(1, { status: { S: 'paid' } }), seconds: 1796083260, sequence: 10n ** 21n, id: 'e-after-export', sizeBytes: 60 }),
        eventSourceARN: `${EXPORT_TABLE_ARN}/stream/2026-11-30T00:00:00.000`,
      },
    ]);
    expect(streamChange[0]?.normalization_error).toBeNull();
    const clients = { firehose: new FirehoseClient({ endpoint: firehose.endpoint, region: 'eu-west-1' }), s3: new S3Client({ endpoint: firehose.endpoint, region: 'eu-west-1', forcePathStyle: true }) };
    const sink = { deliveryStreamName: STREAM, packing: 'ndjson' as const, overflowBucket: 'overflow', overflowPrefix: 'overflow/', remainingTimeMs: () => 60_000 };
    expect((await deliverChangeRecords(streamChange, clients, sink, silentLogger)).undelivered).toEqual([]);

    // Act: backfill twice (the second run with a fresh checkpoint, as a second operator would)
    const first = captureIo({ cwd: exportDir, env });
    const firstStatus = await run(['--export', exportDir, '--key-attributes', 'pk,sk', '--no-config', '--checkpoint', join(exportDir, 'cp1.json')], first);
    const second = captureIo({ cwd: exportDir, env });
    const secondStatus = await run(['--export', exportDir, '--key-attributes', 'pk,sk', '--no-config', '--checkpoint', join(exportDir, 'cp2.json')], second);
    await firehose.flush();

    // Assess
    expect([firstStatus, secondStatus]).toEqual([0, 0]);
    expect(first.out.join('')).toMatch(/3 items in 2 files verified; 3 sent, 0 failed\n$/);
    const connection = await openLocalConnection(dataDir);
    let rows: Record<string, unknown>[];
    try {
      rows = (await connection.runAndReadAll("SELECT event_id, record_hash, op, overflow_uri IS NOT NULL AS overflow FROM audit_changes WHERE op = 'r' ORDER BY event_id")).getRowObjectsJson();
    } finally {
      connection.closeSync();
    }
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => `${r.event_id} ${r.record_hash}`)).size).toBe(3);
    expect(rows.filter((r) => r.overflow).length).toBe(2);

    const history = await runQuery({ name: 'item-history', params: { from: '2026-11-30', to: '2026-12-02', account_id: '111122223333', table_name: 'orders', item_key: '{"pk":"order#1","sk":1}' }, dataDir });
    expect(history.rows.map((r) => [r.op, JSON.parse(r.new_image as string).status])).toEqual([
      ['r', 'new'],
      ['u', 'paid'],
    ]);
    // Snapshot rows are states, not changes: daily-volume and source-freshness count the stream's change only.
    const volume = await runQuery({ name: 'daily-volume', params: { from: '2026-11-30', to: '2026-12-02' }, dataDir });
    expect(volume.rows.map((r) => [r.table_name, r.changes, r.deliveries])).toEqual([['orders', 1, 1]]);
    const freshness = await runQuery({ name: 'source-freshness', params: { from: '2026-11-30', to: '2026-12-02' }, dataDir });
    expect(freshness.rows.filter((r) => r.table_name === 'orders').map((r) => [r.changes, r.last_event_time])).toEqual([[1, '2026-12-01T00:01:00.000Z']]);
  });

  it('a delivery Firehose refuses exits 1, says why, and leaves a checkpoint that a re-run resumes from', async () => {
    // Prepare: a stream name the local Firehose does not serve (ResourceNotFoundException, not retried)
    const folder = mkdtempSync(join(tmpdir(), 'ddb-audit-backfill-refused-'));
    try {
      writeExport(folder, [[orderItem(7)]]);
      const io = captureIo({ cwd: folder, env: { ...env, DELIVERY_STREAM_NAME: 'no-such-stream' } });
      // Act
      const status = await run(['--export', folder, '--key-attributes', 'pk,sk', '--no-config'], io);
      // Assess
      expect(status).toBe(1);
      expect(io.err.at(-1)).toMatch(/^ddb-audit backfill: 1 items were not delivered \(.*ResourceNotFoundException.*\); run the same command again: it resumes from .*\.ddb-audit-backfill-01764547200000-a1b2c3d4\.json\n$/);
      const retry = captureIo({ cwd: folder, env });
      expect(await run(['--export', folder, '--key-attributes', 'pk,sk', '--no-config'], retry)).toBe(0);
      expect(retry.out.join('')).toMatch(/1 items in 1 files verified; 1 sent, 0 failed\n$/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
