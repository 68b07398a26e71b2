/**
 * `ddb-audit catalog sync` against an S3 bucket and a Glue table answered by aws-sdk-client-mock:
 * no local peer exists here for S3's delimited listing at this layout or for Glue's partition APIs.
 * The fakes behave as the API references describe: ListObjectsV2 with Delimiter returns
 * CommonPrefixes in pages (3 per page here, to exercise continuation), honouring StartAfter;
 * GetPartitions filters by its expression and pages with NextToken; BatchCreatePartition reports
 * an existing partition as a per-partition AlreadyExistsException.
 */
import { BatchCreatePartitionCommand, GetPartitionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as catalog, type CatalogClients } from '../../bin/commands/catalog';
import { captureIo } from '../support/capture-io';

const s3 = mockClient(S3Client);
const glue = mockClient(GlueClient);
const cfn = mockClient(CloudFormationClient);
const clients: CatalogClients = {
  s3: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  glue: new GlueClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  cloudFormation: new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
};
const PAGE = 3;

/** Installs the fakes over `keys` (object keys) and `registered` ("account/table/dt"); returns the registered set as it changes. */
function install(keys: string[], registered: Set<string>): Set<string> {
  s3.reset();
  glue.reset();
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string; Delimiter?: string; StartAfter?: string; ContinuationToken?: string }) => {
    expect(input.Bucket).toBe('changelog');
    expect(input.Delimiter).toBe('/');
    const children = [...new Set(keys.filter((k) => k.startsWith(input.Prefix)).map((k) => `${input.Prefix}${k.slice(input.Prefix.length).split('/')[0]}/`))]
      .filter((p) => input.StartAfter === undefined || p > input.StartAfter)
      .sort();
    const start = Number(input.ContinuationToken ?? 0);
    const page = children.slice(start, start + PAGE);
    return { CommonPrefixes: page.map((Prefix) => ({ Prefix })), IsTruncated: start + PAGE < children.length, ...(start + PAGE < children.length ? { NextContinuationToken: String(start + PAGE) } : {}) };
  });
  glue.on(GetPartitionsCommand).callsFake((input: { Expression: string; NextToken?: string; ExcludeColumnSchema?: boolean }) => {
    expect(input.ExcludeColumnSchema).toBe(true);
    const m = /^account_id = '([^']+)' AND table_name = '([^']+)'(?: AND dt >= '([^']+)')?$/.exec(input.Expression);
    if (!m) throw new Error(`unexpected expression ${input.Expression}`);
    const [, account, table, since] = m as unknown as [string, string, string, string | undefined];
    const matching = [...registered].map((r) => r.split('/')).filter(([a, t, dt]) => a === account && t === table && (since === undefined || (dt as string) >= since));
    const start = Number(input.NextToken ?? 0);
    const page = matching.slice(start, start + PAGE);
    return {
      Partitions: page.map((values) => ({ Values: values, StorageDescriptor: { Location: `s3://changelog/changes/account_id=${values[0]}/table_name=${values[1]}/dt=${values[2]}/` } })),
      ...(start + PAGE < matching.length ? { NextToken: String(start + PAGE) } : {}),
    };
  });
  glue.on(BatchCreatePartitionCommand).callsFake((input: { DatabaseName: string; TableName: string; PartitionInputList: { Values: string[]; StorageDescriptor: { Location: string } }[] }) => {
    expect([input.DatabaseName, input.TableName]).toEqual(['ddb_audit', 'audit_changes']);
    expect(input.PartitionInputList.length).toBeLessThanOrEqual(100);
    const Errors = [];
    for (const p of input.PartitionInputList) {
      const id = p.Values.join('/');
      if (registered.has(id)) Errors.push({ PartitionValues: p.Values, ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'exists' } });
      else registered.add(id);
    }
    return { Errors };
  });
  return registered;
}

/** Object keys of `accounts` x `tables` x `days`, two objects per partition. */
function layout(accounts: string[], tables: string[], days: string[]): string[] {
  return accounts.flatMap((a) => tables.flatMap((t) => days.flatMap((d) => [1, 2].map((n) => `changes/account_id=${a}/table_name=${t}/dt=${d}/ddb-audit-${n}.parquet`))));
}

const ACCOUNTS = ['222222222222', '333333333333', 'unknown'];
const TABLES = ['Orders', 'my.table-v2_x', 'Payments', 'Zeta'];
const DAYS = ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'];

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ddb-audit-catalog-'))));
afterAll(() => {
  s3.restore();
  glue.restore();
  cfn.restore();
  rmSync(dir, { recursive: true, force: true });
});

async function sync(args: string[]) {
  const io = captureIo({ cwd: dir, env: {} });
  const status = await catalog(['sync', ...args], io, () => clients);
  return { status, out: io.out.join(''), err: io.err.join('') };
}

describe('ddb-audit catalog sync', () => {
  test('registers exactly the partitions S3 holds and Glue lacks, over paged listings, and a second run registers nothing', async () => {
    // Prepare: 48 partitions, 40 of them registered.
    const all = ACCOUNTS.flatMap((a) => TABLES.flatMap((t) => DAYS.map((d) => `${a}/${t}/${d}`)));
    const missing = all.filter((_, i) => i % 6 === 0);
    const registered = install(layout(ACCOUNTS, TABLES, DAYS), new Set(all.filter((p) => !missing.includes(p))));
    // Act
    const first = await sync(['--bucket', 'changelog', '--json']);
    // Assess
    expect(first.status).toBe(0);
    const report = JSON.parse(first.out);
    expect(report).toMatchObject({ sources: 12, partitionsInS3: 48, alreadyRegistered: 40, missing: missing.length, created: missing.length, failedCount: 0, strayFolders: [], misplaced: [] });
    expect(new Set(registered)).toEqual(new Set(all));
    // Bounded calls: 1 listing of accounts, 1 per account, 1 per table (each with pages of 3), 1 GetPartitions per table (pages of 3).
    const listCalls = s3.commandCalls(ListObjectsV2Command).length;
    expect(listCalls).toBe(1 + ACCOUNTS.length * Math.ceil(TABLES.length / PAGE) + ACCOUNTS.length * TABLES.length * Math.ceil(DAYS.length / PAGE));
    // Act again
    const second = await sync(['--bucket', 'changelog', '--json']);
    expect(JSON.parse(second.out)).toMatchObject({ missing: 0, created: 0, alreadyRegistered: 48 });
    // One BatchCreatePartition per source that missed something, all in the first run.
    expect(glue.commandCalls(BatchCreatePartitionCommand)).toHaveLength(new Set(missing.map((m) => m.split('/').slice(0, 2).join('/'))).size);
  });

  test('--dry-run lists what is missing and registers nothing', async () => {
    const registered = install(layout(['222222222222'], ['Orders'], DAYS), new Set(['222222222222/Orders/2026-11-29']));
    const { status, out } = await sync(['--bucket', 'changelog', '--dry-run']);
    expect(status).toBe(0);
    expect(out).toContain('dry run: 1 sources and 4 partitions under s3://changelog/changes/; 1 already in ddb_audit.audit_changes');
    expect(out).toContain('would register 3');
    expect(out).toContain('  missing account_id=222222222222/table_name=Orders/dt=2026-12-02');
    expect(glue.commandCalls(BatchCreatePartitionCommand)).toHaveLength(0);
    expect(registered.size).toBe(1);
  });

  test('--since compares and registers only that day and later', async () => {
    const registered = install(layout(['222222222222'], ['Orders'], DAYS), new Set());
    const { status, out } = await sync(['--bucket', 'changelog', '--since', '2026-12-01', '--json']);
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ since: '2026-12-01', partitionsInS3: 2, created: 2 });
    expect([...registered].sort()).toEqual(['222222222222/Orders/2026-12-01', '222222222222/Orders/2026-12-02']);
    expect(s3.commandCalls(ListObjectsV2Command).some((c) => c.args[0].input.StartAfter === 'changes/account_id=222222222222/table_name=Orders/dt=2026-12-01')).toBe(true);
  });

  test('reports folders that are not partitions and never registers them', async () => {
    const keys = [...layout(['222222222222'], ['Orders'], ['2026-12-01']), 'changes/account_id=12/table_name=Orders/dt=2026-12-01/x.parquet', 'changes/account_id=222222222222/table_name=Orders/dt=yesterday/x.parquet', 'changes/stray.txt/x'];
    const registered = install(keys, new Set());
    const { status, out } = await sync(['--bucket', 'changelog', '--json']);
    expect(status).toBe(0);
    const report = JSON.parse(out);
    expect(report.strayFolders.sort()).toEqual(['changes/account_id=12/', 'changes/account_id=222222222222/table_name=Orders/dt=yesterday/', 'changes/stray.txt/']);
    expect([...registered]).toEqual(['222222222222/Orders/2026-12-01']);
  });

  test('fails, exit 1, when nothing is under changes/: an empty log is not a clean result', async () => {
    install([], new Set());
    const { status, err } = await sync(['--bucket', 'changelog']);
    expect(status).toBe(1);
    expect(err).toBe('ddb-audit catalog sync: nothing under s3://changelog/changes/: is changelog the change-log bucket?\n');
  });

  test('fails, exit 1, naming the first error, when Glue refuses partitions', async () => {
    install(layout(['222222222222'], ['Orders'], ['2026-12-01']), new Set());
    glue.on(BatchCreatePartitionCommand).resolves({ Errors: [{ PartitionValues: ['222222222222', 'Orders', '2026-12-01'], ErrorDetail: { ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized to perform glue:BatchCreatePartition' } }] });
    const { status, err } = await sync(['--bucket', 'changelog']);
    expect(status).toBe(1);
    expect(err).toMatch(/^ddb-audit catalog sync: 1 partitions could not be registered \(first: AccessDeniedException: not authorized to perform glue:BatchCreatePartition\); fix the cause and run the same command again/);
  });

  test('takes the bucket and the table from --stack-outputs', async () => {
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ DdbAuditCollector: { ChangeLogBucketName: 'changelog', GlueTable: 'ddb_audit.audit_changes' } }));
    const registered = install(layout(['222222222222'], ['Orders'], ['2026-12-01']), new Set());
    const { status } = await sync(['--stack-outputs', 'outputs.json']);
    expect(status).toBe(0);
    expect(registered.size).toBe(1);
  });

  test.each([
    [['--dry-run'], /the change-log bucket is needed: pass --bucket B, --stack-outputs FILE or --from-stack/],
    [['--bucket', 'b', '--stack-outputs', 'x.json', '--from-stack'], /--stack-outputs and --from-stack are exclusive/],
    [['--bucket', 'b', '--since', '2026-02-30'], /--since "2026-02-30" is not a yyyy-MM-dd calendar date/],
    [['--bucket', 'b', '--database', 'd'], /--database and --table go together/],
    [['--bucket', 'b', '--concurrency', '0'], /--concurrency "0" is not a whole number from 1 to 64/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('rejects %j with exit status 2 and one line', async (args, message) => {
    const { status, err } = await sync(args);
    expect(status).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  test('rejects a missing or unknown subcommand', async () => {
    const io = captureIo({ cwd: dir, env: {} });
    expect(await catalog(['repair'], io, () => clients)).toBe(2);
    expect(io.err.join('')).toMatch(/^ddb-audit catalog: unknown subcommand "repair"\n$/);
  });
});
