/**
 * `ddb-audit backfill` on export fixtures built in AWS's documented layout (test/support/dynamodb-export.ts):
 * the snapshot rows it makes, what it refuses, de-duplication on a re-run, and resuming after an
 * interruption. Delivery here is an injected function (the sink itself is tested in
 * firehose-sink.unit.test.ts; the real SDK against the local Firehose in backfill.integration.test.ts).
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { normalizeRecords, snapshotEventId } from '../../lambda/core/normalize';
import { recordHash } from '../../lambda/core/record-hash';
import { backfill, BackfillOptions } from '../../cli/backfill/backfill';
import { localExportStore } from '../../cli/backfill/export-store';
import { run } from '../../bin/commands/backfill';
import { captureIo } from '../support/capture-io';
import { attributeValue, buildStreamRecord, item as anyItem, STREAM_ARN } from '../support/dynamodb-arbitraries';
import { normalizeSnapshotItem } from '../../lambda/core/normalize';
import { REDACTED_VALUE } from '../../lambda/core/redact';
import { loadEvent } from '../events/load';
import { EXPORT_ARN, EXPORT_TABLE_ARN, EXPORT_TIME, orderItem, writeExport } from '../support/dynamodb-export';
import { gapIdOf, gapRecord, type Gap, type GapImage } from '../../lambda/watch/gap-record';
import { sha256Hex } from '../../lambda/core/sha256';
import { filledGapRow, type GapLookup } from '../../cli/backfill/gap-fill';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddb-audit-backfill-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = ['pk', 'sk'];
const options = (extra: Partial<BackfillOptions> = {}): BackfillOptions => ({ sourceOptions: {}, keyAttributes: KEYS, ...extra });

// A gap of the export's table as the stream watch records it (lambda/watch/watch-state.ts): open when
// it saw the stream replaced, closed once the mapping read the new stream. The export (EXPORT_TIME,
// 2026-12-01T00:00Z) is after the gap's end.
const OLD_STREAM = `${EXPORT_TABLE_ARN}/stream/2026-11-20T00:00:00.000`;
const NEW_STREAM = `${EXPORT_TABLE_ARN}/stream/2026-11-30T12:00:00.000`;
const GAP_ID = gapIdOf(EXPORT_TABLE_ARN, OLD_STREAM);
const GAP: Gap = { gapId: GAP_ID, tableArn: EXPORT_TABLE_ARN, oldStreamArn: OLD_STREAM, newStreamArn: NEW_STREAM, from: '2026-11-30T09:55:00.000Z', to: null, detectedAt: '2026-11-30T10:00:00.000Z' };
const OPEN_ROW = gapRecord({ ...GAP, state: 'open', at: '2026-11-30T10:00:00.000Z' });
const CLOSED_ROW = gapRecord({ ...GAP, to: '2026-11-30T12:00:00.000Z', state: 'closed', at: '2026-11-30T12:30:00.000Z' });

/** The log's gap rows as logGapLookup reads them back (event_time and new_image), for any table and id asked. */
function lookup(rows: readonly ChangeRecord[]): GapLookup {
  return async () => rows.map((r) => ({ eventTime: r.event_time as string, image: JSON.parse(r.new_image as string) as GapImage }));
}

/** Collects what a run delivers; `failAt` throws on that call (1-based), as a crash would. */
function collector(failAt?: number) {
  const delivered: ChangeRecord[] = [];
  let calls = 0;
  return {
    delivered,
    deliver: async (records: readonly ChangeRecord[]) => {
      calls++;
      if (calls === failAt) throw new Error('interrupted');
      delivered.push(...records);
      return [];
    },
  };
}

describe('snapshot rows', () => {
  it('normalizes every DynamoDB type exactly as the collector normalizes an INSERT of the same item, with op r, SNAPSHOT and the export time', async () => {
    // Prepare: the all-types item of the stream fixture, exported
    const streamRecord = (loadEvent('all-types') as { Records: any[] }).Records[0];
    const item = streamRecord.dynamodb.NewImage;
    writeExport(dir, [[item]]);
    const insert = normalizeRecords([{ ...streamRecord, eventName: 'INSERT', dynamodb: { ...streamRecord.dynamodb, OldImage: undefined, StreamViewType: 'NEW_IMAGE' } }])[0] as ChangeRecord;
    const sent = collector();
    // Act
    const report = await backfill(localExportStore(dir, dir), options({ deliver: sent.deliver }));
    // Assess
    const row = sent.delivered[0] as ChangeRecord;
    expect(report).toMatchObject({ items: 1, files: 1, sent: 1, failed: 0, exportArn: EXPORT_ARN, exportTime: EXPORT_TIME });
    expect(row).toMatchObject({ op: 'r', event_name: 'SNAPSHOT', event_time: EXPORT_TIME, dt: '2026-12-01', account_id: '111122223333', table_name: 'orders', region: 'eu-west-1', stream_arn: null, sequence_number: null, old_image: null, actor: null, schema_version: 3 });
    // keys keeps the order the attributes came in (the stream's Keys order here); item_key is the canonical spelling.
    expect(JSON.parse(row.keys as string)).toEqual(JSON.parse(insert.keys as string));
    for (const field of ['item_key', 'keys_types', 'new_image', 'new_image_types', 'changed_attributes'] as const) expect({ field, value: row[field] }).toEqual({ field, value: insert[field] });
    expect(JSON.parse(row.snapshot_source as string)).toEqual({ export_arn: EXPORT_ARN, gap_id: null });
    expect(row.event_id).toBe(snapshotEventId(EXPORT_ARN, row.item_key as string));
    expect(row.record_hash).toBe(recordHash(row));
  });

  it('for any item, a snapshot row holds what the collector writes for an INSERT of it, redaction included', () => {
    // The class: snapshot rows go through the same serialization, type fields and redaction as stream changes.
    const tableArn = STREAM_ARN.slice(0, STREAM_ARN.indexOf('/stream/'));
    const pk = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }).map((S) => ({ S })), fc.integer().map((n) => ({ N: String(n) })));
    fc.assert(
      fc.property(anyItem, pk, fc.constantFrom<string[] | undefined>(undefined, ['secret'], ['secret', 'other.inner']), attributeValue, (extra, key, redact, secret) => {
        const image = { ...extra, secret, pk: key };
        const sourceOptions = redact === undefined ? {} : { [tableArn]: { redact } };
        const insert = normalizeRecords([buildStreamRecord({ eventName: 'INSERT', viewType: 'NEW_IMAGE', keys: { pk: key }, oldImage: image, newImage: image, seconds: 1796083200, sequence: 10n ** 21n, id: 'e', sizeBytes: 1 })], { sourceOptions })[0] as ChangeRecord;
        const row = normalizeSnapshotItem({ exportArn: `${tableArn}/export/x`, tableArn, exportTime: EXPORT_TIME, keyAttributes: ['pk'], item: image }, { sourceOptions });
        expect(insert.normalization_error).toBeNull();
        for (const field of ['keys', 'item_key', 'keys_types', 'new_image', 'new_image_types', 'changed_attributes', 'redacted_attributes', 'account_id', 'table_name', 'region'] as const) expect({ field, value: row[field] }).toEqual({ field, value: insert[field] });
        if (redact !== undefined) expect(JSON.parse(row.new_image as string).secret).toBe(REDACTED_VALUE);
        expect(row.record_hash).toBe(recordHash(row));
      }),
      { numRuns: 300 },
    );
  });

  it('redacts as the source config says, and records the gap id', async () => {
    writeExport(dir, [[orderItem(1, { card: { S: '4111111111111111' }, note: { S: 'ok' } })]]);
    const sent = collector();
    await backfill(localExportStore(dir, dir), options({ deliver: sent.deliver, gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]), sourceOptions: { [EXPORT_TABLE_ARN]: { redact: ['card'] } } }));
    const row = sent.delivered[0] as ChangeRecord;
    expect(JSON.stringify(row)).not.toContain('4111');
    expect(row.redacted_attributes).toEqual(['card']);
    expect(JSON.parse(row.snapshot_source as string)).toEqual({ export_arn: EXPORT_ARN, gap_id: GAP_ID });
  });

  it('a re-run gives the same event_id and record_hash for every item (so de-duplication absorbs it)', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2)], [orderItem(3)]]);
    const first = collector();
    const second = collector();
    await backfill(localExportStore(dir, dir), options({ deliver: first.deliver, now: () => new Date('2026-12-02T00:00:00Z') }));
    await backfill(localExportStore(dir, dir), options({ deliver: second.deliver, now: () => new Date('2026-12-03T00:00:00Z') }));
    expect(second.delivered.map((r) => [r.event_id, r.record_hash])).toEqual(first.delivered.map((r) => [r.event_id, r.record_hash]));
    expect(new Set(first.delivered.map((r) => r.event_id)).size).toBe(3);
    expect(second.delivered[0]?.processed_at).not.toBe(first.delivered[0]?.processed_at);
  });

  it('takes the export folder, its AWSDynamoDB parent or the export prefix, and refuses a folder with two exports', async () => {
    const fixture = writeExport(dir, [[orderItem(1)]]);
    for (const folder of [fixture.folder, join(dir, 'AWSDynamoDB'), dir]) expect((await backfill(localExportStore(folder, dir), options())).items).toBe(1);
    writeExport(dir, [[orderItem(2)]], { exportArn: `${EXPORT_TABLE_ARN}/export/01764547299999-ffffffff` });
    await expect(backfill(localExportStore(dir, dir), options())).rejects.toThrow(/holds 2 exports \(AWSDynamoDB\/01764547200000-a1b2c3d4, AWSDynamoDB\/01764547299999-ffffffff\): give the folder of one/);
  });
});

describe('refusals: nothing of the export is sent', () => {
  async function refused(extra: Parameters<typeof writeExport>[2], files: unknown[][] = [[orderItem(1), orderItem(2)], [orderItem(3)]], keyAttributes = KEYS): Promise<string> {
    writeExport(dir, files, extra);
    const sent = collector();
    const error = await backfill(localExportStore(dir, dir), options({ deliver: sent.deliver, keyAttributes })).then(() => undefined, (err: Error) => err.message);
    expect(sent.delivered).toEqual([]);
    expect(error).toBeDefined();
    return error as string;
  }

  it('a corrupted data file (MD5 differs), naming it', async () => {
    const message = await refused({ corrupt: (path, gz) => (path.startsWith('data/file1') ? Buffer.concat([gz.subarray(0, gz.length - 1), Buffer.from([gz[gz.length - 1]! ^ 1])]) : gz) });
    expect(message).toMatch(/data\/file1x+\.json\.gz: MD5 is \S+, manifest-files\.json says \S+: the file is not the one exported/);
  });

  it('a data file replaced by another valid one (MD5 differs), naming it', async () => {
    const other = writeExport(mkdtempSync(join(dir, 'other-')), [[orderItem(9)]]);
    const replacement = readFileSync(join(other.folder, other.files[0]!.relativePath));
    expect(await refused({ corrupt: (path, gz) => (path.startsWith('data/file0') ? replacement : gz) })).toMatch(/data\/file0x+\.json\.gz: MD5 is \S+, manifest-files\.json says \S+: the file is not the one exported/);
  });

  it('a data file whose item count differs from its manifest line, naming it', async () => {
    const message = await refused({ editEntry: (e, i) => (i === 1 ? { ...e, itemCount: 2 } : e), editSummary: (s) => ({ ...s, itemCount: 4 }) });
    expect(message).toMatch(/data\/file1x+\.json\.gz: holds 1 items, manifest-files\.json says 2$/);
  });

  it('data files whose total differs from the summary', async () => {
    expect(await refused({ editSummary: (s) => ({ ...s, itemCount: 4 }) })).toMatch(/manifest-files\.json: the data files hold 3 items in all, manifest-summary\.json says 4$/);
  });

  it('an ION export, with what to do instead', async () => {
    expect(await refused({ outputFormat: 'ION' })).toMatch(/this is an ION export, which backfill does not read yet; export the table again with --export-format DYNAMODB_JSON/);
  });

  it('an incremental export', async () => {
    expect(await refused({ editSummary: (s) => ({ ...s, version: '2023-08-01', exportType: 'INCREMENTAL_EXPORT' }) })).toMatch(/backfill takes a full export/);
  });

  it('an item without the key attributes named (wrong --key-attributes), naming file and line', async () => {
    expect(await refused({}, [[orderItem(1), orderItem(2)]], ['pk', 'id'])).toMatch(/data\/file0x+\.json\.gz line 1: Item: has no key attribute "id" \(is --key-attributes the table's key\?\)/);
  });

  it('a data file key outside the export', async () => {
    expect(await refused({ editEntry: (e) => ({ ...e, dataFileS3Key: 'elsewhere/../x.json.gz' }) })).toMatch(/is not a file of this export/);
  });

  it('a table that the config does not onboard', async () => {
    writeExport(dir, [[orderItem(1)]]);
    await expect(backfill(localExportStore(dir, dir), options({ onboardedTables: new Set(['arn:aws:dynamodb:eu-west-1:111122223333:table/other']) }))).rejects.toThrow(/table\/orders is not an onboarded source in the config/);
  });
});

describe('interruption and resume', () => {
  it('after an interruption at any point, a resumed run delivers every item at least once and loses none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }), async (sizes, batchSize, failAt) => {
        const root = mkdtempSync(join(dir, 'run-'));
        let n = 0;
        writeExport(root, sizes.map((size) => Array.from({ length: size }, () => orderItem(n++))));
        const checkpointPath = join(root, 'checkpoint.json');
        const crashed = collector(failAt);
        const interrupted = await backfill(localExportStore(root, root), options({ deliver: crashed.deliver, checkpointPath, batchSize })).then(() => false, () => true);
        const resumed = collector();
        const report = await backfill(localExportStore(root, root), options({ deliver: resumed.deliver, checkpointPath, batchSize }));
        const ids = new Set([...crashed.delivered, ...resumed.delivered].map((r) => r.item_key));
        expect(ids.size).toBe(n);
        expect(report.failed).toBe(0);
        expect(report.sent + report.skipped).toBe(n);
        // Resuming skips what was delivered: the resumed run sends only what the crash left.
        if (interrupted) expect(resumed.delivered.length).toBe(n - crashed.delivered.length);
      }),
      { numRuns: 60 },
    );
  });

  it('records undelivered items in the checkpoint and exits 1; the re-run sends from the first undelivered item', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2), orderItem(3)]]);
    const checkpointPath = join(dir, 'cp.json');
    const first = await backfill(localExportStore(dir, dir), options({ checkpointPath, deliver: async () => [1, 2] }));
    expect(first).toMatchObject({ sent: 1, failed: 2 });
    expect(Object.values(JSON.parse(readFileSync(checkpointPath, 'utf8')).delivered)).toEqual([1]);
    const again = collector();
    expect(await backfill(localExportStore(dir, dir), options({ checkpointPath, deliver: again.deliver }))).toMatchObject({ sent: 2, skipped: 1, failed: 0 });
    expect(again.delivered.map((r) => r.item_key)).toEqual(['{"pk":"order#2","sk":2}', '{"pk":"order#3","sk":3}']);
  });

  it('refuses a checkpoint of another export', async () => {
    writeExport(dir, [[orderItem(1)]]);
    const checkpointPath = join(dir, 'cp.json');
    writeFileSync(checkpointPath, JSON.stringify({ version: 1, export_arn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders/export/other', delivered: {} }));
    await expect(backfill(localExportStore(dir, dir), options({ checkpointPath, deliver: collector().deliver }))).rejects.toThrow(/is of export .*\/export\/other, not/);
  });
});

describe('the command', () => {
  it('--dry-run prints the records as NDJSON on stdout and sends nothing, with the report on stderr', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2)]]);
    const io = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--dry-run', '--no-config'], io)).toBe(0);
    const lines = io.out.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((r) => [r.op, r.item_key])).toEqual([['r', '{"pk":"order#1","sk":1}'], ['r', '{"pk":"order#2","sk":2}']]);
    expect(io.err.join('')).toContain('2 items in 1 files verified; dry run: printed 2, sent nothing');
    expect(existsSync(join(dir, `.ddb-audit-backfill-01764547200000-a1b2c3d4.json`))).toBe(false);
  });

  it('refuses to run without a config unless --no-config, and refuses a bad export with exit 2 and one line', async () => {
    writeExport(dir, [[orderItem(1)]], { outputFormat: 'ION' });
    const noConfig = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--dry-run'], noConfig)).toBe(2);
    expect(noConfig.err.join('')).toMatch(/^ddb-audit backfill: no config: .*--no-config to backfill without redaction\n$/);
    const ion = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--dry-run', '--no-config'], ion)).toBe(2);
    expect(ion.err.at(-1)).toMatch(/^ddb-audit backfill: .*ION export.*\n$/);
    expect(ion.out).toEqual([]);
  });

  it('refuses a missing --key-attributes and a malformed --gap-id', async () => {
    writeExport(dir, [[orderItem(1)]]);
    const io = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--dry-run', '--no-config'], io)).toBe(2);
    expect(io.err.join('')).toContain('--key-attributes PK[,SK] is required');
    const gap = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', 'a b', '--dry-run', '--no-config'], gap)).toBe(2);
    expect(gap.err.join('')).toContain('--gap-id "a b" is not 1 to 256 characters');
  });
});

describe('an export in S3', () => {
  // aws-sdk-client-mock: the local pipeline has no S3 that serves ListObjectsV2 and GetObject of an
  // export bucket. The mock serves the fixture's files under the keys the manifest names.
  it('reads the export through ListObjectsV2 and GetObject from the export prefix, as from a folder', async () => {
    const { GetObjectCommand, ListObjectsV2Command, S3Client } = await import('@aws-sdk/client-s3');
    const { mockClient } = await import('aws-sdk-client-mock');
    const { Readable } = await import('node:stream');
    const { readdirSync } = await import('node:fs');
    const { relative } = await import('node:path');
    writeExport(dir, [[orderItem(1), orderItem(2)], []]);
    const objects = new Map<string, Buffer>();
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) objects.set(`exports/orders/${relative(dir, join(entry.parentPath, entry.name))}`, readFileSync(join(entry.parentPath, entry.name)));
    }
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string; Delimiter?: string }) => {
      expect(input.Bucket).toBe('export-bucket');
      const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort();
      if (input.Delimiter === undefined) return { Contents: keys.map((Key) => ({ Key })) };
      const folders = [...new Set(keys.map((k) => k.slice(input.Prefix.length)).filter((k) => k.includes('/')).map((k) => `${input.Prefix}${k.slice(0, k.indexOf('/') + 1)}`))];
      return { CommonPrefixes: folders.map((Prefix) => ({ Prefix })) };
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const body = objects.get(input.Key);
      if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      // The SDK's Node.js body: a Readable with transformToString.
      return { Body: Object.assign(Readable.from([body]), { transformToString: async (encoding: BufferEncoding) => body.toString(encoding) }) } as never;
    });
    const { s3ExportStore } = await import('../../cli/backfill/export-store');
    const sent = collector();
    const report = await backfill(s3ExportStore('s3://export-bucket/exports/orders', new S3Client({ region: 'eu-west-1' })), options({ deliver: sent.deliver }));
    expect(report).toMatchObject({ items: 2, files: 2, sent: 2, export: 's3://export-bucket/exports/orders/AWSDynamoDB/01764547200000-a1b2c3d4' });
    expect(sent.delivered.map((r) => r.item_key)).toEqual(['{"pk":"order#1","sk":1}', '{"pk":"order#2","sk":2}']);
    s3.restore();
  });
});

describe('progress', () => {
  it('draws progress on stderr only when it is a terminal', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2)]]);
    const tty = { ...captureIo({ cwd: dir, env: {} }), stderrIsTTY: true };
    const pipe = captureIo({ cwd: dir, env: {} });
    await run(['--export', '.', '--key-attributes', 'pk,sk', '--dry-run', '--no-config'], tty);
    await run(['--export', '.', '--key-attributes', 'pk,sk', '--dry-run', '--no-config'], pipe);
    expect(tty.err.join('')).toContain('\rbackfill: 2 of 2 items (file 1 of 1)');
    expect(pipe.err.join('')).not.toContain('\r');
  });
});

describe('filling a gap (--gap-id)', () => {
  const FILLED_ID = `gap/${GAP_ID}/filled/${sha256Hex(EXPORT_ARN).slice(0, 16)}`;

  it('after the snapshot rows, writes one filled gap row with the gap\'s streams and bounds, filled_by the export ARN', async () => {
    // Prepare
    writeExport(dir, [[orderItem(1), orderItem(2)], [orderItem(3)]]);
    const sent = collector();
    // Act
    const report = await backfill(localExportStore(dir, dir), options({ deliver: sent.deliver, gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]), batchSize: 2 }));
    // Assess: three snapshot rows, then the gap row, last and once
    expect(sent.delivered.map((r) => r.op)).toEqual(['r', 'r', 'r', 'g']);
    const row = sent.delivered[3] as ChangeRecord;
    expect(row).toMatchObject({ op: 'g', event_name: 'GAP', event_id: FILLED_ID, event_time: EXPORT_TIME, dt: '2026-12-01', account_id: '111122223333', region: 'eu-west-1', table_name: 'orders', item_key: JSON.stringify({ gap_id: GAP_ID }), actor_source: 'backfill', snapshot_source: null });
    expect(JSON.parse(row.new_image as string)).toEqual({ gap_id: GAP_ID, state: 'filled', table_arn: EXPORT_TABLE_ARN, old_stream_arn: OLD_STREAM, new_stream_arn: NEW_STREAM, gap_from: '2026-11-30T09:55:00.000Z', gap_to: '2026-11-30T12:00:00.000Z', detected_at: '2026-11-30T10:00:00.000Z', filled_by: EXPORT_ARN });
    expect(row.record_hash).toBe(recordHash(row));
    expect(report.filledGap).toEqual({ gapId: GAP_ID, eventId: FILLED_ID, sent: true });
  });

  it('for any closing time and export at or after the gap\'s end, the filled row is the gap\'s newest row and the same on every run', () => {
    // The class: event_time and record_hash depend on the gap and the export only, never on when the backfill runs.
    const ms = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') });
    fc.assert(
      fc.property(ms, fc.integer({ min: 0, max: 48 * 3600_000 }), fc.integer({ min: 0, max: 30 * 86_400_000 }), ms, ms, (gapTo, closedAfter, exportAfter, run1, run2) => {
        const to = new Date(gapTo).toISOString();
        const closed = gapRecord({ ...GAP, to, state: 'closed', at: new Date(gapTo + closedAfter).toISOString() });
        const summary = { exportArn: EXPORT_ARN, tableArn: EXPORT_TABLE_ARN, exportTime: new Date(gapTo + exportAfter).toISOString() };
        const rows = [{ eventTime: OPEN_ROW.event_time as string, image: JSON.parse(OPEN_ROW.new_image as string) }, { eventTime: closed.event_time as string, image: JSON.parse(closed.new_image as string) }];
        const a = filledGapRow(GAP_ID, rows, summary, new Date(run1).toISOString());
        const b = filledGapRow(GAP_ID, [...rows].reverse(), summary, new Date(run2).toISOString());
        expect([b.event_id, b.record_hash, b.event_time]).toEqual([a.event_id, a.record_hash, a.event_time]);
        expect((a.event_time as string) > (closed.event_time as string)).toBe(true);
        expect((a.event_time as string) >= summary.exportTime).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is not written when items were not delivered; the resumed run that completes writes it once, last', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2), orderItem(3)]]);
    const checkpointPath = join(dir, 'cp.json');
    const gap = { gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]) };
    const tried: ChangeRecord[] = [];
    const first = await backfill(localExportStore(dir, dir), options({ ...gap, checkpointPath, deliver: async (records) => (tried.push(...records), [1]) }));
    expect(first).toMatchObject({ failed: 2, filledGap: { sent: false } });
    expect(tried.filter((r) => r.op === 'g')).toEqual([]);
    const again = collector();
    expect(await backfill(localExportStore(dir, dir), options({ ...gap, checkpointPath, deliver: again.deliver }))).toMatchObject({ sent: 2, skipped: 1, failed: 0, filledGap: { sent: true } });
    expect(again.delivered.map((r) => r.op)).toEqual(['r', 'r', 'g']);
  });

  it('after an interruption at any point, no gap row precedes the last snapshot row, and the resumed run writes it exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 10 }), async (sizes, batchSize, failAt) => {
        const root = mkdtempSync(join(dir, 'run-'));
        let n = 0;
        writeExport(root, sizes.map((size) => Array.from({ length: size }, () => orderItem(n++))));
        const settings = { gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]), checkpointPath: join(root, 'checkpoint.json'), batchSize };
        const crashed = collector(failAt);
        const interrupted = await backfill(localExportStore(root, root), options({ ...settings, deliver: crashed.deliver })).then(() => false, () => true);
        if (interrupted) expect(crashed.delivered.filter((r) => r.op === 'g')).toEqual([]);
        else expect(crashed.delivered.at(-1)?.op).toBe('g');
        const resumed = collector();
        await backfill(localExportStore(root, root), options({ ...settings, deliver: resumed.deliver }));
        const all = [...crashed.delivered, ...resumed.delivered];
        expect(new Set(all.filter((r) => r.op === 'r').map((r) => r.item_key)).size).toBe(n);
        // Each run that completed wrote the row once, after its last snapshot row; all copies are one row.
        expect(resumed.delivered.filter((r) => r.op === 'g')).toHaveLength(1);
        expect(resumed.delivered.at(-1)?.op).toBe('g');
        expect(new Set(all.filter((r) => r.op === 'g').map((r) => `${r.event_id} ${r.record_hash}`)).size).toBe(1);
      }),
      { numRuns: 60 },
    );
  });

  it('a dry run prints the filled row last, after the snapshot rows', async () => {
    writeExport(dir, [[orderItem(1), orderItem(2)]]);
    const printed: ChangeRecord[] = [];
    const report = await backfill(localExportStore(dir, dir), options({ gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]), onRecords: (records) => void printed.push(...records) }));
    expect(printed.map((r) => [r.op, r.event_id === FILLED_ID])).toEqual([['r', false], ['r', false], ['g', true]]);
    expect(report.filledGap).toEqual({ gapId: GAP_ID, eventId: FILLED_ID, sent: true });
  });

  it('says the gap row was not delivered when every item was, and a re-run sends it', async () => {
    writeExport(dir, [[orderItem(1)]]);
    const checkpointPath = join(dir, 'cp.json');
    const gap = { gapId: GAP_ID, gapLookup: lookup([OPEN_ROW, CLOSED_ROW]), checkpointPath };
    const first = await backfill(localExportStore(dir, dir), options({ ...gap, deliver: async (records) => (records[0]?.op === 'g' ? [0] : []) }));
    expect(first).toMatchObject({ sent: 1, failed: 0, filledGap: { sent: false } });
    const again = collector();
    expect(await backfill(localExportStore(dir, dir), options({ ...gap, deliver: again.deliver }))).toMatchObject({ sent: 0, skipped: 1, filledGap: { sent: true } });
    expect(again.delivered.map((r) => r.event_id)).toEqual([FILLED_ID]);
  });

  describe('refuses a gap this export cannot fill, sending nothing', () => {
    async function refusedWith(rows: readonly ChangeRecord[], exportOptions: Parameters<typeof writeExport>[2] = {}, gapId = GAP_ID): Promise<string> {
      writeExport(dir, [[orderItem(1)]], exportOptions);
      const sent = collector();
      const message = await backfill(localExportStore(dir, dir), options({ deliver: sent.deliver, gapId, gapLookup: lookup(rows) })).then(() => undefined, (err: Error) => err.message);
      expect(sent.delivered).toEqual([]);
      expect(message).toBeDefined();
      return message as string;
    }

    it('an id with no gap row in the log', async () => {
      expect(await refusedWith([])).toMatch(new RegExp(`^--gap-id ${GAP_ID}: the log has no gap row \\(op g\\) of ${EXPORT_TABLE_ARN} with this id`));
    });

    it('a gap of another table (same account and name, another region)', async () => {
      const otherTable = EXPORT_TABLE_ARN.replace('eu-west-1', 'us-east-1');
      const other = { ...GAP, tableArn: otherTable, oldStreamArn: `${otherTable}/stream/2026-11-20T00:00:00.000`, gapId: gapIdOf(otherTable, `${otherTable}/stream/2026-11-20T00:00:00.000`) };
      const rows = [gapRecord({ ...other, to: '2026-11-30T12:00:00.000Z', state: 'closed', at: '2026-11-30T12:30:00.000Z' })];
      expect(await refusedWith(rows, {}, other.gapId)).toBe(`--gap-id ${other.gapId} is a gap of ${otherTable}, not of the export's table ${EXPORT_TABLE_ARN}`);
    });

    it('rows whose id is not derived from their table and old stream', async () => {
      expect(await refusedWith([gapRecord({ ...GAP, gapId: 'f'.repeat(32), to: '2026-11-30T12:00:00.000Z', state: 'closed', at: '2026-11-30T12:30:00.000Z' })], {}, 'f'.repeat(32))).toMatch(/does not derive this id from its table and old stream \(.*\); it was not written by the stream watch$/);
    });

    it('a gap still open (no end yet)', async () => {
      expect(await refusedWith([OPEN_ROW])).toMatch(new RegExp(`^--gap-id ${GAP_ID} is still open .*sources rotate`));
    });

    it('an export taken before the gap ended', async () => {
      expect(await refusedWith([OPEN_ROW, CLOSED_ROW], { exportTime: '2026-11-30T11:59:59.999Z' })).toBe(`--gap-id ${GAP_ID} ends at 2026-11-30T12:00:00.000Z, after the export's time 2026-11-30T11:59:59.999Z: the changes between them would still be missing; export the table again (its export time at or after 2026-11-30T12:00:00.000Z)`);
    });

    it('a gap id without a way to read the log', async () => {
      writeExport(dir, [[orderItem(1)]]);
      await expect(backfill(localExportStore(dir, dir), options({ gapId: GAP_ID, deliver: collector().deliver }))).rejects.toThrow(/^--gap-id needs the change log/);
    });
  });

  it('reads the gap from the log in Athena (--athena --workgroup): the gap key\'s history in the export table\'s partition, timestamps as Athena spells them', async () => {
    // aws-sdk-client-mock: Athena has no local peer. It answers item-history with the gap's two rows,
    // in Athena's text form (timestamps "yyyy-MM-dd HH:mm:ss.SSS", NULL as a missing VarCharValue).
    const { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } = await import('@aws-sdk/client-athena');
    const { mockClient } = await import('aws-sdk-client-mock');
    const athena = mockClient(AthenaClient);
    try {
      const columns: [string, string][] = [['event_time', 'timestamp'], ['op', 'varchar'], ['new_image', 'varchar'], ['event_id', 'varchar']];
      const cell = (row: ChangeRecord, [name, type]: [string, string]) => {
        const value = row[name as keyof ChangeRecord];
        if (value === null || value === undefined) return {};
        return { VarCharValue: type === 'timestamp' ? String(value).replace('T', ' ').replace('Z', '') : String(value) };
      };
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
      athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Type })) }, Rows: [{ Data: columns.map(([n]) => ({ VarCharValue: n })) }, ...[OPEN_ROW, CLOSED_ROW].map((r) => ({ Data: columns.map((c) => cell(r, c)) }))] } });
      // An export taken before the gap closed: the filled row must come 1 ms after the closed row.
      writeExport(dir, [[orderItem(1)]], { exportTime: '2026-11-30T12:10:00.000Z' });
      const io = captureIo({ cwd: dir, env: { AWS_REGION: 'eu-west-1' } });
      expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', GAP_ID, '--athena', '--workgroup', 'audit', '--dry-run', '--no-config'], io)).toBe(0);
      const printed = io.out.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(printed.at(-1)).toMatchObject({ op: 'g', event_id: FILLED_ID, event_time: '2026-11-30T12:30:00.001Z', dt: '2026-11-30' });
      expect(JSON.parse(printed.at(-1).new_image)).toMatchObject({ state: 'filled', gap_to: '2026-11-30T12:00:00.000Z', filled_by: EXPORT_ARN });
      const sql = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.QueryString ?? '';
      expect(sql).toContain("AND account_id = '111122223333'");
      expect(sql).toContain("AND table_name = 'orders'");
      expect(sql).toContain(`AND item_key = '{"gap_id":"${GAP_ID}"}'`);
      // The Athena client is configured from the command's environment (AWS_REGION here)...
      expect(await (athena.call(0).thisValue as InstanceType<typeof AthenaClient>).config.region()).toBe('eu-west-1');
      // ...and an explicit --region wins, as for the command's other clients.
      athena.resetHistory();
      const withRegion = captureIo({ cwd: dir, env: { AWS_REGION: 'eu-west-1' } });
      expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', GAP_ID, '--athena', '--workgroup', 'audit', '--region', 'ap-southeast-2', '--dry-run', '--no-config'], withRegion)).toBe(0);
      expect(athena.calls().length).toBeGreaterThan(0);
      for (const call of athena.calls()) expect(await (call.thisValue as InstanceType<typeof AthenaClient>).config.region()).toBe('ap-southeast-2');
    } finally {
      athena.restore();
    }
  });

  it('refuses a --data folder that holds no change log, rather than calling the gap unknown', async () => {
    writeExport(dir, [[orderItem(1)]]);
    const empty = mkdtempSync(join(dir, 'empty-log-'));
    const io = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', GAP_ID, '--data', empty, '--dry-run', '--no-config'], io)).toBe(2);
    expect(io.err.at(-1)).toMatch(/^ddb-audit backfill: --data .*empty-log-\S+ holds no change-log Parquet files/);
    expect(io.out).toEqual([]);
  });

  it('the command refuses --gap-id without the log, and the log options without --gap-id, with one line', async () => {
    writeExport(dir, [[orderItem(1)]]);
    const noLog = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', GAP_ID, '--dry-run', '--no-config'], noLog)).toBe(2);
    expect(noLog.err.join('')).toMatch(/^ddb-audit backfill: --gap-id needs the change log to read the gap's bounds and streams from: --data DIR .* or --athena --workgroup WG\n$/);
    const noGap = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--data', dir, '--dry-run', '--no-config'], noGap)).toBe(2);
    expect(noGap.err.join('')).toMatch(/^ddb-audit backfill: .*no use without --gap-id\n$/);
    const missing = captureIo({ cwd: dir, env: {} });
    expect(await run(['--export', '.', '--key-attributes', 'pk,sk', '--gap-id', GAP_ID, '--data', 'nope', '--dry-run', '--no-config'], missing)).toBe(2);
    expect(missing.err.join('')).toMatch(/^ddb-audit backfill: --data .*nope: no such folder/);
    expect([noLog, noGap, missing].flatMap((io) => io.out)).toEqual([]);
  });
});
