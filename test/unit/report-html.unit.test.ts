/** report.html's renderer (cli/evidence/report-html.ts): escaping, bounded lists, what it says. */
import fc from 'fast-check';
import { MAX_LISTED, renderReportHtml, val } from '../../cli/evidence/report-html';
import type { EvidenceManifest } from '../../cli/evidence/manifest';
import type { ExportValue } from '../../cli/evidence/values';
import { escapeForTerminal } from '../../cli/terminal-text';

function manifest(overrides: Partial<Omit<EvidenceManifest, 'files'>> = {}): Omit<EvidenceManifest, 'files'> {
  return {
    format: 'ddb-audit/evidence/v2',
    created_at: '2026-03-03T00:00:00.000Z',
    tool: { name: 'ddb-audit', version: '0.1.0', git_commit: 'unknown' },
    reason: null,
    query: { name: 'evidence-changes', source_file: 'athena-queries/evidence-changes.sql', sql: "SELECT 1\nWHERE dt BETWEEN '2026-03-01' AND '2026-03-31'", params: { from: '2026-03-01', to: '2026-03-31' } },
    execution: { engine: 'duckdb', execution_id: 'local-1', started_at: '2026-03-03T00:00:00.000Z', ended_at: '2026-03-03T00:00:01.000Z', data_source: '/data' },
    result: { row_count: 0, empty: true, columns: ['account_id', 'table_name', 'event_name', 'actor', 'event_time', 'is_ttl_expiry', 'normalization_error'].map((name) => ({ name, type: 'VARCHAR' })), partitions_covered: [], partitions_source: 'engine' },
    record_hashes: [],
    signing: { algorithm: 'Ed25519', signature_file: 'manifest.sig', public_key_file: 'public-key.pem', public_key_sha256: 'ab'.repeat(32), kms_key_id: null },
    ...overrides,
  };
}

const row = (o: Record<string, ExportValue>): Record<string, ExportValue> => ({ account_id: '111111111111', table_name: 'Orders', event_name: 'MODIFY', actor: 'a', event_time: '2026-03-02T10:00:00.000Z', is_ttl_expiry: false, normalization_error: null, ...o });

/** Decodes the five entities val writes. */
const decode = (s: string) => s.replace(/&lt;|&gt;|&quot;|&#39;|&amp;/g, (e) => ({ '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' })[e] as string);

describe('val', () => {
  test('writes any value as text: no < > " \' or raw & survive, and decoding gives the value with controls made visible (generated)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = val(s);
        expect(out).not.toMatch(/[<>"']/);
        expect(out).not.toMatch(/&(?!(lt|gt|quot|#39|amp);)/);
        expect(decode(out)).toBe(escapeForTerminal(s));
      }),
    );
  });

  test('shows a bidirectional override as an escape, so a value cannot reorder the page', () => {
    expect(val('admin\u202egnp.exe')).toBe('admin\\u202egnp.exe');
  });
});

describe('renderReportHtml', () => {
  test('any actor, table, reason and parameter text appears only as escaped text: the page keeps exactly the renderer\'s tags (generated)', () => {
    const tagsOf = (page: string) => (page.match(/<[^>]*>/g) ?? []).join('\n');
    const baseline = tagsOf(renderReportHtml({ manifest: manifest({ reason: 'r', result: { ...manifest().result, row_count: 1, empty: false } }), files: [], rows: [row({ actor: 'x', table_name: 'T' })] }));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (actor, table, reason) => {
        const page = renderReportHtml({ manifest: manifest({ reason, result: { ...manifest().result, row_count: 1, empty: false } }), files: [], rows: [row({ actor, table_name: table })] });
        expect(tagsOf(page)).toBe(baseline);
      }),
      { numRuns: 200 },
    );
  });

  test('tells TTL expiries and normalization errors apart from user operations', () => {
    const page = renderReportHtml({
      manifest: manifest(),
      files: [],
      rows: [row({ event_name: 'REMOVE', is_ttl_expiry: true }), row({ event_name: 'REMOVE' }), row({ event_name: null, normalization_error: 'bad' })],
    });
    expect(page).toContain('<td>REMOVE (TTL expiry)</td><td class="num">1</td>');
    expect(page).toContain('<td>REMOVE</td><td class="num">1</td>');
    expect(page).toContain('<td>normalization error</td><td class="num">1</td>');
  });

  test(`lists at most ${MAX_LISTED} entries per list and counts the rest in one line`, () => {
    const rows = Array.from({ length: MAX_LISTED + 25 }, (_, i) => row({ table_name: `T${String(i).padStart(4, '0')}`, actor: `actor-${i}` }));
    const partitions = Array.from({ length: MAX_LISTED + 7 }, (_, i) => ({ account_id: '111111111111', table_name: `T${i}`, dt: '2026-03-02' }));
    const page = renderReportHtml({ manifest: manifest({ result: { ...manifest().result, partitions_covered: partitions } }), files: [], rows });
    expect(page).toContain('… 25 more (all in rows.jsonl)</td><td class="num">25</td>');
    expect(page).toContain('… and 7 more, listed in manifest.json');
    expect(page.match(/<td>actor-\d+<\/td>/g)).toHaveLength(MAX_LISTED);
  });

  test('an empty result says no rows matched and draws no chart', () => {
    const page = renderReportHtml({ manifest: manifest(), files: [], rows: [] });
    expect(page).toContain('<strong>No rows matched.</strong>');
    expect(page).toContain('there is no change volume to chart');
    expect(page).not.toContain('<svg');
  });

  test('rows that are not change records get no per-account counts, and say why', () => {
    const page = renderReportHtml({ manifest: manifest({ result: { ...manifest().result, columns: [{ name: 'n', type: 'BIGINT' }] } }), files: [], rows: [{ n: 3 }] });
    expect(page).toContain('These rows have no account_id, table_name, event_name or actor column');
    expect(page).not.toContain('Per account');
  });

  test('shows the verification command for the signing algorithm, the key fingerprint and each earlier file\'s SHA-256', () => {
    const page = renderReportHtml({ manifest: manifest({ signing: { ...manifest().signing, algorithm: 'ECDSA_SHA_256', kms_key_id: 'arn:aws:kms:eu-west-1:111111111111:key/k' } }), files: [{ path: 'rows.csv', bytes: 10, sha256: 'cd'.repeat(32) }], rows: [] });
    expect(page).toContain('openssl dgst -sha256 -verify public-key.pem -signature manifest.sig manifest.json');
    expect(page).toContain(`<code id="key-fingerprint">${'ab'.repeat(32)}</code>`);
    expect(page).toContain(`<tr><td>rows.csv</td><td class="num">10</td><td><code>${'cd'.repeat(32)}</code></td></tr>`);
    expect(page).toContain('aws kms get-public-key');
  });

  test('for source-coverage, shows the log\'s coverage verdict from the signed rows and says what the log cannot hold', () => {
    const source = (table: string, o: Record<string, ExportValue> = {}) => ({ row_kind: 'source', account_id: '111111111111', table_name: table, changes: 3, error_records: 0, gaps: 0, unfilled_gaps: 0, ...o });
    const gapRow = (table: string, id: string, filled: boolean) => ({ row_kind: 'gap', account_id: '111111111111', table_name: table, gap_id: id, gap_state: filled ? 'filled' : 'open', gap_filled: filled });
    const rows = [source('Orders', { gaps: 2, unfilled_gaps: 1 }), gapRow('Orders', 'g1', false), gapRow('Orders', 'g2', true), source('Quiet'), source('Broken', { error_records: 2 })];
    const coverage = manifest({ query: { ...manifest().query, name: 'source-coverage' }, result: { ...manifest().result, row_count: rows.length, empty: false } });
    const page = renderReportHtml({ manifest: coverage, files: [], rows });
    expect(page).toContain('<strong>3</strong> source(s) with rows in the period; 2 gap(s), <strong>1 NOT FILLED</strong>; 2 error record(s).');
    expect(page).toContain('<tr><td>111111111111</td><td>Orders</td><td class="num">1</td><td class="num">0</td></tr>');
    expect(page).toContain('<tr><td>111111111111</td><td>Broken</td><td class="num">0</td><td class="num">2</td></tr>');
    expect(/<section id="coverage">[\s\S]*?<\/section>/.exec(page)?.[0]).not.toContain('Quiet'); // nothing missing: not listed
    expect(page).toContain('Not in the log, so not here: onboarded sources with no row in the period');
    // Other queries' pages have no coverage section.
    expect(renderReportHtml({ manifest: manifest(), files: [], rows: [row({})] })).not.toContain('id="coverage"');
  });

  test('is deterministic: the same package renders the same bytes', () => {
    const input = { manifest: manifest(), files: [], rows: [row({})] };
    expect(renderReportHtml(input)).toBe(renderReportHtml(input));
  });
});

describe('the attribution-unavailable box', () => {
  const TABLE = 'ddb_audit.cloudtrail_events';
  const withInput = (input: EvidenceManifest['cloudtrail_input']) => manifest({ query: { ...manifest().query, name: 'change-attribution' }, cloudtrail_input: input });
  const box = (page: string) => /<div class="unavailable" id="attribution-unavailable" role="note">[\s\S]*?<\/div>/.exec(page)?.[0];

  test('names each account and region without CloudTrail input, and the query\'s warning, right after the header', () => {
    const page = renderReportHtml({
      manifest: withInput({ table: TABLE, files: null, attribution_unavailable: [{ account_id: '222233334444', region: 'eu-west-1', rows: 2 }], warnings: ['no rows, and cloudtrail_events holds no DynamoDB write event'] }),
      files: [],
      rows: [],
    });
    const shown = box(page) as string;
    expect(shown).toContain('Attribution unavailable for account <code>222233334444</code> region <code>eu-west-1</code>: no CloudTrail input (2 row(s) say <code>cloudtrail-unavailable</code>).');
    expect(shown).toContain('<li>The query warned: no rows, and cloudtrail_events holds no DynamoDB write event</li>');
    // Near the top: before the first section.
    expect(page.indexOf(shown)).toBeLessThan(page.indexOf('<section id="asked">'));
    expect(page).toContain('.unavailable {');
  });

  test('is capped: the rest are counted and pointed at manifest.json', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ account_id: String(100000000000 + i), region: 'us-east-1', rows: 1 }));
    const shown = box(renderReportHtml({ manifest: withInput({ table: TABLE, files: null, attribution_unavailable: many }), files: [], rows: [] })) as string;
    expect(shown.match(/Attribution unavailable for account/g)).toHaveLength(50);
    expect(shown).toContain('… and 80 more accounts/regions without CloudTrail input, listed in manifest.json');
  });

  test('writes any account, region and warning only as escaped text: the box keeps exactly its own tags (generated)', () => {
    const tagsOf = (page: string) => (page.match(/<[^>]*>/g) ?? []).join('\n');
    const render = (account: string, region: string, warning: string) => renderReportHtml({ manifest: withInput({ table: TABLE, files: null, attribution_unavailable: [{ account_id: account, region, rows: 1 }], warnings: [warning] }), files: [], rows: [] });
    const baseline = tagsOf(render('a', 'r', 'w'));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (account, region, warning) => {
        const page = render(account, region, warning);
        expect(tagsOf(page)).toBe(baseline);
        expect(page).toContain(`region <code>${val(region)}</code>`);
      }),
      { numRuns: 200 },
    );
  });

  test('is absent, and the page byte-identical to one without CloudTrail input, when nothing is unavailable', () => {
    const plain = renderReportHtml({ manifest: manifest({ query: { ...manifest().query, name: 'change-attribution' } }), files: [], rows: [] });
    for (const input of [{ table: TABLE, files: null, attribution_unavailable: [] }, { table: TABLE, files: [{ key: 'cloudtrail/a.json.gz', bytes: 1, sha256: 'cd'.repeat(32) }], attribution_unavailable: [], warnings: [] }, { table: TABLE, files: null }]) {
      const page = renderReportHtml({ manifest: withInput(input), files: [], rows: [] });
      expect(box(page)).toBeUndefined();
      expect(page).toBe(plain);
    }
  });
});
