/** lib/config: validation messages beyond the synth-level cases, defaults and what the stacks derive from the config. */
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
    expect(findConfigProblems(undefined)).toEqual(['no "audit" context found: add it to cdk.json (see README, Configuration)']);
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
    expect(resolveDelivery(config())).toEqual({ bufferIntervalSeconds: 300, bufferSizeMiB: 128, packing: 'ndjson' });
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
