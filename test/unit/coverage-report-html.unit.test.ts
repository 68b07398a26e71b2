/** coverage's verdict (cli/coverage/verdict.ts) and its page (cli/coverage/report-html.ts): statuses, escaping, bounded size. */
import fc from 'fast-check';
import type { CoverageGap, CoverageRow } from '../../cli/coverage/report';
import { MAX_GAPS_LISTED, MAX_SOURCES_LISTED, renderCoverageHtml, type CoverageReportContext } from '../../cli/coverage/report-html';
import { assessSource, coverageVerdict } from '../../cli/coverage/verdict';

const context: CoverageReportContext = {
  period: { from: '2026-03-01', to: '2026-03-31' },
  createdAt: '2026-04-01T00:00:00.000Z',
  tool: { version: '0.1.0', gitCommit: 'unknown' },
  logSource: 'DuckDB over /data',
  onboardedFrom: '/repo/cdk.json',
  watchState: { location: '/data/watch/state.json', updatedAt: '2026-03-31T23:55:00.000Z' },
  failures: '/failures',
};

const HEALTHY = 'healthy: stream ENABLED, mapping Enabled, checked 2026-03-31T23:55:00.000Z';

/** A source every check passed for. */
function covered(o: Partial<CoverageRow> = {}): CoverageRow {
  return {
    accountId: '111111111111',
    tableName: 'Orders',
    tableArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/Orders',
    onboarded: true,
    firstRowAt: '2026-03-01T00:01:00.000Z',
    baselineExportAt: '2026-03-01T00:00:00.000Z',
    firstChangeAt: '2026-03-01T00:01:00.000Z',
    lastChangeAt: '2026-03-31T23:00:00.000Z',
    changes: 10,
    errorRecords: 0,
    gaps: [],
    unreplayedBatches: 0,
    streamStatus: HEALTHY,
    ...o,
  };
}

const gap = (o: Partial<CoverageGap> = {}): CoverageGap => ({ gapId: 'gap-1', state: 'closed', oldStreamArn: 'arn:old', newStreamArn: 'arn:new', from: '2026-03-02T09:55:00.000Z', to: '2026-03-02T12:00:00.000Z', filled: false, filledBy: null, ...o });

const arbGap: fc.Arbitrary<CoverageGap> = fc.record({ gapId: fc.string(), state: fc.constantFrom('open', 'closed', 'filled'), oldStreamArn: fc.option(fc.string()), newStreamArn: fc.option(fc.string()), from: fc.option(fc.string()), to: fc.option(fc.string()), filled: fc.boolean(), filledBy: fc.option(fc.string()) });
const arbRow: fc.Arbitrary<CoverageRow> = fc.record({
  accountId: fc.string(),
  tableName: fc.string(),
  tableArn: fc.option(fc.string()),
  onboarded: fc.boolean(),
  firstRowAt: fc.option(fc.string()),
  baselineExportAt: fc.option(fc.string()),
  firstChangeAt: fc.option(fc.string()),
  lastChangeAt: fc.option(fc.string()),
  changes: fc.nat(),
  errorRecords: fc.nat({ max: 3 }),
  gaps: fc.array(arbGap, { maxLength: 3 }),
  unreplayedBatches: fc.option(fc.nat({ max: 3 })),
  streamStatus: fc.oneof(fc.constant(HEALTHY), fc.constant('unhealthy: stream DISABLED, mapping Enabled (stream-disabled), checked x'), fc.constant('unknown (no watch state)'), fc.string()),
});

describe('assessSource and coverageVerdict', () => {
  test('a source every check passed for is COVERED with no reasons', () => {
    expect(assessSource(covered())).toEqual({ status: 'covered', reasons: [] });
  });

  test.each([
    ['a gap not filled', { gaps: [gap()] }, '1 gap NOT FILLED'],
    ['failure batches not replayed', { unreplayedBatches: 2 }, '2 failure batches not replayed'],
    ['error records', { errorRecords: 1 }, '1 error record'],
    ['an unhealthy stream', { streamStatus: 'unhealthy: stream DISABLED, mapping Enabled (stream-disabled), checked x' }, 'stream unhealthy'],
  ])('is a PROBLEM with %s, and says so', (_what, change, reason) => {
    expect(assessSource(covered(change as Partial<CoverageRow>))).toEqual({ status: 'problem', reasons: [reason] });
  });

  test.each([
    ['no watch state', { streamStatus: 'unknown (no watch state)' }, 'stream status unknown'],
    ['a source missing from the watch state', { streamStatus: 'unknown (not in the watch state)' }, 'stream status unknown'],
    ['the failure bucket not checked', { unreplayedBatches: null }, 'failure bucket not checked'],
    ['no rows in the period', { firstRowAt: null, changes: 0, firstChangeAt: null, lastChangeAt: null }, 'no rows in the period'],
    ['a source not onboarded', { onboarded: false, tableArn: null }, 'not onboarded in cdk.json'],
  ])('is NOT FULLY CHECKED (never covered) with %s', (_what, change, reason) => {
    expect(assessSource(covered(change as Partial<CoverageRow>))).toEqual({ status: 'unverified', reasons: [reason] });
  });

  test('a filled gap does not stop a source being covered', () => {
    expect(assessSource(covered({ gaps: [gap({ filled: true, state: 'filled', filledBy: 'arn:export' })] })).status).toBe('covered');
  });

  test('every source has exactly one status, covered exactly when it has no reason, and a problem whenever something is missing (generated)', () => {
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 20 }), (rows) => {
        const v = coverageVerdict(rows);
        expect(v.covered + v.problems + v.unverified).toBe(rows.length);
        for (const row of rows) {
          const a = assessSource(row);
          expect(a.status === 'covered').toBe(a.reasons.length === 0);
          const missing = row.gaps.some((g) => !g.filled) || (row.unreplayedBatches ?? 0) > 0 || row.errorRecords > 0 || row.streamStatus.startsWith('unhealthy:');
          expect(a.status === 'problem').toBe(missing);
        }
        expect(v.unfilledGaps).toBe(rows.flatMap((r) => r.gaps).filter((g) => !g.filled).length);
      }),
    );
  });

  test('the headline counts covered sources, unfilled gaps and what was not checked', () => {
    const rows = [covered(), covered({ tableName: 'A', gaps: [gap(), gap({ gapId: 'g2', filled: true })] }), covered({ tableName: 'B', unreplayedBatches: null })];
    expect(coverageVerdict(rows).headline).toBe('1 of 3 sources fully covered; 1 gap not filled; failure batches not checked; 1 source with problems; 1 source not fully checked');
    expect(coverageVerdict([covered()]).headline).toBe('1 of 1 source fully covered; 0 gaps not filled');
  });
});

/** Every tag in the page: a `<` from a value is escaped, so each one is markup the renderer wrote. */
const tagsOf = (page: string): string => (page.match(/<[^>]*>/g) ?? []).join('\n');

describe('renderCoverageHtml', () => {
  test('any table name, account, ARN, gap id, stream status or path appears only as escaped text: the page keeps exactly the renderer\'s tags (generated)', () => {
    const shape = (s: string, t: string, u: string): CoverageRow => covered({ tableName: s, accountId: t, tableArn: u, streamStatus: `healthy: ${u}`, gaps: [gap({ gapId: s, oldStreamArn: t, newStreamArn: u, from: s, to: t, filled: true, filledBy: u })] });
    const ctx = (s: string): CoverageReportContext => ({ ...context, onboardedFrom: s, failures: s, logSource: s, watchState: { location: s, updatedAt: s } });
    const baseline = tagsOf(renderCoverageHtml([shape('T', 'A', 'U')], ctx('p')));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (s, t, u) => {
        expect(tagsOf(renderCoverageHtml([shape(s, t, u)], ctx(s)))).toBe(baseline);
      }),
      { numRuns: 200 },
    );
  });

  test('puts the verdict first and gives every source its status as a word beside the colour', () => {
    const page = renderCoverageHtml([covered(), covered({ tableName: 'Gappy', gaps: [gap()] }), covered({ tableName: 'Quiet', unreplayedBatches: null })], context);
    const verdictAt = page.indexOf('id="verdict"');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(page.indexOf('<section'));
    expect(page).toContain('<p class="verdict-word">INCOMPLETE</p>');
    expect(page).toContain('1 of 3 sources fully covered; 1 gap not filled');
    const rows = page.match(/<tr class="source" data-status="(\w+)"><td class="status"><span class="badge status-\w+">([A-Z ]+)<\/span>/g) ?? [];
    expect(rows.map((r) => /data-status="(\w+)".*>([A-Z ]+)<\/span>$/.exec(r)!.slice(1).join(' '))).toEqual(['problem PROBLEM', 'unverified NOT FULLY CHECKED', 'covered COVERED']);
    expect(page).toContain('<span class="badge status-problem">NOT FILLED</span>');
  });

  test('says COMPLETE only when every source is covered', () => {
    expect(renderCoverageHtml([covered()], context)).toContain('<p class="verdict-word">COMPLETE</p>');
    expect(renderCoverageHtml([covered({ unreplayedBatches: null })], context)).toContain('<p class="verdict-word">NOT FULLY CHECKED</p>');
  });

  test(`at 10,000 sources lists ${MAX_SOURCES_LISTED}, problems first, counts the rest in one line, and stays under a megabyte`, () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => covered({ tableName: `T${String(i).padStart(5, '0')}`, ...(i % 211 === 0 ? { gaps: [gap()] } : i % 223 === 0 ? { unreplayedBatches: null } : {}) }));
    const v = coverageVerdict(rows);
    expect(v.problems + v.unverified).toBeLessThan(MAX_SOURCES_LISTED); // so the covered ones are the ones cut
    const page = renderCoverageHtml(rows, context);
    const statuses = [...page.matchAll(/<tr class="source" data-status="(\w+)">/g)].map((m) => m[1]);
    expect(statuses).toHaveLength(MAX_SOURCES_LISTED);
    expect(statuses.slice(0, v.problems)).toEqual(Array(v.problems).fill('problem'));
    expect(statuses.slice(v.problems, v.problems + v.unverified)).toEqual(Array(v.unverified).fill('unverified'));
    const restCovered = v.covered - (MAX_SOURCES_LISTED - v.problems - v.unverified);
    expect(page).toContain(`… ${(10_000 - MAX_SOURCES_LISTED).toLocaleString('en-US')} more source(s) not listed (0 PROBLEM, 0 NOT FULLY CHECKED, ${restCovered.toLocaleString('en-US')} COVERED): the same command with <code>--format json</code> prints every source`);
    expect(page).toContain(`${v.covered.toLocaleString('en-US')} of 10,000 sources fully covered`);
    expect(Buffer.byteLength(page)).toBeLessThan(1_000_000);
  });

  test('when the problems alone pass the cap, lists problems only and counts the rest by status', () => {
    const rows = Array.from({ length: 2 * (MAX_SOURCES_LISTED + 50) }, (_, i) => covered({ tableName: `T${i}`, ...(i % 2 === 0 ? { errorRecords: 1 } : {}) }));
    const page = renderCoverageHtml(rows, context);
    expect(new Set([...page.matchAll(/<tr class="source" data-status="(\w+)">/g)].map((m) => m[1]))).toEqual(new Set(['problem']));
    expect(page).toContain(`… ${(rows.length - MAX_SOURCES_LISTED).toLocaleString('en-US')} more source(s) not listed (${(rows.length / 2 - MAX_SOURCES_LISTED).toLocaleString('en-US')} PROBLEM, 0 NOT FULLY CHECKED, ${(rows.length / 2).toLocaleString('en-US')} COVERED)`);
  });

  test(`lists at most ${MAX_GAPS_LISTED} gaps per source, unfilled first, and counts the rest`, () => {
    const gaps = Array.from({ length: MAX_GAPS_LISTED + 3 }, (_, i) => gap({ gapId: `g${i}`, filled: i < 4, filledBy: i < 4 ? 'arn:export' : null }));
    const page = renderCoverageHtml([covered({ gaps })], context);
    const listed = [...page.matchAll(/<li class="gap (filled|unfilled)">/g)].map((m) => m[1]);
    expect(listed).toEqual(['unfilled', 'unfilled', 'unfilled', 'unfilled', 'filled']);
    expect(page).toContain('… 3 more gap(s), all in --format json');
  });
});
