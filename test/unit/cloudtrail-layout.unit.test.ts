/**
 * The trail's S3 layout (schemas/cloudtrail-events.ts) and the local CloudTrail files: keys
 * round-trip through the builder and the parser, other objects are not read, and the DuckDB view
 * has exactly the Glue table's columns.
 */
import fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { cloudTrailFiles, writeCloudTrailFile } from '../../local/cloudtrail/files';
import { readFileSync } from 'node:fs';
import {
  ATTRIBUTION_WINDOW_SECONDS,
  CLOUDTRAIL_EVENT_FIELDS,
  CLOUDTRAIL_PARTITION_KEYS,
  cloudTrailLogKey,
  columnName,
  MULTI_ITEM_WRITES,
  parseCloudTrailLogKey,
  SINGLE_ITEM_WRITES,
} from '../../schemas/cloudtrail-events';

describe('CloudTrail log file keys', () => {
  test('parses AWS documented layout of an account trail and of an organization trail', () => {
    expect(parseCloudTrailLogKey('AWSLogs/111122223333/CloudTrail/us-east-2/2026/03/01/111122223333_CloudTrail_us-east-2_20260301T0005Z_cR9ra7OH1rytWyXY.json.gz')).toEqual({
      prefix: '',
      accountId: '111122223333',
      region: 'us-east-2',
      logDate: '2026/03/01',
    });
    expect(parseCloudTrailLogKey('security/AWSLogs/o-exampleorgid/012345678901/CloudTrail/eu-west-1/2026/12/31/012345678901_CloudTrail_eu-west-1_20261231T2355Z_ABC123.json.gz')).toEqual({
      prefix: 'security',
      organizationId: 'o-exampleorgid',
      accountId: '012345678901',
      region: 'eu-west-1',
      logDate: '2026/12/31',
    });
  });

  test.each([
    ['a digest file', 'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2026/03/01/111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20260301T000000Z.json.gz'],
    ['a file whose name names another account', 'AWSLogs/111122223333/CloudTrail/us-east-2/2026/03/01/999999999999_CloudTrail_us-east-2_20260301T0005Z_X.json.gz'],
    ['a file whose name names another region', 'AWSLogs/111122223333/CloudTrail/us-east-2/2026/03/01/111122223333_CloudTrail_us-west-2_20260301T0005Z_X.json.gz'],
    ['an uncompressed file', 'AWSLogs/111122223333/CloudTrail/us-east-2/2026/03/01/111122223333_CloudTrail_us-east-2_20260301T0005Z_X.json'],
    ['an 11-digit account', 'AWSLogs/11112222333/CloudTrail/us-east-2/2026/03/01/11112222333_CloudTrail_us-east-2_20260301T0005Z_X.json.gz'],
  ])('does not read %s', (_what, key) => {
    expect(parseCloudTrailLogKey(key)).toBeUndefined();
  });

  test('every key the builder makes parses back to its parts (property)', () => {
    const account = fc.stringMatching(/^\d{12}$/);
    const region = fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1');
    const prefix = fc.constantFrom('', 'logs', 'a/b-c');
    const org = fc.option(fc.stringMatching(/^o-[a-z0-9]{10,32}$/), { nil: undefined });
    const time = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2099-12-31T23:59:59Z') }).map((ms) => new Date(ms));
    fc.assert(
      fc.property(account, region, prefix, org, time, fc.stringMatching(/^[A-Za-z0-9]{1,16}$/), (accountId, r, p, organizationId, deliveredAt, unique) => {
        const key = cloudTrailLogKey({ prefix: p, ...(organizationId ? { organizationId } : {}), accountId, region: r, deliveredAt, unique });
        const iso = deliveredAt.toISOString();
        expect(parseCloudTrailLogKey(key)).toEqual({ prefix: p, ...(organizationId ? { organizationId } : {}), accountId, region: r, logDate: `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}` });
      }),
    );
  });
});

describe('local CloudTrail files', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-cloudtrail-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('lists the files written, and neither hidden files nor other objects under cloudtrail/', async () => {
    const key = await writeCloudTrailFile(dataDir, { accountId: '111122223333', region: 'us-east-1', deliveredAt: new Date('2026-03-01T00:05:00Z') }, [{ eventID: 'e1' }]);
    const folder = join(dataDir, 'cloudtrail', 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2026', '03', '01');
    writeFileSync(join(folder, '.partial.inprogress'), 'x');
    mkdirSync(join(dataDir, 'cloudtrail', 'notes'), { recursive: true });
    writeFileSync(join(dataDir, 'cloudtrail', 'notes', 'readme.txt'), 'x');
    const files = await cloudTrailFiles(dataDir);
    expect(files.map((f) => f.key)).toEqual([key]);
    expect(key).toMatch(/^cloudtrail\/AWSLogs\/111122223333\/CloudTrail\/us-east-1\/2026\/03\/01\/111122223333_CloudTrail_us-east-1_20260301T0005Z_[0-9A-F]{16}\.json\.gz$/);
  });

  test('a data folder without cloudtrail/ has no CloudTrail files', async () => {
    expect(await cloudTrailFiles(dataDir)).toEqual([]);
  });

  test.each([
    ['with no files', false],
    ['over files', true],
  ])('the DuckDB view cloudtrail_events has the Glue table columns, in order, %s', async (_label, withFiles) => {
    const paths = withFiles ? [(await writeCloudTrailFile(dataDir, { accountId: '111122223333', region: 'us-east-1', deliveredAt: new Date('2026-03-01T00:05:00Z') }, [{ eventID: 'e1', userIdentity: { type: 'IAMUser' } }]))].map((k) => join(dataDir, ...k.split('/'))) : [];
    const connection = await openLocalConnection(dataDir, [], paths);
    try {
      const reader = await connection.runAndReadAll('SELECT * FROM cloudtrail_events');
      expect(reader.columnNames()).toEqual([...CLOUDTRAIL_EVENT_FIELDS.map(columnName), ...CLOUDTRAIL_PARTITION_KEYS]);
      const rows = reader.getRowObjectsJS();
      expect(rows).toHaveLength(withFiles ? 1 : 0);
      if (withFiles) expect(rows[0]).toMatchObject({ eventid: 'e1', account_id: '111122223333', region: 'us-east-1', log_date: '2026/03/01', requestparameters: null });
    } finally {
      connection.closeSync();
    }
  });
});

describe('change-attribution.sql agrees with the schema module', () => {
  const sql = readFileSync(join(__dirname, '..', '..', 'athena-queries', 'change-attribution.sql'), 'utf8');

  test('its window offsets are -W..W seconds for ATTRIBUTION_WINDOW_SECONDS', () => {
    const offsets = Array.from({ length: 2 * ATTRIBUTION_WINDOW_SECONDS + 1 }, (_, i) => `(${i - ATTRIBUTION_WINDOW_SECONDS})`).join(', ');
    expect(sql).toContain(`CROSS JOIN (VALUES ${offsets}) AS o(offset_seconds)`);
  });

  test('it reads every DynamoDB write operation and joins only the single-item ones by key', () => {
    expect(sql).toContain(`eventname IN (${[...SINGLE_ITEM_WRITES, ...MULTI_ITEM_WRITES].map((n) => `'${n}'`).join(', ')})`);
    expect(sql).toContain(`WHERE t.eventname IN (${SINGLE_ITEM_WRITES.map((n) => `'${n}'`).join(', ')})`);
    expect(sql).toContain(`AND t.eventname IN (${MULTI_ITEM_WRITES.map((n) => `'${n}'`).join(', ')})`);
  });
});
