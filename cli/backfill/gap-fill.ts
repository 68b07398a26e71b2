/**
 * The gap a backfill fills (`ddb-audit backfill --gap-id ID`): its rows read back from the log,
 * checked against the export, and the one `state = 'filled'` gap row (op 'g', built by the watch's
 * own gapRecord, lambda/watch/gap-record.ts) that the backfill appends after every snapshot row of
 * the export was delivered (docs/completeness.md, "Filling a gap").
 *
 * Why the gap is read from the log and not taken on trust: the filled row must carry the gap's
 * bounds and streams, which only the watch's rows know; and a mistyped or foreign id would otherwise
 * write a phantom "filled" gap that an auditor would read as a hole once open and now closed.
 *
 * Refused (ExportRefusedError, exit 2, nothing sent), each with one line naming what is wrong:
 *  - no gap row with this id in the export's table partition (account, table name);
 *  - rows of another table (same account and table name in another region share the partition);
 *  - rows whose gap_id is not gapIdOf(table_arn, old_stream_arn), i.e. not written by the watch;
 *  - a gap not closed yet: its end (gap_to) is unknown until the mapping reads the new stream;
 *  - an export taken before gap_to: the changes between its time and gap_to would still be missing.
 *    A full export "will be a snapshot of the table's state at this point in time" (ExportTime,
 *    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html),
 *    and from gap_to on the mapping reads the new stream; so an export at or after gap_to leaves no
 *    seam, one before it does. (Any time inside the point-in-time recovery window can be exported,
 *    same page, so an export at gap_to can still be taken after the gap closed.)
 *
 * The filled row is deterministic per gap and export, so a re-run de-duplicates on event_id
 * (`gap/<gap_id>/filled/<sha256(export ARN)[0:16]>`) and record_hash: its bounds come from the gap's
 * closed row, and its event_time is the later of the export time and 1 ms after that row's
 * event_time, so it is the gap's newest row (source-coverage takes a gap's state from its newest
 * row) and its dt is fixed.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { gapIdOf, gapRecord, GAP_OP, type GapImage } from '../../lambda/watch/gap-record';
import { runQuery } from '../query';
import type { AthenaDeps, AthenaTarget } from '../query/athena-engine';
import { queryableFiles } from '../query/duckdb-engine';
import { ExportRefusedError, type ExportSummary } from './manifest';

/** One gap row as the log holds it. */
export interface LoggedGapRow {
  /** The row's event_time, ISO-8601 UTC. */
  readonly eventTime: string;
  readonly image: GapImage;
}

/** Reads every gap row (op 'g') with this gap id from the partition of the export's table. */
export type GapLookup = (tableArn: string, gapId: string) => Promise<readonly LoggedGapRow[]>;

/** Where the log is: a local data folder (DuckDB over its Parquet), or Athena. */
export type GapLogTarget = { readonly dataDir: string } | { readonly athena: AthenaTarget };

const TABLE_ARN = /^arn:[a-z-]+:dynamodb:[a-z0-9-]+:(\d{12}):table\/([A-Za-z0-9_.-]{3,255})$/;

/**
 * Before any gap row: DynamoDB was launched in January 2012, so every row of a table's gap has a
 * later dt. The bundled query needs a dt range (its partition predicate); this one is every day.
 */
const FIRST_DAY = '2012-01-01';

/**
 * A lookup through the bundled query item-history: a gap is an item of its table whose key is
 * {"gap_id": "…"} (docs/coverage.md, "Gaps"), so its rows are that item's history. Rows of another
 * op (a source table whose own key attribute is called gap_id) are not gap rows and are dropped.
 *
 * `athena`: the Athena client and polling (the command passes a client built with its --region,
 * athenaClient in cli/query/athena-engine.ts).
 */
export function logGapLookup(target: GapLogTarget, now: () => Date = () => new Date(), athena?: AthenaDeps): GapLookup {
  return async (tableArn, gapId) => {
    const table = TABLE_ARN.exec(tableArn);
    if (!table) throw new ExportRefusedError(`${tableArn} is not a table ARN`);
    // The day after today: a row written just now by a clock slightly ahead is still in range.
    const to = new Date(now().getTime() + 86_400_000).toISOString().slice(0, 10);
    const params = { from: FIRST_DAY, to, account_id: table[1] as string, table_name: table[2] as string, item_key: JSON.stringify({ gap_id: gapId }) };
    // A folder with no change-log files is not a log without this gap: say which it is.
    if ('dataDir' in target && (await queryableFiles(target.dataDir)).length === 0) throw new ExportRefusedError(`--data ${target.dataDir} holds no change-log Parquet files: give the folder the pipeline writes (as for ddb-audit coverage --data)`);
    const result = 'dataDir' in target ? await runQuery({ name: 'item-history', params, dataDir: target.dataDir }) : await runQuery({ name: 'item-history', params, athena: target.athena }, athena ? { athena } : {});
    return result.rows.filter((r) => r.op === GAP_OP).map((r) => ({ eventTime: String(r.event_time), image: parseGapImage(r.new_image) }));
  };
}

function parseGapImage(text: unknown): GapImage {
  try {
    const image = JSON.parse(String(text)) as GapImage;
    if (image !== null && typeof image === 'object') return image;
  } catch {
    // refused below
  }
  throw new ExportRefusedError(`a gap row's new_image is not the gap's JSON fields: ${String(text).slice(0, 80)}`);
}

/**
 * The filled row for gap `gapId` and this export, from the gap's rows in the log; refuses (see the
 * header) when the gap is not one this export can fill.
 */
export function filledGapRow(gapId: string, rows: readonly LoggedGapRow[], summary: Pick<ExportSummary, 'exportArn' | 'tableArn' | 'exportTime'>, processedAt: string): ChangeRecord {
  const named = `--gap-id ${gapId}`;
  if (rows.length === 0) throw new ExportRefusedError(`${named}: the log has no gap row (op g) of ${summary.tableArn} with this id; \`npx ddb-audit coverage\` lists each table's gaps and their ids`);
  for (const { image } of rows) {
    if (image.table_arn !== summary.tableArn) throw new ExportRefusedError(`${named} is a gap of ${String(image.table_arn)}, not of the export's table ${summary.tableArn}`);
    if (typeof image.old_stream_arn !== 'string' || gapIdOf(image.table_arn, image.old_stream_arn) !== gapId) {
      throw new ExportRefusedError(`${named}: a gap row of ${summary.tableArn} does not derive this id from its table and old stream (${String(image.old_stream_arn)}); it was not written by the stream watch`);
    }
  }
  // The first closed row (the watch writes one per gap; a re-delivery is an identical copy).
  const closed = rows.filter((r) => r.image.state === 'closed' && typeof r.image.gap_to === 'string').sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0))[0];
  if (closed === undefined) {
    throw new ExportRefusedError(`${named} is still open (no closed row, so its end is unknown): run the command the watch names (\`npx ddb-audit sources rotate\`, then deploy), wait for the watch to close the gap, then export and backfill`);
  }
  const gap = closed.image;
  const gapTo = gap.gap_to as string;
  if (Date.parse(summary.exportTime) < Date.parse(gapTo)) {
    throw new ExportRefusedError(`${named} ends at ${gapTo}, after the export's time ${summary.exportTime}: the changes between them would still be missing; export the table again (its export time at or after ${gapTo})`);
  }
  // Strictly after the closed row: source-coverage's state is max_by(state, event_time), and a tie
  // would let either row win.
  const afterClosed = Date.parse(closed.eventTime) + 1;
  const at = afterClosed > Date.parse(summary.exportTime) ? new Date(afterClosed).toISOString() : summary.exportTime;
  return gapRecord(
    { gapId, tableArn: gap.table_arn, oldStreamArn: gap.old_stream_arn, newStreamArn: gap.new_stream_arn, from: gap.gap_from, to: gapTo, detectedAt: gap.detected_at, state: 'filled', at, filledBy: summary.exportArn },
    processedAt,
  );
}
