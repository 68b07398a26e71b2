/**
 * Whether each source is fully covered for the period, and the verdict over all of them, from the
 * rows `buildCoverage` makes (report.ts). Pure.
 *
 * Three statuses, so that nothing unchecked passes for clean:
 *  - `problem`: something is known to be missing or wrong: a gap NOT FILLED, failure batches not
 *    replayed, error records (changes the collector could not normalize), or the watch found the
 *    stream unhealthy.
 *  - `unverified`: nothing is known to be missing, but something could not be checked: no watch
 *    state or the source is not in it (or its health is unknown), the failure bucket was not looked
 *    at, the log holds no row of the source in the period, or the source is not onboarded in cdk.json.
 *  - `covered`: every check ran and none found anything.
 */
import type { CoverageRow } from './report';

export type SourceStatus = 'problem' | 'unverified' | 'covered';

export interface SourceAssessment {
  readonly status: SourceStatus;
  /** Why, in the order a person should act on them; empty only when covered. */
  readonly reasons: readonly string[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The watch's health of the stream: buildCoverage writes streamStatus as `<health>: …` or `unknown (…)`. */
export function streamHealthOf(row: Pick<CoverageRow, 'streamStatus'>): 'healthy' | 'unhealthy' | 'unknown' {
  if (row.streamStatus.startsWith('healthy:')) return 'healthy';
  if (row.streamStatus.startsWith('unhealthy:')) return 'unhealthy';
  return 'unknown';
}

export function assessSource(row: CoverageRow): SourceAssessment {
  const problems: string[] = [];
  const unchecked: string[] = [];
  const unfilled = row.gaps.filter((g) => !g.filled).length;
  if (unfilled > 0) problems.push(`${plural(unfilled, 'gap')} NOT FILLED`);
  if (row.unreplayedBatches !== null && row.unreplayedBatches > 0) problems.push(`${plural(row.unreplayedBatches, 'failure batch', 'failure batches')} not replayed`);
  if (row.errorRecords > 0) problems.push(plural(row.errorRecords, 'error record'));
  const health = streamHealthOf(row);
  if (health === 'unhealthy') problems.push('stream unhealthy');
  if (health === 'unknown') unchecked.push('stream status unknown');
  if (row.unreplayedBatches === null) unchecked.push('failure bucket not checked');
  if (row.firstRowAt === null) unchecked.push('no rows in the period');
  if (!row.onboarded) unchecked.push('not onboarded in cdk.json');
  const status: SourceStatus = problems.length > 0 ? 'problem' : unchecked.length > 0 ? 'unverified' : 'covered';
  return { status, reasons: [...problems, ...unchecked] };
}

export interface CoverageVerdict {
  readonly sources: number;
  readonly covered: number;
  readonly problems: number;
  readonly unverified: number;
  readonly gaps: number;
  readonly unfilledGaps: number;
  /** null when the failure bucket was not checked. */
  readonly unreplayedBatches: number | null;
  readonly errorRecords: number;
  /** The one line a person reads first, e.g. "3 of 5 sources fully covered; 1 gap not filled". */
  readonly headline: string;
}

export function coverageVerdict(rows: readonly CoverageRow[]): CoverageVerdict {
  const statuses = rows.map((r) => assessSource(r).status);
  const count = (s: SourceStatus) => statuses.filter((x) => x === s).length;
  const gaps = rows.reduce((n, r) => n + r.gaps.length, 0);
  const unfilledGaps = rows.reduce((n, r) => n + r.gaps.filter((g) => !g.filled).length, 0);
  const checked = rows.length > 0 && rows.every((r) => r.unreplayedBatches !== null);
  const unreplayedBatches = checked ? rows.reduce((n, r) => n + (r.unreplayedBatches ?? 0), 0) : null;
  const errorRecords = rows.reduce((n, r) => n + r.errorRecords, 0);
  const v = { sources: rows.length, covered: count('covered'), problems: count('problem'), unverified: count('unverified'), gaps, unfilledGaps, unreplayedBatches, errorRecords };
  const parts = [`${v.covered.toLocaleString('en-US')} of ${plural(v.sources, 'source')} fully covered`, `${plural(unfilledGaps, 'gap')} not filled`];
  if (unreplayedBatches === null) parts.push('failure batches not checked');
  else if (unreplayedBatches > 0) parts.push(`${plural(unreplayedBatches, 'failure batch', 'failure batches')} not replayed`);
  if (errorRecords > 0) parts.push(plural(errorRecords, 'error record'));
  if (v.problems > 0) parts.push(`${plural(v.problems, 'source')} with problems`);
  if (v.unverified > 0) parts.push(`${plural(v.unverified, 'source')} not fully checked`);
  return { ...v, headline: parts.join('; ') };
}
