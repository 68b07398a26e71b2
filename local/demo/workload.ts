/**
 * A realistic, reproducible DynamoDB workload as Lambda stream events: several source accounts
 * (one with a leading-zero id), several tables with different shapes, and every kind of change
 * (inserts, updates, user deletes, TTL expiries), with an actor attribute and the unusual types
 * audit logs must survive: 38-digit and tiny-exponent numbers, sets, binary, nested maps and
 * lists, unicode, empty strings.
 *
 * Deterministic for a given seed. Events come out lazily (a million changes never sit in memory),
 * and a ledger of what was written is kept when asked, so tests can assert query results exactly.
 */
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { Random, seededRandom } from '../firehose/random';
import { HeartbeatEntry, heartbeatEvents, HeartbeatOptions } from './heartbeat';

type Item = Record<string, AttributeValue>;

export interface SourceTable {
  readonly accountId: string;
  readonly region: string;
  readonly tableName: string;
  readonly keyNames: readonly string[];
  readonly ttl: boolean;
  /** Relative share of the workload. */
  readonly weight: number;
  readonly make: (random: Random, id: number, actor: string) => Item;
  readonly modify: (random: Random, item: Item, actor: string) => Item;
  readonly redact?: readonly string[];
}

export const ACTOR_ATTRIBUTE = 'updatedBy';
export const ACTORS = ['alice@example.com', 'bob@example.com', 'svc-billing', 'carol@example.com', 'José.Núñez@example.com'] as const;
export const REGION = 'us-east-1';
export const ACCOUNTS = ['012345678901', '111122223333', '444455556666'] as const;
/** The demo's audit account: where the heartbeat table, and so the heartbeat's rows, live. */
export const AUDIT_ACCOUNT = '999988887777';
const STREAM_LABEL = '2026-01-15T10:00:00.000';

const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
const int = (random: Random, max: number) => Math.floor(random() * max);
const n = (value: string | number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const binary = (random: Random, bytes: number): string => Buffer.from(Array.from({ length: bytes }, () => int(random, 256))).toString('base64');
const digits = (random: Random, count: number): string => String(1 + int(random, 9)) + Array.from({ length: count - 1 }, () => int(random, 10)).join('');
const money = (random: Random): string => `${int(random, 5000)}.${String(int(random, 100)).padStart(2, '0')}`;

const NOTES = ['Grüße aus Köln 🚚', '配送は明日です', 'Ставка “особая”', 'quote \' and backslash \\ and "double"', '', 'tab\tand newline\nin text', 'emoji 👩🏽‍💻 zero-width\u200b'];
const STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const CITIES = ['Zürich', 'São Paulo', 'Kraków', 'Reykjavík', 'Nairobi'];

function orderItem(random: Random, id: number, actor: string): Item {
  const lines = Array.from({ length: 1 + int(random, 3) }, (_, i) => ({ M: { sku: s(`SKU-${1000 + ((id + i) % 97)}`), qty: n(1 + int(random, 5)), price: n(money(random)) } }));
  return {
    orderId: s(`order#${String(id).padStart(7, '0')}`),
    customerId: s(`customer#${int(random, 500)}`),
    status: s(STATUSES[0] as string),
    total: n(money(random)),
    lines: { L: lines },
    tags: { SS: ['web', pick(random, ['gift', 'express', 'b2b', 'promo'])] },
    note: s(pick(random, NOTES)),
    ledgerId: n(digits(random, 38)),
    createdAt: s(new Date(Date.UTC(2026, 0, 1) + int(random, 1e9)).toISOString()),
    [ACTOR_ATTRIBUTE]: s(actor),
  };
}

function customerItem(random: Random, id: number, actor: string): Item {
  return {
    customerId: s(`customer#${id}`),
    name: s(pick(random, ['Zoë Ångström', 'Łukasz Żółć', '王小明', 'Siobhán Ó Briain', 'Nguyễn Văn An'])),
    email: s(`user${id}@example.com`),
    address: { M: { street: s(`${1 + int(random, 200)} Main St`), city: s(pick(random, CITIES)), geo: { M: { lat: n((random() * 180 - 90).toFixed(6)), lon: n((random() * 360 - 180).toFixed(6)) } } } },
    phones: { SS: [`+41 44 ${100 + int(random, 900)} ${1000 + int(random, 9000)}`] },
    card: { M: { number: s(`4111 1111 1111 ${String(int(random, 10000)).padStart(4, '0')}`), expiry: s('12/29') } },
    loyaltyPoints: n(int(random, 100000)),
    avatar: { B: binary(random, 24) },
    preferences: { M: { newsletter: { BOOL: random() < 0.5 }, locale: s(pick(random, ['de-CH', 'pt-BR', 'ja-JP'])), legacy: { NULL: true } } },
    [ACTOR_ATTRIBUTE]: s(actor),
  };
}

function sessionItem(random: Random, id: number, actor: string): Item {
  return {
    sessionId: s(`sess-${id.toString(36)}`),
    userId: s(`customer#${int(random, 500)}`),
    device: s(pick(random, ['iOS 19', 'Android 16', 'Firefox 140', 'curl/8.9'])),
    scopes: { SS: ['read', pick(random, ['write', 'admin', 'billing'])] },
    expiresAt: n(1772000000 + int(random, 10000000)),
    fingerprint: { B: binary(random, 16) },
    [ACTOR_ATTRIBUTE]: s(actor),
  };
}

function inventoryItem(random: Random, id: number, actor: string): Item {
  return {
    sku: s(`SKU-${1000 + (id % 97)}`),
    warehouse: s(`WH-${pick(random, ['ZRH', 'GRU', 'KRK', 'NBO'])}-${Math.floor(id / 97)}`),
    quantity: n(int(random, 1000)),
    reserved: n(0),
    ratings: { NS: ['1', '4.5', String(1 + int(random, 5))].filter((v, i, a) => a.indexOf(v) === i) },
    dims: { L: [n('12.5'), n('-0.0001'), n('1E+2')] },
    tolerance: n('-1.5E-130'),
    checksums: { BS: [binary(random, 8), binary(random, 8)] },
    lastAudit: { M: { by: s(actor), ok: { BOOL: true }, findings: { L: [] }, extra: { M: {} } } },
    [ACTOR_ATTRIBUTE]: s(actor),
  };
}

function modifyOrder(random: Random, item: Item, actor: string): Item {
  const status = (item.status as { S: string }).S;
  const next = STATUSES[Math.min(STATUSES.indexOf(status) + 1, STATUSES.length - 1)] as string;
  const changed: Item = { ...item, status: s(random() < 0.1 ? 'CANCELLED' : next), [ACTOR_ATTRIBUTE]: s(actor) };
  if (random() < 0.3) changed.total = n(money(random));
  if (random() < 0.2) changed.tags = { SS: ['web', 'updated'] };
  return changed;
}

function modifyCustomer(random: Random, item: Item, actor: string): Item {
  const changed: Item = { ...item, loyaltyPoints: n(int(random, 100000)), [ACTOR_ATTRIBUTE]: s(actor) };
  if (random() < 0.3) changed.address = { M: { street: s(`${1 + int(random, 200)} Side St`), city: s(pick(random, CITIES)), geo: { M: { lat: n('0.5'), lon: n('-0.25') } } } };
  if (random() < 0.2) delete changed.phones;
  return changed;
}

function modifySession(random: Random, item: Item, actor: string): Item {
  return { ...item, expiresAt: n(1772000000 + int(random, 10000000)), [ACTOR_ATTRIBUTE]: s(actor) };
}

function modifyInventory(random: Random, item: Item, actor: string): Item {
  return { ...item, quantity: n(int(random, 1000)), reserved: n(int(random, 50)), [ACTOR_ATTRIBUTE]: s(actor), lastAudit: { M: { by: s(actor), ok: { BOOL: random() < 0.9 }, findings: { L: [s('count drift')] }, extra: { M: {} } } } };
}

/** The demo's source tables: 3 accounts, 4 table kinds, 7 tables. */
export const SOURCE_TABLES: readonly SourceTable[] = [
  { accountId: '012345678901', region: REGION, tableName: 'Orders', keyNames: ['orderId'], ttl: false, weight: 4, make: orderItem, modify: modifyOrder },
  { accountId: '012345678901', region: REGION, tableName: 'Customers', keyNames: ['customerId'], ttl: false, weight: 2, make: customerItem, modify: modifyCustomer, redact: ['card.number'] },
  { accountId: '111122223333', region: REGION, tableName: 'Sessions', keyNames: ['sessionId'], ttl: true, weight: 3, make: sessionItem, modify: modifySession },
  { accountId: '111122223333', region: REGION, tableName: 'Inventory', keyNames: ['sku', 'warehouse'], ttl: false, weight: 2, make: inventoryItem, modify: modifyInventory },
  { accountId: '444455556666', region: REGION, tableName: 'Orders', keyNames: ['orderId'], ttl: false, weight: 3, make: orderItem, modify: modifyOrder },
  { accountId: '444455556666', region: REGION, tableName: 'Customers', keyNames: ['customerId'], ttl: false, weight: 1, make: customerItem, modify: modifyCustomer, redact: ['card.number'] },
  { accountId: '444455556666', region: REGION, tableName: 'Sessions', keyNames: ['sessionId'], ttl: true, weight: 2, make: sessionItem, modify: modifySession },
];

export function streamArn(table: Pick<SourceTable, 'accountId' | 'region' | 'tableName'>): string {
  return `arn:aws:dynamodb:${table.region}:${table.accountId}:table/${table.tableName}/stream/${STREAM_LABEL}`;
}

export function tableArn(table: Pick<SourceTable, 'accountId' | 'region' | 'tableName'>): string {
  return `arn:aws:dynamodb:${table.region}:${table.accountId}:table/${table.tableName}`;
}

/** The collector's SOURCE_OPTIONS for the demo tables (keyed by table ARN). */
export function demoSourceOptions(tables: readonly SourceTable[] = SOURCE_TABLES): CollectorSourceOptionsByTable {
  const options: CollectorSourceOptionsByTable = {};
  for (const table of tables) options[tableArn(table)] = { actorAttribute: ACTOR_ATTRIBUTE, ...(table.redact ? { redact: table.redact } : {}) };
  return options;
}

/** One change as written, for tests and the demo's "try this" examples. */
export interface LedgerEntry {
  readonly eventId: string;
  readonly accountId: string;
  readonly tableName: string;
  /** Canonical key text, as the collector's item_key: JSON of the key attributes sorted by name. */
  readonly itemKey: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly ttl: boolean;
  readonly actor: string | null;
  readonly sequenceNumber: string;
  readonly dt: string;
  readonly region: string;
  /** The stream record's ApproximateCreationDateTime, ISO-8601 UTC (whole seconds). */
  readonly eventTime: string;
}

export interface WorkloadOptions {
  readonly changes: number;
  readonly seed?: number;
  /** Stream records per Lambda event (per stream). @default 500 */
  readonly batchSize?: number;
  /** Event times are spread evenly over [start, end]. @default the last 36 hours */
  readonly start?: Date;
  readonly end?: Date;
  readonly tables?: readonly SourceTable[];
  /** Keep a ledger entry per change (tests; keep it off for big runs). @default false */
  readonly ledger?: boolean;
  /**
   * Also write the pipeline's heartbeat (an item every 5 simulated minutes in the audit account's
   * heartbeat table, see ./heartbeat.ts), as the deployed pipeline does. Its records are not
   * changes: they are not counted in `changes`, and are kept in `heartbeats`, not in the ledger.
   * @default no heartbeat
   */
  readonly heartbeat?: HeartbeatOptions;
  /**
   * Share of changes followed, in the same second, by an update of the same item (a retry loop or
   * two writers racing): what makes a change's caller ambiguous in CloudTrail. @default 0
   */
  readonly sameSecondRepeatRate?: number;
}

export interface Workload {
  /** Lambda DynamoDB stream events, each from one stream, in stream order. */
  events(): Generator<DynamoDBStreamEvent>;
  /** Filled as events() is consumed. */
  readonly ledger: LedgerEntry[];
  /** Counters, filled as events() is consumed. */
  readonly counts: { inserts: number; modifies: number; userDeletes: number; ttlExpiries: number; heartbeats: number };
  /** The heartbeats written (with options.heartbeat and options.ledger), filled as events() is consumed. */
  readonly heartbeats: HeartbeatEntry[];
}

function itemKeyOf(table: SourceTable, item: Item): string {
  const keys: Record<string, unknown> = {};
  for (const name of [...table.keyNames].sort()) keys[name] = (item[name] as { S: string }).S;
  return JSON.stringify(keys);
}

function plainActor(item: Item): string | null {
  const value = item[ACTOR_ATTRIBUTE];
  return value && 'S' in value ? (value.S as string) : null;
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const tables = options.tables ?? SOURCE_TABLES;
  const seed = options.seed ?? 42;
  const batchSize = options.batchSize ?? 500;
  const end = (options.end ?? new Date()).getTime();
  const start = (options.start ?? new Date(end - 36 * 3600 * 1000)).getTime();
  const ledger: LedgerEntry[] = [];
  const counts = { inserts: 0, modifies: 0, userDeletes: 0, ttlExpiries: 0, heartbeats: 0 };
  const heartbeats: HeartbeatEntry[] = [];
  const totalWeight = tables.reduce((sum, t) => sum + t.weight, 0);

  function* events(): Generator<DynamoDBStreamEvent> {
    const random = seededRandom(seed);
    const live = tables.map(() => [] as Item[]);
    const nextId = tables.map(() => 1);
    const pending = tables.map(() => [] as DynamoDBRecord[]);
    // Sequence numbers grow across runs (time-based prefix), like a real stream's: 22+ digits.
    let sequence = BigInt(start) * 1_000_000_000n + BigInt(seed % 1000) * 1_000_000n;
    // A same-second repeat: the next change updates this table's item at this time (drawn only when enabled).
    let repeat: { t: number; item: Item; timeMs: number } | undefined;
    for (let i = 0; i < options.changes; i++) {
      let t = 0;
      if (repeat) t = repeat.t;
      else {
        let roll = random() * totalWeight;
        while (t < tables.length - 1 && roll >= (tables[t] as SourceTable).weight) roll -= (tables[t++] as SourceTable).weight;
      }
      const table = tables[t] as SourceTable;
      const items = live[t] as Item[];
      const actor = pick(random, ACTORS);
      const eventTimeMs = repeat ? repeat.timeMs : start + Math.floor(((end - start) * i) / Math.max(1, options.changes));
      const repeatOf = repeat?.item;
      repeat = undefined;
      const choice = repeatOf ? 0.5 : random();
      let eventName: LedgerEntry['eventName'];
      let oldImage: Item | undefined;
      let newImage: Item | undefined;
      let ttl = false;
      if (items.length < 3 || choice < 0.4) {
        eventName = 'INSERT';
        newImage = table.make(random, (nextId[t] as number) + (seed % 1000) * 10_000_000, actor);
        nextId[t] = (nextId[t] as number) + 1;
        items.push(newImage);
        counts.inserts++;
      } else {
        const found = repeatOf ? items.indexOf(repeatOf) : -1;
        const index = found >= 0 ? found : int(random, items.length);
        const current = items[index] as Item;
        if (choice < 0.82) {
          eventName = 'MODIFY';
          oldImage = current;
          newImage = table.modify(random, current, actor);
          items[index] = newImage;
          counts.modifies++;
        } else {
          eventName = 'REMOVE';
          oldImage = current;
          ttl = table.ttl && choice < 0.94;
          items[index] = items[items.length - 1] as Item;
          items.pop();
          if (ttl) counts.ttlExpiries++;
          else counts.userDeletes++;
        }
      }
      sequence += 1n;
      if (newImage && (options.sameSecondRepeatRate ?? 0) > 0 && i + 1 < options.changes && random() < (options.sameSecondRepeatRate as number)) {
        repeat = { t, item: newImage, timeMs: eventTimeMs };
      }
      const image = (newImage ?? oldImage) as Item;
      const keys: Item = {};
      for (const name of table.keyNames) keys[name] = image[name] as AttributeValue;
      const eventId = `${seed.toString(16)}${i.toString(16).padStart(10, '0')}${t}`;
      const record: DynamoDBRecord = {
        eventID: eventId,
        eventName,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: table.region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(eventTimeMs / 1000),
          Keys: keys,
          ...(newImage ? { NewImage: newImage } : {}),
          ...(oldImage ? { OldImage: oldImage } : {}),
          SequenceNumber: sequence.toString(),
          SizeBytes: JSON.stringify(image).length,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: streamArn(table),
        ...(ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
      };
      if (options.ledger) {
        ledger.push({
          eventId,
          accountId: table.accountId,
          tableName: table.tableName,
          itemKey: itemKeyOf(table, image),
          eventName,
          ttl,
          actor: ttl ? 'dynamodb.amazonaws.com' : plainActor(newImage ?? (oldImage as Item)),
          sequenceNumber: sequence.toString(),
          dt: new Date(Math.floor(eventTimeMs / 1000) * 1000).toISOString().slice(0, 10),
          region: table.region,
          eventTime: new Date(Math.floor(eventTimeMs / 1000) * 1000).toISOString(),
        });
      }
      const batch = pending[t] as DynamoDBRecord[];
      batch.push(record);
      if (batch.length >= batchSize) yield { Records: batch.splice(0, batch.length) };
    }
    for (const batch of pending) if (batch.length > 0) yield { Records: batch.splice(0, batch.length) };
    if (options.heartbeat) {
      // Its own stream and mapping in the deployment, so its own events here.
      for (const event of heartbeatEvents(options.heartbeat, start, end, seed, batchSize, options.ledger ? heartbeats : undefined)) {
        counts.heartbeats += event.Records.length;
        yield event;
      }
    }
  }

  return { events, ledger, counts, heartbeats };
}
