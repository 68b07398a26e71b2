/**
 * actor-activity end to end on this machine: stream events through the real collector handler and
 * the local Firehose into Parquet, CloudTrail log files in the trail's own layout, the bundled
 * query on DuckDB. A change matches :actor by its configured actor attribute, or by the caller
 * CloudTrail recorded for it when change-attribution's join attributes it exactly.
 *
 * 1. Fixtures: one change per case (a caller with no actor attribute, an attribute with no
 *    caller, both, an ambiguous same-second pair, a role with a path, a neighbouring role name,
 *    an account with no CloudTrail input), and a data folder with no CloudTrail at all.
 * 2. A generated workload: for each identity form (session ARN, role ARN with and without its path,
 *    assumed-role ARN without a session, IAM user, federated user and its issuing user, actor
 *    values), the rows are exactly those an independent model of the rule selects from the ledger.
 * CloudTrail record shapes follow AWS's DynamoDB examples and userIdentity reference:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryParamError, runQuery } from '../../cli/query';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { queryCommand } from '../../cli/query/query-command';
import { CloudTrailRecord, writeCloudTrailFile } from '../../local/cloudtrail/files';
import { CallerEntry, DEMO_PRINCIPALS, demoCloudTrail, deliveryFiles } from '../../local/demo/cloudtrail-workload';
import { ACTORS, demoSourceOptions, generateWorkload, LedgerEntry } from '../../local/demo/workload';
import { CollectorHandler, startLocalPipeline } from '../../local/pipeline';
import { expectedAttribution } from '../support/attribution-model';
import { captureIo } from '../support/capture-io';

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

async function ingest(dataDir: string, events: Iterable<DynamoDBStreamEvent>, sourceOptions = {}): Promise<void> {
  const pipeline = await startLocalPipeline({ dataDir, sourceOptions, writer: 'inline', loadHandler: loadHandlerIsolated });
  try {
    for (const event of events) expect((await pipeline.invoke(event)).batchItemFailures).toEqual([]);
    await pipeline.firehose.flush();
  } finally {
    await pipeline.close();
  }
}

async function writeTrail(dataDir: string, records: readonly CloudTrailRecord[]): Promise<void> {
  for (const file of deliveryFiles(records, 5)) await writeCloudTrailFile(dataDir, file, file.records);
}

type Row = Record<string, unknown>;
const DAY = '2026-03-01';
const activity = async (dataDir: string, actor: string, extra: Record<string, string> = {}) => runQuery({ name: 'actor-activity', params: { from: DAY, to: DAY, actor, ...extra }, dataDir });
const ids = (rows: readonly Row[]) => rows.map((r) => String(r.event_id)).sort();

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const ACCOUNT = '111122223333';
const UNTRAILED = '444455556666'; // its writes reach the log, its trail files are not there
const REGION = 'us-west-2';
const T = Date.parse(`${DAY}T10:00:00Z`);
const at = (seconds: number) => new Date(T + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const roleSession = (role: string, path: string, session: string) => ({
  type: 'AssumedRole',
  principalId: `AROAEXAMPLE${role.length}:${session}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLE',
  sessionContext: {
    attributes: { mfaAuthenticated: 'false', creationDate: '2026-03-01T08:00:00Z' },
    sessionIssuer: { type: 'Role', principalId: `AROAEXAMPLE${role.length}`, arn: `arn:aws:iam::${ACCOUNT}:role/${path}${role}`, accountId: ACCOUNT, userName: role },
  },
});
// bob's role session, as in AWS's DynamoDB examples; a role whose name starts with "users"; an
// IAM Identity Center role (path aws-reserved/sso.amazonaws.com/); an IAM user.
const BOB = roleSession('users', '', 'bob');
const EVE = roleSession('users-admin', '', 'eve');
const CAROL_SSO = roleSession('AWSReservedSSO_DataSteward_0123456789abcdef', 'aws-reserved/sso.amazonaws.com/', 'carol@example.com');
const ALICE_USER = { type: 'IAMUser', principalId: 'AIDAEXAMPLEALICE0001', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLEALICE0001', userName: 'alice' };
const USERS_ROLE = `arn:aws:iam::${ACCOUNT}:role/users`;

let eventIds = 0;
function trailRecord(eventName: string, seconds: number, requestParameters: Record<string, unknown>, userIdentity: Record<string, unknown>, account = ACCOUNT): CloudTrailRecord {
  eventIds++;
  return {
    eventVersion: '1.08',
    userIdentity,
    eventTime: at(seconds),
    eventSource: 'dynamodb.amazonaws.com',
    eventName,
    awsRegion: REGION,
    sourceIPAddress: '192.0.2.0',
    userAgent: 'aws-cli/2.22.0',
    requestParameters,
    responseElements: null,
    requestID: `REQ${String(eventIds).padStart(49, '0')}`,
    eventID: `00000000-0000-4000-8000-${String(eventIds).padStart(12, '0')}`,
    readOnly: false,
    resources: [{ accountId: account, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:${REGION}:${account}:table/Music` }],
    eventType: 'AwsApiCall',
    apiVersion: '2012-08-10',
    managementEvent: false,
    recipientAccountId: account,
    eventCategory: 'Data',
  };
}

let sequence = 200000000000000000000n;
function change(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', seconds: number, title: string, options: { eventId: string; updatedBy?: string; account?: string; ttl?: boolean }): DynamoDBRecord {
  sequence += 1n;
  const account = options.account ?? ACCOUNT;
  const keys = { Artist: { S: 'No One You Know' }, SongTitle: { S: title } };
  const image: Record<string, AttributeValue> = { ...keys, AlbumTitle: { S: 'Somewhat Famous' }, ...(options.updatedBy ? { updatedBy: { S: options.updatedBy } } : {}) };
  return {
    eventID: options.eventId,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: {
      ApproximateCreationDateTime: (T + seconds * 1000) / 1000,
      Keys: keys,
      ...(eventName !== 'REMOVE' ? { NewImage: image } : {}),
      ...(eventName !== 'INSERT' ? { OldImage: image } : {}),
      SequenceNumber: sequence.toString(),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${REGION}:${account}:table/Music/stream/2026-01-15T10:00:00.000`,
    ...(options.ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}
const songKey = (title: string) => ({ Artist: 'No One You Know', SongTitle: title });
const sourceOptions = Object.fromEntries([ACCOUNT, UNTRAILED].map((a) => [`arn:aws:dynamodb:${REGION}:${a}:table/Music`, { actorAttribute: 'updatedBy' }]));

const FIXTURE_CHANGES: DynamoDBRecord[] = [
  change('INSERT', 60, 'No Attribute', { eventId: 'principal-only' }), // bob, and no actor attribute at all
  change('INSERT', 120, 'Attribute Only', { eventId: 'attribute-only', updatedBy: 'alice@example.com' }), // no CloudTrail event
  change('MODIFY', 180, 'Both', { eventId: 'both', updatedBy: BOB.arn }), // the application wrote its caller's ARN
  change('MODIFY', 240, 'Same Second', { eventId: 'ambiguous-1', updatedBy: 'alice@example.com' }), // bob twice in one second
  change('MODIFY', 240, 'Same Second', { eventId: 'ambiguous-2' }),
  change('INSERT', 300, 'Neighbour Role', { eventId: 'users-admin' }), // eve, of role users-admin
  change('INSERT', 360, 'Identity Center', { eventId: 'sso' }), // carol's IAM Identity Center session
  change('REMOVE', 420, 'By Alice', { eventId: 'iam-user', updatedBy: 'bob@example.com' }), // alice's IAM user deleted it
  change('REMOVE', 480, 'Expired', { eventId: 'ttl', ttl: true }),
  change('INSERT', 540, 'Untrailed', { eventId: 'untrailed', updatedBy: 'alice@example.com', account: UNTRAILED }),
];
const FIXTURE_TRAIL: CloudTrailRecord[] = [
  trailRecord('PutItem', 60, { tableName: 'Music', key: songKey('No Attribute') }, BOB),
  trailRecord('UpdateItem', 181, { tableName: 'Music', key: songKey('Both') }, BOB),
  trailRecord('UpdateItem', 240, { tableName: 'Music', key: songKey('Same Second') }, BOB),
  trailRecord('UpdateItem', 240, { tableName: 'Music', key: songKey('Same Second') }, BOB),
  trailRecord('PutItem', 300, { tableName: 'Music', key: songKey('Neighbour Role') }, EVE),
  trailRecord('PutItem', 360, { tableName: 'Music', key: songKey('Identity Center') }, CAROL_SSO),
  trailRecord('DeleteItem', 420, { tableName: 'Music', key: songKey('By Alice') }, ALICE_USER),
];

function byChange(rows: readonly Row[]): Record<string, { matched_by: unknown; attribution: unknown; reason: unknown; principal: unknown }> {
  return Object.fromEntries(rows.map((r) => [String(r.event_id), { matched_by: r.matched_by, attribution: r.attribution, reason: r.attribution_reason, principal: r.principal_arn }]));
}

describe('actor-activity on fixtures: by the actor attribute, by the CloudTrail caller, or both', () => {
  let dataDir: string;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-actor-activity-fixtures-'));
    const byStream = new Map<string, DynamoDBRecord[]>();
    for (const r of FIXTURE_CHANGES) byStream.set(r.eventSourceARN as string, [...(byStream.get(r.eventSourceARN as string) ?? []), r]);
    await ingest(dataDir, [...byStream.values()].map((Records) => ({ Records })), sourceOptions);
    await writeTrail(dataDir, FIXTURE_TRAIL);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finds a caller that only CloudTrail knows (no actor attribute), and a change whose attribute is its caller as both', async () => {
    const result = await activity(dataDir, BOB.arn);
    expect(byChange(result.rows)).toEqual({
      'principal-only': { matched_by: 'principal', attribution: 'exact', reason: 'single-item-call', principal: BOB.arn },
      both: { matched_by: 'both', attribution: 'exact', reason: 'single-item-call', principal: BOB.arn },
    });
    expect(result.rows.find((r) => r.event_id === 'principal-only')).toMatchObject({ actor: null, principal_type: 'AssumedRole', session_issuer_arn: USERS_ROLE, source_ip: '192.0.2.0', cloudtrail_event_name: 'PutItem' });
    expect(result.warnings).toBeUndefined();
  });

  it('finds an actor the attribute names and CloudTrail does not, and says why no caller shows', async () => {
    const rows = (await activity(dataDir, 'alice@example.com')).rows;
    expect(byChange(rows)).toEqual({
      'attribute-only': { matched_by: 'attribute', attribution: 'none', reason: 'no-cloudtrail-event', principal: null },
      'ambiguous-1': { matched_by: 'attribute', attribution: 'ambiguous', reason: 'competing-candidates', principal: null },
      untrailed: { matched_by: 'attribute', attribution: 'none', reason: 'cloudtrail-unavailable', principal: null },
    });
  });

  it('never claims an ambiguous same-second change by principal, though CloudTrail has its caller twice', async () => {
    for (const actor of [BOB.arn, USERS_ROLE]) {
      const rows = (await activity(dataDir, actor)).rows;
      expect(ids(rows)).not.toContain('ambiguous-1');
      expect(ids(rows)).not.toContain('ambiguous-2');
    }
  });

  it.each([
    ['the role ARN (every session of it)', USERS_ROLE, ['both', 'principal-only']],
    ['the assumed-role ARN without a session', `arn:aws:sts::${ACCOUNT}:assumed-role/users`, ['both', 'principal-only']],
    ['the assumed-role ARN without a session, with a trailing slash', `arn:aws:sts::${ACCOUNT}:assumed-role/users/`, ['both', 'principal-only']],
    ['a neighbouring role, whose name starts the same', `arn:aws:iam::${ACCOUNT}:role/users-admin`, ['users-admin']],
    ['a role with its path, as the session issuer has it', CAROL_SSO.sessionContext.sessionIssuer.arn, ['sso']],
    ['a role without its path, as a security engineer may type it', `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_DataSteward_0123456789abcdef`, ['sso']],
    ['an IAM Identity Center session ARN', CAROL_SSO.arn, ['sso']],
    ['an IAM user ARN', ALICE_USER.arn, ['iam-user']],
    ['the role in another account', 'arn:aws:iam::999999999999:role/users', []],
    ['a session name alone, which whoever assumes a role chooses', 'carol@example.com', []],
  ])('by %s', async (_label, actor, expected) => {
    const rows = (await activity(dataDir, actor)).rows;
    expect(ids(rows)).toEqual(expected);
    expect(rows.every((r) => r.attribution === 'exact' && r.matched_by === 'principal')).toBe(true);
  });

  it('never matches a snapshot row by principal, though its key and time meet the caller\'s call', async () => {
    // Prepare: a folder whose only change is principal-only turned into a backfill snapshot (op r)
    const snapshotDir = mkdtempSync(join(tmpdir(), 'ddb-audit-actor-activity-snapshot-'));
    try {
      const partition = join(snapshotDir, 'changes', `account_id=${ACCOUNT}`, 'table_name=Music', `dt=${DAY}`);
      mkdirSync(partition, { recursive: true });
      const connection = await openLocalConnection(dataDir);
      try {
        await connection.run(`COPY (SELECT * EXCLUDE (account_id, table_name, dt) REPLACE ('r' AS op, 'SNAPSHOT' AS event_name, 'snapshot' AS event_id) FROM audit_changes WHERE event_id = 'principal-only') TO '${join(partition, 'snapshot.parquet')}' (FORMAT parquet)`);
      } finally {
        connection.closeSync();
      }
      cpSync(join(dataDir, 'cloudtrail'), join(snapshotDir, 'cloudtrail'), { recursive: true });
      // Act
      const attributed = await runQuery({ name: 'change-attribution', params: { from: DAY, to: DAY }, dataDir: snapshotDir });
      const rows = (await activity(snapshotDir, BOB.arn)).rows;
      // Assess: the join never takes a snapshot as a candidate, so neither query names bob for it
      expect(attributed.rows.map((r) => [r.event_id, r.attribution, r.attribution_reason, r.principal_arn, r.candidate_count])).toEqual([['snapshot', 'none', 'snapshot', null, 0]]);
      expect(rows).toEqual([]);
    } finally {
      rmSync(snapshotDir, { recursive: true, force: true });
    }
  });

  it('by the TTL actor, the expiries DynamoDB made', async () => {
    expect(byChange((await activity(dataDir, 'dynamodb.amazonaws.com')).rows)).toEqual({ ttl: { matched_by: 'attribute', attribution: 'ttl', reason: 'ttl-expiry', principal: null } });
  });

  it('match_by keeps one side: principal drops attribute-only rows, attribute drops principal-only rows', async () => {
    expect(ids((await activity(dataDir, BOB.arn, { match_by: 'principal' })).rows)).toEqual(['both', 'principal-only']);
    expect(byChange((await activity(dataDir, BOB.arn, { match_by: 'attribute' })).rows)).toEqual({ both: { matched_by: 'both', attribution: 'exact', reason: 'single-item-call', principal: BOB.arn } });
    expect(ids((await activity(dataDir, 'alice@example.com', { match_by: 'principal' })).rows)).toEqual([]);
    await expect(activity(dataDir, BOB.arn, { match_by: 'principle' })).rejects.toThrow(new QueryParamError('parameter match_by of query actor-activity: "principle" is not one of attribute, principal'));
  });

  it('keeps the columns existing users see first, then the caller columns change-attribution returns', async () => {
    const { columns } = await activity(dataDir, BOB.arn);
    expect(columns.map((c) => c.name)).toEqual([
      ...['event_time', 'account_id', 'table_name', 'item_key', 'event_name', 'changed_attributes', 'actor_source', 'sequence_number', 'event_id'],
      ...['actor', 'matched_by', 'attribution', 'attribution_reason', 'principal_arn', 'principal_type', 'session_issuer_arn', 'source_ip', 'user_agent'],
      ...['cloudtrail_event_id', 'cloudtrail_event_name', 'cloudtrail_event_time', 'candidate_count', 'region'],
    ]);
  });

  it('warns once, naming the account, when some changes have no CloudTrail input', async () => {
    const result = await activity(dataDir, 'alice@example.com');
    expect(result.warnings).toEqual([`1 row(s) have attribution_reason cloudtrail-unavailable: cloudtrail_events holds no DynamoDB write event for their account/region in the days read: ${UNTRAILED}/${REGION} (1) (docs/attribution.md)`]);
  });
});

describe('actor-activity with no CloudTrail input at all', () => {
  let dataDir: string;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-actor-activity-untrailed-'));
    const byStream = new Map<string, DynamoDBRecord[]>();
    for (const r of FIXTURE_CHANGES) byStream.set(r.eventSourceARN as string, [...(byStream.get(r.eventSourceARN as string) ?? []), r]);
    await ingest(dataDir, [...byStream.values()].map((Records) => ({ Records })), sourceOptions);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('still answers by the attribute, and every row says attribution is unavailable, not "no principal"', async () => {
    const result = await activity(dataDir, 'alice@example.com');
    expect(byChange(result.rows)).toEqual({
      'attribute-only': { matched_by: 'attribute', attribution: 'none', reason: 'cloudtrail-unavailable', principal: null },
      'ambiguous-1': { matched_by: 'attribute', attribution: 'none', reason: 'cloudtrail-unavailable', principal: null },
      untrailed: { matched_by: 'attribute', attribution: 'none', reason: 'cloudtrail-unavailable', principal: null },
    });
    expect(result.cloudTrailFiles).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^no CloudTrail log files under cloudtrail\/ in the data folder for 2026-03-01 to 2026-03-01 \(± 1 day\): principal attribution is unavailable/)]);
  });

  it('an empty answer by principal comes with the warning, so it does not read as "this caller changed nothing"', async () => {
    const result = await activity(dataDir, USERS_ROLE);
    expect(result.rows).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    // bob's ARN is still found where the application wrote it, and only there.
    expect(byChange((await activity(dataDir, BOB.arn)).rows)).toEqual({ both: { matched_by: 'attribute', attribution: 'none', reason: 'cloudtrail-unavailable', principal: null } });
  });

  it('ddb-audit query prints the rows, and the warning once on stderr', async () => {
    const io = captureIo({ cwd: dataDir });
    const code = await queryCommand('actor-activity', { param: [`from=${DAY}`, `to=${DAY}`, 'actor=alice@example.com'], data: dataDir, format: 'csv' }, io);
    expect(code).toBe(0);
    expect(io.out.join('').trim().split('\n')).toHaveLength(1 + 3);
    const warnings = io.err.join('').split('\n').filter((line) => line !== '');
    expect(warnings).toEqual([expect.stringMatching(/^ddb-audit query: warning: no CloudTrail log files under cloudtrail\//)]);
  });
});

// ---------------------------------------------------------------------------------------------
// A generated workload, row by row against the ledger
// ---------------------------------------------------------------------------------------------

type Identity = { readonly arn?: string; readonly type?: string; readonly sessionContext?: { readonly sessionIssuer?: { readonly arn?: string } } };
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const ROLE_AS_STS = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/?$/;

/**
 * Whether `actor` names this caller (docs/attribution.md), stated from the session issuer rather
 * than from the session ARN the query reads: its ARN, its issuer's ARN, or its issuer's role
 * (account and name, whatever the path) when `actor` is a role.
 */
function namesCaller(actor: string, identity: Identity): boolean {
  const issuer = identity.sessionContext?.sessionIssuer?.arn;
  if (identity.arn === actor || issuer === actor) return true;
  const wanted = ROLE_ARN.exec(actor) ?? ROLE_AS_STS.exec(actor);
  const held = identity.type === 'AssumedRole' && issuer ? ROLE_ARN.exec(issuer) : null;
  return wanted !== null && held !== null && wanted.slice(1).join('|') === held.slice(1).join('|');
}

describe('actor-activity on a generated workload, row by row against the ledger', () => {
  let dataDir: string;
  let ledger: LedgerEntry[];
  let records: CloudTrailRecord[];
  let callers: Map<string, CallerEntry>;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-actor-activity-workload-'));
    const workload = generateWorkload({ changes: 1200, seed: 33, batchSize: 100, ledger: true, sameSecondRepeatRate: 0.05, start: new Date('2026-03-01T00:00:30Z'), end: new Date('2026-03-02T23:59:30Z') });
    await ingest(dataDir, workload.events(), demoSourceOptions());
    ledger = workload.ledger;
    const trail = demoCloudTrail(ledger, { seed: 9 });
    records = trail.records;
    callers = new Map(trail.callers.map((c) => [c.eventId, c]));
    await writeTrail(dataDir, records);
  }, 180_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const account = '111122223333';
  const identities = (): string[] => {
    const forms = new Set<string>();
    for (const p of DEMO_PRINCIPALS) {
      const id = p.userIdentity(account) as Identity;
      forms.add(id.arn as string);
      const issuer = id.sessionContext?.sessionIssuer?.arn;
      if (issuer) forms.add(issuer);
      const role = issuer ? ROLE_ARN.exec(issuer) : null;
      if (role && id.type === 'AssumedRole') {
        forms.add(`arn:${role[1]}:iam::${role[2]}:role/${role[3]}`); // the role without its path
        forms.add(`arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}`);
      }
    }
    return [...forms, ACTORS[0], ACTORS[2]];
  };

  it('returns, for every identity form, exactly the changes its attribute or its exact caller names, each saying how', async () => {
    const expected = expectedAttribution(ledger, records);
    const byEvent = new Map(records.map((r) => [String(r.eventID), r]));
    let principalRows = 0;
    let ambiguousOfCaller = 0;
    for (const actor of identities()) {
      const want = new Map<string, string>();
      for (const e of ledger) {
        const x = expected.get(e.eventId);
        const call = x?.event ? byEvent.get(x.event) : undefined;
        const byAttribute = e.actor === actor;
        const byPrincipal = x?.attribution === 'exact' && call !== undefined && namesCaller(actor, call.userIdentity as Identity);
        if (byAttribute || byPrincipal) want.set(e.eventId, byAttribute && byPrincipal ? 'both' : byAttribute ? 'attribute' : 'principal');
        // The caller really made an ambiguous change: it must not come back by principal.
        const truth = callers.get(e.eventId);
        const made = truth?.cloudTrailEventId ? byEvent.get(truth.cloudTrailEventId) : undefined;
        if (x?.attribution === 'ambiguous' && made && namesCaller(actor, made.userIdentity as Identity) && !byAttribute) ambiguousOfCaller++;
      }
      const rows = (await runQuery({ name: 'actor-activity', params: { from: '2026-03-01', to: '2026-03-02', actor }, dataDir })).rows;
      expect({ actor, rows: new Map(rows.map((r) => [String(r.event_id), r.matched_by])) }).toEqual({ actor, rows: want });
      for (const row of rows) {
        const x = expected.get(String(row.event_id)) as { attribution: string; reason: string; candidates: number; event: string | null };
        expect({ id: row.event_id, attribution: row.attribution, reason: row.attribution_reason, candidates: row.candidate_count, event: row.cloudtrail_event_id }).toEqual({ id: row.event_id, ...x });
        if (row.matched_by !== 'attribute') {
          principalRows++;
          // The principal named is the real caller of the change, from the ledger.
          expect([row.event_id, row.principal_arn]).toEqual([row.event_id, callers.get(String(row.event_id))?.principalArn]);
        }
      }
    }
    expect(principalRows).toBeGreaterThan(300);
    expect(ambiguousOfCaller).toBeGreaterThan(0);
  }, 180_000);
});
