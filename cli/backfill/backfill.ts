/**
 * `ddb-audit backfill`: a DynamoDB full export becomes one snapshot row (op r) per item, through the
 * collector's normalizer (lambda/core/normalize.ts normalizeSnapshotItem, redaction included) and,
 * unless it is a dry run, its Firehose sink.
 *
 * Two passes, so that a bad export sends nothing:
 *   1. verify: every data file's MD5 and item count against manifest-files.json, their total against
 *      manifest-summary.json, and every line normalized (a line that is not {"Item": {…}}, or an item
 *      without the key attributes, refuses the export, naming the file and line);
 *      With --gap-id, the gap's rows are read from the log and checked too (cli/backfill/gap-fill.ts).
 *   2. deliver: the files again, in manifest order, in batches; after each delivered batch the
 *      checkpoint records the lines delivered, and a resumed run skips them. A file that changed
 *      between the passes (its MD5 differs) stops the run.
 *   3. with --gap-id, once every snapshot row is delivered: the gap's one 'filled' row, through the
 *      same sink (never after a failure: the resumed run that completes writes it).
 * Memory: one batch of records and one line at a time; data files are streamed.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { normalizeSnapshotItem, SnapshotItemError } from '../../lambda/core/normalize';
import { MAX_RECORDS_PER_CALL } from '../../lambda/core/firehose-limits';
import { Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint';
import { ExportStore, locateExport } from './export-store';
import { checkDataFile, DataFileEntry, ExportRefusedError, ExportSummary, parseFilesManifest, parseSummary, readDataFile } from './manifest';
import { filledGapRow, type GapLookup } from './gap-fill';

export interface BackfillOptions {
  readonly sourceOptions: CollectorSourceOptionsByTable;
  readonly keyAttributes: readonly string[];
  /**
   * The gap this export fills: recorded in every snapshot row's snapshot_source, and, once every
   * snapshot row is delivered, one 'filled' gap row (cli/backfill/gap-fill.ts). Needs `gapLookup`.
   */
  readonly gapId?: string;
  /** Reads the gap's rows from the log (cli/backfill/gap-fill.ts logGapLookup); required with `gapId`. */
  readonly gapLookup?: GapLookup;
  /** Sends one batch; resolves to the indexes (into the batch) not delivered. Absent for a dry run. */
  readonly deliver?: (records: readonly ChangeRecord[]) => Promise<readonly number[]>;
  /** Receives every batch of records (a dry run prints them). */
  readonly onRecords?: (records: readonly ChangeRecord[]) => void;
  /** Where delivered lines are recorded (or how to name it from the export ARN); absent for a dry run. */
  readonly checkpointPath?: string | ((exportArn: string) => string);
  /** Items per delivery batch. @default 500 */
  readonly batchSize?: number;
  readonly onProgress?: (progress: { readonly items: number; readonly total: number; readonly file: number; readonly files: number }) => void;
  /** The tables the config onboards (table ARNs); when given, an export of any other table is refused. */
  readonly onboardedTables?: ReadonlySet<string>;
  readonly now?: () => Date;
}

export interface BackfillReport {
  readonly export: string;
  readonly exportArn: string;
  readonly tableArn: string;
  readonly exportTime: string;
  readonly items: number;
  readonly files: number;
  /** Items sent in this run (a resumed run skips those delivered before). */
  readonly sent: number;
  /** Items skipped because the checkpoint says they were delivered. */
  readonly skipped: number;
  /** Items not delivered after the sink's retries; 0 when the run completed. */
  readonly failed: number;
  /** The checkpoint file, when one was kept. */
  readonly checkpoint?: string;
  /**
   * With a gap id: the gap's 'filled' row, and whether it was delivered (or printed, in a dry run).
   * It is sent only after every snapshot row was delivered, so `sent: false` also when items failed.
   */
  readonly filledGap?: { readonly gapId: string; readonly eventId: string; readonly sent: boolean };
}

const GAP_ID = /^[A-Za-z0-9._:#-]{1,256}$/;

export function checkGapId(gapId: string): void {
  if (!GAP_ID.test(gapId)) throw new ExportRefusedError(`--gap-id "${gapId.slice(0, 80)}" is not 1 to 256 characters of letters, digits and . _ : # -`);
}

/** The export's folder, summary and data files, read and checked against each other (pass 1). */
export async function verifyExport(store: ExportStore, options: Pick<BackfillOptions, 'sourceOptions' | 'keyAttributes' | 'gapId' | 'onboardedTables'>): Promise<{ folder: string; summary: ExportSummary; files: DataFileEntry[] }> {
  const folder = await locateExport(store);
  const at = (name: string) => (folder === '' ? name : `${folder}/${name}`);
  const summary = parseSummary(await store.readText(at('manifest-summary.json')), store.describe(at('manifest-summary.json')));
  if (options.onboardedTables !== undefined && !options.onboardedTables.has(summary.tableArn)) {
    throw new ExportRefusedError(`${summary.tableArn} is not an onboarded source in the config: onboard it first (its stream and mapping before the export, docs/completeness.md "Onboarding order")`);
  }
  const files = parseFilesManifest(await store.readText(at('manifest-files.json')), summary, store.describe(at('manifest-files.json')));
  for (const entry of files) {
    const where = store.describe(at(entry.relativePath));
    const read = await readFile(store, at(entry.relativePath), where, (line, index) => {
      snapshotRecord(line, index, where, summary, options, new Date(0).toISOString());
    });
    checkDataFile(entry, read, where);
  }
  return { folder, summary, files };
}

async function readFile(store: ExportStore, relative: string, where: string, onLine: (line: string, index: number) => void | Promise<void>) {
  try {
    return await readDataFile(await store.open(relative), onLine);
  } catch (err) {
    if (err instanceof ExportRefusedError) throw err;
    throw new ExportRefusedError(`${where}: cannot be read as gzip JSON lines (${(err as Error).message})`);
  }
}

function snapshotRecord(line: string, index: number, where: string, summary: ExportSummary, options: Pick<BackfillOptions, 'sourceOptions' | 'keyAttributes' | 'gapId'>, processedAt: string): ChangeRecord {
  const at = `${where} line ${index + 1}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new ExportRefusedError(`${at}: not JSON (${(err as Error).message})`);
  }
  const item = (parsed as { Item?: unknown } | null)?.Item;
  if (parsed === null || typeof parsed !== 'object' || item === undefined) throw new ExportRefusedError(`${at}: expected {"Item": {…}} (a DYNAMODB_JSON full export line)`);
  try {
    return normalizeSnapshotItem(
      { exportArn: summary.exportArn, tableArn: summary.tableArn, exportTime: summary.exportTime, keyAttributes: options.keyAttributes, item, ...(options.gapId !== undefined ? { gapId: options.gapId } : {}) },
      { sourceOptions: options.sourceOptions, processedAt },
    );
  } catch (err) {
    if (err instanceof SnapshotItemError) throw new ExportRefusedError(`${at}: ${err.message}`);
    throw err;
  }
}

/** Verifies the whole export, then delivers (or, without `deliver`, prints) its snapshot rows. */
export async function backfill(store: ExportStore, options: BackfillOptions): Promise<BackfillReport> {
  if (options.gapId !== undefined) checkGapId(options.gapId);
  if (options.gapId !== undefined && options.gapLookup === undefined) throw new ExportRefusedError('--gap-id needs the change log to read the gap from (its bounds and streams): give the log\'s location');
  const { folder, summary, files } = await verifyExport(store, options);
  // Pass 1 also covers the gap: a gap this export cannot fill refuses the backfill before anything is sent.
  const gapRow = options.gapId !== undefined ? filledGapRow(options.gapId, await (options.gapLookup as GapLookup)(summary.tableArn, options.gapId), summary, (options.now?.() ?? new Date()).toISOString()) : undefined;
  const at = (name: string) => (folder === '' ? name : `${folder}/${name}`);
  const checkpointPath = typeof options.checkpointPath === 'function' ? options.checkpointPath(summary.exportArn) : options.checkpointPath;
  const checkpoint: Checkpoint = checkpointPath !== undefined ? readCheckpoint(checkpointPath, summary.exportArn) : { version: 1, export_arn: summary.exportArn, delivered: {} };
  const delivered = { ...checkpoint.delivered };
  const batchSize = Math.min(options.batchSize ?? MAX_RECORDS_PER_CALL, MAX_RECORDS_PER_CALL);
  let sent = 0;
  let skipped = 0;
  let failed = 0;
  let done = 0;

  for (let f = 0; f < files.length && failed === 0; f++) {
    const entry = files[f] as DataFileEntry;
    const where = store.describe(at(entry.relativePath));
    const already = Math.min(delivered[entry.dataFileS3Key] ?? 0, entry.itemCount);
    skipped += already;
    done += already;
    let batch: ChangeRecord[] = [];
    let batchStart = already;
    let stopped = false;
    const flush = async (): Promise<void> => {
      if (batch.length === 0 || stopped) return;
      options.onRecords?.(batch);
      if (options.deliver !== undefined) {
        const undelivered = await options.deliver(batch);
        if (undelivered.length > 0) {
          // Everything before the first undelivered item is in; the rest of the batch goes again on resume.
          const first = Math.min(...undelivered);
          failed = batch.length - first;
          sent += first;
          record(entry, batchStart + first);
          stopped = true;
          return;
        }
        record(entry, batchStart + batch.length);
      }
      sent += batch.length;
      done += batch.length;
      batchStart += batch.length;
      batch = [];
      options.onProgress?.({ items: done, total: summary.itemCount, file: f + 1, files: files.length });
    };
    const record = (e: DataFileEntry, lines: number) => {
      delivered[e.dataFileS3Key] = lines;
      if (checkpointPath !== undefined) writeCheckpoint(checkpointPath, { version: 1, export_arn: summary.exportArn, delivered });
    };
    if (already >= entry.itemCount) continue;
    const processedAt = (options.now?.() ?? new Date()).toISOString();
    const read = await readFile(store, at(entry.relativePath), where, async (line, index) => {
      if (index < already || stopped) return;
      batch.push(snapshotRecord(line, index, where, summary, options, processedAt));
      if (batch.length >= batchSize) await flush();
    });
    await flush();
    if (!stopped) checkDataFile(entry, read, `${where} (read again to send)`);
  }
  // The gap is filled only once the whole export is in the log: after a failure the re-run (which
  // resumes) writes it. A completed re-run sends it again: same event_id and record_hash.
  let gapSent = false;
  if (gapRow !== undefined && failed === 0) {
    options.onRecords?.([gapRow]);
    gapSent = options.deliver === undefined || (await options.deliver([gapRow])).length === 0;
  }
  return { export: store.describe(folder), exportArn: summary.exportArn, tableArn: summary.tableArn, exportTime: summary.exportTime, items: summary.itemCount, files: files.length, sent, skipped, failed, ...(checkpointPath !== undefined ? { checkpoint: checkpointPath } : {}), ...(gapRow !== undefined ? { filledGap: { gapId: options.gapId as string, eventId: gapRow.event_id as string, sent: gapSent } } : {}) };
}
