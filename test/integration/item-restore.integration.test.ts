/**
 * `ddb-audit item restore` on real Parquet (the local Firehose's writer) read back by DuckDB: random
 * typed items round-trip exactly through normalize, Parquet and restore; a folder that also holds a
 * file written before the type columns existed still reads (by column name), and that file's rows
 * are refused as untyped.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { partitionPath } from '../../schemas/partitioning';
import { normalizeRecord } from '../../lambda/core/normalize';
import { changeRecordLine } from '../../lambda/core/packing';
import { ParquetFileWriter } from '../../local/firehose/parquet-writer';
import { writePartitionBatch } from '../../local/firehose/files';
import { run as itemCommand } from '../../bin/commands/item';
import type { CommandIo } from '../../bin/commands/io';
import { buildStreamRecord, item } from '../support/dynamodb-arbitraries';

jest.setTimeout(120_000);

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '', cwd, env: {} };
  return { value, out, err };
}

function canonicalSets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalSets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = (k === 'SS' || k === 'NS' || k === 'BS') && Array.isArray(v) ? [...v].map((m) => JSON.stringify(m)).sort() : canonicalSets(v);
  return out;
}

async function writeRecords(dataDir: string, writer: ParquetFileWriter, records: readonly ChangeRecord[]): Promise<void> {
  const byPartition = new Map<string, string[]>();
  for (const r of records) byPartition.set(partitionPath(r), [...(byPartition.get(partitionPath(r)) ?? []), changeRecordLine(r)]);
  for (const [partition, lines] of byPartition) {
    const written = await writePartitionBatch(writer, dataDir, 'audit-changes', partition, lines);
    expect(written.conversionFailures).toBe(0);
  }
}

describe('item restore on the local Parquet', () => {
  let writer: ParquetFileWriter;
  const dirs: string[] = [];
  beforeAll(async () => {
    writer = await ParquetFileWriter.open();
  });
  afterAll(async () => {
    await writer.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('prints exactly the item each change wrote, for random typed items', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), item), { minLength: 1, maxLength: 12, selector: ([pk]) => pk }), async (items) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-restore-'));
        dirs.push(dataDir);
        const records = items.map(([pk, image], i) => {
          const keys = { pk: { S: pk } };
          const stream = buildStreamRecord({ eventName: 'INSERT', viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: {}, newImage: { ...image, ...keys }, seconds: 1_772_452_800 + i, sequence: 10n ** 25n + BigInt(i), id: `e-${i}`, sizeBytes: 1 });
          return { stream, record: normalizeRecord(stream, { processedAt: '2026-03-02T12:30:00.000Z' }) };
        });
        await writeRecords(dataDir, writer, records.map((r) => r.record));
        for (const { stream, record } of records) {
          const { value, out, err } = io(dataDir);
          const code = await itemCommand(['restore', '--data', dataDir, '--account', '012345678901', '--table', 'Fuzz', '--key', record.item_key as string, '--event-id', record.event_id as string], value);
          expect(err.join('')).toBe('');
          expect(code).toBe(0);
          const body = JSON.parse(out.join(''));
          expect(body.TableName).toBe('Fuzz');
          expect(canonicalSets(body.Item)).toEqual(canonicalSets(stream.dynamodb.NewImage));
        }
      }),
      { numRuns: 8 },
    );
  });

  it('reads a folder that also holds a file from before the type columns, and refuses its untyped rows', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-restore-v1-'));
    dirs.push(dataDir);
    // The v1 record, written as a v1 collector's Parquet would be: without the three type columns.
    const v1 = JSON.parse(readFileSync(join(__dirname, '..', 'events', 'change-record-v1.json'), 'utf8')) as ChangeRecord;
    await writeRecords(dataDir, writer, [{ ...v1, keys_types: null, new_image_types: null, old_image_types: null }]);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const partition = join(dataDir, partitionPath(v1));
    const reader = await connection.runAndReadAll(`SELECT file FROM glob('${partition}*.parquet')`);
    const file = reader.getRowObjectsJS()[0]?.file as string;
    await connection.run(`COPY (SELECT * EXCLUDE (keys_types, new_image_types, old_image_types) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT PARQUET)`);
    rmSync(file);
    await connection.run(`COPY (SELECT * FROM read_parquet('${file}.old')) TO '${join(partition, 'a-old.parquet')}' (FORMAT PARQUET)`);
    rmSync(`${file}.old`);
    connection.closeSync();
    // A newer change of the same item, written today with type columns, sorts after the old file.
    const newer = normalizeRecord(
      buildStreamRecord({ eventName: 'MODIFY', viewType: 'NEW_AND_OLD_IMAGES', keys: { pk: { S: 'user#0042' }, sk: { S: 'profile' } }, oldImage: {}, newImage: { pk: { S: 'user#0042' }, sk: { S: 'profile' }, avatar: { B: 'iVBORw0KGgo=' } }, seconds: 1_772_452_900, sequence: 5000000000000000000000000000000000000042n, id: 'e-newer', sizeBytes: 1 }),
      { processedAt: '2026-03-02T12:30:00.000Z' },
    );
    const newerRecord = { ...newer, account_id: v1.account_id, table_name: v1.table_name, stream_arn: v1.stream_arn };
    newerRecord.record_hash = (await import('../../lambda/core/record-hash')).recordHash(newerRecord);
    await writeRecords(dataDir, writer, [newerRecord]);

    const old = io(dataDir);
    expect(await itemCommand(['restore', '--data', dataDir, '--account', v1.account_id, '--table', v1.table_name, '--key', v1.item_key as string, '--event-id', v1.event_id as string, '--allow-redacted'], old.value)).toBe(1);
    expect(old.err.join('')).toContain('schema_version 1');
    const current = io(dataDir);
    expect(await itemCommand(['restore', '--data', dataDir, '--account', v1.account_id, '--table', v1.table_name, '--key', v1.item_key as string, '--at', '2026-03-02T13:00:00Z'], current.value)).toBe(0);
    expect(JSON.parse(current.out.join('')).Item.avatar).toEqual({ B: 'iVBORw0KGgo=' });
  });

  it('is an error, not an empty answer, for a missing data folder and bad arguments', async () => {
    const missing = io(tmpdir());
    expect(await itemCommand(['restore', '--data', join(tmpdir(), 'no-such-ddb-audit-folder'), '--account', '012345678901', '--table', 'Fuzz', '--key', '{"pk":"a"}', '--event-id', 'x'], missing.value)).toBe(2);
    expect(missing.err.join('')).toMatch(/^ddb-audit item restore: data folder .* does not exist/);
    const both = io(tmpdir());
    expect(await itemCommand(['restore', '--account', '012345678901', '--table', 'Fuzz', '--key', '{"pk":"a"}', '--event-id', 'x', '--at', '2026-03-01T00:00:00Z'], both.value)).toBe(2);
    expect(both.err.join('')).toContain('give exactly one of --event-id ID and --at ISO-8601');
    const badAt = io(tmpdir());
    expect(await itemCommand(['restore', '--account', '012345678901', '--table', 'Fuzz', '--key', '{"pk":"a"}', '--at', 'yesterday'], badAt.value)).toBe(2);
    expect(badAt.err.join('')).toContain('--at "yesterday" is not an ISO-8601 instant');
  });
});
