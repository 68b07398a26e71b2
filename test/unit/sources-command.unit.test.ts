/** `ddb-audit sources add|list|validate`, run in-process against temporary copies of the example cdk.json. */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../bin/commands/sources';
import { main } from '../../bin/ddb-audit';
import { SOURCE_COLUMNS } from '../../cli/sources/source-columns';
import { findConfigProblems } from '../../lib/config/validate';
import { captureIo } from '../support/capture-io';

const REPO_CDK_JSON = join(__dirname, '..', '..', 'cdk.json');
const NEW_STREAM = 'arn:aws:dynamodb:eu-west-1:444444444444:table/Invoices/stream/2026-03-01T00:00:00.000';
const ORDERS = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';

function tempCdkJson(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ddb-audit-sources-')), 'cdk.json');
  copyFileSync(REPO_CDK_JSON, path);
  return path;
}

async function sources(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await run(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('sources add', () => {
  test('writes the entry, keeps every other key, and the result is a valid config', async () => {
    const path = tempCdkJson();
    const before = JSON.parse(readFileSync(path, 'utf8'));

    const result = await sources(['add', '--stream-arn', NEW_STREAM, '--actor-attribute', 'updatedBy', '--redact', 'iban, card.number', '--cdk-json', path]);

    expect(result).toMatchObject({ code: 0, err: '' });
    const after = JSON.parse(readFileSync(path, 'utf8'));
    expect(after.context.audit.sources).toEqual([...before.context.audit.sources, { streamArn: NEW_STREAM, actorAttribute: 'updatedBy', redact: ['iban', 'card.number'] }]);
    expect({ ...after, context: { ...after.context, audit: undefined } }).toEqual({ ...before, context: { ...before.context, audit: undefined } });
    expect(findConfigProblems(after.context.audit)).toEqual([]);
  });

  test('records --key-attributes, and then refuses a redact path on a key attribute, leaving cdk.json untouched', async () => {
    const path = tempCdkJson();
    const ok = await sources(['add', '--stream-arn', NEW_STREAM, '--key-attributes', 'pk, sk', '--redact', 'card.number', '--cdk-json', path]);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(readFileSync(path, 'utf8')).context.audit.sources.at(-1)).toEqual({ streamArn: NEW_STREAM, redact: ['card.number'], keyAttributes: ['pk', 'sk'] });

    const other = tempCdkJson();
    const before = readFileSync(other, 'utf8');
    const refused = await sources(['add', '--stream-arn', NEW_STREAM, '--key-attributes', 'pk,sk', '--redact', 'sk', '--cdk-json', other]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('names the key attribute "sk"; keys are never redacted');
    expect(readFileSync(other, 'utf8')).toBe(before);
  });

  test('prints the deploy order, the stream policy for the source account and the known blockers', async () => {
    const path = tempCdkJson();

    const { out } = await sources(['add', '--stream-arn', NEW_STREAM, '--kms-key-arn', 'arn:aws:kms:eu-west-1:444444444444:key/abcd-1234', '--cdk-json', path]);

    expect(out).toContain('Added sources[3]');
    // The watch stack too: its source list (a layer file) holds the new stream.
    expect(out).toContain('npx cdk deploy DdbAuditCollector DdbAuditWatch');
    expect(out).toContain('npx cdk deploy --exclusively DdbAuditSource-444444444444');
    expect(out).toContain('npx cdk deploy --exclusively DdbAuditMappings-444444444444 ');
    expect(out).toContain('"AWS": "arn:aws:iam::111111111111:role/ddb-audit-collector-eu-west-1"');
    expect(out).toContain('"dynamodb:GetShardIterator"');
    expect(out).toContain('key policy of arn:aws:kms:eu-west-1:444444444444:key/abcd-1234');
    expect(out).toContain('aws/dynamodb');
    expect(out).toContain('two concurrent readers');
    expect(out.indexOf('DdbAuditCollector')).toBeLessThan(out.indexOf('DdbAuditSource-444444444444'));
    expect(out.indexOf('DdbAuditSource-444444444444')).toBeLessThan(out.indexOf('DdbAuditMappings'));
    // The audit stack step says what it changes: the catalog registers partitions, it has no projection to extend.
    expect(out).not.toContain('partition projection');
    expect(out).toContain('registered as its first changes arrive');
  });

  test("names the source stack chunk the new table lands in: the 198th table of an account is in DdbAuditSource-<account>-1, its mapping still in chunk 0", async () => {
    // Prepare: account 444444444444 already has 197 tables, a full source stack (lib/stack-chunks.ts).
    const path = tempCdkJson();
    const cdk = JSON.parse(readFileSync(path, 'utf8'));
    for (let i = 0; i < 197; i++) cdk.context.audit.sources.push({ streamArn: `arn:aws:dynamodb:eu-west-1:444444444444:table/Table${i}/stream/2026-03-01T00:00:00.000` });
    writeFileSync(path, JSON.stringify(cdk, null, 2));

    // Act
    const { out, err } = await sources(['add', '--stream-arn', NEW_STREAM, '--cdk-json', path]);

    // Assess
    expect(err).toBe('');
    expect(out).toContain('npx cdk deploy --exclusively DdbAuditSource-444444444444-1 ');
    expect(out).not.toContain('DdbAuditSource-444444444444 ');
    expect(out).toContain('npx cdk deploy --exclusively DdbAuditMappings-444444444444 ');
    // A team with its own policy writes the Sids source stack 1 writes (lib/stream-policy.ts, collectorStreamSid).
    expect(out).toContain('"Sid": "DdbAuditCollectorReadsStreamChunk1"');
    expect(out).toContain('"Sid": "DdbAuditWatchDescribesTableChunk1"');
    expect(out).not.toContain('"Sid": "DdbAuditCollectorReadsStream"');
    expect(out).not.toContain('"Sid": "DdbAuditWatchDescribesTable"');
  });

  test('with the watch (the default), the documents for a team\'s own TableV2 name the watch role in the stream policy and grant it DescribeTable on the table', async () => {
    const path = tempCdkJson();
    const { out } = await sources(['add', '--stream-arn', NEW_STREAM, '--cdk-json', path]);
    expect(out).toContain('"arn:aws:iam::111111111111:role/ddb-audit-watch-eu-west-1"');
    // The account's first source stack (chunk 0) keeps the legacy Sids.
    expect(out).toContain('"Sid": "DdbAuditCollectorReadsStream"');
    expect(out).toContain('"Sid": "DdbAuditWatchDescribesTable"');
    expect(out).toContain('"dynamodb:DescribeTable"');

    const off = tempCdkJson();
    const cdk = JSON.parse(readFileSync(off, 'utf8'));
    cdk.context.audit.watch = { enabled: false };
    writeFileSync(off, JSON.stringify(cdk, null, 2));
    const without = await sources(['add', '--stream-arn', NEW_STREAM, '--cdk-json', off]);
    expect(without.out).not.toContain('ddb-audit-watch');
    expect(without.out).toContain('"AWS": "arn:aws:iam::111111111111:role/ddb-audit-collector-eu-west-1"');
  });

  test('refuses a stream already onboarded and leaves cdk.json untouched', async () => {
    const path = tempCdkJson();
    const before = readFileSync(path, 'utf8');

    const result = await sources(['add', '--stream-arn', ORDERS, '--cdk-json', path]);

    expect(result.code).toBe(2);
    expect(result.err).toBe(`ddb-audit sources add: stream ${ORDERS} is already onboarded as sources[0] in ${path}; nothing changed\n`);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  test('refuses a source the synth would refuse, with the same message, and writes nothing', async () => {
    const path = tempCdkJson();
    const before = readFileSync(path, 'utf8');
    const otherRegion = NEW_STREAM.replace('eu-west-1', 'us-east-1');

    const result = await sources(['add', '--stream-arn', otherRegion, '--cdk-json', path]);

    expect(result.code).toBe(1);
    expect(result.err).toContain('not added, cdk.json unchanged. Invalid audit config (cdk.json context "audit"):');
    expect(result.err).toContain(`sources[3].streamArn: "${otherRegion}" is in region us-east-1, but the collector is in eu-west-1; cross-account DynamoDB stream reading works only in the same region`);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  test('needs --stream-arn and rejects unknown options', async () => {
    const path = tempCdkJson();
    expect(await sources(['add', '--cdk-json', path])).toMatchObject({ code: 2, err: expect.stringContaining('add needs --stream-arn ARN') });
    expect(await sources(['add', '--stream-arn', NEW_STREAM, '--actor', 'x', '--cdk-json', path])).toMatchObject({ code: 2, err: "ddb-audit sources add: unknown option '--actor'\n" });
  });

  test('names a cdk.json without an audit context', async () => {
    const path = tempCdkJson();
    writeFileSync(path, JSON.stringify({ app: 'npx tsx bin/app.ts', context: {} }));
    expect(await sources(['add', '--stream-arn', NEW_STREAM, '--cdk-json', path])).toMatchObject({ code: 2, err: expect.stringContaining('has no "context.audit" object') });
  });
});

describe('sources list', () => {
  test('shows one line per source with account, table, options', async () => {
    const { code, out } = await sources(['list', '--cdk-json', tempCdkJson()]);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^#\s+account\s+region\s+table\s+stream label\s+actor attribute\s+redact\s+CMK\s+stream ARN$/);
    expect(lines[1]).toMatch(/^0\s+222222222222\s+eu-west-1\s+Orders\s+2026-01-15T10:00:00\.000\s+updatedBy\s+payment\.cardNumber\s+no\s+arn:aws:dynamodb:eu-west-1:222222222222:table\/Orders\/stream\/2026-01-15T10:00:00\.000$/);
    expect(lines[3]).toMatch(/^2\s+033333333333\s+eu-west-1\s+Payments\s+.*\s+yes\s+arn:aws:dynamodb:\S+$/);
  });

  test('prints values from cdk.json with control characters escaped, so an entry cannot repaint the listing', async () => {
    const path = tempCdkJson();
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    doc.context.audit.sources.push({ streamArn: 'arn:aws:dynamodb:eu-west-1:444444444444:table/Evil/stream/x\u001b[1A', actorAttribute: 'by\r\u009b2K', redact: ['a\nb'] });
    writeFileSync(path, JSON.stringify(doc));
    const { code, out } = await sources(['list', '--cdk-json', path]);
    expect(code).toBe(0);
    for (const line of out.slice(0, -1).split('\n')) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(out).toContain('by\\x0d\\x9b2K');
    expect(out).toContain('a\\x0ab');
  });

  test('--json prints the same columns as the table, one object per source, with the exact values of cdk.json', async () => {
    const path = tempCdkJson();
    const { out } = await sources(['list', '--json', '--cdk-json', path]);
    const table = (await sources(['list', '--cdk-json', path])).out.split('\n');
    const rows = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    const entries = JSON.parse(readFileSync(path, 'utf8')).context.audit.sources;
    expect(rows).toHaveLength(entries.length);
    // One JSON key per table column, in the table's order.
    expect(SOURCE_COLUMNS.map((c) => c.header).join(' ')).toBe((table[0] as string).split(/\s{2,}/).join(' '));
    for (const row of rows) expect(Object.keys(row)).toEqual(SOURCE_COLUMNS.map((c) => c.json));
    rows.forEach((row, i) => {
      const entry = entries[i];
      expect(row).toMatchObject({ index: i, stream_arn: entry.streamArn, actor_attribute: entry.actorAttribute ?? null, redact: entry.redact ?? [], kms_key_arn: entry.kmsKeyArn ?? null });
      expect(entry.streamArn).toContain(`:${row.account}:table/${row.table}/stream/${row.stream_label}`);
    });
  });
});

describe('sources validate', () => {
  test('passes the example config', async () => {
    expect(await sources(['validate', '--cdk-json', tempCdkJson()])).toMatchObject({ code: 0, out: expect.stringContaining('audit config is valid (3 sources)') });
  });

  test('fails with the same messages as the synth', async () => {
    const path = tempCdkJson();
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    doc.context.audit.auditAccountId = '11111111111';
    doc.context.audit.sources.push({ streamArn: ORDERS });
    writeFileSync(path, JSON.stringify(doc));

    const result = await sources(['validate', '--cdk-json', path]);

    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'Invalid audit config (cdk.json context "audit"):\n' +
        '  - auditAccountId: "11111111111" is not a 12-digit AWS account id (write it as a string so leading zeros are kept)\n' +
        `  - sources[3].streamArn: "${ORDERS}" duplicates sources[0]; each stream is onboarded once\n`,
    );
  });
});

test('is registered in the ddb-audit dispatcher', async () => {
  const io = captureIo();
  const code = await main(['sources', 'list', '--cdk-json', tempCdkJson()], io);
  expect(code).toBe(0);
  expect(io.out.join('')).toContain('Customers');
  const unknown = captureIo();
  expect(await main(['sources', 'frobnicate'], unknown)).toBe(2);
  expect(unknown.err.join('')).toContain('unknown subcommand "frobnicate"');
});
