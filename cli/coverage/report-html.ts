/**
 * `ddb-audit coverage --html FILE`: the coverage report as one page a person would rather look at
 * than read. At the top the verdict ("N of M sources fully covered; K gaps not filled"); then what
 * was checked (the period, the log, the onboarded list, the watch state, the failure bucket); then
 * one row per source with its status as a word AND a colour (never colour alone): PROBLEM, NOT FULLY
 * CHECKED or COVERED, with the reasons (verdict.ts), its first row in the period, baseline export,
 * first and last change, gaps with their bounds and FILLED or NOT FILLED, unreplayed failure
 * batches, error records and the watch's stream status.
 *
 * Self-contained and inert like evidence's report.html: the CSP head, the base styles and the
 * escaping are the same module (cli/html-page.ts). Table names, ARNs, gap ids, the stream status
 * and the paths are untrusted (cdk.json, the log, the watch state, the command line) and are
 * written only through `val`.
 *
 * Size at 10,000 sources: the page lists at most MAX_SOURCES_LISTED sources, problems first, then
 * the ones not fully checked, then the covered ones, and at most MAX_GAPS_LISTED gaps per source
 * (unfilled first); the rest are counted in one line, and `--format json` has every row. So the
 * page stays under about a megabyte whatever the number of sources; the verdict counts them all.
 */
import { BASE_STYLE, fmt, html, PRINT_STYLE, renderPage, section, val } from '../html-page';
import type { CoverageGap, CoverageRow } from './report';
import { assessSource, coverageVerdict, type SourceStatus } from './verdict';

/** Sources listed on the page; the rest are counted in one line (all in --format json). */
export const MAX_SOURCES_LISTED = 200;
/** Gaps listed per source; the rest are counted in one line. */
export const MAX_GAPS_LISTED = 5;

export interface CoverageReportContext {
  readonly period: { readonly from: string; readonly to: string };
  readonly createdAt: string;
  readonly tool: { readonly version: string; readonly gitCommit: string };
  /** Where the log was read, e.g. "DuckDB over /data" or "Athena, workgroup audit". */
  readonly logSource: string;
  /** The cdk.json whose sources are listed; null with --no-config. */
  readonly onboardedFrom: string | null;
  /** The watch state read, and its updatedAt; null when there was none. */
  readonly watchState: { readonly location: string; readonly updatedAt: string } | null;
  /** The local copy of the failure bucket; null when not checked. */
  readonly failures: string | null;
}

const STATUS_ORDER: Record<SourceStatus, number> = { problem: 0, unverified: 1, covered: 2 };
const STATUS_LABEL: Record<SourceStatus, string> = { problem: 'PROBLEM', unverified: 'NOT FULLY CHECKED', covered: 'COVERED' };

export function renderCoverageHtml(rows: readonly CoverageRow[], context: CoverageReportContext): string {
  const { from, to } = context.period;
  const title = `Coverage: ${from} to ${to}`;
  const assessed = rows.map((row) => ({ row, ...assessSource(row) }));
  // Stable: within a status, the order buildCoverage gives (account, then table).
  const sorted = assessed.map((a, i) => ({ a, i })).sort((x, y) => STATUS_ORDER[x.a.status] - STATUS_ORDER[y.a.status] || x.i - y.i).map(({ a }) => a);
  return renderPage(title, STYLE, [
    `<p class="meta">Created ${val(context.createdAt)} by ddb-audit ${val(context.tool.version)} (git commit <code>${val(context.tool.gitCommit)}</code>).</p>`,
    verdictBlock(rows),
    checkedSection(context),
    sourcesSection(sorted),
    notesSection(),
  ]);
}

function verdictBlock(rows: readonly CoverageRow[]): string {
  const v = coverageVerdict(rows);
  const status: SourceStatus = v.problems > 0 ? 'problem' : v.unverified > 0 ? 'unverified' : 'covered';
  const word = status === 'problem' ? 'INCOMPLETE' : status === 'unverified' ? 'NOT FULLY CHECKED' : 'COMPLETE';
  return [
    `<div id="verdict" class="verdict status-${status}" data-status="${status}">`,
    `<p class="verdict-word">${word}</p>`,
    `<p class="verdict-line" id="verdict-line">${val(v.headline)}.</p>`,
    '<ul class="tally">',
    `<li><span class="badge status-problem">PROBLEM</span> <span id="count-problem">${fmt(v.problems)}</span></li>`,
    `<li><span class="badge status-unverified">NOT FULLY CHECKED</span> <span id="count-unverified">${fmt(v.unverified)}</span></li>`,
    `<li><span class="badge status-covered">COVERED</span> <span id="count-covered">${fmt(v.covered)}</span></li>`,
    `<li>gaps: ${fmt(v.gaps)} (${fmt(v.unfilledGaps)} not filled)</li>`,
    `<li>unreplayed failure batches: ${v.unreplayedBatches === null ? 'not checked' : fmt(v.unreplayedBatches)}</li>`,
    `<li>error records: ${fmt(v.errorRecords)}</li>`,
    '</ul>',
    '</div>',
  ].join('\n');
}

function checkedSection(c: CoverageReportContext): string {
  return section('checked', 'What was checked', [
    '<dl>',
    `<dt>Period</dt><dd>${val(c.period.from)} to ${val(c.period.to)} (UTC days, inclusive)</dd>`,
    `<dt>Change log</dt><dd>${val(c.logSource)}, bundled query <code>source-coverage</code></dd>`,
    `<dt>Onboarded sources</dt><dd>${c.onboardedFrom === null ? 'not read (--no-config): a source with no row in the period is not shown' : `<code>${val(c.onboardedFrom)}</code>: a source with no row in the period is shown as such`}</dd>`,
    `<dt>Stream status</dt><dd>${c.watchState === null ? 'no watch state: every stream status is unknown' : `the watch state <code>${val(c.watchState.location)}</code>, updated ${val(c.watchState.updatedAt)}`}</dd>`,
    `<dt>Failure batches</dt><dd>${c.failures === null ? 'not checked (pass --failures DIR, a local copy of the failure bucket)' : `<code>${val(c.failures)}</code>: a batch counts as replayed only when every one of its changes is in the log`}</dd>`,
    '</dl>',
  ]);
}

function gapLine(g: CoverageGap): string {
  const fill = g.filled ? `<span class="badge status-covered">FILLED</span> by <code>${val(g.filledBy ?? '?')}</code>` : '<span class="badge status-problem">NOT FILLED</span>';
  const bounds = `from <span class="ts">${g.from === null ? 'unknown (before the watch first saw the stream)' : val(g.from)}</span> to <span class="ts">${g.to === null ? 'open' : val(g.to)}</span>`;
  return `<li class="gap ${g.filled ? 'filled' : 'unfilled'}">${fill} ${val(g.state)}, ${bounds}<br>gap <code>${val(g.gapId)}</code>: stream <code>${val(g.oldStreamArn ?? '?')}</code> → <code>${val(g.newStreamArn ?? '(no new stream yet)')}</code></li>`;
}

/** The gaps of one source, unfilled first, at most MAX_GAPS_LISTED. */
function gapList(gaps: readonly CoverageGap[]): string {
  const ordered = [...gaps.filter((g) => !g.filled), ...gaps.filter((g) => g.filled)];
  const shown = ordered.slice(0, MAX_GAPS_LISTED).map(gapLine);
  if (ordered.length > MAX_GAPS_LISTED) shown.push(`<li class="more">… ${fmt(ordered.length - MAX_GAPS_LISTED)} more gap(s), all in --format json</li>`);
  return `<ul class="gaps">${shown.join('')}</ul>`;
}

function gapsCount(gaps: readonly CoverageGap[]): string {
  const unfilled = gaps.filter((g) => !g.filled).length;
  if (gaps.length === 0) return 'none';
  return `${fmt(gaps.length)}${unfilled > 0 ? `<br><span class="badge status-problem">${fmt(unfilled)} NOT FILLED</span>` : '<br>all filled'}`;
}

const or = (value: string | null, none: string): string => (value === null ? `<span class="none">${none}</span>` : `<span class="ts">${val(value)}</span>`);

/** What the log holds of the source: its first row (the nearest the log has to "onboarded since"), baseline export, changes. */
function logCell(r: CoverageRow): string {
  return [
    `<div><span class="k">first row</span> ${or(r.firstRowAt, 'no rows in the period')}</div>`,
    `<div><span class="k">baseline export</span> ${or(r.baselineExportAt, 'none')}</div>`,
    `<div><span class="k">changes</span> ${fmt(r.changes)}</div>`,
    r.changes > 0 ? `<div><span class="k">first</span> ${or(r.firstChangeAt, '-')}</div><div><span class="k">last</span> ${or(r.lastChangeAt, '-')}</div>` : '',
  ].join('');
}

function sourcesSection(sorted: readonly ({ row: CoverageRow } & ReturnType<typeof assessSource>)[]): string {
  const shown = sorted.slice(0, MAX_SOURCES_LISTED);
  const heads = ['Status', 'Source', 'In the log (first row = onboarded since)', 'Gaps', 'Unreplayed failure batches', 'Error records', "Stream status (the watch's view)"];
  const lines = [
    `<p>${fmt(sorted.length)} source(s), problems first, then those not fully checked, then the covered ones. Each source's gaps are listed beneath it.</p>`,
    '<table id="sources">',
    `<thead><tr>${heads.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  ];
  for (const { row: r, status, reasons } of shown) {
    lines.push(
      [
        `<tr class="source" data-status="${status}">`,
        `<td class="status"><span class="badge status-${status}">${STATUS_LABEL[status]}</span>${reasons.length ? `<ul class="reasons">${reasons.map((x) => `<li>${val(x)}</li>`).join('')}</ul>` : ''}</td>`,
        `<td class="source-name"><span class="account">${val(r.accountId)}</span> / <strong class="table">${val(r.tableName)}</strong>${r.tableArn === null ? '<br><span class="none">not onboarded in cdk.json</span>' : `<br><code class="arn">${val(r.tableArn)}</code>`}</td>`,
        `<td class="log">${logCell(r)}</td>`,
        `<td class="num">${gapsCount(r.gaps)}</td>`,
        `<td class="num">${r.unreplayedBatches === null ? '<span class="none">not checked</span>' : fmt(r.unreplayedBatches)}</td>`,
        `<td class="num">${fmt(r.errorRecords)}</td>`,
        `<td class="stream">${val(r.streamStatus)}</td>`,
        '</tr>',
      ].join(''),
    );
    if (r.gaps.length > 0) lines.push(`<tr class="gap-detail" data-status="${status}"><td class="status"></td><td colspan="${heads.length - 1}">${gapList(r.gaps)}</td></tr>`);
  }
  if (sorted.length > shown.length) {
    const rest = sorted.slice(MAX_SOURCES_LISTED);
    const n = (s: SourceStatus) => rest.filter((x) => x.status === s).length;
    lines.push(`<tr class="more"><td colspan="${heads.length}">… ${fmt(rest.length)} more source(s) not listed (${fmt(n('problem'))} PROBLEM, ${fmt(n('unverified'))} NOT FULLY CHECKED, ${fmt(n('covered'))} COVERED): the same command with <code>--format json</code> prints every source</td></tr>`);
  }
  lines.push('</tbody></table>');
  return section('sources', 'Sources', lines);
}

function notesSection(): string {
  return section('notes', 'What this page is', [
    '<p>This page is a report, not evidence: it is not signed. The log’s part of it (the rows of the bundled query source-coverage) is signed by:</p>',
    `<pre>${html('npx ddb-audit evidence export --query source-coverage --param from=FROM --param to=TO --out DIR --sign-key KEY.pem')}</pre>`,
    '<p class="note">The watch’s stream status and the failure bucket are not in the log, so no package can sign them. The first row in the period stands for “onboarded since”: the log does not hold the config’s history.</p>',
  ]);
}

// Status colours with their words beside them (never colour alone): red PROBLEM, amber NOT FULLY
// CHECKED, green COVERED; each badge is dark text on a light fill of its colour (contrast not measured).
const STYLE = `${BASE_STYLE}.verdict { margin: 12px 0 8px; padding: 12px 16px; border-left: 6px solid; }
.verdict p { margin: 0; }
.verdict-word { font-size: 20px; font-weight: 700; letter-spacing: 0.02em; }
.verdict-line { font-size: 17px; }
.tally { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 20px; font-size: 14px; }
.status-problem { border-color: #cf222e; background: #ffebe9; color: #82071e; }
.status-unverified { border-color: #bf8700; background: #fff8c5; color: #6a4a00; }
.status-covered { border-color: #1a7f37; background: #dafbe1; color: #0a4e1e; }
.verdict.status-problem, .verdict.status-unverified, .verdict.status-covered { color: var(--ink); }
.badge { display: inline-block; padding: 0 6px; border: 1px solid; border-radius: 3px; font-size: 12px; font-weight: 700; white-space: nowrap; }
#sources { width: 100%; font-size: 13px; }
#sources th, #sources td { overflow-wrap: normal; }
#sources td.status { width: 170px; }
#sources td.source-name { width: 190px; }
#sources td.log { width: 250px; }
#sources td.stream { width: 200px; }
#sources td.stream, #sources code { overflow-wrap: anywhere; }
#sources tr.gap-detail td { border-top: none; }
.ts { white-space: nowrap; font-variant-numeric: tabular-nums; font-size: 12px; }
.k { color: var(--muted); }
#sources td.status { border-left: 6px solid; }
#sources tr[data-status="problem"] td.status { border-left-color: #cf222e; background: #fff5f4; }
#sources tr[data-status="unverified"] td.status { border-left-color: #bf8700; background: #fffcea; }
#sources tr[data-status="covered"] td.status { border-left-color: #1a7f37; background: #f3fcf5; }
ul.reasons, ul.gaps { margin: 4px 0 0; padding-left: 16px; }
ul.gaps { padding-left: 0; list-style: none; }
li.gap { margin: 2px 0 6px; }
.none { color: var(--muted); font-style: italic; }
.arn { font-size: 11px; color: var(--muted); }
${PRINT_STYLE}`;
