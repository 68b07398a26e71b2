/** lib/config: validation messages beyond the synth-level cases, defaults and what the stacks derive from the config. */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditConfig } from '../../schemas/audit-config';
import { EVENT_SOURCE_DEFAULTS } from '../../schemas/audit-config';
import {
  auditConfigFromContext,
  bytesScannedCutoffMiB,
  collectorSourceOptions,
  loadAuditConfig,
  projectionStartDate,
  readCdkJson,
  resolveDelivery,
  resolveSources,
  sourceAccounts,
} from '../../lib/config/load';
import { AuditConfigError, findConfigProblems, validateAuditConfig } from '../../lib/config/validate';

const ORDERS = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';
const PAYMENTS = 'arn:aws:dynamodb:eu-west-1:033333333333:table/Payments/stream/2026-02-01T08:00:00.000';

function config(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return { auditAccountId: '111111111111', region: 'eu-west-1', retention: { mode: 'GOVERNANCE', days: 365 }, sources: [{ streamArn: ORDERS }], ...overrides };
}

describe('validation', () => {
  test('accepts a minimal config', () => {
    expect(findConfigProblems(config())).toEqual([]);
  });

  test('lists every problem, not just the first', () => {
    const problems = findConfigProblems(config({ auditAccountId: '1', sources: [{ streamArn: 'nope' }, { streamArn: ORDERS, kmsKeyArn: 'alias/orders' }] }));
    expect(problems).toEqual([
      'auditAccountId: "1" is not a 12-digit AWS account id (write it as a string so leading zeros are kept)',
      'sources[0].streamArn: "nope" is not a DynamoDB stream ARN: not an ARN (expected arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)',
      'sources[1].kmsKeyArn: "alias/orders" is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; an alias will not do)',
    ]);
  });

  test('rejects a second stream of the same table', () => {
    const relabelled = ORDERS.replace('2026-01-15T10:00:00.000', '2026-03-01T00:00:00.000');
    expect(findConfigProblems(config({ sources: [{ streamArn: ORDERS }, { streamArn: relabelled }] }))).toEqual([
      `sources[1].streamArn: "${relabelled}" is a second stream of table arn:aws:dynamodb:eu-west-1:222222222222:table/Orders (sources[0]); a table has one stream at a time, so replace the old entry`,
    ]);
  });

  test('rejects a record age Lambda does not accept, globally and per source', () => {
    expect(findConfigProblems(config({ eventSource: { maxRecordAgeSeconds: 30 }, sources: [{ streamArn: ORDERS, eventSource: { maxRecordAgeSeconds: 0 } }] }))).toEqual([
      'sources[0].eventSource.maxRecordAgeSeconds: 0 is not -1 (no limit) or between 60 and 604800 (Lambda\'s limits)',
      'eventSource.maxRecordAgeSeconds: 30 is not -1 (no limit) or between 60 and 604800 (Lambda\'s limits)',
    ]);
    expect(findConfigProblems(config({ eventSource: { maxRecordAgeSeconds: -1 } }))).toEqual([]);
  });

  test('rejects out-of-range tuning and buffering with the value received', () => {
    expect(findConfigProblems(config({ eventSource: { batchSize: 0 }, delivery: { bufferSizeMiB: 5 } }))).toEqual([
      'eventSource.batchSize: 0 must be >= 1',
      'delivery.bufferSizeMiB: 5 must be >= 64',
    ]);
  });

  test('rejects an empty redaction path segment and a date that is not a date', () => {
    expect(findConfigProblems(config({ projectionStartDate: '2026-02-30', sources: [{ streamArn: ORDERS, redact: ['a..b'] }] }))).toEqual([
      'sources[0].redact: "a..b" has an empty attribute name at position 2',
      'projectionStartDate: "2026-02-30" is not a calendar date',
    ]);
  });

  test('says where to add the config when there is none', () => {
    expect(() => validateAuditConfig(undefined)).toThrow(AuditConfigError);
    expect(findConfigProblems(undefined)).toEqual(['no "audit" context found: add it to cdk.json (see docs/configuration.md)']);
  });
});

describe('context from the command line', () => {
  test('parses a JSON string and passes an object through', () => {
    expect(auditConfigFromContext('{"region":"eu-west-1"}')).toEqual({ region: 'eu-west-1' });
    const object = { region: 'eu-west-1' };
    expect(auditConfigFromContext(object)).toBe(object);
  });

  test('refuses a string that is not JSON, naming the context key', () => {
    expect(() => auditConfigFromContext('{region:')).toThrow(/context "audit" given on the command line is not valid JSON/);
  });
});

describe('derived values', () => {
  test('tuning: a source overrides the global settings, which override the defaults', () => {
    const [orders, payments] = resolveSources(
      config({ eventSource: { batchSize: 200, maxRetryAttempts: 3 }, sources: [{ streamArn: ORDERS }, { streamArn: PAYMENTS, eventSource: { batchSize: 50 } }] }),
    );
    expect(orders!.tuning).toEqual({ ...EVENT_SOURCE_DEFAULTS, batchSize: 200, maxRetryAttempts: 3 });
    expect(payments!.tuning).toEqual({ ...EVENT_SOURCE_DEFAULTS, batchSize: 50, maxRetryAttempts: 3 });
    expect(payments!.arn).toMatchObject({ accountId: '033333333333', tableName: 'Payments', region: 'eu-west-1' });
  });

  test('collector options are keyed by table ARN and only for sources that have some', () => {
    const options = collectorSourceOptions(config({ sources: [{ streamArn: ORDERS, actorAttribute: 'updatedBy', redact: ['card.number'] }, { streamArn: PAYMENTS }] }));
    expect(options).toEqual({ 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders': { actorAttribute: 'updatedBy', redact: ['card.number'] } });
  });

  test('source accounts are distinct, in first-seen order, leading zeros kept', () => {
    expect(sourceAccounts(config({ sources: [{ streamArn: PAYMENTS }, { streamArn: ORDERS }, { streamArn: ORDERS.replace('Orders', 'Customers') }] }))).toEqual([
      '033333333333',
      '222222222222',
    ]);
  });

  test('defaults for delivery, projection start and Athena cutoff', () => {
    expect(resolveDelivery(config())).toEqual({ bufferIntervalSeconds: 300, bufferSizeMiB: 128, packing: 'ndjson', activePartitionQuota: 500 });
    expect(resolveDelivery(config({ delivery: { activePartitionQuota: 5000 } })).activePartitionQuota).toBe(5000);
    expect(resolveDelivery(config({ delivery: { packing: 'single' } })).packing).toBe('single');
    expect(projectionStartDate(config())).toBe('2026-01-01');
    expect(bytesScannedCutoffMiB(config())).toBe(10240);
    expect(bytesScannedCutoffMiB(config({ athena: { bytesScannedCutoffPerQueryMiB: 500 } }))).toBe(500);
  });
});

describe('reading cdk.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-config-'));

  test('loads and validates the audit context of a file', () => {
    const path = join(dir, 'valid.json');
    writeFileSync(path, JSON.stringify({ app: 'x', context: { audit: config() } }));
    expect(loadAuditConfig(path).sources).toHaveLength(1);
  });

  test('names the file when it is missing or not JSON', () => {
    expect(() => readCdkJson(join(dir, 'missing.json'))).toThrow(/^cannot read .*missing\.json/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"context":');
    expect(() => readCdkJson(broken)).toThrow(/broken\.json is not valid JSON/);
  });
});

describe('strict config', () => {
  const KEY = 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  test('rejects stream labels that are not the stream creation time', () => {
    const latest = ORDERS.replace('2026-01-15T10:00:00.000', 'latest');
    const month13 = PAYMENTS.replace('2026-02-01T08:00:00.000', '2026-13-01T08:00:00.000');
    expect(findConfigProblems(config({ sources: [{ streamArn: latest }, { streamArn: month13 }] }))).toEqual([
      `sources[0].streamArn: "${latest}" has stream label "latest", which is not the stream's creation time (yyyy-MM-ddTHH:mm:ss.SSS, as DescribeTable's LatestStreamArn gives it)`,
      `sources[1].streamArn: "${month13}" has stream label "2026-13-01T08:00:00.000", which is not the stream's creation time (yyyy-MM-ddTHH:mm:ss.SSS, as DescribeTable's LatestStreamArn gives it)`,
    ]);
  });

  test('rejects a KMS key in another region, account or partition than its table', () => {
    const otherRegion = KEY.replace('eu-west-1', 'us-east-1');
    const otherAccount = KEY.replace('222222222222', '999999999999');
    const otherPartition = KEY.replace('arn:aws:', 'arn:aws-cn:');
    const sources = [
      { streamArn: ORDERS, kmsKeyArn: KEY },
      { streamArn: PAYMENTS, kmsKeyArn: otherRegion.replace('222222222222', '033333333333') },
      { streamArn: ORDERS.replace('Orders', 'Customers'), kmsKeyArn: otherAccount },
      { streamArn: ORDERS.replace('Orders', 'Invoices'), kmsKeyArn: otherPartition },
    ];
    expect(findConfigProblems(config({ sources }))).toEqual([
      `sources[1].kmsKeyArn: "${otherRegion.replace('222222222222', '033333333333')}" is in region us-east-1, not eu-west-1: a table's key is in the table's own partition, region and account (those of streamArn)`,
      `sources[2].kmsKeyArn: "${otherAccount}" is in account 999999999999, not 222222222222: a table's key is in the table's own partition, region and account (those of streamArn)`,
      `sources[3].kmsKeyArn: "${otherPartition}" is in partition aws-cn, not aws: a table's key is in the table's own partition, region and account (those of streamArn)`,
    ]);
  });

  test('rejects the aws-cn partition with a commercial region, and accepts it with a China region', () => {
    const mixed = ORDERS.replace('arn:aws:', 'arn:aws-cn:');
    expect(findConfigProblems(config({ sources: [{ streamArn: mixed }] }))).toEqual([`sources[0].streamArn: "${mixed}" is in partition aws-cn, but region eu-west-1 belongs to partition aws`]);
    const china = ORDERS.replace('arn:aws:', 'arn:aws-cn:').replace('eu-west-1', 'cn-north-1');
    expect(findConfigProblems(config({ region: 'cn-north-1', sources: [{ streamArn: china }] }))).toEqual([]);
  });

  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'])('rejects actorAttribute %p, a prototype property name', (name) => {
    expect(findConfigProblems(config({ sources: [{ streamArn: ORDERS, actorAttribute: name }] }))).toEqual([
      `sources[0].actorAttribute: "${name}" is a JavaScript object property name (like __proto__ or constructor) and cannot be read safely as an attribute name`,
    ]);
  });

  test('rejects control characters in names and prints them escaped', () => {
    const problems = findConfigProblems(config({ alarmEmail: 'ops@example.com\n', sources: [{ streamArn: ORDERS, actorAttribute: 'updated\u001b[2KBy', redact: ['card.\u202enumber'] }] }));
    expect(problems).toEqual([
      'alarmEmail: "ops@example.com\\x0a" contains a control character (newline, tab, escape, bidirectional override…); names must be printable text',
      'sources[0].actorAttribute: "updated\\x1b[2KBy" contains a control character (newline, tab, escape, bidirectional override…); names must be printable text',
      'sources[0].redact[0]: "card.\\u202enumber" contains a control character (newline, tab, escape, bidirectional override…); names must be printable text',
    ]);
  });

  test('reports shape and semantic problems together, each naming its JSON path', () => {
    const raw = { ...config({ auditAccountId: '12' }), retention: { mode: 'FOREVER', days: 0 }, sources: [{ streamArn: ORDERS, kmsKeyArn: KEY.replace('eu-west-1', 'eu-west-2') }, { streamArn: 7 }] };
    expect(findConfigProblems(raw)).toEqual([
      'retention.mode: "FOREVER" is not one of "GOVERNANCE", "COMPLIANCE"',
      'retention.days: 0 must be >= 1',
      'sources[1].streamArn: 7 must be string',
      'auditAccountId: "12" is not a 12-digit AWS account id (write it as a string so leading zeros are kept)',
      `sources[0].kmsKeyArn: "${KEY.replace('eu-west-1', 'eu-west-2')}" is in region eu-west-2, not eu-west-1: a table's key is in the table's own partition, region and account (those of streamArn)`,
    ]);
  });

  // Each kind breaks a different part of the config, so the problems are independent: k kinds
  // applied must give exactly k lines, each starting with the path of the part broken.
  type Breaker = { path: string; apply: (c: Record<string, any>, s: Record<string, any>) => void };
  const globalKinds: Breaker[] = [
    { path: 'auditAccountId', apply: (c) => void (c.auditAccountId = '12345') },
    { path: 'retention.mode', apply: (c) => void (c.retention.mode = 'FOREVER') },
    { path: 'retention.days', apply: (c) => void (c.retention.days = 0) },
    { path: '(top level)', apply: (c) => void (c.unknownKey = true) },
    { path: 'delivery.bufferSizeMiB', apply: (c) => void (c.delivery = { bufferSizeMiB: 5 }) },
    { path: 'eventSource.maxRecordAgeSeconds', apply: (c) => void (c.eventSource = { maxRecordAgeSeconds: 30 }) },
    { path: 'projectionStartDate', apply: (c) => void (c.projectionStartDate = '2026-02-30') },
    { path: 'alarmEmail', apply: (c) => void (c.alarmEmail = 'a\nb@example.com') },
  ];
  const sourceKinds: Breaker[] = [
    { path: 'streamArn', apply: (_c, s) => void (s.streamArn = s.streamArn.replace(/stream\/.*$/, 'stream/latest')) },
    { path: 'streamArn', apply: (_c, s) => void (s.streamArn = s.streamArn.replace('arn:aws:', 'arn:aws-cn:')) },
    { path: 'kmsKeyArn', apply: (_c, s) => void (s.kmsKeyArn = `arn:aws:kms:us-east-1:${/:(\d{12}):/.exec(s.streamArn)![1]}:key/abc`) },
    { path: 'kmsKeyArn', apply: (_c, s) => void (s.kmsKeyArn = 'arn:aws:kms:eu-west-1:999999999999:key/abc') },
    { path: 'kmsKeyArn', apply: (_c, s) => void (s.kmsKeyArn = 'alias/x') },
    { path: 'actorAttribute', apply: (_c, s) => void (s.actorAttribute = '__proto__') },
    { path: 'actorAttribute', apply: (_c, s) => void (s.actorAttribute = 'by\r\nwho') },
    { path: 'redact', apply: (_c, s) => void (s.redact = ['a..b']) },
    { path: 'eventSource.batchSize', apply: (_c, s) => void (s.eventSource = { batchSize: 0 }) },
    { path: '', apply: (_c, s) => void (s.actorAtribute = 'typo') },
  ];

  test('a config with k independent errors reports exactly k lines, each naming its path', () => {
    fc.assert(
      fc.property(
        fc.subarray(globalKinds),
        fc.array(fc.option(fc.constantFrom(...sourceKinds), { nil: undefined }), { minLength: 1, maxLength: 6 }),
        (globals, perSource) => {
          const c: Record<string, any> = config({ sources: perSource.map((_, i) => ({ streamArn: `arn:aws:dynamodb:eu-west-1:2222222222${String(i).padStart(2, '0')}:table/T${i}x/stream/2026-01-15T10:00:00.000` })) });
          c.retention = { ...c.retention };
          const expected: string[] = [];
          for (const kind of globals) {
            kind.apply(c, {});
            expected.push(`${kind.path}:`);
          }
          perSource.forEach((kind, i) => {
            if (!kind) return;
            kind.apply(c, c.sources[i]);
            expected.push(kind.path === '' ? `sources[${i}]:` : `sources[${i}].${kind.path}`);
          });
          const problems = findConfigProblems(c);
          expect(problems).toHaveLength(expected.length);
          for (const prefix of expected) expect(problems.some((p) => p.startsWith(prefix))).toBe(true);
          for (const p of problems) expect(p).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
