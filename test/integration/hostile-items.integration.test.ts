/**
 * No item write keeps a change, or the changes beside it, out of the log (issue 12, item 1): hostile
 * items up to every DynamoDB limit (test/support/hostile-items.ts) go through the collector's core with
 * the real @aws-sdk/client-firehose and client-s3 against the local Firehose over HTTP, which refuses
 * what Firehose refuses (over 1,000 KiB in a record, over 4 MiB in a call), and are read back from its
 * Parquet by DuckDB and from the overflow objects with S3 GetObject. `ddb-audit replay` of such a batch
 * is run the same way.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { silentLogger } from '../../lambda/core/logger';
import type { Packing } from '../../lambda/core/packing';
import { processBatch } from '../../lambda/core/process-batch';
import { normalizeRecords } from '../../lambda/core/normalize';
import { LocalFirehose, startLocalFirehose } from '../../local/firehose';
import { run as replay } from '../../bin/commands/replay';
import { STREAM_ARN } from '../support/dynamodb-arbitraries';
import { EVERY_KIND, HOSTILE_ACTOR_ATTRIBUTE, HostileChange, hostileChange, hostileStreamRecord, ordinaryStreamRecord } from '../support/hostile-items';
import { captureIo } from '../support/capture-io';

const STREAM = 'ddb-audit-hostile';
const OVERFLOW_BUCKET = 'overflow';
const SOURCE_OPTIONS = { 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz': { actorAttribute: HOSTILE_ACTOR_ATTRIBUTE } };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('hostile items through the real SDK and the local Firehose', () => {
  let dataDir: string;
  let firehose: LocalFirehose;
  let clients: { firehose: FirehoseClient; s3: S3Client };
  let batchNumber = 0;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // Dummy credentials for replay's clients, which use the SDK's default chain: the local endpoint does not check signatures.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-hostile-'));
    firehose = await startLocalFirehose({ dataDir, streamName: STREAM, writer: 'inline' });
    clients = {
      firehose: new FirehoseClient({ endpoint: firehose.endpoint, region: 'eu-west-1', credentials }),
      s3: new S3Client({ endpoint: firehose.endpoint, region: 'eu-west-1', credentials, forcePathStyle: true }),
    };
  });
  afterAll(async () => {
    await firehose.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A batch of ordinary changes with the hostile ones among them (INSERT, MODIFY or REMOVE each). */
  function batchOf(changes: readonly { change: HostileChange; eventName: 'INSERT' | 'MODIFY' | 'REMOVE' }[]): unknown[] {
    const n = ++batchNumber;
    let sequence = 10n ** 20n * BigInt(n);
    const records: unknown[] = [ordinaryStreamRecord(n * 1000, sequence++)];
    changes.forEach(({ change, eventName }, i) => {
      records.push(hostileStreamRecord(change, `hostile-${n}-${i}`, sequence++, eventName));
      records.push(ordinaryStreamRecord(n * 1000 + i + 1, sequence++));
    });
    // Ordinary records carry their own ids; make them unique per batch.
    return records.map((r, i) => ({ ...(r as object), eventID: `${(r as { eventID: string }).eventID}-b${n}-${i}` }));
  }

  async function logRows(eventIds: readonly string[]): Promise<Map<string, Record<string, unknown>[]>> {
    await firehose.flush();
    const connection = await openLocalConnection(dataDir);
    try {
      const list = eventIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(',');
      const reader = await connection.runAndReadAll(`SELECT event_id, record_hash, overflow_uri, overflow_fields, item_key, new_image IS NULL AS no_new_image FROM audit_changes WHERE event_id IN (${list})`);
      const rows = new Map<string, Record<string, unknown>[]>();
      for (const row of reader.getRowObjectsJson()) rows.set(String(row.event_id), [...(rows.get(String(row.event_id)) ?? []), row]);
      return rows;
    } finally {
      connection.closeSync();
    }
  }

  /**
   * Every change is in the log once, as itself or as a pointer whose overflow object is the whole record
   * (processed_at aside when the records were normalized again here, as for a replay).
   */
  async function expectAllInLog(records: readonly ChangeRecord[], sameRun = true): Promise<void> {
    const rows = await logRows(records.map((r) => r.event_id as string));
    for (const record of records) {
      const found = rows.get(record.event_id as string) ?? [];
      expect({ event_id: record.event_id, rows: found.length }).toEqual({ event_id: record.event_id, rows: 1 });
      const row = found[0] as Record<string, unknown>;
      expect(row.record_hash).toBe(record.record_hash);
      if (row.overflow_uri === null) continue;
      const key = String(row.overflow_uri).replace(`s3://${OVERFLOW_BUCKET}/`, '');
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: OVERFLOW_BUCKET, Key: key }));
      expect(JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString())).toEqual(sameRun ? record : { ...record, processed_at: expect.any(String) });
      expect(row.no_new_image).toBe(true);
      expect(row.overflow_fields).toEqual(expect.arrayContaining(record.new_image === null ? [] : ['new_image']));
    }
  }

  async function collect(streamRecords: unknown[], packing: Packing) {
    return processBatch(
      { Records: streamRecords },
      { clients, sink: { deliveryStreamName: STREAM, packing, overflowBucket: OVERFLOW_BUCKET, overflowPrefix: 'overflow/' }, sourceOptions: SOURCE_OPTIONS, logger: silentLogger, metrics: { addMetric: () => undefined } },
      () => 300_000,
    );
  }

  it('delivers one change at each DynamoDB limit together with the ordinary changes of its batch, none lost', async () => {
    // Prepare
    const streamRecords = batchOf(EVERY_KIND.map((change) => ({ change, eventName: 'MODIFY' as const })));
    // Act
    const outcome = await collect(streamRecords, 'ndjson');
    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.records.every((r) => r.normalization_error === null)).toBe(true);
    await expectAllInLog(outcome.records);
    // The hostile change of the issue: names of control characters make changed_attributes alone over a Firehose record.
    const rows = await logRows(outcome.records.map((r) => r.event_id as string));
    const longNames = outcome.records.find((r) => r.event_id?.startsWith('hostile-') && r.changed_attributes?.some((name) => name.length > 60_000));
    expect(rows.get(longNames?.event_id as string)?.[0]?.overflow_fields).toEqual(['new_image', 'old_image', 'changed_attributes']);
  });

  it('delivers generated hostile changes of every kind, operation and packing beside ordinary ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ change: hostileChange, eventName: fc.constantFrom<'INSERT' | 'MODIFY' | 'REMOVE'>('INSERT', 'MODIFY', 'REMOVE') }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom<Packing>('ndjson', 'single'),
        async (changes, packing) => {
          const outcome = await collect(batchOf(changes), packing);
          expect(outcome.response.batchItemFailures).toEqual([]);
          expect(outcome.records.every((r) => r.normalization_error === null)).toBe(true);
          await expectAllInLog(outcome.records);
        },
      ),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 6) },
    );
  });

  it('replays a discarded batch of hostile changes: every change reaches the log', async () => {
    // Prepare: the on-failure record Lambda would have written for the batch
    const streamRecords = batchOf(EVERY_KIND.slice(0, 4).map((change) => ({ change, eventName: 'MODIFY' as const })));
    const folder = mkdtempSync(join(tmpdir(), 'ddb-audit-hostile-replay-'));
    const file = join(folder, 'failure.json');
    const first = streamRecords[0] as { dynamodb: { SequenceNumber: string } };
    const last = streamRecords[streamRecords.length - 1] as { dynamodb: { SequenceNumber: string } };
    writeFileSync(
      file,
      JSON.stringify({
        requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:012345678901:function:collector', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: null },
        version: '1.0',
        timestamp: '2026-03-01T12:00:00.000Z',
        DDBStreamBatchInfo: { shardId: 'shardId-00000001', startSequenceNumber: first.dynamodb.SequenceNumber, endSequenceNumber: last.dynamodb.SequenceNumber, batchSize: streamRecords.length, streamArn: STREAM_ARN },
        payload: JSON.stringify({ Records: streamRecords }),
      }),
    );
    const env = { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint, AWS_ENDPOINT_URL_S3: firehose.endpoint, DELIVERY_STREAM_NAME: STREAM, OVERFLOW_BUCKET, SOURCE_OPTIONS: JSON.stringify(SOURCE_OPTIONS) };
    try {
      // Act
      const io = captureIo({ cwd: folder, env });
      const status = await replay(['--from', file, '--json'], io);
      // Assess
      expect({ status, err: io.err.join('') }).toEqual({ status: 0, err: '' });
      expect(JSON.parse(io.out.join('')).totals).toMatchObject({ read: streamRecords.length, redelivered: streamRecords.length, failed: 0, normalizationErrors: 0 });
      await expectAllInLog(normalizeRecords(streamRecords, { sourceOptions: SOURCE_OPTIONS }), false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
