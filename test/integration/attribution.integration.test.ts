/**
 * change-attribution end to end on this machine: stream events go through the real collector
 * handler and the local Firehose into Parquet; CloudTrail log files are written in the trail's own
 * layout (gzip JSON under AWSLogs/ACCOUNT/CloudTrail/REGION/yyyy/MM/dd); the bundled query runs
 * with DuckDB.
 *
 * 1. Fixtures: CloudTrail records shaped as AWS's documented DynamoDB examples
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html),
 *    one scenario per case the join must handle, each asserted with its attribution and reason.
 *    Snapshot rows (op r, from `ddb-audit backfill`) and gap records (op g, from the stream watch)
 *    go through the collector's sink to the same local Firehose, as those commands send them.
 * 2. A generated workload: every row is compared with an independent model of the join rule, and
 *    every exact row with the ledger of who really made the change; then, as a property, snapshots
 *    and gap records laid over the changes' items and seconds change no change's attribution.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUERY_DIR, runQuery } from '../../cli/query';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { queryCommand } from '../../cli/query/query-command';
import { ATTRIBUTION_QUERY_FILE, attributedViewSql } from '../../lib/constructs/cloudtrail-catalog';
import { ATTRIBUTED_VIEW_NAME } from '../../schemas/cloudtrail-events';
import { cloudTrailFiles, CloudTrailRecord, writeCloudTrailFile } from '../../local/cloudtrail/files';
import { captureIo } from '../support/capture-io';
import { CallerEntry, demoCloudTrail, deliveryFiles } from '../../local/demo/cloudtrail-workload';
import { demoSourceOptions, generateWorkload, LedgerEntry } from '../../local/demo/workload';
import { CollectorHandler, LOCAL_OVERFLOW_BUCKET, LOCAL_STREAM_NAME, startLocalPipeline } from '../../local/pipeline';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { silentLogger } from '../../lambda/core/logger';
import { normalizeSnapshotItem } from '../../lambda/core/normalize';
import { gapIdOf, gapRecord } from '../../lambda/watch/gap-record';
import { ATTRIBUTION_WINDOW_SECONDS } from '../../schemas/cloudtrail-events';
import type { ChangeRecord } from '../../schemas/change-record';
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';
import { expectedAttribution, sortedKey } from '../support/attribution-model';

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

/**
 * Stream events through the collector; `records` (snapshot and gap rows, which backfill and the
 * watch write) through the collector's sink to the same local Firehose, as those commands send them.
 */
async function ingest(dataDir: string, events: Iterable<DynamoDBStreamEvent>, sourceOptions = {}, records: readonly ChangeRecord[] = []): Promise<void> {
  const pipeline = await startLocalPipeline({ dataDir, sourceOptions, writer: 'inline', loadHandler: loadHandlerIsolated });
  try {
    for (const event of events) expect((await pipeline.invoke(event)).batchItemFailures).toEqual([]);
    if (records.length > 0) {
      const clients = {
        firehose: new FirehoseClient({ endpoint: pipeline.firehose.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
        s3: new S3Client({ endpoint: pipeline.firehose.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      };
      const report = await deliverChangeRecords([...records], clients, { deliveryStreamName: LOCAL_STREAM_NAME, packing: 'single', overflowBucket: LOCAL_OVERFLOW_BUCKET, overflowPrefix: OVERFLOW_PREFIX, remainingTimeMs: () => 60_000 }, silentLogger);
      expect(report.undelivered).toEqual([]);
    }
    await pipeline.firehose.flush();
  } finally {
    await pipeline.close();
  }
}

/** CloudTrail's delivery: one file per account, region and 5 minutes, delivered at the end of them. */
async function writeTrail(dataDir: string, records: readonly CloudTrailRecord[]): Promise<void> {
  for (const file of deliveryFiles(records, 5)) await writeCloudTrailFile(dataDir, file, file.records);
}


/**
 * The view audit_changes_attributed, created from the same DDL the deployment saves
 * (lib/constructs/cloudtrail-catalog.ts), over a data folder's change log and CloudTrail files, on DuckDB.
 */
async function viewRows(dataDir: string): Promise<Map<string, Record<string, unknown>>> {
  const trail = (await cloudTrailFiles(dataDir)).map((f) => f.path);
  const connection = await openLocalConnection(dataDir, undefined, trail);
  try {
    await connection.run(attributedViewSql(readFileSync(join(QUERY_DIR, ATTRIBUTION_QUERY_FILE), 'utf8')));
    const reader = await connection.runAndReadAll(`SELECT event_id, attribution, attribution_reason, principal_arn, candidate_count FROM ${ATTRIBUTED_VIEW_NAME}`);
    return new Map(reader.getRowObjectsJS().map((r) => [String(r.event_id), { attribution: r.attribution, reason: r.attribution_reason, principal: r.principal_arn ?? null, candidates: Number(r.candidate_count) }]));
  } finally {
    connection.closeSync();
  }
}

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const T = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ARTIST = 'No One You Know';

// userIdentity blocks as in AWS's DynamoDB examples (bob's role session), and an IAM user.
const BOB = {
  type: 'AssumedRole',
  principalId: 'AKIAIOSFODNN7EXAMPLE:bob',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/users/bob`,
  accountId: ACCOUNT,
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  sessionContext: {
    attributes: { mfaAuthenticated: 'false', creationDate: '2026-03-01T08:00:00Z' },
    sessionIssuer: { type: 'Role', principalId: 'AKIAI44QH8DHBEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:role/users`, accountId: ACCOUNT, userName: 'bob' },
  },
};
const ALICE = { type: 'IAMUser', principalId: 'AIDAEXAMPLEALICE0001', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLEALICE0001', userName: 'alice' };

let ids = 0;
/** A DynamoDB data event record, shaped as in AWS's examples. */
function trailRecord(eventName: string, eventTime: string, requestParameters: Record<string, unknown>, extra: Record<string, unknown> = {}): CloudTrailRecord {
  ids++;
  return {
    eventVersion: '1.08',
    userIdentity: BOB,
    eventTime,
    eventSource: 'dynamodb.amazonaws.com',
    eventName,
    awsRegion: REGION,
    sourceIPAddress: '192.0.2.0',
    userAgent: 'aws-cli/1.19.7 Python/3.6.13 Linux/4.9.230-0.1.ac.223.84.332.metal1.x86_64 botocore/1.20.7',
    requestParameters,
    responseElements: null,
    requestID: `REQ${String(ids).padStart(49, '0')}`,
    eventID: `00000000-0000-4000-8000-${String(ids).padStart(12, '0')}`,
    readOnly: false,
    resources: [{ accountId: ACCOUNT, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Music` }],
    eventType: 'AwsApiCall',
    apiVersion: '2012-08-10',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
    ...extra,
  };
}

let sequence = 100000000000000000000n;
function change(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', seconds: number, keys: Record<string, { S: string } | { N: string }>, options: { table?: string; region?: string; ttl?: boolean; eventId: string; account?: string }): DynamoDBRecord {
  sequence += 1n;
  const region = options.region ?? REGION;
  const image = { ...keys, AlbumTitle: { S: 'Somewhat Famous' } };
  return {
    eventID: options.eventId,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: (T + seconds * 1000) / 1000,
      Keys: keys,
      ...(eventName !== 'REMOVE' ? { NewImage: image } : {}),
      ...(eventName !== 'INSERT' ? { OldImage: image } : {}),
      SequenceNumber: sequence.toString(),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${region}:${options.account ?? ACCOUNT}:table/${options.table ?? 'Music'}/stream/2026-01-15T10:00:00.000`,
    ...(options.ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}
const song = (title: string) => ({ Artist: { S: ARTIST }, SongTitle: { S: title } });
const songKey = (title: string) => ({ Artist: ARTIST, SongTitle: title });

/** A `ddb-audit backfill` row: the item's state at an export taken at `exportTime`, normalized as backfill does. */
function snapshot(tableArn: string, exportTime: string, item: Record<string, { S: string } | { N: string }>, keyAttributes: readonly string[]): ChangeRecord {
  return normalizeSnapshotItem({ exportArn: `${tableArn}/export/01772359200000-abcdef12`, tableArn, exportTime, keyAttributes, item });
}
const MUSIC_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Music`;
const MUSIC_OLD_STREAM = `${MUSIC_ARN}/stream/2026-01-15T10:00:00.000`;
/** A gap record as the stream watch writes it when Music's stream is replaced. */
const musicGap = (seconds: number) =>
  gapRecord({ gapId: gapIdOf(MUSIC_ARN, MUSIC_OLD_STREAM), tableArn: MUSIC_ARN, oldStreamArn: MUSIC_OLD_STREAM, newStreamArn: null, from: at(seconds - 60), to: null, detectedAt: at(seconds), state: 'open', at: at(seconds) });
const UNTRAILED = '444455556666'; // its changes reach the log; no CloudTrail file of it is there

describe('change-attribution on fixtures shaped as AWS documents CloudTrail DynamoDB events', () => {
  let dataDir: string;
  let rows: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-attribution-fixtures-'));
    const records: DynamoDBRecord[] = [
      change('INSERT', 60, song('Scared of My Shadow'), { eventId: 'put-exact' }),
      change('MODIFY', 120, song('Call Me Today'), { eventId: 'table-arn' }),
      change('MODIFY', 180, song('Call Me Tomorrow'), { eventId: 'failed-beside-success' }),
      change('MODIFY', 240, song('Call Me Never'), { eventId: 'failed-only' }),
      change('INSERT', 300, song('T-Put'), { eventId: 'transact-put' }),
      change('MODIFY', 300, song('T-Update'), { eventId: 'transact-update' }),
      change('REMOVE', 300, song('T-Delete'), { eventId: 'transact-delete' }),
      change('MODIFY', 360, song('P-Update'), { eventId: 'partiql-update' }),
      change('MODIFY', 420, song('P-Batch1'), { eventId: 'partiql-batch-update' }),
      change('INSERT', 420, song('P-Batch2'), { eventId: 'partiql-batch-insert' }),
      change('INSERT', 480, song('B-1'), { eventId: 'batch-write' }),
      change('MODIFY', 540, song('Same Second'), { eventId: 'collision-1' }),
      change('MODIFY', 540, song('Same Second'), { eventId: 'collision-2' }),
      change('INSERT', 600, song('W-plus1'), { eventId: 'window-plus-1' }),
      change('INSERT', 660, song('W-minus1'), { eventId: 'window-minus-1' }),
      change('INSERT', 720, song('W-plus2'), { eventId: 'window-plus-2' }),
      change('MODIFY', 780, song('Replica'), { eventId: 'replica-origin' }),
      change('MODIFY', 780, song('Replica'), { eventId: 'replica-copy', region: 'eu-west-1' }),
      change('REMOVE', 840, song('TTL'), { eventId: 'ttl', ttl: true }),
      change('INSERT', 900, { id: { N: '42' } }, { eventId: 'number-key-quoted', table: 'Counters' }),
      change('INSERT', 900, { id: { N: '43' } }, { eventId: 'number-key-plain', table: 'Counters' }),
      change('REMOVE', 960, song('Deleted'), { eventId: 'delete-exact' }),
      change('MODIFY', 50399, song('Midnight'), { eventId: 'midnight' }), // 23:59:59
      // A real change beside a backfill snapshot of its item in the same second.
      change('INSERT', 1080, song('Snapshot Beside'), { eventId: 'beside-snapshot' }),
      // A change in an account with no CloudTrail input at all.
      change('INSERT', 1200, { id: { N: '7' } }, { eventId: 'untrailed', table: 'Counters', account: UNTRAILED }),
    ];
    const byStream = new Map<string, DynamoDBRecord[]>();
    for (const r of records) byStream.set(r.eventSourceARN as string, [...(byStream.get(r.eventSourceARN as string) ?? []), r]);
    const album = { AlbumTitle: { S: 'Somewhat Famous' } };
    const rowsOfOthers: ChangeRecord[] = [
      // A snapshot of an item whose only call in its second has no change of its own in the log
      // (a write that modified nothing, since a stream record is written for the items that were
      // modified, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html,
      // or one the log did not read): the call is real, the snapshot is not its change.
      snapshot(MUSIC_ARN, at(1020), { ...song('Snapshot Alone'), ...album }, ['Artist', 'SongTitle']),
      snapshot(MUSIC_ARN, at(1080), { ...song('Snapshot Beside'), ...album }, ['Artist', 'SongTitle']),
      // The watch's record of a gap in Music's stream, in a second with a transaction on Music.
      musicGap(1140),
    ];
    await ingest(dataDir, [...byStream.values()].map((Records) => ({ Records })), {}, rowsOfOthers);

    const failed = { errorCode: 'ConditionalCheckFailedException', errorMessage: 'The conditional request failed', userIdentity: ALICE };
    const trail: CloudTrailRecord[] = [
      // PutItem (successful), as in AWS's example: key in the request's order, item as names.
      trailRecord('PutItem', at(60), { tableName: 'Music', key: songKey('Scared of My Shadow'), item: ['Artist', 'SongTitle', 'AlbumTitle'], returnConsumedCapacity: 'TOTAL' }),
      // tableName as an ARN, the key's members in the other order, completed a second later.
      trailRecord('UpdateItem', at(121), { tableName: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Music`, key: { SongTitle: 'Call Me Today', Artist: ARTIST }, updateExpression: 'SET #AT = :t', expressionAttributeNames: { '#AT': 'AlbumTitle' } }),
      // UpdateItem (unsuccessful), as in AWS's example, beside the call that did change the item.
      trailRecord('UpdateItem', at(180), { tableName: 'Music', key: songKey('Call Me Tomorrow'), updateExpression: 'SET #Y = :y, #AT = :t', expressionAttributeNames: { '#Y': 'Year', '#AT': 'AlbumTitle' }, conditionExpression: 'attribute_not_exists(#Y)' }, failed),
      trailRecord('UpdateItem', at(180), { tableName: 'Music', key: songKey('Call Me Tomorrow'), updateExpression: 'SET #AT = :t', expressionAttributeNames: { '#AT': 'AlbumTitle' } }),
      trailRecord('UpdateItem', at(240), { tableName: 'Music', key: songKey('Call Me Never'), updateExpression: 'SET #Y = :y', expressionAttributeNames: { '#Y': 'Year' }, conditionExpression: 'attribute_not_exists(#Y)' }, failed),
      // TransactWriteItems (successful), as in AWS's example, casing inconsistencies included.
      trailRecord('TransactWriteItems', at(300), {
        requestItems: [
          { operation: 'Put', tableName: 'Music', key: songKey('T-Put'), items: ['Artist', 'SongTitle', 'AlbumTitle'], conditionExpression: '#AT = :A', expressionAttributeNames: { '#AT': 'AlbumTitle' }, returnValuesOnConditionCheckFailure: 'ALL_OLD' },
          { operation: 'Update', tableName: 'Music', key: songKey('T-Update'), updateExpression: 'SET #AT = :newval', ConditionExpression: 'attribute_not_exists(Rating)', ExpressionAttributeNames: { '#AT': 'AlbumTitle' }, returnValuesOnConditionCheckFailure: 'ALL_OLD' },
          { operation: 'Delete', TableName: 'Music', key: songKey('T-Delete'), conditionExpression: '#P between :lo and :hi', expressionAttributeNames: { '#P': 'Price' }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
          { operation: 'ConditionCheck', TableName: 'Music', Key: songKey('Call Me Now'), ConditionExpression: '#P between :lo and :hi', ExpressionAttributeNames: { '#P': 'Price' }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        ],
        returnConsumedCapacity: 'TOTAL',
        returnItemCollectionMetrics: 'SIZE',
      }),
      // ExecuteStatement and BatchExecuteStatement, as in AWS's examples: values redacted.
      trailRecord('ExecuteStatement', at(360), { statement: `UPDATE Music SET AlbumTitle = ***(Redacted) WHERE Artist = '${ARTIST}' AND SongTitle = 'P-Update'` }),
      trailRecord('BatchExecuteStatement', at(420), {
        requestItems: [{ statement: `UPDATE Music SET Album = ***(Redacted) WHERE Artist = '${ARTIST}' AND SongTitle = 'P-Batch1'` }, { statement: "INSERT INTO Music VALUE {'Artist' : ***(Redacted), 'SongTitle' : ***(Redacted), 'Album' : ***(Redacted)}" }],
      }),
      // BatchWriteItem: AWS documents no example; this shape is a guess (see docs/attribution.md).
      trailRecord('BatchWriteItem', at(480), { requestItems: { Music: [{ putRequest: { item: ['Artist', 'SongTitle', 'AlbumTitle'] } }] } }),
      trailRecord('UpdateItem', at(540), { tableName: 'Music', key: songKey('Same Second') }, { userIdentity: ALICE }),
      trailRecord('UpdateItem', at(540), { tableName: 'Music', key: songKey('Same Second') }),
      trailRecord('PutItem', at(601), { tableName: 'Music', key: songKey('W-plus1'), item: ['Artist', 'SongTitle'] }),
      trailRecord('PutItem', at(659), { tableName: 'Music', key: songKey('W-minus1'), item: ['Artist', 'SongTitle'] }),
      trailRecord('PutItem', at(722), { tableName: 'Music', key: songKey('W-plus2'), item: ['Artist', 'SongTitle'] }),
      // A global table: the caller wrote in us-west-2; eu-west-1's stream has the replicated change.
      trailRecord('UpdateItem', at(780), { tableName: 'Music', key: songKey('Replica') }),
      trailRecord('PutItem', at(900), { tableName: 'Counters', key: { id: '42' }, item: ['id'] }),
      trailRecord('PutItem', at(900), { tableName: 'Counters', key: { id: 43 }, item: ['id'] }),
      trailRecord('DeleteItem', at(960), { tableName: 'Music', key: songKey('Deleted') }, { userIdentity: ALICE }),
      // Completed at midnight: delivered in the next day's folder.
      trailRecord('UpdateItem', '2026-03-02T00:00:00Z', { tableName: 'Music', key: songKey('Midnight') }),
      // Calls of the snapshots' items in their seconds, and a transaction on Music in the gap's.
      trailRecord('PutItem', at(1020), { tableName: 'Music', key: songKey('Snapshot Alone'), item: ['Artist', 'SongTitle', 'AlbumTitle'] }, { userIdentity: ALICE }),
      trailRecord('PutItem', at(1080), { tableName: 'Music', key: songKey('Snapshot Beside'), item: ['Artist', 'SongTitle', 'AlbumTitle'] }),
      trailRecord('TransactWriteItems', at(1140), { requestItems: [{ operation: 'Put', tableName: 'Music', key: songKey('T-Gap'), items: ['Artist', 'SongTitle'] }] }),
    ];
    await writeTrail(dataDir, trail);
    const result = await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-01' }, dataDir });
    rows = new Map(result.rows.map((r) => [String(r.event_id), r]));
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const outcome = (eventId: string) => {
    const row = rows.get(eventId);
    if (!row) throw new Error(`no row for ${eventId}`);
    return { attribution: row.attribution, reason: row.attribution_reason, principal: row.principal_arn, candidates: row.candidate_count };
  };
  const bob = BOB.arn;
  const alice = ALICE.arn;

  it.each([
    ['put-exact', 'exact', 'single-item-call', bob, 1],
    ['table-arn', 'exact', 'single-item-call', bob, 1],
    ['failed-beside-success', 'exact', 'single-item-call', bob, 1],
    ['failed-only', 'none', 'conditional-check-failed', null, 0],
    ['transact-put', 'none', 'transact-write-items', null, 0],
    ['transact-update', 'none', 'transact-write-items', null, 0],
    ['transact-delete', 'none', 'transact-write-items', null, 0],
    ['partiql-update', 'none', 'partiql', null, 0],
    ['partiql-batch-update', 'none', 'partiql', null, 0],
    ['partiql-batch-insert', 'none', 'partiql', null, 0],
    ['batch-write', 'none', 'batch-write-item', null, 0],
    ['collision-1', 'ambiguous', 'competing-candidates', null, 2],
    ['collision-2', 'ambiguous', 'competing-candidates', null, 2],
    ['window-plus-1', 'exact', 'single-item-call', bob, 1],
    ['window-minus-1', 'exact', 'single-item-call', bob, 1],
    ['window-plus-2', 'none', 'no-cloudtrail-event', null, 0],
    ['replica-origin', 'exact', 'single-item-call', bob, 1],
    ['replica-copy', 'none', 'global-table-replica', null, 0],
    ['ttl', 'ttl', 'ttl-expiry', null, 0],
    ['number-key-quoted', 'exact', 'single-item-call', bob, 1],
    ['number-key-plain', 'exact', 'single-item-call', bob, 1],
    ['delete-exact', 'exact', 'single-item-call', alice, 1],
    ['midnight', 'exact', 'single-item-call', bob, 1],
    ['beside-snapshot', 'exact', 'single-item-call', bob, 1],
    ['untrailed', 'none', 'cloudtrail-unavailable', null, 0],
  ])('%s is attributed %s (%s)', (eventId, attribution, reason, principal, candidates) => {
    expect(outcome(eventId)).toEqual({ attribution, reason, principal, candidates });
  });

  const byKey = (itemKey: string, op: string) => [...rows.values()].filter((r) => r.item_key === itemKey && r.event_name === op);

  it('never attributes a snapshot, though a call of its item in its second exists', () => {
    for (const title of ['Snapshot Alone', 'Snapshot Beside']) {
      const found = byKey(JSON.stringify(songKey(title)), 'SNAPSHOT');
      expect(found.map((r) => ({ attribution: r.attribution, reason: r.attribution_reason, principal: r.principal_arn, event: r.cloudtrail_event_id, candidates: r.candidate_count }))).toEqual([
        { attribution: 'none', reason: 'snapshot', principal: null, event: null, candidates: 0 },
      ]);
    }
  });

  it('never attributes a gap record, though a call on its table in its second exists', () => {
    const gap = [...rows.values()].filter((r) => r.event_name === 'GAP');
    expect(gap.map((r) => [r.attribution, r.attribution_reason, r.principal_arn, r.candidate_count])).toEqual([['none', 'gap-record', null, 0]]);
  });

  it('says cloudtrail-unavailable only where no CloudTrail input exists, and no-cloudtrail-event where it does', () => {
    const unavailable = [...rows.values()].filter((r) => r.attribution_reason === 'cloudtrail-unavailable');
    expect(unavailable.map((r) => [r.event_id, r.account_id, r.region])).toEqual([['untrailed', UNTRAILED, REGION]]);
    expect(outcome('window-plus-2').reason).toBe('no-cloudtrail-event');
  });

  it('the view audit_changes_attributed attributes every row as the query does: snapshots, gap records and cloudtrail-unavailable included', async () => {
    const view = await viewRows(dataDir);
    const query = new Map([...rows.entries()].map(([id, r]) => [id, { attribution: r.attribution, reason: r.attribution_reason, principal: r.principal_arn, candidates: r.candidate_count }]));
    expect(view).toEqual(query);
    for (const reason of ['snapshot', 'gap-record', 'cloudtrail-unavailable', 'no-cloudtrail-event']) expect([...view.values()].some((r) => r.reason === reason)).toBe(true);
  });

  it('states the window it uses, one second either side, and keeps to it', () => {
    expect(ATTRIBUTION_WINDOW_SECONDS).toBe(1);
    expect([outcome('window-minus-1').attribution, outcome('window-plus-1').attribution, outcome('window-plus-2').attribution]).toEqual(['exact', 'exact', 'none']);
  });

  it('returns one row per change, with the caller details of the call it matched', () => {
    expect(rows.size).toBe(25 + 3); // 25 changes, 2 snapshots, 1 gap record
    expect(rows.get('put-exact')).toMatchObject({
      principal_type: 'AssumedRole',
      session_issuer_arn: `arn:aws:iam::${ACCOUNT}:role/users`,
      source_ip: '192.0.2.0',
      cloudtrail_event_name: 'PutItem',
      cloudtrail_event_time: at(60),
      cloudtrail_event_id: expect.stringMatching(/^00000000-0000-4000-8000-/),
      item_key: '{"Artist":"No One You Know","SongTitle":"Scared of My Shadow"}',
    });
    expect(rows.get('delete-exact')).toMatchObject({ principal_type: 'IAMUser', session_issuer_arn: null });
  });

  it('reads the day after the last day asked, where a call just before midnight is delivered', async () => {
    const result = await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-01', item_key: JSON.stringify(songKey('Midnight')) }, dataDir });
    expect(result.rows.map((r) => r.attribution)).toEqual(['exact']);
    expect((result.cloudTrailFiles ?? []).some((f) => f.key.includes('/CloudTrail/us-west-2/2026/03/02/'))).toBe(true);
  });

  it('lists no CloudTrail file outside the days and account asked', async () => {
    const result = await runQuery({ name: 'change-attribution', params: { from: '2026-03-05', to: '2026-03-06' }, dataDir });
    expect(result.rows).toEqual([]);
    expect(result.cloudTrailFiles).toEqual([]);
    const other = await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-01', account_id: '999999999999' }, dataDir });
    expect(other.cloudTrailFiles).toEqual([]);
  });
});

describe('change-attribution and the view with no CloudTrail input at all', () => {
  let dataDir: string;
  const DAY = '2026-03-01';

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-attribution-untrailed-'));
    const records = [
      change('INSERT', 60, song('Untrailed Put'), { eventId: 'put' }),
      change('MODIFY', 120, song('Untrailed Update'), { eventId: 'update', account: UNTRAILED }),
      change('REMOVE', 180, song('Untrailed TTL'), { eventId: 'ttl', ttl: true }),
    ];
    const byStream = new Map<string, DynamoDBRecord[]>();
    for (const r of records) byStream.set(r.eventSourceARN as string, [...(byStream.get(r.eventSourceARN as string) ?? []), r]);
    const album = { AlbumTitle: { S: 'Somewhat Famous' } };
    await ingest(dataDir, [...byStream.values()].map((Records) => ({ Records })), {}, [snapshot(MUSIC_ARN, at(240), { ...song('Untrailed Snapshot'), ...album }, ['Artist', 'SongTitle']), musicGap(300)]);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const expected = {
    put: { attribution: 'none', reason: 'cloudtrail-unavailable', principal: null, candidates: 0 },
    update: { attribution: 'none', reason: 'cloudtrail-unavailable', principal: null, candidates: 0 },
    ttl: { attribution: 'ttl', reason: 'ttl-expiry', principal: null, candidates: 0 },
  };
  const outcomes = (rows: readonly Record<string, unknown>[]) =>
    Object.fromEntries(rows.map((r) => [r.event_name === 'SNAPSHOT' ? 'snapshot' : r.event_name === 'GAP' ? 'gap' : String(r.event_id), { attribution: r.attribution, reason: r.attribution_reason, principal: r.principal_arn, candidates: r.candidate_count }]));
  const others = {
    snapshot: { attribution: 'none', reason: 'snapshot', principal: null, candidates: 0 },
    gap: { attribution: 'none', reason: 'gap-record', principal: null, candidates: 0 },
  };

  it('says cloudtrail-unavailable for every change, never no-cloudtrail-event, and warns', async () => {
    const result = await runQuery({ name: 'change-attribution', params: { from: DAY, to: DAY }, dataDir });
    expect(outcomes(result.rows)).toEqual({ ...expected, ...others });
    expect(result.cloudTrailFiles).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^no CloudTrail log files under cloudtrail\/ in the data folder for 2026-03-01 to 2026-03-01 \(± 1 day\): principal attribution is unavailable/)]);
  });

  it('the view says the same', async () => {
    const view = await viewRows(dataDir);
    const byId = Object.fromEntries([...view.entries()].map(([id, r]) => [id.startsWith('snapshot:') ? 'snapshot' : id.startsWith('gap/') ? 'gap' : id, r]));
    expect(byId).toEqual({ ...expected, ...others });
  });

  it('ddb-audit query change-attribution prints the rows, and the warning once on stderr', async () => {
    const io = captureIo({ cwd: dataDir });
    const code = await queryCommand('change-attribution', { param: [`from=${DAY}`, `to=${DAY}`], data: dataDir, format: 'csv' }, io);
    expect(code).toBe(0);
    expect(io.out.join('').trim().split('\n')).toHaveLength(1 + 5);
    expect(io.err.join('').split('\n').filter((line) => line !== '')).toEqual([expect.stringMatching(/^ddb-audit query: warning: no CloudTrail log files under cloudtrail\//)]);
  });
});

// ---------------------------------------------------------------------------------------------
// A generated workload, row by row
// ---------------------------------------------------------------------------------------------

describe('change-attribution on a generated workload, row by row against the ledger', () => {
  let dataDir: string;
  let ledger: LedgerEntry[];
  let callers: Map<string, CallerEntry>;
  let records: CloudTrailRecord[];
  let rows: Record<string, unknown>[];

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-attribution-workload-'));
    const workload = generateWorkload({ changes: 1500, seed: 21, batchSize: 100, ledger: true, sameSecondRepeatRate: 0.04, start: new Date('2026-03-01T00:00:30Z'), end: new Date('2026-03-02T23:59:30Z') });
    await ingest(dataDir, workload.events(), demoSourceOptions());
    ledger = workload.ledger;
    const trail = demoCloudTrail(ledger, { seed: 4 });
    records = trail.records;
    callers = new Map(trail.callers.map((c) => [c.eventId, c]));
    await writeTrail(dataDir, records);
    rows = (await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-02' }, dataDir })).rows;
  }, 180_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('has one row per change written', () => {
    expect(rows.map((r) => r.event_id).sort()).toEqual(ledger.map((e) => e.eventId).sort());
  });

  it('attributes every change as the join rule says, row by row', () => {
    const expected = expectedAttribution(ledger, records);
    const actual = new Map(rows.map((r) => [String(r.event_id), { attribution: r.attribution, reason: r.attribution_reason, candidates: r.candidate_count, event: r.cloudtrail_event_id }]));
    for (const e of ledger) expect({ eventId: e.eventId, ...actual.get(e.eventId) }).toEqual({ eventId: e.eventId, ...expected.get(e.eventId) });
    // The workload exercises every outcome it can (one region: no replicas).
    const reasons = new Set(rows.map((r) => r.attribution_reason));
    for (const reason of ['single-item-call', 'competing-candidates', 'ttl-expiry', 'transact-write-items', 'batch-write-item', 'partiql', 'no-cloudtrail-event']) expect(reasons).toContain(reason);
  });

  it('names the real caller of every exact change, never another', () => {
    const exact = rows.filter((r) => r.attribution === 'exact');
    expect(exact.length).toBeGreaterThan(ledger.length / 3);
    for (const row of exact) {
      const truth = callers.get(String(row.event_id)) as CallerEntry;
      expect({ eventId: row.event_id, principal: row.principal_arn, event: row.cloudtrail_event_id }).toEqual({ eventId: row.event_id, principal: truth.principalArn, event: truth.cloudTrailEventId });
    }
    for (const row of rows.filter((r) => r.attribution !== 'exact')) expect([row.event_id, row.principal_arn, row.cloudtrail_event_id]).toEqual([row.event_id, null, null]);
  });

  it('attributes exact every PutItem, UpdateItem and DeleteItem change with no other change of its item within the window', () => {
    const seconds = new Map<string, number[]>();
    const item = (e: LedgerEntry) => `${e.accountId}|${e.tableName}|${e.itemKey}`;
    for (const e of ledger) seconds.set(item(e), [...(seconds.get(item(e)) ?? []), Date.parse(e.eventTime) / 1000]);
    // Two changes further apart than twice the window can never share a candidate call.
    const alone = (e: LedgerEntry) => (seconds.get(item(e)) as number[]).filter((s) => Math.abs(s - Date.parse(e.eventTime) / 1000) <= 2 * ATTRIBUTION_WINDOW_SECONDS).length === 1;
    const single = ledger.filter((e) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(callers.get(e.eventId)?.operation ?? '') && alone(e));
    expect(single.length).toBeGreaterThan(500);
    const byId = new Map(rows.map((r) => [String(r.event_id), r]));
    expect(single.filter((e) => byId.get(e.eventId)?.attribution !== 'exact').map((e) => e.eventId)).toEqual([]);
    // Failed conditional writes to the same item in the same second did not make them ambiguous.
    const failedBeside = single.filter((e) =>
      records.some((r) => r.errorCode === 'ConditionalCheckFailedException' && r.recipientAccountId === e.accountId && r.eventTime === e.eventTime.replace('.000Z', 'Z') && sortedKey((r.requestParameters as { key: unknown }).key) === sortedKey(JSON.parse(e.itemKey))),
    );
    expect(failedBeside.length).toBeGreaterThan(0);
  });

  it('keeps every change\'s attribution when snapshots and gap records of its items and seconds are added (generated)', async () => {
    // Prepare: a generated choice of changes (exact and ambiguous ones among them), a snapshot of
    // each one's item in its very second, as `ddb-audit backfill` would write one, and a gap record
    // of each chosen change's table in the same second, as the stream watch would.
    const typed = (itemKey: string) => Object.fromEntries(Object.entries(JSON.parse(itemKey) as Record<string, string | number>).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }]));
    const before = new Map(rows.map((r) => [String(r.event_id), r]));
    const nonTtl = ledger.filter((e) => !e.ttl);
    const [chosen] = fc.sample(fc.uniqueArray(fc.constantFrom(...nonTtl), { minLength: 150, maxLength: 250, selector: (e) => e.eventId }), { seed: 1313, numRuns: 1 }) as [LedgerEntry[]];
    const sameState = chosen.map((e) => snapshot(`arn:aws:dynamodb:${e.region}:${e.accountId}:table/${e.tableName}`, e.eventTime, typed(e.itemKey), Object.keys(JSON.parse(e.itemKey) as object)));
    expect(sameState.map((r) => r.item_key)).toEqual(chosen.map((e) => e.itemKey)); // each snapshot is the change's item
    const gaps = chosen.map((e) => {
      const table = `arn:aws:dynamodb:${e.region}:${e.accountId}:table/${e.tableName}`;
      const old = `${table}/stream/2026-01-01T00:00:00.000`;
      return gapRecord({ gapId: gapIdOf(table, old), tableArn: table, oldStreamArn: old, newStreamArn: null, from: null, to: null, detectedAt: e.eventTime, state: 'open', at: e.eventTime });
    });
    expect(new Set(chosen.map((e) => before.get(e.eventId)?.attribution))).toEqual(new Set(['exact', 'ambiguous', 'none']));
    const withOthers = mkdtempSync(join(tmpdir(), 'ddb-audit-attribution-snapshots-'));
    try {
      cpSync(dataDir, withOthers, { recursive: true });
      // One row per event_id, as the queries de-duplicate (a snapshot's id is its export and item, a gap's its table and state).
      const others = [...new Map([...sameState, ...gaps].map((r) => [r.event_id, r])).values()];
      await ingest(withOthers, [], {}, others);
      // Act
      const after = (await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-02' }, dataDir: withOthers })).rows;
      // Assess: every change reads as before; every added row is none, with its own reason and no caller
      const view = (r: Record<string, unknown>) => ({ id: r.event_id, attribution: r.attribution, reason: r.attribution_reason, candidates: r.candidate_count, event: r.cloudtrail_event_id, principal: r.principal_arn });
      const changes = after.filter((r) => before.has(String(r.event_id)));
      expect(changes.map(view)).toEqual(rows.map(view));
      const added = after.filter((r) => !before.has(String(r.event_id)));
      expect(added.map((r) => r.event_id).sort()).toEqual(others.map((r) => r.event_id).sort());
      for (const r of added) expect(view(r)).toEqual({ ...view(r), attribution: 'none', reason: r.event_name === 'SNAPSHOT' ? 'snapshot' : 'gap-record', candidates: 0, event: null, principal: null });
      expect(new Set(added.map((r) => r.event_name))).toEqual(new Set(['SNAPSHOT', 'GAP']));
    } finally {
      rmSync(withOthers, { recursive: true, force: true });
    }
  }, 180_000);

  it('principal selects exactly the changes attributed to that caller, by its ARN or by its role', async () => {
    const byPrincipal = new Map<string, string[]>();
    const byIssuer = new Map<string, string[]>();
    for (const r of rows.filter((row) => row.attribution === 'exact')) {
      byPrincipal.set(String(r.principal_arn), [...(byPrincipal.get(String(r.principal_arn)) ?? []), String(r.event_id)]);
      if (r.session_issuer_arn) byIssuer.set(String(r.session_issuer_arn), [...(byIssuer.get(String(r.session_issuer_arn)) ?? []), String(r.event_id)]);
    }
    const [principal, ids] = [...byPrincipal.entries()].sort((a, b) => b[1].length - a[1].length)[0] as [string, string[]];
    const [issuer, issued] = [...byIssuer.entries()].sort((a, b) => b[1].length - a[1].length)[0] as [string, string[]];
    const run = async (value: string) => (await runQuery({ name: 'change-attribution', params: { from: '2026-03-01', to: '2026-03-02', principal: value }, dataDir })).rows;
    const mine = await run(principal);
    expect(mine.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    expect(mine.every((r) => r.attribution === 'exact' && 'actor' in r)).toBe(true);
    expect((await run(issuer)).map((r) => r.event_id).sort()).toEqual([...issued].sort());
    expect(await run('arn:aws:iam::999999999999:user/nobody')).toEqual([]);
  });
});
