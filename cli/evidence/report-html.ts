/**
 * report.html: the evidence package as one page a person would rather look at than read: what was
 * asked, the period, the partitions, the counts per account, table, operation and actor, a
 * change-volume chart, the fingerprints and how to verify the package.
 *
 * Self-contained and inert, with every untrusted value (e.g. an actor `<script>`) written as text
 * through `val`: the head, the CSP and the escaping are shared with coverage's page
 * (cli/html-page.ts, which says why). The chart is inline SVG whose numbers are all computed here.
 *
 * The page is one of the package's files: it is listed in manifest.json with its SHA-256 and so
 * covered by the signature like the others. It therefore cannot show manifest.json's own hash; it
 * shows the signing key's fingerprint and the SHA-256 of every file written before it.
 *
 * Size: every list is capped (MAX_LISTED entries, the rest counted in one line and complete in
 * manifest.json or rows.jsonl) and the chart has at most one point per day of its period
 * (change-volume.ts), so the page does not grow with the number of sources.
 */
import { opensslVerifyCommand } from '../../lambda/digest/signing';
import { BASE_STYLE, fmt, html, PRINT_STYLE, renderPage, section, val } from '../html-page';
import { changeVolume, HOURLY_MAX_DAYS, MAX_DAILY_POINTS, VolumeSeries } from './change-volume';
import { EvidenceManifest, ManifestFile, MANIFEST_FILE, PUBLIC_KEY_FILE, REPORT_FILE, SIGNATURE_FILE } from './manifest';
import type { ExportValue } from './values';
import { buildCoverage, COVERAGE_QUERY } from '../coverage/report';

/** Entries shown per list (partitions, accounts, tables, actors); the rest are counted in one line. */
export const MAX_LISTED = 100;

export interface ReportInput {
  /** The manifest without `files` (the report is itself one of them). */
  readonly manifest: Omit<EvidenceManifest, 'files'>;
  /** The files written before the report, with their hashes. */
  readonly files: readonly ManifestFile[];
  readonly rows: readonly Record<string, ExportValue>[];
}

/** Re-exported: the escaping every page uses (cli/html-page.ts). */
export { val };

export function renderReportHtml(input: ReportInput): string {
  const m = input.manifest;
  const title = `Evidence package: ${m.query.name}`;
  const unavailable = attributionUnavailableBox(m);
  const sections = [
    header(m),
    ...(unavailable === '' ? [] : [unavailable]),
    ...(m.query.name === COVERAGE_QUERY ? [coverageSection(input.rows)] : []),
    askedSection(m),
    periodSection(m, input.rows),
    countsSection(m, input.rows),
    partitionsSection(m),
    fingerprintSection(m, input.files),
    verifySection(m),
  ];
  // The box's rule is added only with the box, so a page without it is byte for byte what it was.
  return renderPage(title, unavailable === '' ? STYLE : `${STYLE}${UNAVAILABLE_STYLE}`, sections);
}

/** Accounts/regions (and query warnings) shown in the attribution box; the rest are counted, complete in manifest.json. */
export const UNAVAILABLE_SHOWN = 50;

/**
 * Where attribution was unavailable for want of CloudTrail input, as summary.md and the manifest
 * (cloudtrail_input.attribution_unavailable and .warnings) say it: right under the header, so an
 * empty or caller-less answer is not read as "nobody made these changes". Every value is escaped
 * (an account or region comes from the rows; a warning quotes parameters); '' when there is nothing
 * to say, and then the page is unchanged.
 */
function attributionUnavailableBox(m: ReportInput['manifest']): string {
  const input = m.cloudtrail_input;
  const unavailable = input?.attribution_unavailable ?? [];
  const warnings = input?.warnings ?? [];
  if (input === undefined || (unavailable.length === 0 && warnings.length === 0)) return '';
  const items = unavailable
    .slice(0, UNAVAILABLE_SHOWN)
    .map((u) => `<li>Attribution unavailable for account <code>${val(u.account_id)}</code> region <code>${val(u.region)}</code>: no CloudTrail input (${fmt(u.rows)} row(s) say <code>cloudtrail-unavailable</code>).</li>`);
  if (unavailable.length > UNAVAILABLE_SHOWN) items.push(`<li class="more">… and ${fmt(unavailable.length - UNAVAILABLE_SHOWN)} more accounts/regions without CloudTrail input, listed in ${MANIFEST_FILE} (<code>cloudtrail_input.attribution_unavailable</code>)</li>`);
  for (const w of warnings.slice(0, UNAVAILABLE_SHOWN)) items.push(`<li>The query warned: ${val(w)}</li>`);
  if (warnings.length > UNAVAILABLE_SHOWN) items.push(`<li class="more">… and ${fmt(warnings.length - UNAVAILABLE_SHOWN)} more warnings, in ${MANIFEST_FILE} (<code>cloudtrail_input.warnings</code>)</li>`);
  return [
    '<div class="unavailable" id="attribution-unavailable" role="note">',
    `<p><strong>Principal attribution is unavailable here.</strong> <code>${val(input.table)}</code> holds no DynamoDB write event for these accounts, regions or days, so their changes name no caller because none could be looked up, not because the trail saw no call (docs/attribution.md).</p>`,
    `<ul>${items.join('')}</ul>`,
    '</div>',
  ].join('\n');
}

function header(m: ReportInput['manifest']): string {
  const status = m.result.empty
    ? '<p class="empty"><strong>No rows matched.</strong> This package is complete and valid: it is signed evidence that the query returned nothing for these parameters.</p>'
    : `<p class="lead"><strong>${fmt(m.result.row_count)}</strong> row(s) returned.</p>`;
  return [
    `<p class="meta">Created ${val(m.created_at)} by ddb-audit ${val(m.tool.version)} (git commit <code>${val(m.tool.git_commit)}</code>).</p>`,
    `<p><strong>Reason:</strong> ${m.reason === null ? '<em>(none stated)</em>' : val(m.reason)}</p>`,
    status,
  ].join('\n');
}

/**
 * For `--query source-coverage`: the verdict of the log's part of coverage, from the signed rows.
 * What is not in the log (onboarded sources without a row, the watch's stream status, unreplayed
 * failure batches) cannot be in the package; the section says so and names the command that shows it.
 */
function coverageSection(rows: ReportInput['rows']): string {
  const sources = buildCoverage(rows, [], null, null);
  const gaps = sources.flatMap((s) => s.gaps);
  const unfilled = gaps.filter((g) => !g.filled).length;
  const errors = sources.reduce((n, s) => n + s.errorRecords, 0);
  const flagged = sources.filter((s) => s.errorRecords > 0 || s.gaps.some((g) => !g.filled));
  const body = [
    `<p class="lead" id="coverage-verdict"><strong>${fmt(sources.length)}</strong> source(s) with rows in the period; ${fmt(gaps.length)} gap(s), <strong>${fmt(unfilled)} NOT FILLED</strong>; ${fmt(errors)} error record(s).</p>`,
  ];
  if (flagged.length > 0) {
    body.push('<table><caption>Sources with a gap NOT FILLED or error records</caption><thead><tr><th scope="col">Account</th><th scope="col">Table</th><th scope="col" class="num">Gaps NOT FILLED</th><th scope="col" class="num">Error records</th></tr></thead><tbody>');
    for (const s of flagged.slice(0, MAX_LISTED)) body.push(`<tr><td>${val(s.accountId)}</td><td>${val(s.tableName)}</td><td class="num">${fmt(s.gaps.filter((g) => !g.filled).length)}</td><td class="num">${fmt(s.errorRecords)}</td></tr>`);
    if (flagged.length > MAX_LISTED) body.push(`<tr class="more"><td colspan="4">… ${fmt(flagged.length - MAX_LISTED)} more (all in rows.jsonl)</td></tr>`);
    body.push('</tbody></table>');
  }
  body.push('<p class="note">This package signs what the log holds. Not in the log, so not here: onboarded sources with no row in the period, the watch’s stream status and failure batches not yet replayed. <code>npx ddb-audit coverage --from FROM --to TO --failures DIR --html FILE</code> shows them with the full verdict.</p>');
  return section('coverage', 'Coverage (the log’s part)', body);
}

function askedSection(m: ReportInput['manifest']): string {
  const params = Object.entries(m.query.params);
  const engine = m.execution.engine === 'athena' ? 'Amazon Athena' : 'DuckDB (local data folder)';
  return section('asked', 'What was asked', [
    '<dl>',
    `<dt>Query</dt><dd><code>${val(m.query.name)}</code> (${val(m.query.source_file)})</dd>`,
    `<dt>Parameters</dt><dd>${params.length === 0 ? '(none)' : params.map(([k, v]) => `<code>${val(k)}=${val(v)}</code>`).join(', ')}</dd>`,
    `<dt>Engine</dt><dd>${engine}, data source <code>${val(m.execution.data_source)}</code></dd>`,
    `<dt>Execution</dt><dd><code>${val(m.execution.execution_id)}</code>, from ${val(m.execution.started_at)} to ${val(m.execution.ended_at)}</dd>`,
    '</dl>',
    `<details><summary>The exact SQL executed</summary><pre class="sql">${html(m.query.sql)}</pre></details>`,
  ]);
}

function periodSection(m: ReportInput['manifest'], rows: ReportInput['rows']): string {
  const { from, to } = m.query.params;
  const asked = from !== undefined && to !== undefined ? `${val(from)} to ${val(to)} (UTC days, inclusive)` : 'not limited by date parameters';
  const series = changeVolume(m.query.params, rows);
  const body = [`<p><strong>Period asked:</strong> ${asked}.</p>`];
  const times = rows.map((r) => r.event_time).filter((t): t is string => typeof t === 'string').sort();
  if (times.length > 0) body.push(`<p><strong>Changes found:</strong> from ${val(times[0])} to ${val(times[times.length - 1])} (event_time, UTC).</p>`);
  body.push(series ? chart(series) : '<p class="note">No row has an event_time: there is no change volume to chart.</p>');
  return section('period', 'Period and change volume', body);
}

/** Counts of rows per key, most first, capped at MAX_LISTED with the rest summed in one line. */
function countTable(caption: string, heads: readonly string[], rows: readonly Record<string, ExportValue>[], keyOf: (row: Record<string, ExportValue>) => string[] | undefined): string {
  const counts = new Map<string, { key: string[]; n: number }>();
  for (const row of rows) {
    const key = keyOf(row);
    if (!key) continue;
    const id = key.join('\u0000');
    const entry = counts.get(id) ?? { key, n: 0 };
    entry.n++;
    counts.set(id, entry);
  }
  const sorted = [...counts.values()].sort((a, b) => b.n - a.n || a.key.join('/').localeCompare(b.key.join('/')));
  const shown = sorted.slice(0, MAX_LISTED);
  const lines = [`<table><caption>${caption}</caption>`, `<thead><tr>${heads.map((h) => `<th scope="col">${h}</th>`).join('')}<th scope="col" class="num">Rows</th></tr></thead>`, '<tbody>'];
  for (const { key, n } of shown) lines.push(`<tr>${key.map((k) => `<td>${val(k)}</td>`).join('')}<td class="num">${fmt(n)}</td></tr>`);
  if (sorted.length > shown.length) {
    const rest = sorted.slice(MAX_LISTED).reduce((sum, e) => sum + e.n, 0);
    lines.push(`<tr class="more"><td colspan="${heads.length}">… ${fmt(sorted.length - shown.length)} more (all in rows.jsonl)</td><td class="num">${fmt(rest)}</td></tr>`);
  }
  lines.push('</tbody></table>');
  return lines.join('\n');
}

const text = (v: ExportValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** INSERT, MODIFY, REMOVE; a TTL REMOVE and a normalization error are told apart, as the log does. */
function operationOf(row: Record<string, ExportValue>): string {
  if (row.normalization_error !== null && row.normalization_error !== undefined) return 'normalization error';
  const name = text(row.event_name) ?? '(none)';
  return row.is_ttl_expiry === true ? `${name} (TTL expiry)` : name;
}

function countsSection(m: ReportInput['manifest'], rows: ReportInput['rows']): string {
  const has = (column: string): boolean => m.result.columns.some((c) => c.name === column);
  if (rows.length === 0) return section('counts', 'Counts', ['<p class="note">No rows: nothing to count.</p>']);
  const tables: string[] = [];
  if (has('account_id')) tables.push(countTable('Per account', ['Account'], rows, (r) => [text(r.account_id) ?? '(none)']));
  if (has('account_id') && has('table_name')) tables.push(countTable('Per table', ['Account', 'Table'], rows, (r) => [text(r.account_id) ?? '(none)', text(r.table_name) ?? '(none)']));
  if (has('event_name')) tables.push(countTable('Per operation', ['Operation'], rows, (r) => [operationOf(r)]));
  if (has('actor')) tables.push(countTable('Per actor (as recorded: the configured actor attribute, or TTL)', ['Actor'], rows, (r) => [text(r.actor) ?? '(unknown)']));
  if (tables.length === 0) tables.push('<p class="note">These rows have no account_id, table_name, event_name or actor column: counts per account, table and operation apply to change-record queries such as evidence-changes.</p>');
  return section('counts', 'Counts', [`<div class="counts">${tables.join('\n')}</div>`]);
}

function partitionsSection(m: ReportInput['manifest']): string {
  const parts = m.result.partitions_covered;
  const source = m.result.partitions_source === 'engine' ? 'selected by the query parameters' : 'that the rows come from';
  const body = [`<p>${fmt(parts.length)} partition(s) (account / table / date) ${source}.</p>`];
  if (parts.length > 0) {
    body.push('<table><thead><tr><th scope="col">Account</th><th scope="col">Table</th><th scope="col">Date (dt)</th></tr></thead><tbody>');
    for (const p of parts.slice(0, MAX_LISTED)) body.push(`<tr><td>${val(p.account_id)}</td><td>${val(p.table_name)}</td><td>${val(p.dt)}</td></tr>`);
    if (parts.length > MAX_LISTED) body.push(`<tr class="more"><td colspan="3">… and ${fmt(parts.length - MAX_LISTED)} more, listed in ${MANIFEST_FILE}</td></tr>`);
    body.push('</tbody></table>');
  }
  return section('partitions', 'Partitions', body);
}

function fingerprintSection(m: ReportInput['manifest'], files: readonly ManifestFile[]): string {
  const s = m.signing;
  return section('fingerprint', 'Fingerprint', [
    `<p>Signed with <strong>${val(s.algorithm)}</strong> by the key with fingerprint (SHA-256 of its DER public key):</p>`,
    `<p class="fingerprint"><code id="key-fingerprint">${val(s.public_key_sha256)}</code></p>`,
    s.kms_key_id ? `<p>KMS key: <code>${val(s.kms_key_id)}</code></p>` : '',
    '<table><thead><tr><th scope="col">File</th><th scope="col" class="num">Bytes</th><th scope="col">SHA-256</th></tr></thead><tbody>',
    ...files.map((f) => `<tr><td>${val(f.path)}</td><td class="num">${fmt(f.bytes)}</td><td><code>${val(f.sha256)}</code></td></tr>`),
    `<tr><td>${REPORT_FILE}</td><td colspan="2">this page: its SHA-256 is in ${MANIFEST_FILE}</td></tr>`,
    `<tr><td>${MANIFEST_FILE}</td><td colspan="2">lists every file above with its SHA-256; signed by ${SIGNATURE_FILE}</td></tr>`,
    '</tbody></table>',
    `<p class="note">This page is one of the signed files, so it cannot carry the SHA-256 of ${MANIFEST_FILE}, which covers it. Trust what it shows only after the package verifies (below): a verified package proves this page is the one that was signed.</p>`,
  ]);
}

function verifySection(m: ReportInput['manifest']): string {
  return section('verify', 'How to verify this package', [
    '<p>With ddb-audit (checks every file hash, the signature and each row’s record_hash; exit status 0 only if all hold):</p>',
    '<pre>npx ddb-audit evidence verify PACKAGE_DIR --public-key TRUSTED_PUBLIC_KEY.pem</pre>',
    `<p><strong>Pin the key.</strong> Checked against the ${PUBLIC_KEY_FILE} inside the package, the signature proves the files are the ones the manifest lists, not who signed them: pass a public key obtained independently${m.signing.kms_key_id ? ' (for a KMS key, <code>aws kms get-public-key</code>)' : ''} and compare its fingerprint with the one above.</p>`,
    '<p>By hand, in the package folder:</p>',
    '<ol>',
    `<li>Every file matches the manifest: <pre>${html(`jq -r '.files[] | "\\(.sha256)  \\(.path)"' ${MANIFEST_FILE} | sha256sum -c -`)}</pre></li>`,
    `<li>No other files: the folder holds exactly the files listed in ${MANIFEST_FILE}, plus ${MANIFEST_FILE} and ${SIGNATURE_FILE} (<code>ls -A</code>).</li>`,
    `<li>The manifest is signed (OpenSSL 3): <pre>${html(opensslVerifyCommand(m.signing.algorithm, PUBLIC_KEY_FILE, MANIFEST_FILE, SIGNATURE_FILE))}</pre></li>`,
    `<li>The key's fingerprint: <pre>${html(`openssl pkey -pubin -in ${PUBLIC_KEY_FILE} -outform DER | sha256sum`)}</pre></li>`,
    '</ol>',
    '<p>summary.md in this package gives the same steps as text, and how each row’s record_hash is computed.</p>',
  ]);
}

// --- The chart -------------------------------------------------------------------------------------

const W = 960;
const H = 280;
const PAD = { left: 56, right: 16, top: 16, bottom: 44 };
const X_LABELS = 6;

function label(ms: number, unit: VolumeSeries['unit']): string {
  const iso = new Date(ms).toISOString();
  return unit === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/**
 * A line with one marker (circle.volume-point, with a tooltip) per bucket, y from 0 to the busiest
 * bucket. Every number in the SVG is computed here; no value from the log reaches it except as
 * escaped text in a <title>.
 */
function chart(series: VolumeSeries): string {
  const { points, unit } = series;
  const n = points.length;
  const max = Math.max(1, ...points.map((p) => p.count));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (c: number): number => PAD.top + plotH * (1 - c / max);
  const r = Math.min(3.5, Math.max(1, plotW / n / 3));
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [];
  for (const c of [0, Math.round(max / 2), max].filter((c, i, all) => all.indexOf(c) === i)) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(c))}" y2="${f(y(c))}"/>`);
    parts.push(`<text class="axis" x="${PAD.left - 6}" y="${f(y(c) + 4)}" text-anchor="end">${fmt(c)}</text>`);
  }
  const labels = Math.min(X_LABELS, n);
  const labelAt = new Set(Array.from({ length: labels }, (_, k) => (labels === 1 ? 0 : Math.round((k * (n - 1)) / (labels - 1)))));
  for (const i of labelAt) {
    const anchor = i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle';
    parts.push(`<text class="axis" x="${f(x(i))}" y="${H - PAD.bottom + 18}" text-anchor="${anchor}">${label((points[i] as { start: number }).start, unit)}</text>`);
  }
  parts.push(`<polyline class="volume-line" points="${points.map((p, i) => `${f(x(i))},${f(y(p.count))}`).join(' ')}"/>`);
  points.forEach((p, i) => {
    parts.push(`<circle class="volume-point" cx="${f(x(i))}" cy="${f(y(p.count))}" r="${f(r)}" data-start="${new Date(p.start).toISOString()}" data-count="${p.count}"><title>${label(p.start, unit)}${unit === 'hour' ? ' UTC' : ''}: ${fmt(p.count)} row(s)</title></circle>`);
  });
  const total = points.reduce((sum, p) => sum + p.count, 0);
  const why =
    series.range === 'period'
      ? `the period asked, one point per ${unit} (hourly up to ${HOURLY_MAX_DAYS} days, daily beyond)`
      : series.range === 'rows'
        ? `the days from the first to the last change (the query has no from/to dates), one point per ${unit}`
        : `the days that hold changes, one point per ${unit} (the period asked is longer than ${fmt(MAX_DAILY_POINTS)} days)`;
  const notes: string[] = [];
  if (series.untimed > 0) notes.push(`${fmt(series.untimed)} row(s) without an event_time are not charted`);
  if (series.outside > 0) notes.push(`${fmt(series.outside)} row(s) with an event_time outside the charted range are not charted`);
  return [
    '<figure>',
    `<svg id="volume-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="volume-caption" data-points="${n}" data-unit="${unit}">`,
    `<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}"/>`,
    ...parts,
    `<text class="axis" x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">event_time (UTC), per ${unit}</text>`,
    '</svg>',
    `<figcaption id="volume-caption">Rows per ${unit} (event_time, UTC): ${fmt(total)} row(s) over ${fmt(n)} point(s), covering ${why}; busiest ${unit}: ${fmt(max === 1 && total === 0 ? 0 : max)}.${notes.length > 0 ? ` ${notes.join('; ')}.` : ''}</figcaption>`,
    '</figure>',
  ].join('\n');
}

// The shared base (system fonts only: nothing is fetched), then the counts, the fingerprint and the
// chart. Prints on A4/Letter without the chart overflowing.
const STYLE = `${BASE_STYLE}.counts { display: flex; flex-wrap: wrap; gap: 0 32px; align-items: flex-start; }
.fingerprint code { font-size: 15px; }
figure { margin: 8px 0; }
svg { width: 100%; height: auto; display: block; }
svg .plot { fill: #fbfcfd; stroke: var(--line); }
svg .grid { stroke: #e6e9ed; }
svg .axis { font-size: 12px; fill: var(--muted); }
svg .volume-line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg .volume-point { fill: var(--accent); }
${PRINT_STYLE}`;

/** The attribution box (attributionUnavailableBox): a red-edged note, printed too. */
const UNAVAILABLE_STYLE = `.unavailable { padding: 8px 12px; margin: 12px 0; border-left: 4px solid #cf222e; background: #ffebe9; }
.unavailable ul { margin: 4px 0 0; padding-left: 20px; }
.unavailable li.more { color: var(--muted); font-style: italic; }
`;
