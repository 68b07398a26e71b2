/**
 * Several delivery streams, end to end on the local pipeline: the real collector handler routes
 * each source's changes to its stream (lambda/core/delivery-routing.ts) through the real SDK, and
 * the log those streams write is the same log one stream writes. That sameness is why moving a
 * source between streams (when the stream count changes) is harmless: queries, the digest and
 * evidence read the bucket layout, never which stream carried a record.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DELIVERY_STREAM_NAME_PREFIX, streamIndexFor } from '../../lambda/core/delivery-routing';
import { CollectorHandler, LOCAL_STREAM_NAME, startLocalPipeline } from '../../local/pipeline';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';

const TABLES = Array.from({ length: 12 }, (_, i) => ({ account: String(222222222200 + (i % 3)), name: `orders-${i}` }));
const tableArn = (t: (typeof TABLES)[number]) => `arn:aws:dynamodb:eu-west-1:${t.account}:table/${t.name}`;

/** One batch per table, as one event source mapping per stream delivers them: INSERTs across midnight UTC. */
function batches(): DynamoDBStreamEvent[] {
  return TABLES.map((table, t) => ({
    Records: Array.from({ length: 6 }, (_, i) => ({
      ...buildStreamRecord({
        eventName: 'INSERT',
        viewType: 'NEW_AND_OLD_IMAGES',
        keys: { pk: { S: `item-${i}` } },
        oldImage: {},
        newImage: { pk: { S: `item-${i}` }, n: { N: String(i) } },
        // 2026-03-01T23:58:00Z + i minutes: two days, so two partitions per table.
        seconds: Date.UTC(2026, 2, 1, 23, 58) / 1000 + 60 * i,
        sequence: BigInt(1_000_000 + t * 100 + i),
        id: `e-${t}-${i}`,
        sizeBytes: 20,
      }),
      eventSourceARN: `${tableArn(table)}/stream/2026-01-15T10:00:00.000`,
    })),
  })) as unknown as DynamoDBStreamEvent[];
}

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

interface RunResult {
  /** partition prefix -> sorted event ids, as a query over the bucket sees them. */
  readonly log: Record<string, string[]>;
  /** stream name -> event ids it wrote (from the object names, which start with the stream name). */
  readonly byStream: Map<string, Set<string>>;
}

async function runWith(streamCount: number): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-routing-'));
  const pipeline = await startLocalPipeline({ dataDir, streamCount, writer: 'inline', loadHandler: loadHandlerIsolated });
  try {
    for (const event of batches()) expect((await pipeline.invoke(event)).batchItemFailures).toEqual([]);
    await pipeline.firehose.flush();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const rows = (
        await connection.runAndReadAll(
          `SELECT account_id, table_name, dt, event_id, filename FROM read_parquet('${join(dataDir, 'changes', '**', '*.parquet')}', hive_partitioning = true, filename = true, hive_types = {'account_id': VARCHAR, 'table_name': VARCHAR, 'dt': VARCHAR})`,
        )
      ).getRowObjectsJS() as { account_id: string; table_name: string; dt: string; event_id: string; filename: string }[];
      const log: Record<string, string[]> = {};
      const byStream = new Map<string, Set<string>>();
      for (const row of rows) {
        (log[`account_id=${row.account_id}/table_name=${row.table_name}/dt=${row.dt}`] ??= []).push(row.event_id);
        const base = row.filename.split('/').pop() as string;
        const stream = pipeline.firehose.streamNames.find((name) => base.startsWith(`${name}-1-`)) as string;
        if (!byStream.has(stream)) byStream.set(stream, new Set());
        byStream.get(stream)!.add(row.event_id);
      }
      for (const ids of Object.values(log)) ids.sort();
      return { log, byStream };
    } finally {
      connection.closeSync();
    }
  } finally {
    await pipeline.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('the collector over several local delivery streams', () => {
  let one: RunResult;
  let four: RunResult;
  beforeAll(async () => {
    one = await runWith(1);
    four = await runWith(4);
  }, 120_000);

  it('routes every change of a table to the stream its table ARN hashes to, and only there', () => {
    const streamNames = [LOCAL_STREAM_NAME, ...[1, 2, 3].map((i) => `${DELIVERY_STREAM_NAME_PREFIX}${i}`)];
    TABLES.forEach((table, t) => {
      const expected = streamNames[streamIndexFor(tableArn(table), 4)] as string;
      for (let i = 0; i < 6; i++) {
        const holders = [...four.byStream].filter(([, ids]) => ids.has(`e-${t}-${i}`)).map(([name]) => name);
        expect(holders).toEqual([expected]);
      }
    });
    // The example tables do spread over more than one stream, so the routing was exercised.
    expect(four.byStream.size).toBeGreaterThan(1);
  });

  it('writes the same log, partition by partition, as one stream does (so a source moving between streams is harmless)', () => {
    expect(Object.keys(one.log)).toHaveLength(TABLES.length * 2);
    expect(four.log).toEqual(one.log);
    expect(Object.values(one.log).flat()).toHaveLength(TABLES.length * 6);
  });
});
