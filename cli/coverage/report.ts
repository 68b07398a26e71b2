/**
 * `ddb-audit coverage`: one row per onboarded source, from the log itself (the bundled query
 * source-coverage, on DuckDB or Athena) plus what the log cannot know:
 *  - the watch's current view of each stream (its state object, lambda/watch/watch-state.ts);
 *  - discarded batches in the failure bucket whose changes are not in the log yet (not replayed).
 * Pure: the rows, the state and the failure batches come in; the report goes out.
 *
 * Nothing empty passes for clean: an onboarded source with no row in the period is reported as
 * "no rows", a missing watch state as "unknown (no watch state)", and failure batches not looked at
 * as "not checked".
 */
import { parseStreamArn } from '../../lambda/core/stream-arn';
import type { WatchState } from '../../lambda/watch/watch-state';
import type { FailedBatch } from '../replay/failure-records';

/** The bundled query (athena-queries/source-coverage.sql) whose rows buildCoverage reads. */
export const COVERAGE_QUERY = 'source-coverage';

export interface CoverageGap {
  readonly gapId: string;
  readonly state: string;
  readonly oldStreamArn: string | null;
  readonly newStreamArn: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly filled: boolean;
  readonly filledBy: string | null;
}

export interface CoverageRow {
  readonly accountId: string;
  readonly tableName: string;
  readonly tableArn: string | null;
  readonly onboarded: boolean;
  readonly firstRowAt: string | null;
  readonly baselineExportAt: string | null;
  readonly firstChangeAt: string | null;
  readonly lastChangeAt: string | null;
  readonly changes: number;
  readonly errorRecords: number;
  readonly gaps: CoverageGap[];
  /** null: the failure bucket was not looked at. */
  readonly unreplayedBatches: number | null;
  /** The watch's view: health, stream status and when it was checked; "unknown (no watch state)" without one. */
  readonly streamStatus: string;
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** `replayed(batch)`: whether every change of the batch is in the log. */
export function buildCoverage(
  queryRows: readonly Record<string, unknown>[],
  onboardedStreamArns: readonly string[],
  watchState: WatchState | null,
  failures: { batches: readonly FailedBatch[]; replayed: (batch: FailedBatch) => boolean } | null,
): CoverageRow[] {
  const key = (account: string, table: string) => `${account}\n${table}`;
  const tableArnOf = new Map<string, string>();
  for (const arn of onboardedStreamArns) {
    const p = parseStreamArn(arn);
    if (p) tableArnOf.set(key(p.accountId, p.tableName), p.tableArn);
  }
  const sources = new Map<string, Record<string, unknown>>();
  const gaps = new Map<string, CoverageGap[]>();
  for (const row of queryRows) {
    const k = key(String(row.account_id), String(row.table_name));
    if (row.row_kind === 'source') sources.set(k, row);
    else if (row.row_kind === 'gap') {
      gaps.set(k, [
        ...(gaps.get(k) ?? []),
        { gapId: String(row.gap_id), state: String(row.gap_state), oldStreamArn: text(row.old_stream_arn), newStreamArn: text(row.new_stream_arn), from: text(row.gap_from), to: text(row.gap_to), filled: row.gap_filled === true, filledBy: text(row.filled_by) },
      ]);
    }
  }
  const unreplayed = new Map<string, number>();
  if (failures) {
    for (const batch of failures.batches) {
      const p = parseStreamArn(batch.batch.streamArn);
      const k = p ? key(p.accountId, p.tableName) : key('unknown', 'unknown');
      if (!failures.replayed(batch)) unreplayed.set(k, (unreplayed.get(k) ?? 0) + 1);
    }
  }
  const keys = [...new Set([...tableArnOf.keys(), ...sources.keys(), ...gaps.keys(), ...unreplayed.keys()])].sort();
  return keys.map((k) => {
    const [accountId, tableName] = k.split('\n') as [string, string];
    const row = sources.get(k);
    const tableArn = tableArnOf.get(k) ?? null;
    const watched = tableArn ? watchState?.sources[tableArn] : undefined;
    const streamStatus = watchState === null ? 'unknown (no watch state)' : watched ? `${watched.health}: stream ${watched.streamStatus}, mapping ${watched.mappingState}${watched.problems.length ? ` (${watched.problems.join(', ')})` : ''}, checked ${watched.checkedAt}` : 'unknown (not in the watch state)';
    return {
      accountId,
      tableName,
      tableArn,
      onboarded: tableArn !== null,
      firstRowAt: text(row?.first_row_at),
      baselineExportAt: text(row?.baseline_export_at),
      firstChangeAt: text(row?.first_change_at),
      lastChangeAt: text(row?.last_change_at),
      changes: Number(row?.changes ?? 0),
      errorRecords: Number(row?.error_records ?? 0),
      gaps: gaps.get(k) ?? [],
      unreplayedBatches: failures ? (unreplayed.get(k) ?? 0) : null,
      streamStatus,
    };
  });
}

/** The table a person reads: one line per source, then its gaps indented beneath. */
export function renderCoverage(rows: readonly CoverageRow[], period: { from: string; to: string }): string {
  const lines = [`Coverage ${period.from} .. ${period.to} (UTC), ${rows.length} source${rows.length === 1 ? '' : 's'}:`];
  for (const r of rows) {
    const unfilled = r.gaps.filter((g) => !g.filled).length;
    lines.push(
      '',
      `${r.accountId}/${r.tableName}${r.onboarded ? '' : '  (not onboarded in cdk.json)'}`,
      `  first row in period:  ${r.firstRowAt ?? 'no rows in the period'}`,
      `  baseline export:      ${r.baselineExportAt ?? 'none'}`,
      `  changes seen:         ${r.changes} (first ${r.firstChangeAt ?? '-'}, last ${r.lastChangeAt ?? '-'})`,
      `  error records:        ${r.errorRecords}`,
      `  gaps:                 ${r.gaps.length}${r.gaps.length ? ` (${unfilled} not filled)` : ''}`,
      ...r.gaps.map((g) => `    ${g.gapId}  ${g.state}${g.filled ? ` (filled by ${g.filledBy ?? '?'})` : ' NOT FILLED'}  from ${g.from ?? 'unknown (before the watch first saw the stream)'} to ${g.to ?? 'open'}  ${g.oldStreamArn ?? '?'} -> ${g.newStreamArn ?? '(no new stream yet)'}`),
      `  unreplayed batches:   ${r.unreplayedBatches ?? 'not checked (pass --failures)'}`,
      `  stream status:        ${r.streamStatus}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
