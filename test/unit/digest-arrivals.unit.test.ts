/**
 * The digest's arrivals ledger: recording S3 "Object Created" events, reading them back, and hourly
 * digests whose work follows the hour's arrivals instead of the size of the log.
 *
 * The writer tests run the real digest over a real local folder (mtime = LastModified) with an
 * in-memory ledger that shows each arrival only from the moment it was recorded. The S3 call counts
 * and the DynamoDB ledger use aws-sdk-client-mock: no local S3 or DynamoDB peer exists here.
 */
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { Arrival, ArrivalLedger, arrivalHourLabel } from '../../lambda/digest/arrivals/arrival-ledger';
import { digestCallsPerHour, digestListCallsPerHour, listingDigestListCallsPerHour } from '../../lambda/digest/arrivals/call-model';
import { DynamoDbArrivalLedger } from '../../lambda/digest/arrivals/dynamodb-ledger';
import { recordArrivalBatch } from '../../lambda/digest/arrivals/record-arrivals';
import { InventoryRow, reconcileArrivals } from '../../lambda/digest/arrivals/reconcile';
import { decodeInventoryKey, newestInventoryReport, parseCsvLine, parseManifest } from '../../lambda/digest/arrivals/s3-inventory';
import { digestKey, DigestDocument, HOUR_MS, parseDigest } from '../../lambda/digest/digest-format';
import { LocalFolderStore } from '../../lambda/digest/local-store';
import { S3Store } from '../../lambda/digest/s3-store';
import { ed25519Signer, generateEd25519KeyPair, Signer } from '../../lambda/digest/signing';
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { verifyLog } from '../../cli/log/verify-log';
import { partitionKey, placeObject } from '../support/change-log-folder';

const signingPair = generateEd25519KeyPair();
const signer: Signer = ed25519Signer(signingPair.privateKeyPem);
const pinnedKey = createPublicKey(signer.publicKeyPem);
const H = (iso: string) => Date.parse(iso);
/** When a digest of the hour starting at `hourMs` runs: 15 minutes after it ends. */
const runAfter = (hourMs: number) => new Date(hourMs + HOUR_MS + 15 * 60_000);

/** The ledger as the deployed one behaves: a set per recording hour, each arrival visible once recorded. */
class TimedLedger implements ArrivalLedger {
  private readonly arrivals: Arrival[] = [];
  startedAt?: () => Promise<Date>;
  clock = 0;
  reads = 0;
  async record(arrival: Arrival): Promise<void> {
    this.arrivals.push(arrival);
  }
  async recordedIn(hourStartMs: number): Promise<Arrival[]> {
    this.reads++;
    const label = arrivalHourLabel(hourStartMs);
    return this.arrivals.filter((a) => arrivalHourLabel(a.recordedAt.getTime()) === label && a.recordedAt.getTime() <= this.clock);
  }
}

let root: string;
let store: LocalFolderStore;
let ledger: TimedLedger;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'digest-arrivals-'));
  store = new LocalFolderStore(root);
  ledger = new TimedLedger();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Places the object (mtime = `at`) and records its event `delayMs` later, as S3, EventBridge, SQS and the arrivals function would. */
function deliver(key: string, at: string, delayMs = 5_000): void {
  placeObject(root, { key, at });
  void ledger.record({ key, eventTime: new Date(H(at) + 1_000), recordedAt: new Date(H(at) + delayMs), source: 'event' });
}

async function digestAt(now: Date) {
  ledger.clock = now.getTime();
  return writeDueDigests({ store, signer, now, arrivals: ledger });
}
const readDigest = (hourIso: string): DigestDocument => parseDigest(readFileSync(join(root, digestKey(H(hourIso)))));
const keysOf = (hourIso: string) => readDigest(hourIso).objects.map((o) => `${o.key}${o.late ? ' (late)' : ''}`);

/** Starts the chain at hour 09:00 of 2026-03-01 (the first run lists the empty folder). */
async function startChain(): Promise<void> {
  await digestAt(runAfter(H('2026-03-01T09:00:00Z')));
}

describe('hourly digests from the arrivals ledger', () => {
  test('the first run lists changes/ to find the chain start; later runs read only the ledger', async () => {
    placeObject(root, { key: partitionKey('2026-03-01', 'first'), at: '2026-03-01T08:10:00Z' });
    const first = await digestAt(runAfter(H('2026-03-01T09:00:00Z')));
    expect(first.candidates).toBe('listing');
    expect(keysOf('2026-03-01T08:00:00Z')).toEqual([partitionKey('2026-03-01', 'first')]);
    deliver(partitionKey('2026-03-01', 'next'), '2026-03-01T10:20:00Z');
    const list = jest.spyOn(store, 'list');
    const second = await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    expect(second.candidates).toBe('arrivals');
    expect(list.mock.calls.map(([prefix]) => prefix).filter((p) => p.startsWith('changes/'))).toEqual([]);
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([partitionKey('2026-03-01', 'next')]);
  });

  test('over a chain older than the ledger (an upgrade), the first hours after the ledger started are listed, so objects delivered before it are not missed', async () => {
    await startChain();
    // Deployed at 10:40: an object at 10:20 has no arrival; the ledger only records from 10:45.
    const started = new Date(H('2026-03-01T10:40:00Z'));
    ledger.startedAt = async () => started;
    placeObject(root, { key: partitionKey('2026-03-01', 'before-ledger'), at: '2026-03-01T10:20:00Z' });
    deliver(partitionKey('2026-03-01', 'after-ledger'), '2026-03-01T10:50:00Z');
    const first = await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    expect(first.candidates).toBe('listing');
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([partitionKey('2026-03-01', 'after-ledger'), partitionKey('2026-03-01', 'before-ledger')]);
    // The hour it started in and the next are listed; from then on the ledger covers every hour.
    expect((await digestAt(runAfter(H('2026-03-01T11:00:00Z')))).candidates).toBe('listing');
    expect((await digestAt(runAfter(H('2026-03-01T12:00:00Z')))).candidates).toBe('arrivals');
    expect((await verifyLog({ store, now: runAfter(H('2026-03-01T12:00:00Z')), pinnedKey })).findings).toEqual([]);
  });

  test('an object whose event is recorded after its hour ended is listed in its own hour, by its LastModified', async () => {
    await startChain();
    // Upload finished at 10:59:59, event recorded at 11:04: read from the 11:00 partition by the 10:00 digest.
    placeObject(root, { key: partitionKey('2026-03-01', 'edge'), at: '2026-03-01T10:59:59Z' });
    await ledger.record({ key: partitionKey('2026-03-01', 'edge'), eventTime: new Date(H('2026-03-01T10:59:59.500Z')), recordedAt: new Date(H('2026-03-01T11:04:00Z')), source: 'event' });
    await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([partitionKey('2026-03-01', 'edge')]);
    await digestAt(runAfter(H('2026-03-01T11:00:00Z')));
    expect(keysOf('2026-03-01T11:00:00Z')).toEqual([]);
  });

  test('an event recorded hours late is listed late by the next digest, and the chain verifies', async () => {
    await startChain();
    deliver(partitionKey('2026-03-01', 'slow'), '2026-03-01T10:30:00Z', 3 * HOUR_MS);
    for (const hour of ['10', '11', '12', '13']) await digestAt(runAfter(H(`2026-03-01T${hour}:00:00Z`)));
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([]);
    expect(keysOf('2026-03-01T13:00:00Z')).toEqual([`${partitionKey('2026-03-01', 'slow')} (late)`]);
    const result = await verifyLog({ store, now: runAfter(H('2026-03-01T13:00:00Z')), pinnedKey });
    expect(result.findings).toEqual([]);
  });

  test('a backdated object (an old dt in its key) inserted now is listed in the hour it arrived', async () => {
    await startChain();
    deliver(partitionKey('2025-01-01', 'backdated'), '2026-03-01T10:40:00Z');
    await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([partitionKey('2025-01-01', 'backdated')]);
  });

  test('an object whose event was lost is in no digest, and verify reports it as inserted, not as intact', async () => {
    await startChain();
    placeObject(root, { key: partitionKey('2026-03-01', 'lost'), at: '2026-03-01T10:10:00Z' });
    await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    const result = await verifyLog({ store, now: runAfter(H('2026-03-01T10:00:00Z')), pinnedKey });
    expect(result.findings.map((f) => `${f.kind} ${f.key}`)).toEqual([`inserted-object ${partitionKey('2026-03-01', 'lost')}`]);
  });

  test('an arrival whose object is gone is reported as vanished, not listed, and does not stop the chain', async () => {
    await startChain();
    await ledger.record({ key: partitionKey('2026-03-01', 'ghost'), eventTime: new Date(H('2026-03-01T10:10:00Z')), recordedAt: new Date(H('2026-03-01T10:10:01Z')), source: 'event' });
    deliver(partitionKey('2026-03-01', 'real'), '2026-03-01T10:20:00Z');
    const result = await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    expect(result.vanishedArrivals).toEqual([partitionKey('2026-03-01', 'ghost')]);
    expect(keysOf('2026-03-01T10:00:00Z')).toEqual([partitionKey('2026-03-01', 'real')]);
  });

  test('a duplicated event (at-least-once delivery, hours apart) lists the object once', async () => {
    await startChain();
    deliver(partitionKey('2026-03-01', 'twice'), '2026-03-01T10:20:00Z');
    await ledger.record({ key: partitionKey('2026-03-01', 'twice'), eventTime: new Date(H('2026-03-01T10:20:01Z')), recordedAt: new Date(H('2026-03-01T12:30:00Z')), source: 'event' });
    for (const hour of ['10', '11', '12']) await digestAt(runAfter(H(`2026-03-01T${hour}:00:00Z`)));
    const listings = ['10', '11', '12'].flatMap((hour) => keysOf(`2026-03-01T${hour}:00:00Z`));
    expect(listings).toEqual([partitionKey('2026-03-01', 'twice')]);
  });

  test('property: whatever the delivery times and event delays, every object is listed exactly once, never before it was delivered, and the log verifies', async () => {
    const HOUR0 = H('2026-03-01T10:00:00Z');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ offsetMs: fc.integer({ min: 0, max: 6 * HOUR_MS - 1 }), delayMs: fc.integer({ min: 0, max: 27 * HOUR_MS }) }), { minLength: 1, maxLength: 10 }),
        async (deliveries) => {
          rmSync(root, { recursive: true, force: true });
          root = mkdtempSync(join(tmpdir(), 'digest-arrivals-'));
          store = new LocalFolderStore(root);
          ledger = new TimedLedger();
          await startChain();
          deliveries.forEach((d, i) => deliver(partitionKey('2026-03-01', `o${i}`), new Date(HOUR0 + d.offsetMs).toISOString(), d.delayMs));
          const lastHour = HOUR0 + 34 * HOUR_MS;
          for (let hour = HOUR0; hour <= lastHour; hour += HOUR_MS) await digestAt(runAfter(hour));
          const listed = new Map<string, number>();
          for (let hour = HOUR0; hour <= lastHour; hour += HOUR_MS) {
            for (const entry of readDigest(new Date(hour).toISOString()).objects) {
              listed.set(entry.key, (listed.get(entry.key) ?? 0) + 1);
              expect(Date.parse(entry.last_modified)).toBeLessThan(hour + HOUR_MS);
            }
          }
          expect([...listed.entries()].sort()).toEqual(deliveries.map((_, i) => [partitionKey('2026-03-01', `o${i}`), 1] as [string, number]).sort());
          const result = await verifyLog({ store, now: runAfter(lastHour), pinnedKey });
          expect(result.findings).toEqual([]);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('recording arrivals from S3 Object Created events', () => {
  const BUCKET = 'ddb-audit-change-log';
  const fixture = readFileSync(join(__dirname, '..', 'events', 's3-object-created-eventbridge.json'), 'utf8');
  const event = JSON.parse(fixture);
  const withKey = (key: string) => JSON.stringify({ ...event, detail: { ...event.detail, object: { ...event.detail.object, key } } });
  const errors: Record<string, unknown>[] = [];
  const logger = { error: (_m: string, f: Record<string, unknown>) => void errors.push(f) };

  test('records each changes/ object under the hour it is recorded, with the event time', async () => {
    const now = new Date('2026-12-01T10:00:07Z');
    const result = await recordArrivalBatch([{ messageId: 'm1', body: fixture }], { bucket: BUCKET, ledger, logger, now: () => now });
    ledger.clock = Number.MAX_SAFE_INTEGER;
    expect(result).toEqual({ batchItemFailures: [], recorded: 1, failed: 0 });
    expect(await ledger.recordedIn(H('2026-12-01T10:00:00Z'))).toEqual([{ key: event.detail.object.key, eventTime: new Date('2026-12-01T10:00:00Z'), recordedAt: now, source: 'event' }]);
  });

  test('refuses what is not a changes/ object of the bucket as a failed item (kept for the dead-letter queue), without holding back the rest', async () => {
    errors.length = 0;
    const messages = [
      { messageId: 'not-json', body: '{' },
      { messageId: 'other-bucket', body: fixture.replace(`"name": "${BUCKET}"`, '"name": "elsewhere"') },
      { messageId: 'digests', body: withKey('digests/2026/12/01/10.json') },
      { messageId: 'ok', body: withKey('changes/account_id=1/table_name=T/dt=2026-12-01/x.parquet') },
    ];
    const result = await recordArrivalBatch(messages, { bucket: BUCKET, ledger, logger });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['not-json', 'other-bucket', 'digests']);
    expect(result.recorded).toBe(1);
    expect(errors.map((e) => e.errorMessage)).toEqual([
      expect.stringContaining('message body is not JSON'),
      'event is for bucket "elsewhere", not the change-log bucket "ddb-audit-change-log"',
      'object key "digests/2026/12/01/10.json" is outside the retained prefixes changes/',
    ]);
  });

  test('a ledger write that fails fails only its own message, for SQS to redeliver', async () => {
    const failing: ArrivalLedger = { record: async (a) => { if (a.key.endsWith('bad.parquet')) throw new Error('ProvisionedThroughputExceededException'); }, recordedIn: async () => [] };
    const result = await recordArrivalBatch(
      [{ messageId: 'bad', body: withKey('changes/a/bad.parquet') }, { messageId: 'good', body: withKey('changes/a/good.parquet') }],
      { bucket: BUCKET, ledger: failing, logger },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
  });
});

describe('DynamoDbArrivalLedger', () => {
  const dynamodb = mockClient(DynamoDBClient);
  afterAll(() => dynamodb.restore());
  beforeEach(() => dynamodb.reset());
  const table = () => new DynamoDbArrivalLedger(new DynamoDBClient({ region: 'eu-west-1' }), 'arrivals');

  test('writes one item per key and recording hour, with a TTL, so a redelivered event rewrites the same item', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await table().record({ key: 'changes/x.parquet', eventTime: new Date('2026-12-01T10:59:58Z'), recordedAt: new Date('2026-12-01T11:00:03Z'), source: 'event' });
    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'arrivals',
      Item: {
        hour: { S: '2026-12-01T11' },
        key: { S: 'changes/x.parquet' },
        event_time: { S: '2026-12-01T10:59:58.000Z' },
        recorded_at: { S: '2026-12-01T11:00:03.000Z' },
        source: { S: 'event' },
        expires_at: { N: String(Date.parse('2026-12-01T11:00:03Z') / 1000 + 35 * 86_400) },
      },
    });
  });

  test('its start is the table\'s CreationDateTime, and a reply without one is refused', async () => {
    dynamodb.on(DescribeTableCommand).resolvesOnce({ Table: { CreationDateTime: new Date('2026-11-30T09:00:00Z') } }).resolvesOnce({ Table: {} });
    expect(await table().startedAt()).toEqual(new Date('2026-11-30T09:00:00Z'));
    await expect(table().startedAt()).rejects.toThrow('DescribeTable of arrivals table arrivals returned no CreationDateTime');
  });

  test('reads every page of an hour with a strongly consistent Query, and reads a malformed item leniently by its key', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ hour: { S: '2026-12-01T11' }, key: { S: 'changes/a' }, event_time: { S: '2026-12-01T11:00:00.000Z' }, recorded_at: { S: '2026-12-01T11:00:01.000Z' }, source: { S: 'event' } }], LastEvaluatedKey: { hour: { S: '2026-12-01T11' }, key: { S: 'changes/a' } } })
      .resolvesOnce({ Items: [{ hour: { S: '2026-12-01T11' }, key: { S: 'changes/b' }, event_time: { S: 'garbage' } }] });
    const arrivals = await table().recordedIn(H('2026-12-01T11:00:00Z'));
    expect(arrivals.map((a) => [a.key, a.eventTime.getTime()])).toEqual([['changes/a', H('2026-12-01T11:00:00Z')], ['changes/b', 0]]);
    const calls = dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.ConsistentRead, c.ExpressionAttributeValues?.[':h']?.S, c.ExclusiveStartKey?.key?.S])).toEqual([[true, '2026-12-01T11', undefined], [true, '2026-12-01T11', 'changes/a']]);
  });
});

describe('S3 calls of an hourly digest', () => {
  const BUCKET = 'audit-change-log';
  const LOG_OBJECTS = 1_000_000;
  const ARRIVING = 100;
  const s3 = mockClient(S3Client);
  const dynamodb = mockClient(DynamoDBClient);
  afterAll(() => {
    s3.restore();
    dynamodb.restore();
  });

  /**
   * A bucket whose changes/ prefix holds LOG_OBJECTS objects, answered page by page without
   * materializing them, and whose other keys (digests, the hour's arrivals) live in a map.
   */
  function fakeBucket(hour: number) {
    const stored = new Map<string, { body: Buffer; lastModified: Date }>();
    const oldKey = (i: number) => `changes/account_id=012345678901/table_name=Orders/dt=2025-01-01/old-${String(i).padStart(7, '0')}.parquet`;
    s3.reset();
    s3.on(ListObjectsV2Command).callsFake((input) => {
      const prefix = input.Prefix ?? '';
      if (prefix.startsWith('changes/')) {
        const start = Number(input.ContinuationToken ?? 0);
        const end = Math.min(start + 1000, LOG_OBJECTS);
        const Contents = Array.from({ length: end - start }, (_, j) => ({ Key: oldKey(start + j), Size: 8, LastModified: new Date('2025-01-01T00:00:00Z') }));
        return { Contents, IsTruncated: end < LOG_OBJECTS, NextContinuationToken: end < LOG_OBJECTS ? String(end) : undefined };
      }
      const keys = [...stored.keys()].filter((k) => k.startsWith(prefix)).sort();
      return { Contents: keys.map((Key) => ({ Key, Size: stored.get(Key)!.body.length, LastModified: stored.get(Key)!.lastModified })), IsTruncated: false };
    });
    s3.on(GetObjectCommand).callsFake((input) => {
      const found = stored.get(input.Key!);
      if (!found) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
      return { Body: Readable.from([found.body]), ContentLength: found.body.length, LastModified: found.lastModified };
    });
    s3.on(PutObjectCommand).callsFake((input) => {
      if (input.IfNoneMatch === '*' && stored.has(input.Key!)) throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'exists', $metadata: { httpStatusCode: 412 } });
      stored.set(input.Key!, { body: Buffer.from(input.Body as Uint8Array), lastModified: new Date() });
      return {};
    });
    const items = new Map<string, Record<string, any>[]>();
    dynamodb.reset();
    dynamodb.on(QueryCommand).callsFake((input) => ({ Items: items.get(input.ExpressionAttributeValues[':h'].S) ?? [] }));
    dynamodb.on(DescribeTableCommand).resolves({ Table: { CreationDateTime: new Date('2026-01-01T00:00:00Z') } });
    const arrive = (n: number) => {
      for (let i = 0; i < n; i++) {
        const key = `changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/new-${i}.parquet`;
        const at = new Date(hour + (i + 1) * 30_000);
        stored.set(key, { body: Buffer.from(`PAR1${i}PAR1`), lastModified: at });
        const label = arrivalHourLabel(at.getTime());
        items.set(label, [...(items.get(label) ?? []), { hour: { S: label }, key: { S: key }, event_time: { S: at.toISOString() }, recorded_at: { S: at.toISOString() }, source: { S: 'event' } }]);
      }
    };
    return { arrive };
  }

  const HOUR = H('2026-03-02T10:00:00Z');
  const s3Store = () => new S3Store(new S3Client({ region: 'eu-west-1' }), BUCKET);
  const arrivals = () => new DynamoDbArrivalLedger(new DynamoDBClient({ region: 'eu-west-1' }), 'arrivals');

  test(`with ${LOG_OBJECTS.toLocaleString('en')} objects in the log and ${ARRIVING} arriving in the hour, a digest makes O(${ARRIVING}) S3 calls and lists nothing under changes/`, async () => {
    const bucket = fakeBucket(HOUR);
    // The chain exists: its first digest started from a listing, then hourly runs up to the hour before.
    await startS3Chain();
    bucket.arrive(ARRIVING);
    s3.resetHistory();
    dynamodb.resetHistory();

    const result = await writeDueDigests({ store: s3Store(), signer, now: runAfter(HOUR), arrivals: arrivals() });

    expect(result.candidates).toBe('arrivals');
    expect(result.written.map((w) => [w.hourStart, w.objects])).toEqual([[new Date(HOUR).toISOString(), ARRIVING]]);
    const lists = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);
    expect(lists.filter((p) => p?.startsWith('changes/'))).toEqual([]);
    const model = digestCallsPerHour(ARRIVING);
    expect(lists).toHaveLength(digestListCallsPerHour(LOG_OBJECTS, ARRIVING));
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(model.getObject);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(model.putObject);
    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(model.ledgerQueries);
    expect(dynamodb.commandCalls(DescribeTableCommand)).toHaveLength(model.ledgerDescribeTable);
    const total = s3.calls().length + dynamodb.calls().length;
    expect(total).toBeLessThanOrEqual(ARRIVING + 40);
    // What listing changes/ every hour would have cost on this log.
    expect(listingDigestListCallsPerHour(LOG_OBJECTS)).toBeGreaterThanOrEqual(LOG_OBJECTS / 1000);
  });

  test('without the ledger, the same run lists the whole log (the cost the ledger removes)', async () => {
    const bucket = fakeBucket(HOUR);
    await startS3Chain();
    bucket.arrive(ARRIVING);
    s3.resetHistory();
    await writeDueDigests({ store: s3Store(), signer, now: runAfter(HOUR) });
    const changesLists = s3.commandCalls(ListObjectsV2Command).filter((c) => c.args[0].input.Prefix === 'changes/');
    expect(changesLists).toHaveLength(LOG_OBJECTS / 1000);
  });

  /** A chain of digests for the 25 hours before HOUR, started while changes/ looked empty. */
  async function startS3Chain(): Promise<void> {
    const emptyLedger: ArrivalLedger = { record: async () => undefined, recordedIn: async () => [] };
    // The chain's first run lists changes/; here it starts from a store that hides the old log's listing.
    const store = s3Store();
    const startStore = Object.assign(Object.create(Object.getPrototypeOf(store)), store, { list: (prefix: string) => (prefix.startsWith('changes/') ? Promise.resolve([]) : store.list(prefix)) });
    await writeDueDigests({ store: startStore, signer, now: runAfter(HOUR - 25 * HOUR_MS) });
    await writeDueDigests({ store, signer, now: runAfter(HOUR - HOUR_MS), arrivals: emptyLedger });
  }
});

describe('digestListCallsPerHour', () => {
  test('is constant in the size of the log', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 1e6 }), (inLog, perHour) => {
        expect(digestListCallsPerHour(inLog, perHour)).toBe(digestListCallsPerHour(0, perHour));
      }),
    );
    expect(digestListCallsPerHour(1_000_000, 100)).toBe(3);
    expect(listingDigestListCallsPerHour(1_000_000)).toBe(1003);
  });

  test('refuses a negative or non-numeric count, naming it', () => {
    expect(() => digestListCallsPerHour(-1, 100)).toThrow('digestListCallsPerHour: counts must be non-negative numbers, got -1 and 100');
    expect(() => digestListCallsPerHour(Number.NaN, 100)).toThrow('got NaN and 100');
  });
});

describe('daily reconciliation against S3 Inventory', () => {
  const rowsOf = (rows: InventoryRow[]): AsyncIterable<InventoryRow> => (async function* () { yield* rows; })();
  const row = (key: string, at: string): InventoryRow => ({ key, lastModified: new Date(at) });

  test('an object whose event was lost is recorded, the next digest lists it late, and verify then finds nothing', async () => {
    await startChain();
    placeObject(root, { key: partitionKey('2026-03-01', 'lost'), at: '2026-03-01T10:10:00Z' });
    deliver(partitionKey('2026-03-01', 'seen'), '2026-03-01T10:20:00Z');
    for (let hour = H('2026-03-01T10:00:00Z'); hour <= H('2026-03-02T05:00:00Z'); hour += HOUR_MS) await digestAt(runAfter(hour));
    const now = new Date('2026-03-02T06:30:00Z');
    ledger.clock = now.getTime();
    const result = await reconcileArrivals({
      rows: rowsOf([row(partitionKey('2026-03-01', 'lost'), '2026-03-01T10:10:00Z'), row(partitionKey('2026-03-01', 'seen'), '2026-03-01T10:20:00Z')]),
      reportTime: new Date('2026-03-02T01:00:00Z'),
      store,
      ledger,
      now,
    });
    expect(result).toMatchObject({ checked: 2, recorded: [partitionKey('2026-03-01', 'lost')], notYetDigested: 0 });
    await digestAt(runAfter(H('2026-03-02T06:00:00Z')));
    expect(keysOf('2026-03-02T06:00:00Z')).toEqual([`${partitionKey('2026-03-01', 'lost')} (late)`]);
    expect((await verifyLog({ store, now: runAfter(H('2026-03-02T06:00:00Z')), pinnedKey })).findings).toEqual([]);
  });

  test('finds a backdated object (an old dt prefix) by its LastModified, and leaves objects of undigested hours to the digest', async () => {
    await startChain();
    placeObject(root, { key: partitionKey('2024-06-30', 'backdated'), at: '2026-03-01T10:10:00Z' });
    await digestAt(runAfter(H('2026-03-01T10:00:00Z')));
    const result = await reconcileArrivals({
      rows: rowsOf([row(partitionKey('2024-06-30', 'backdated'), '2026-03-01T10:10:00Z'), row(partitionKey('2026-03-01', 'fresh'), '2026-03-01T11:30:00Z'), row(partitionKey('2026-01-01', 'old'), '2026-01-01T00:00:00Z')]),
      reportTime: new Date('2026-03-01T11:45:00Z'),
      store,
      ledger,
      now: new Date('2026-03-01T12:00:00Z'),
    });
    expect(result).toMatchObject({ checked: 2, recorded: [partitionKey('2024-06-30', 'backdated')], notYetDigested: 1 });
  });

  test('refuses a report older than 48 hours, and a window with objects but no digest, instead of reporting a clean result', async () => {
    await expect(reconcileArrivals({ rows: rowsOf([]), reportTime: new Date('2026-03-01T00:00:00Z'), store, ledger, now: new Date('2026-03-03T01:00:00Z') })).rejects.toThrow(
      'the newest S3 Inventory report started 2026-03-01T00:00:00.000Z, 49 hours ago (more than 48); cannot check for lost arrivals until a newer one is delivered',
    );
    await expect(reconcileArrivals({ rows: rowsOf([row(partitionKey('2026-03-01', 'x'), '2026-03-01T10:00:00Z')]), reportTime: new Date('2026-03-01T12:00:00Z'), store, ledger, now: new Date('2026-03-01T13:00:00Z') })).rejects.toThrow(
      'no digest exists from 2026-02-26T12:00:00.000Z on, but the S3 Inventory report lists 1 object(s) delivered since: the digest is not running',
    );
  });
});

describe('reading S3 Inventory reports', () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());

  test('finds the newest report, reads its gzipped CSV files, and decodes URL-encoded keys', async () => {
    s3.reset();
    const prefix = 'ddb-audit-change-log/digest-reconcile/';
    s3.on(ListObjectsV2Command).resolves({ CommonPrefixes: [{ Prefix: `${prefix}2026-03-01T01-00Z/` }, { Prefix: `${prefix}2026-03-02T01-00Z/` }, { Prefix: `${prefix}hive/` }] });
    const manifest = { sourceBucket: 'ddb-audit-change-log', version: '2016-11-30', creationTimestamp: String(H('2026-03-02T01:00:00Z')), fileFormat: 'CSV', fileSchema: 'Bucket, Key, Size, LastModifiedDate', files: [{ key: 'inv/data/1.csv.gz', size: 1, MD5checksum: 'x' }] };
    const csv = ['"ddb-audit-change-log","changes/account_id%3D1/table_name%3DT/dt%3D2026-03-01/a%20b.parquet","12","2026-03-01T10:00:00.000Z"', '"ddb-audit-change-log","changes/x.parquet","3","2026-03-01T11:00:00.000Z"', ''].join('\n');
    s3.on(GetObjectCommand, { Key: `${prefix}2026-03-02T01-00Z/manifest.json` }).resolves({ Body: sdkStreamOf(Buffer.from(JSON.stringify(manifest))) as any });
    s3.on(GetObjectCommand, { Key: 'inv/data/1.csv.gz' }).resolves({ Body: Readable.from([gzipSync(csv)]) as any });
    const report = await newestInventoryReport(new S3Client({ region: 'eu-west-1' }), 'inventory', prefix);
    expect(report.manifestKey).toBe(`${prefix}2026-03-02T01-00Z/manifest.json`);
    expect(report.reportTime).toEqual(new Date('2026-03-02T01:00:00Z'));
    const rows: InventoryRow[] = [];
    for await (const r of report.rows) rows.push(r);
    expect(rows).toEqual([
      { key: 'changes/account_id=1/table_name=T/dt=2026-03-01/a b.parquet', lastModified: new Date('2026-03-01T10:00:00Z') },
      { key: 'changes/x.parquet', lastModified: new Date('2026-03-01T11:00:00Z') },
    ]);
  });

  test('says so, in one line, when no report exists yet or a manifest is not a CSV report with Key and LastModifiedDate', async () => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ CommonPrefixes: [] });
    await expect(newestInventoryReport(new S3Client({ region: 'eu-west-1' }), 'inventory', 'p/')).rejects.toThrow('no S3 Inventory report under s3://inventory/p/ yet (the first is delivered within 48 hours of deployment)');
    expect(() => parseManifest(JSON.stringify({ fileFormat: 'Parquet' }), 'm')).toThrow('m has fileFormat "Parquet"; the reconciliation reads CSV reports');
    expect(() => parseManifest(JSON.stringify({ fileFormat: 'CSV', fileSchema: 'Bucket, Key, Size' }), 'm')).toThrow('m fileSchema "Bucket, Key, Size" lacks Key or LastModifiedDate');
  });

  test('property: a CSV line of quoted fields reads back as the fields, and an encoded key decodes to itself', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (fields) => {
        expect(parseCsvLine(fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(','))).toEqual(fields);
      }),
    );
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (key) => expect(decodeInventoryKey(encodeURIComponent(key))).toBe(key)));
  });
});

/** A GetObject body as the SDK returns it (a stream with transformToString). */
function sdkStreamOf(bytes: Buffer): Readable & { transformToString(): Promise<string> } {
  return Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString('utf8') });
}
