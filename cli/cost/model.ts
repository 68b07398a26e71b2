/**
 * A cost model of one ddb-audit deployment: inputs (changes, sizes, tables, retention, queries) in,
 * one line per billed quantity out, each with its quantity, unit price and monthly cost. Pure: no
 * I/O, no clock; every price, measured figure and assumption comes from the price list
 * (cli/cost/prices.json), so a test can hand it another list.
 *
 * It describes the design of issue 11: one delivery stream per ~250 sources, partitions registered
 * in Glue from S3 Object Created events (EventBridge -> SQS -> Lambda), one PutObjectRetention per
 * object from the same events, an hourly digest that reads each new object once, a heartbeat item
 * every 5 minutes, alarms and a dashboard.
 *
 * Storage, catalog and access-log lines are the steady state once the log holds `retentionDays` of
 * changes: the month a deployment reaches its full retention, and every month after it.
 *
 * How traffic becomes billed units, in order:
 *  1. Invocations. Each shard's changes reach the collector in batches. With a batching window W a
 *     batch holds the change that opened the window plus those arriving during it, 1 + rate x W on
 *     average, and at most the batch size.
 *  2. Firehose records. `single` sends each change as a record; `ndjson` packs an invocation's
 *     changes into records of at most 1,000,000 bytes and 500 changes (lambda/core/packing.ts).
 *     Each record is billed in 5 KB increments.
 *  3. Objects. Dynamic partitioning buffers each account/table/day partition separately and writes
 *     it out every buffer interval, or sooner when it reaches the buffer size
 *     (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html). With changes arriving at
 *     random, a table has at least one change in an interval with probability 1 - e^-lambda.
 *  4. Everything per object follows: PUT, PutObjectRetention, the Object Created event, three queue
 *     messages, a Glue registration, the digest's GET.
 */
import { AssumptionId, MeasuredId, PriceId, PriceList, PRICES, priceQuantity } from './prices';

/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Firehose bills each record in 5 KB increments; decimal KB, the reading that is never cheaper. */
export const FIREHOSE_INCREMENT_BYTES = 5_000;
const GB = 1e9;
const TB = 1e12;
const MB = 1e6;
/** Athena bills each query for at least 10 MB, rounded up to the MB. */
export const ATHENA_MINIMUM_BYTES = 10 * MB;

export type Packing = 'ndjson' | 'single';

export interface CostInputs {
  /** Changes the source tables write per day, in total. @default 100000 */
  readonly changesPerDay: number;
  /** Average change record (its NDJSON line) in bytes, at most 1,000,000. @default 1500 */
  readonly changeBytes: number;
  /** Source tables (sources), at least one. @default 10 */
  readonly tables: number;
  /** Source accounts (at most one per table). No line grows with it: see docs/scale-and-cost.md. @default 1 */
  readonly accounts: number;
  /** Object Lock retention: how many days of changes the log holds. @default 365 */
  readonly retentionDays: number;
  /** Athena queries per day. @default 20 */
  readonly queriesPerDay: number;
  /** Average bytes one query scans. @default 100000000 */
  readonly bytesScannedPerQuery: number;
  /** @default 'ndjson' */
  readonly packing: Packing;
  /** Stream records per collector invocation (config eventSource.batchSize). @default 500 */
  readonly batchSize: number;
  /** Config eventSource.maxBatchingWindowSeconds. @default 5 */
  readonly batchingWindowSeconds: number;
  /** Config delivery.bufferIntervalSeconds. @default 300 */
  readonly bufferIntervalSeconds: number;
  /** Config delivery.bufferSizeMiB. @default 128 */
  readonly bufferSizeMiB: number;
  /** Whether the heartbeat table's item every 5 minutes is counted (it is deployed). @default true */
  readonly heartbeat: boolean;
}

export const DEFAULT_INPUTS: CostInputs = {
  changesPerDay: 100_000,
  changeBytes: 1_500,
  tables: 10,
  accounts: 1,
  retentionDays: 365,
  queriesPerDay: 20,
  bytesScannedPerQuery: 100_000_000,
  packing: 'ndjson',
  batchSize: 500,
  batchingWindowSeconds: 5,
  bufferIntervalSeconds: 300,
  bufferSizeMiB: 128,
  heartbeat: true,
};

export interface LineItem {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  /** Cost per unit; for a tiered price, the average over this line's quantity. */
  readonly unitPriceUsd: number;
  readonly monthlyUsd: number;
  /** The price list entry the unit price comes from. */
  readonly priceId: PriceId;
}

/** Intermediate quantities, for the reader who wants to check a line. */
export interface Derived {
  readonly changesPerMonth: number;
  readonly collectorInvocations: number;
  readonly changesPerInvocation: number;
  readonly firehoseRecords: number;
  readonly firehoseBilledGb: number;
  readonly deliveryStreams: number;
  readonly objectsPerMonth: number;
  readonly parquetGbPerMonth: number;
  readonly storedGb: number;
  readonly partitionsStored: number;
}

export interface CostEstimate {
  readonly inputs: CostInputs;
  readonly region: string;
  readonly pricesRead: string;
  readonly derived: Derived;
  readonly lines: readonly LineItem[];
  readonly totalUsd: number;
  /** CloudTrail data events for the same writes: one event per write, no images at all. */
  readonly cloudTrail: LineItem;
}

/** Bad model input: the message names the input and what it must be. */
export class CostInputError extends Error {
  override name = 'CostInputError';
  constructor(
    /** The input that was wrong. */
    readonly input: keyof CostInputs,
    /** What it must be and what it was, without the input's name (the command names its option). */
    readonly requirement: string,
  ) {
    super(`${input} ${requirement}`);
  }
}

/** The rules each input must meet; the command reports the same words. */
export function checkInputs(inputs: CostInputs): void {
  const rules: [keyof CostInputs, number, number, boolean][] = [
    ['changesPerDay', 0, 1e12, false],
    ['changeBytes', 1, 1_000_000, false],
    ['tables', 1, 1_000_000, true],
    ['accounts', 1, 1_000_000, true],
    ['retentionDays', 1, 36_500, true],
    ['queriesPerDay', 0, 1e9, false],
    ['bytesScannedPerQuery', 0, 1e15, false],
    ['batchSize', 1, 10_000, true],
    ['batchingWindowSeconds', 0, 300, false],
    ['bufferIntervalSeconds', 60, 900, true],
    ['bufferSizeMiB', 64, 128, true],
  ];
  for (const [name, min, max, integer] of rules) {
    const value = inputs[name] as number;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new CostInputError(name, `must be ${integer ? 'a whole number' : 'a number'} from ${fmtLimit(min)} to ${fmtLimit(max)}, got ${String(value)}`);
    }
  }
  if (inputs.packing !== 'ndjson' && inputs.packing !== 'single') throw new CostInputError('packing', `must be ndjson or single, got ${String(inputs.packing)}`);
  if (inputs.accounts > inputs.tables) throw new CostInputError('accounts', `(${inputs.accounts}) cannot exceed tables (${inputs.tables}): every account has at least one source table`);
}

/** What one class of sources (the user's tables, or the heartbeat table) puts through the pipeline in a month. */
interface Flow {
  readonly changes: number;
  readonly invocations: number;
  readonly changesPerInvocation: number;
  readonly firehoseRecords: number;
  readonly billedBytes: number;
  readonly objects: number;
  readonly parquetBytes: number;
  readonly partitionsPerDay: number;
}

function flowOf(changes: number, tables: number, changeBytes: number, inputs: CostInputs, list: PriceList): Flow {
  const a = (id: AssumptionId) => list.assumptions[id].value;
  const m = (id: MeasuredId) => list.measured[id].value;
  if (changes <= 0) return { changes: 0, invocations: 0, changesPerInvocation: 0, firehoseRecords: 0, billedBytes: 0, objects: 0, parquetBytes: 0, partitionsPerDay: 0 };

  // 1. Invocations: a batch is the change that opens the window plus those arriving during it.
  const shards = tables * a('shardsPerTable');
  const perShardRate = changes / shards / SECONDS_PER_MONTH;
  const changesPerInvocation = Math.min(inputs.batchSize, 1 + perShardRate * inputs.batchingWindowSeconds);
  const invocations = changes / changesPerInvocation;

  // 2. Firehose records, each billed in 5 KB increments.
  const increments = (bytes: number) => Math.ceil(bytes / FIREHOSE_INCREMENT_BYTES);
  let firehoseRecords: number;
  let billedBytes: number;
  if (inputs.packing === 'single') {
    firehoseRecords = changes;
    billedBytes = changes * increments(changeBytes) * FIREHOSE_INCREMENT_BYTES;
  } else {
    // A batch of n changes packs as lambda/core/packing.ts does: whole changes, in order, into records of at
    // most 1,000,000 bytes and 500 changes; each record billed in 5 KB steps.
    const perRecord = Math.max(1, Math.min(a('firehoseMaxSubrecords'), Math.floor(a('firehoseMaxRecordBytes') / changeBytes)));
    const billedForBatch = (n: number) => {
      const full = Math.floor(n / perRecord);
      const rest = n - full * perRecord;
      const records = full + (rest > 0 ? 1 : 0);
      const bytes = (full * increments(perRecord * changeBytes) + (rest > 0 ? increments(rest * changeBytes) : 0)) * FIREHOSE_INCREMENT_BYTES;
      return { records, bytes };
    };
    // The mean batch is rarely whole: take batches of floor(k) and floor(k) + 1 changes in the mix that has mean k,
    // since rounding the mean batch's bytes up to 5 KB is not the mean of each batch rounded up.
    const whole = Math.floor(changesPerInvocation);
    const fraction = changesPerInvocation - whole;
    const lower = billedForBatch(whole);
    const upper = billedForBatch(whole + 1);
    firehoseRecords = invocations * ((1 - fraction) * lower.records + fraction * upper.records);
    billedBytes = invocations * ((1 - fraction) * lower.bytes + fraction * upper.bytes);
  }

  // 3. Objects: per table and buffer interval, one when the partition saw a change, more when it filled the buffer;
  //    plus one per table and day for the interval that spans midnight (two dt partitions).
  const intervals = SECONDS_PER_MONTH / inputs.bufferIntervalSeconds;
  const perTableInterval = changes / tables / intervals;
  const active = 1 - Math.exp(-perTableInterval);
  const bufferFills = (perTableInterval * changeBytes) / (inputs.bufferSizeMiB * 2 ** 20);
  const objects = tables * intervals * Math.max(active, bufferFills) + tables * DAYS_PER_MONTH * active;
  const parquetBytes = changes * changeBytes * m('parquetBytesPerNdjsonByte') + objects * m('parquetObjectOverheadBytes');
  const partitionsPerDay = tables * (1 - Math.exp(-(changes / tables / DAYS_PER_MONTH)));
  return { changes, invocations, changesPerInvocation, firehoseRecords, billedBytes, objects, parquetBytes, partitionsPerDay };
}

function add(x: Flow, y: Flow): Flow {
  return {
    changes: x.changes + y.changes,
    invocations: x.invocations + y.invocations,
    changesPerInvocation: x.changesPerInvocation,
    firehoseRecords: x.firehoseRecords + y.firehoseRecords,
    billedBytes: x.billedBytes + y.billedBytes,
    objects: x.objects + y.objects,
    parquetBytes: x.parquetBytes + y.parquetBytes,
    partitionsPerDay: x.partitionsPerDay + y.partitionsPerDay,
  };
}

export function estimateCost(inputs: CostInputs, list: PriceList = PRICES): CostEstimate {
  checkInputs(inputs);
  const a = (id: AssumptionId) => list.assumptions[id].value;
  const m = (id: MeasuredId) => list.measured[id].value;
  const lines: LineItem[] = [];
  const line = (service: string, item: string, quantity: number, unit: string, priceId: PriceId, monthlyUsd?: number) => {
    const cost = monthlyUsd ?? priceQuantity(list.prices[priceId], quantity);
    lines.push({ service, item, quantity, unit, unitPriceUsd: quantity > 0 ? cost / quantity : (list.prices[priceId].usd ?? list.prices[priceId].tiers?.[0]?.usd ?? 0), monthlyUsd: cost, priceId });
  };

  const changesPerMonth = inputs.changesPerDay * DAYS_PER_MONTH;
  const heartbeatChanges = inputs.heartbeat ? SECONDS_PER_MONTH / a('heartbeatIntervalSeconds') : 0;
  const user = flowOf(changesPerMonth, inputs.tables, inputs.changeBytes, inputs, list);
  // The heartbeat item is small (a key and a timestamp): a few hundred bytes as a change record.
  const heartbeat = flowOf(heartbeatChanges, 1, 600, inputs, list);
  const flow = add(user, heartbeat);
  const sources = inputs.tables + (inputs.heartbeat ? 1 : 0);
  const deliveryStreams = Math.ceil((2 * sources) / a('activePartitionQuota'));

  const digestRuns = HOURS_PER_MONTH;
  const digestPuts = digestRuns * a('digestPutsPerRun');
  const newObjects = flow.objects + digestPuts;

  // Lambda: GB-seconds of every function share the account's tiers, so price them together.
  const cpuSecondsPerChange = (1 / m('collectorChangesPerCpuSecond')) * (inputs.changeBytes / (list.measured.collectorChangesPerCpuSecond.bytesPerChange ?? 1));
  const collectorGb = a('collectorMemoryMb') / 1024;
  const vcpuShare = Math.min(1, a('collectorMemoryMb') / a('lambdaFullVcpuMb'));
  const collectorSecondsPerInvocation = (user.changesPerInvocation * cpuSecondsPerChange + m('collectorCpuSecondsPerInvocation')) / vcpuShare + a('collectorWaitMsPerInvocation') / 1000;
  const heartbeatCollectorSeconds = heartbeat.invocations * ((heartbeat.changesPerInvocation * cpuSecondsPerChange * (600 / inputs.changeBytes) + m('collectorCpuSecondsPerInvocation')) / vcpuShare + a('collectorWaitMsPerInvocation') / 1000);
  const collectorGbSeconds = (user.invocations * collectorSecondsPerInvocation + heartbeatCollectorSeconds) * collectorGb;

  const sqsBatches = newObjects / a('sqsBatchSize');
  const consumerInvocations = 2 * sqsBatches; // partition registration and retention
  const heartbeatInvocations = heartbeatChanges;
  const eventInvocations = consumerInvocations + digestRuns + heartbeatInvocations;
  const digestSeconds = digestRuns * a('digestFixedSecondsPerRun') + flow.parquetBytes / a('digestReadBytesPerSecond');
  const eventGbSeconds =
    consumerInvocations * (a('sqsConsumerMsPerBatch') / 1000) * (a('sqsConsumerMemoryMb') / 1024) +
    digestSeconds * (a('digestMemoryMb') / 1024) +
    heartbeatInvocations * (a('heartbeatFunctionMs') / 1000) * (128 / 1024);
  const lambdaDurationUsd = priceQuantity(list.prices['lambda.armGbSecond'], collectorGbSeconds + eventGbSeconds);
  const totalGbSeconds = collectorGbSeconds + eventGbSeconds;
  const share = (gbs: number) => (totalGbSeconds > 0 ? (lambdaDurationUsd * gbs) / totalGbSeconds : 0);
  line('Lambda', `collector invocations (${fmtBatch(user.changesPerInvocation)} changes each)`, flow.invocations, 'requests', 'lambda.request');
  line('Lambda', `collector duration (arm64, ${a('collectorMemoryMb')} MB)`, collectorGbSeconds, 'GB-s', 'lambda.armGbSecond', share(collectorGbSeconds));
  line('Lambda', 'digest, registration, retention, heartbeat invocations', eventInvocations, 'requests', 'lambda.request');
  line('Lambda', 'digest, registration, retention, heartbeat duration', eventGbSeconds, 'GB-s', 'lambda.armGbSecond', share(eventGbSeconds));

  // Firehose.
  const billedGb = flow.billedBytes / GB;
  line('Firehose', `ingestion (${inputs.packing}, ${fmtCount(flow.firehoseRecords)} records in 5 KB steps)`, billedGb, 'GB', 'firehose.ingestionGb');
  line('Firehose', 'format conversion to Parquet', billedGb, 'GB', 'firehose.formatConversionGb');
  line('Firehose', 'dynamic partitioning, data', billedGb, 'GB', 'firehose.dynamicPartitioningGb');
  line('Firehose', `dynamic partitioning, objects (${deliveryStreams} stream${deliveryStreams === 1 ? '' : 's'})`, flow.objects, 'objects', 'firehose.dynamicPartitioningObject');
  line('Firehose', 'JQ processing', (billedGb * a('jqSecondsPerGb')) / 3600, 'hours', 'firehose.jqProcessingHour');

  // S3: the steady state once the log holds retentionDays of changes.
  const parquetGbPerMonth = flow.parquetBytes / GB;
  const storedGb = (parquetGbPerMonth / DAYS_PER_MONTH) * inputs.retentionDays;
  const listRequests = DAYS_PER_MONTH * (1 + (2 * newObjects) / DAYS_PER_MONTH / 1000);
  const athenaGets = inputs.queriesPerDay * DAYS_PER_MONTH * a('athenaGetsPerQuery');
  const getRequests = flow.objects + athenaGets;
  const putRequests = newObjects;
  const retentionCalls = newObjects;
  const s3Requests = putRequests + retentionCalls + listRequests + getRequests;
  const accessLogGb = ((s3Requests * a('accessLogBytesPerRequest')) / GB / DAYS_PER_MONTH) * inputs.retentionDays;
  // Storage tiers are per account and month over both buckets: price the sum, share it by GB.
  const storageUsd = priceQuantity(list.prices['s3.standardGbMonth'], storedGb + accessLogGb);
  const storageShare = (gb: number) => (storedGb + accessLogGb > 0 ? (storageUsd * gb) / (storedGb + accessLogGb) : 0);
  line('S3', `change log storage (${fmtCount(inputs.retentionDays)} days, Parquet)`, storedGb, 'GB-month', 's3.standardGbMonth', storageShare(storedGb));
  line('S3', `access log storage (${fmtCount(inputs.retentionDays)} days)`, accessLogGb, 'GB-month', 's3.standardGbMonth', storageShare(accessLogGb));
  line('S3', 'PUT (Firehose objects and digests)', putRequests, 'requests', 's3.putRequest');
  line('S3', 'PutObjectRetention (one per object)', retentionCalls, 'requests', 's3.putRequest');
  line('S3', 'LIST (daily reconciliation of the open days)', listRequests, 'requests', 's3.putRequest');
  line('S3', 'GET (digest reads each object once; queries)', getRequests, 'requests', 's3.getRequest');

  // Glue.
  const partitionsStored = flow.partitionsPerDay * inputs.retentionDays;
  line('Glue', 'catalog objects (partitions per table-day)', partitionsStored + sources + 2, 'objects', 'glue.catalogObjectMonth');
  line('Glue', 'catalog requests (BatchCreatePartition, queries)', newObjects * a('glueRequestsPerObject') + inputs.queriesPerDay * DAYS_PER_MONTH * a('glueRequestsPerQuery'), 'requests', 'glue.catalogRequest');

  // KMS.
  const rotations = Math.floor(inputs.retentionDays / 365);
  line('KMS', `keys (${a('kmsKeys')}, audit key rotated ${rotations} time${rotations === 1 ? '' : 's'})`, a('kmsKeys') + rotations, 'key-months', 'kms.keyMonth');
  line('KMS', 'requests through S3 (Bucket Keys)', (putRequests + getRequests) * a('kmsRequestsPerS3Request'), 'requests', 'kms.symmetricRequest');
  line('KMS', 'digest signatures', digestRuns, 'requests', 'kms.asymmetricSignRequest');

  // CloudWatch: fixed in size except one set of alarms per delivery stream.
  const logGb = (flow.invocations * a('collectorLogBytesPerInvocation') + eventInvocations * a('otherFunctionLogBytesPerInvocation')) / GB;
  line('CloudWatch', 'custom metrics', a('customMetrics'), 'metrics', 'cloudwatch.metricMonth');
  line('CloudWatch', 'alarms', a('fixedAlarms') + a('alarmsPerDeliveryStream') * deliveryStreams, 'alarms', 'cloudwatch.alarmMonth');
  line('CloudWatch', 'dashboard', a('dashboards'), 'dashboards', 'cloudwatch.dashboardMonth');
  line('CloudWatch', 'logs ingestion', logGb, 'GB', 'cloudwatch.logsIngestionGb');
  line('CloudWatch', `logs storage (${a('logRetentionMonths')} months)`, logGb * a('logRetentionMonths'), 'GB-month', 'cloudwatch.logsStorageGbMonth');

  // Events and queues, per new object.
  line('EventBridge', 'S3 Object Created events', newObjects, 'events', 'eventbridge.awsServiceEvent');
  const queues = a('s3EventConsumers');
  const sqsRequests = queues * (newObjects + Math.max(a('sqsIdleReceivesPerQueueMonth'), newObjects / a('sqsBatchSize')) + newObjects / a('sqsBatchSize'));
  line('SQS', `requests (${queues} queues: send, receive, delete)`, sqsRequests, 'requests', 'sqs.standardRequest');
  line('DynamoDB', 'heartbeat PutItem', heartbeatChanges, 'write units', 'dynamodb.onDemandWriteRequestUnit');

  // Athena.
  const queries = inputs.queriesPerDay * DAYS_PER_MONTH;
  const billedPerQuery = Math.max(ATHENA_MINIMUM_BYTES, Math.ceil(inputs.bytesScannedPerQuery / MB) * MB);
  line('Athena', `scans (${fmtCount(queries)} queries, ${fmtBytes(billedPerQuery)} billed each)`, (queries * billedPerQuery) / TB, 'TB', 'athena.scannedTb');

  const cloudTrailPrice = list.prices['cloudtrail.dataEvent'];
  const cloudTrail: LineItem = {
    service: 'CloudTrail',
    item: 'data events for the same writes (no images)',
    quantity: changesPerMonth,
    unit: 'events',
    unitPriceUsd: cloudTrailPrice.usd ?? 0,
    monthlyUsd: priceQuantity(cloudTrailPrice, changesPerMonth),
    priceId: 'cloudtrail.dataEvent',
  };

  return {
    inputs,
    region: list.region,
    pricesRead: list.read,
    derived: {
      changesPerMonth,
      collectorInvocations: flow.invocations,
      changesPerInvocation: user.changesPerInvocation,
      firehoseRecords: flow.firehoseRecords,
      firehoseBilledGb: billedGb,
      deliveryStreams,
      objectsPerMonth: flow.objects,
      parquetGbPerMonth,
      storedGb,
      partitionsStored,
    },
    lines,
    totalUsd: lines.reduce((sum, l) => sum + l.monthlyUsd, 0),
    cloudTrail,
  };
}

function fmtLimit(n: number): string {
  return n >= 1e9 ? n.toExponential().replace('e+', 'e') : fmtCount(n);
}

function fmtBatch(n: number): string {
  return n >= 10 ? fmtCount(n) : n.toFixed(1);
}

/** A whole number with thousands separators, without depending on the locale. */
export function fmtCount(n: number): string {
  const rounded = Math.round(n);
  return String(rounded).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function fmtBytes(bytes: number): string {
  return bytes >= GB ? `${+(bytes / GB).toFixed(1)} GB` : `${+(bytes / MB).toFixed(1)} MB`;
}
