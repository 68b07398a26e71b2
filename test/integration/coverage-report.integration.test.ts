/**
 * `ddb-audit coverage --html FILE` end to end: the local pipeline (the real collector handler, the
 * real SDK, the local Firehose writing Parquet) holds a month's start for the seven demo tables, and
 * the watch and the backfill have written what they write in a realistic incident:
 *  - 444455556666/Orders: its stream was replaced, the gap closed and the backfill FILLED it;
 *  - 111122223333/Sessions: its stream was replaced and the gap is still open, NOT FILLED; the watch
 *    sees the stream unhealthy; one failure batch of it was never replayed;
 *  - an onboarded table with no row at all (Silent);
 *  - hostile values where the page must show text: a gap whose stream ARNs are markup (the gap row's
 *    fields are free JSON text) and watch-state problem text. A table name cannot carry markup into
 *    the log (DynamoDB's name pattern, enforced again by the partition check in
 *    schemas/partitioning.ts) nor into cdk.json (parseStreamArn), so the browser test also loads the
 *    same page rendered with a hostile account and table name added to the real rows.
 * Then the page, as bytes and in headless Chromium (Debian's `chromium`, network cut, over the
 * DevTools protocol: test/support/chromium.ts): it renders the verdict, one row per source of the
 * JSON output with the same statuses, the hostile values as their exact text with nothing run, and
 * it requests nothing but its own file. And: --html does not change standard output, and a refusal
 * leaves no file (nor a temporary one), an existing page included.
 * Without Chromium the browser tests are skipped with a warning and a test named
 * "SKIPPED: chromium not installed"; under CI=true a missing Chromium fails instead.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChangeRecord } from '../../schemas/change-record';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { silentLogger } from '../../lambda/core/logger';
import { recordHash } from '../../lambda/core/record-hash';
import { gapIdOf, gapRecord } from '../../lambda/watch/gap-record';
import { WATCH_STATE_KEY, type SourceState, type WatchState } from '../../lambda/watch/watch-state';
import { runQuery } from '../../cli/query';
import { assessSource } from '../../cli/coverage/verdict';
import { renderCoverageHtml } from '../../cli/coverage/report-html';
import type { CoverageRow } from '../../cli/coverage/report';
import { generateWorkload, SOURCE_TABLES, demoSourceOptions, streamArn, type SourceTable } from '../../local/demo/workload';
import { CollectorHandler, LOCAL_OVERFLOW_BUCKET, LOCAL_STREAM_NAME, LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { run as coverage } from '../../bin/commands/coverage';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { captureIo } from '../support/capture-io';
import { findChromium, HeadlessChromium } from '../support/chromium';

const FROM = '2026-03-01';
const TO = '2026-03-03';
const tableArnOf = (t: Pick<SourceTable, 'region' | 'accountId' | 'tableName'>) => `arn:aws:dynamodb:${t.region}:${t.accountId}:table/${t.tableName}`;
const FILLED = SOURCE_TABLES.find((t) => t.accountId === '444455556666' && t.tableName === 'Orders')!;
const OPEN = SOURCE_TABLES.find((t) => t.accountId === '111122223333' && t.tableName === 'Sessions')!;
const SILENT_STREAM = 'arn:aws:dynamodb:eu-west-1:999999999999:table/Silent/stream/2026-01-15T10:00:00.000';
const FILLED_NEW_STREAM = `${tableArnOf(FILLED)}/stream/2026-03-02T12:00:00.000`;
const EXPORT_ARN = `${tableArnOf(FILLED)}/export/01709380800000-abcdef12`;

/** Markup a compromised writer of the log or the watch state could put where the page shows text. */
const HOSTILE_TABLE = '<script>window.__pwned=1</script>';
const HOSTILE_ACCOUNT = '<img src="http://evil.invalid/a.png" onerror="window.__pwned=4">';
const HOSTILE_OLD_ARN = `${tableArnOf(OPEN)}/stream/"><img src="http://evil.invalid/x.png" onerror="window.__pwned=2">`;
const HOSTILE_NEW_ARN = '<svg onload="window.__pwned=3"></svg>';
const HOSTILE_PROBLEM = '</td></tr></table><iframe src="https://evil.invalid/"></iframe>';

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

async function deliverAll(pipeline: LocalPipeline, events: Iterable<DynamoDBStreamEvent>): Promise<void> {
  for (const event of events) expect((await pipeline.invoke(event, 20_000)).batchItemFailures).toEqual([]);
}

/** Rows written by something other than the collector (the watch, the backfill), through the same sink to the same local Firehose. */
async function deliverRecords(pipeline: LocalPipeline, records: ChangeRecord[]): Promise<void> {
  const local = { endpoint: pipeline.firehose.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const clients = { firehose: new FirehoseClient(local), s3: new S3Client({ ...local, forcePathStyle: true }) };
  const report = await deliverChangeRecords(records, clients, { deliveryStreamName: LOCAL_STREAM_NAME, packing: 'single', overflowBucket: LOCAL_OVERFLOW_BUCKET, overflowPrefix: OVERFLOW_PREFIX, remainingTimeMs: () => 60_000 }, silentLogger);
  expect(report.undelivered).toEqual([]);
}

/** A log row as-is but with other content, its record_hash recomputed (a row the collector did not write). */
function rewritten(from: ChangeRecord, change: Partial<ChangeRecord>): ChangeRecord {
  const { record_hash: _h, processed_at, overflow_uri, overflow_fields, ...content } = from;
  const next = { ...content, ...change } as typeof content;
  return { ...next, processed_at, overflow_uri, overflow_fields, record_hash: recordHash(next) };
}

function watched(table: SourceTable, o: Partial<SourceState> = {}): SourceState {
  const arn = tableArnOf(table);
  return { tableArn: arn, configuredStreamArn: streamArn(table), latestStreamArn: streamArn(table), health: 'healthy', problems: [], unknownReasons: [], streamStatus: 'ENABLED', mappingState: 'Enabled', command: null, checkedAt: '2026-03-03T23:55:00.000Z', lastHealthyAt: '2026-03-03T23:55:00.000Z', openGap: null, ...o } as SourceState;
}

const root = mkdtempSync(join(tmpdir(), 'ddb-audit-coverage-report-'));
const dataDir = join(root, 'data');
const cdkJson = join(root, 'cdk.json');
const failures = join(root, 'failures');
const reports = join(root, 'reports');
const page = join(reports, 'coverage.html');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: root });
  const code = await coverage(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}
/** 6 covered, Sessions a problem (open gap, unreplayed batch, unhealthy), Silent not fully checked (no rows). */
const HEADLINE = `6 of ${SOURCE_TABLES.length + 1} sources fully covered; 1 gap not filled; 1 failure batch not replayed; 1 source with problems; 1 source not fully checked`;
const common = ['--from', FROM, '--to', TO, '--data', dataDir, '--cdk-json', cdkJson, '--failures', failures];

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const pipeline = await startLocalPipeline({ dataDir, sourceOptions: demoSourceOptions(), writer: 'inline', loadHandler: loadHandlerIsolated });
  let pendingEventId = '';
  try {
    const workload = generateWorkload({ changes: 300, seed: 5, batchSize: 50, ledger: true, start: new Date(`${FROM}T00:10:00Z`), end: new Date('2026-03-03T20:00:00Z') });
    await deliverAll(pipeline, workload.events());
    await pipeline.firehose.flush();
    const filledGap = { gapId: gapIdOf(tableArnOf(FILLED), streamArn(FILLED)), tableArn: tableArnOf(FILLED), oldStreamArn: streamArn(FILLED), from: '2026-03-02T09:55:00.000Z', detectedAt: '2026-03-02T10:00:00.000Z' };
    const openGap = { gapId: gapIdOf(tableArnOf(OPEN), HOSTILE_OLD_ARN), tableArn: tableArnOf(OPEN), oldStreamArn: HOSTILE_OLD_ARN, from: '2026-03-03T06:00:00.000Z', detectedAt: '2026-03-03T06:05:00.000Z' };
    const sample = (await runQuery({ name: 'evidence-changes', params: { from: FROM, to: TO, account_id: FILLED.accountId, table_name: FILLED.tableName }, dataDir })).rows[0] as unknown as ChangeRecord;
    await deliverRecords(pipeline, [
      gapRecord({ ...filledGap, newStreamArn: FILLED_NEW_STREAM, to: '2026-03-02T12:00:00.000Z', state: 'closed', at: '2026-03-02T12:30:00.000Z' }),
      rewritten({ ...sample, changed_attributes: null, redacted_attributes: null } as ChangeRecord, { op: 'r', event_name: 'SNAPSHOT', event_id: `snapshot/${sample.item_key}`, event_time: '2026-03-02T12:00:00.000Z', dt: '2026-03-02', old_image: null, sequence_number: null, stream_arn: null }),
      gapRecord({ ...filledGap, newStreamArn: FILLED_NEW_STREAM, to: '2026-03-02T12:00:00.000Z', state: 'filled', at: '2026-03-03T09:00:00.000Z', filledBy: EXPORT_ARN }),
      gapRecord({ ...openGap, newStreamArn: HOSTILE_NEW_ARN, to: null, state: 'open', at: '2026-03-03T06:05:00.000Z' }),
    ]);
    await pipeline.firehose.flush();
    pendingEventId = workload.ledger.find((e) => e.accountId === OPEN.accountId && e.tableName === OPEN.tableName)!.eventId;
  } finally {
    await pipeline.close();
  }
  const state: WatchState = {
    version: 1,
    updatedAt: '2026-03-03T23:55:00.000Z',
    sources: Object.fromEntries(
      SOURCE_TABLES.map((t) => [tableArnOf(t), t === OPEN ? watched(t, { health: 'unhealthy', problems: ['stream-replaced', HOSTILE_PROBLEM] as SourceState['problems'], latestStreamArn: `${tableArnOf(t)}/stream/2026-03-03T06:00:00.000` }) : t === FILLED ? watched(t, { configuredStreamArn: FILLED_NEW_STREAM, latestStreamArn: FILLED_NEW_STREAM }) : watched(t)]),
    ),
  };
  mkdirSync(join(dataDir, 'watch'), { recursive: true });
  writeFileSync(join(dataDir, WATCH_STATE_KEY), JSON.stringify(state));
  const onboarded = SOURCE_TABLES.map((t) => ({ streamArn: t === FILLED ? FILLED_NEW_STREAM : streamArn(t) }));
  writeFileSync(cdkJson, JSON.stringify({ context: { audit: { sources: [...onboarded, { streamArn: SILENT_STREAM }] } } }));
  mkdirSync(failures);
  const batch = {
    requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ddb-audit-collector', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-03-03T07:00:00.000Z',
    DDBStreamBatchInfo: { shardId: 'shardId-1', startSequenceNumber: '1'.padStart(21, '0'), endSequenceNumber: '2'.padStart(21, '0'), approximateArrivalOfFirstRecord: '2026-03-03T06:59:00Z', approximateArrivalOfLastRecord: '2026-03-03T06:59:00Z', batchSize: 2, streamArn: streamArn(OPEN) },
    payload: JSON.stringify({ Records: ['never-delivered-1', pendingEventId].map((eventID) => ({ eventID, eventName: 'INSERT', eventSourceARN: streamArn(OPEN), dynamodb: {} })) }),
  };
  writeFileSync(join(failures, 'pending.json'), JSON.stringify(batch));
  mkdirSync(reports);
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

let rows: CoverageRow[] = [];

describe('coverage --html', () => {
  test('writes the page, leaves standard output as it is without --html, and says where the page is', async () => {
    const plain = await cli(...common, '--format', 'json');
    expect(plain).toMatchObject({ code: 0, err: '' });
    const withPage = await cli(...common, '--format', 'json', '--html', 'reports/coverage.html');
    expect(withPage.code).toBe(0);
    expect(withPage.out).toBe(plain.out);
    rows = plain.out.trim().split('\n').map((l) => JSON.parse(l) as CoverageRow);
    expect(withPage.err).toBe(`wrote the report page ${page}: ${HEADLINE}\n`);
    expect(readdirSync(reports)).toEqual(['coverage.html']); // no temporary file left beside it
  });

  test('the scenario holds what the page must show: one problem, one not fully checked, a filled and an unfilled gap', () => {
    const byName = new Map(rows.map((r) => [`${r.accountId}/${r.tableName}`, r]));
    expect(rows).toHaveLength(SOURCE_TABLES.length + 1); // + Silent (onboarded, no rows)
    expect(assessSource(byName.get(`${OPEN.accountId}/${OPEN.tableName}`)!)).toEqual({ status: 'problem', reasons: ['1 gap NOT FILLED', '1 failure batch not replayed', 'stream unhealthy'] });
    expect(byName.get(`${FILLED.accountId}/${FILLED.tableName}`)).toMatchObject({ baselineExportAt: '2026-03-02T12:00:00.000Z', gaps: [{ filled: true, filledBy: EXPORT_ARN }] });
    expect(assessSource(byName.get(`${FILLED.accountId}/${FILLED.tableName}`)!).status).toBe('covered');
    expect(assessSource(byName.get('999999999999/Silent')!)).toMatchObject({ status: 'unverified', reasons: expect.arrayContaining(['no rows in the period']) });
  });

  test('a refusal writes nothing: a missing folder for the page, a missing data folder, or no sources; an existing page is left as it was', async () => {
    const missingFolder = await cli(...common, '--html', 'no-such-folder/coverage.html');
    expect(missingFolder.code).toBe(2);
    expect(missingFolder.err).toMatch(/^ddb-audit coverage: --html no-such-folder\/coverage\.html: no such folder .*no-such-folder\n$/);
    expect(existsSync(join(root, 'no-such-folder'))).toBe(false);

    const isFolder = await cli(...common, '--html', 'reports');
    expect(isFolder).toMatchObject({ code: 2, err: expect.stringMatching(/^ddb-audit coverage: --html reports: is a folder/) });

    const previous = readFileSync(page, 'utf8');
    const noData = await cli('--from', FROM, '--to', TO, '--data', join(root, 'typo'), '--no-config', '--html', 'reports/coverage.html');
    expect(noData).toMatchObject({ code: 2, err: expect.stringMatching(/--data .*typo: no such folder/) });
    const noSources = await cli('--from', '2025-01-01', '--to', '2025-01-02', '--data', dataDir, '--no-config', '--html', 'reports/coverage.html');
    expect(noSources).toMatchObject({ code: 2, err: expect.stringMatching(/no sources/) });
    expect(readFileSync(page, 'utf8')).toBe(previous);
    expect(readdirSync(reports)).toEqual(['coverage.html']);
  });
});

/** Every tag in the page (a `<` from a value is escaped, so each one here is markup the page holds). */
const tagsOf = (text: string): string[] => text.match(/<[^>]*>/g) ?? [];
const TAGS_WRITTEN = new Set(['!DOCTYPE', 'html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'p', 'strong', 'em', 'code', 'pre', 'dl', 'dt', 'dd', 'section', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'ul', 'li', 'div', 'span', 'br']);

describe('coverage --html, as bytes', () => {
  test('holds no markup from the log, the watch state or the config: only the renderer\'s tags, the hostile values as escaped text', () => {
    const text = readFileSync(page, 'utf8');
    const names = new Set(tagsOf(text).map((t) => /^<\/?([!A-Za-z][\w-]*)/.exec(t)?.[1] as string));
    expect([...names].filter((n) => !TAGS_WRITTEN.has(n))).toEqual([]);
    expect(tagsOf(text).filter((t) => /\son\w+\s*=/i.test(t))).toEqual([]);
    expect(text).toContain('&lt;svg onload=&quot;window.__pwned=3&quot;&gt;&lt;/svg&gt;');
    expect(text).toContain('&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;iframe src=&quot;https://evil.invalid/&quot;&gt;&lt;/iframe&gt;');
    expect(text).toContain('&quot;&gt;&lt;img src=&quot;http://evil.invalid/x.png&quot; onerror=&quot;window.__pwned=2&quot;&gt;');
  });

  test('refers to nothing outside itself: no src, href or action, no url() or @import, and a CSP forbids loads', () => {
    const text = readFileSync(page, 'utf8');
    expect(tagsOf(text).filter((t) => /\s(src|href|srcset|action|poster|background|data)\s*=/i.test(t))).toEqual([]);
    expect(/<style>([\s\S]*?)<\/style>/.exec(text)?.[1]).not.toMatch(/url\(|@import/i);
    expect(text).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`);
  });
});

// --- In headless Chromium ------------------------------------------------------------------------

const chromium = findChromium();

if (!chromium) {
  if (process.env.CI === 'true') {
    test('chromium is installed (required in CI)', () => {
      throw new Error('chromium not installed: .ci/run installs it (apt-get install -y chromium); set CHROMIUM_PATH if it is elsewhere');
    });
  } else {
    console.warn('coverage-report: SKIPPED the browser tests of coverage --html: chromium not installed (apt-get install -y chromium, or set CHROMIUM_PATH)');
    test.skip('SKIPPED: chromium not installed', () => undefined);
  }
} else {
  describe('coverage --html in headless Chromium, network cut', () => {
    let browser: HeadlessChromium;
    beforeAll(async () => {
      browser = await HeadlessChromium.launch(chromium);
    }, 60_000);
    afterAll(async () => browser?.close());

    test('renders the verdict first and one row per source of the JSON output, problems first, each with its status as a word', async () => {
      const loaded = await browser.load(
        pathToFileURL(page).href,
        {
          title: 'document.title',
          firstAfterHeading: "document.querySelector('h1').nextElementSibling.nextElementSibling.id",
          verdictWord: "document.querySelector('#verdict .verdict-word').textContent",
          verdictLine: "document.getElementById('verdict-line').textContent",
          sources: "[...document.querySelectorAll('#sources tr.source')].map((r) => ({ status: r.dataset.status, word: r.cells[0].querySelector('.badge').textContent, account: r.querySelector('.account').textContent, table: r.querySelector('.table').textContent }))",
          statusColours: "[...document.querySelectorAll('#sources tr.source td.status')].map((c) => getComputedStyle(c).borderLeftColor)",
          notFilled: "[...document.querySelectorAll('li.gap.unfilled')].map((g) => g.textContent)",
          tableWidth: "document.getElementById('sources').getBoundingClientRect().width",
        },
        { screenshot: true },
      );
      const v = loaded.values as { sources: { status: string; word: string; account: string; table: string }[]; statusColours: string[]; notFilled: string[] } & Record<string, unknown>;
      expect(v.title).toBe(`Coverage: ${FROM} to ${TO}`);
      expect(v.firstAfterHeading).toBe('verdict');
      expect(v.verdictWord).toBe('INCOMPLETE');
      expect(v.verdictLine).toBe(`${HEADLINE}.`);
      expect(v.sources).toHaveLength(rows.length);
      const rank = { problem: 0, unverified: 1, covered: 2 } as const;
      const expected = rows.map((r, i) => ({ r, i, status: assessSource(r).status })).sort((a, b) => rank[a.status] - rank[b.status] || a.i - b.i);
      expect(v.sources).toEqual(expected.map(({ r, status }) => ({ status, word: { problem: 'PROBLEM', unverified: 'NOT FULLY CHECKED', covered: 'COVERED' }[status], account: r.accountId, table: r.tableName })));
      expect(new Set(v.statusColours).size).toBe(3); // the three statuses differ in colour as well as in word
      expect(v.notFilled).toEqual([expect.stringContaining('NOT FILLED open, from 2026-03-03T06:00:00.000Z to open')]);
      expect(v.notFilled[0]).toContain(`${HOSTILE_OLD_ARN} → ${HOSTILE_NEW_ARN}`);
      expect(v.tableWidth).toBeGreaterThan(600);

      // For a person to look at; .tmp/ is not committed.
      const shots = join(__dirname, '..', '..', '.tmp');
      mkdirSync(shots, { recursive: true });
      writeFileSync(join(shots, 'coverage-report.png'), loaded.screenshot as Buffer);
    }, 60_000);

    test('runs nothing from the log, the watch state or a hostile table name: no script, image or frame element exists and no injected handler ran; the hostile values read as their text', async () => {
      // The real rows plus one whose account and table name are markup (see the module comment).
      const hostilePage = join(root, 'hostile-names.html');
      const context = { period: { from: FROM, to: TO }, createdAt: new Date().toISOString(), tool: { version: 'test', gitCommit: 'unknown' }, logSource: `DuckDB over ${dataDir}`, onboardedFrom: cdkJson, watchState: null, failures: null };
      writeFileSync(hostilePage, renderCoverageHtml([...rows, { ...rows[0]!, accountId: HOSTILE_ACCOUNT, tableName: HOSTILE_TABLE, tableArn: `arn:aws:dynamodb:eu-west-1:${HOSTILE_ACCOUNT}:table/${HOSTILE_TABLE}` }], context));
      for (const url of [pathToFileURL(page).href, pathToFileURL(hostilePage).href]) {
        const active = await browser.load(url, { active: "document.querySelectorAll('script, img, iframe, object, embed, link, svg, [onerror], [onload]').length", pwned: 'typeof window.__pwned' });
        expect(active.values).toEqual({ active: 0, pwned: 'undefined' });
      }
      const named = await browser.load(pathToFileURL(hostilePage).href, {
        names: "[...document.querySelectorAll('#sources tr.source')].map((r) => r.querySelector('.account').textContent + ' / ' + r.querySelector('.table').textContent + ' ' + r.querySelector('.arn').textContent)",
      });
      expect(named.values.names).toContain(`${HOSTILE_ACCOUNT} / ${HOSTILE_TABLE} arn:aws:dynamodb:eu-west-1:${HOSTILE_ACCOUNT}:table/${HOSTILE_TABLE}`);
      const loaded = await browser.load(pathToFileURL(page).href, {
        active: "document.querySelectorAll('script, img, iframe, object, embed, link, svg, [onerror], [onload]').length",
        pwned: 'typeof window.__pwned',
        gapArns: "[...document.querySelectorAll('li.gap code')].map((c) => c.textContent)",
        status: "[...document.querySelectorAll('#sources tr.source')].map((r) => r.cells[r.cells.length - 1].textContent).join('\\n')",
      });
      expect(loaded.values).toMatchObject({ active: 0, pwned: 'undefined' });
      expect(loaded.values.gapArns).toEqual(expect.arrayContaining([HOSTILE_OLD_ARN, HOSTILE_NEW_ARN]));
      expect(loaded.values.status).toContain(HOSTILE_PROBLEM);
    }, 60_000);

    test('requests nothing but its own file', async () => {
      const url = pathToFileURL(page).href;
      const loaded = await browser.load(url, {});
      expect(loaded.requests).toContain(url); // the recorder sees the page's own request
      expect(loaded.requests.filter((r) => !r.startsWith('file:') && !r.startsWith('data:'))).toEqual([]);
    }, 60_000);
  });
}
