/**
 * The price list the cost model reads: cli/cost/prices.json, the one place a price, a measured
 * figure or an assumption lives, each with where it was read and when. This module only types it
 * and checks it, so a price file with a missing or mistyped entry fails loudly, naming the entry,
 * instead of pricing a line at undefined.
 */
import rawPrices from './prices.json';

/** One step of a tiered price: `usd` per unit up to `upTo` units a month in total (null: no end). */
export interface PriceTier {
  readonly upTo: number | null;
  readonly usd: number;
}

export interface Price {
  readonly unit: string;
  /** A flat price per unit; absent when `tiers` is given. */
  readonly usd?: number;
  readonly tiers?: readonly PriceTier[];
  readonly source: string;
  /** Where the number itself was read: an AWS page, a secondary page quoting it, or not found (an assumption). */
  readonly seen: 'aws' | 'secondary' | 'assumption';
}

export interface Figure {
  readonly value: number;
  readonly why?: string;
  readonly how?: string;
}

/** Every price the model uses; a price file without one of them is refused. */
export const PRICE_IDS = [
  'lambda.armGbSecond',
  'lambda.request',
  'firehose.ingestionGb',
  'firehose.formatConversionGb',
  'firehose.dynamicPartitioningGb',
  'firehose.dynamicPartitioningObject',
  'firehose.jqProcessingHour',
  's3.standardGbMonth',
  's3.putRequest',
  's3.getRequest',
  'glue.catalogObjectMonth',
  'glue.catalogRequest',
  'kms.keyMonth',
  'kms.symmetricRequest',
  'kms.asymmetricSignRequest',
  'cloudwatch.metricMonth',
  'cloudwatch.alarmMonth',
  'cloudwatch.dashboardMonth',
  'cloudwatch.logsIngestionGb',
  'cloudwatch.logsStorageGbMonth',
  'eventbridge.awsServiceEvent',
  'sqs.standardRequest',
  'dynamodb.onDemandWriteRequestUnit',
  'athena.scannedTb',
  'cloudtrail.dataEvent',
] as const;
export type PriceId = (typeof PRICE_IDS)[number];

export const MEASURED_IDS = ['collectorChangesPerCpuSecond', 'collectorCpuSecondsPerInvocation', 'parquetBytesPerNdjsonByte', 'parquetObjectOverheadBytes'] as const;
export type MeasuredId = (typeof MEASURED_IDS)[number];

export const ASSUMPTION_IDS = [
  'collectorMemoryMb',
  'lambdaFullVcpuMb',
  'collectorWaitMsPerInvocation',
  'shardsPerTable',
  'firehoseMaxRecordBytes',
  'firehoseMaxSubrecords',
  'jqSecondsPerGb',
  'activePartitionQuota',
  's3EventConsumers',
  'sqsBatchSize',
  'sqsIdleReceivesPerQueueMonth',
  'sqsConsumerMsPerBatch',
  'sqsConsumerMemoryMb',
  'glueRequestsPerObject',
  'glueRequestsPerQuery',
  'digestMemoryMb',
  'digestFixedSecondsPerRun',
  'digestReadBytesPerSecond',
  'digestPutsPerRun',
  'heartbeatIntervalSeconds',
  'heartbeatFunctionMs',
  'kmsRequestsPerS3Request',
  'collectorLogBytesPerInvocation',
  'otherFunctionLogBytesPerInvocation',
  'accessLogBytesPerRequest',
  'logRetentionMonths',
  'customMetrics',
  'fixedAlarms',
  'alarmsPerDeliveryStream',
  'dashboards',
  'kmsKeys',
  'athenaGetsPerQuery',
] as const;
export type AssumptionId = (typeof ASSUMPTION_IDS)[number];

export interface PriceList {
  readonly region: string;
  readonly read: string;
  readonly prices: Readonly<Record<PriceId, Price>>;
  readonly measured: Readonly<Record<MeasuredId, Figure & { readonly date: string; readonly bytesPerChange?: number }>>;
  readonly assumptions: Readonly<Record<AssumptionId, Figure>>;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks a parsed price file; throws one error listing every entry that is missing or malformed. */
export function checkPriceList(doc: unknown): PriceList {
  const problems: string[] = [];
  const d = (doc ?? {}) as Record<string, any>;
  for (const id of PRICE_IDS) {
    const p = d.prices?.[id];
    if (p === undefined) {
      problems.push(`prices.${id} is missing`);
      continue;
    }
    const flat = isNumber(p.usd);
    const tiered =
      Array.isArray(p.tiers) &&
      p.tiers.length > 0 &&
      p.tiers.every((t: any, i: number) => isNumber(t?.usd) && (t.upTo === null ? i === p.tiers.length - 1 : isNumber(t.upTo) && (i === 0 || t.upTo > p.tiers[i - 1].upTo)));
    if (flat === tiered) problems.push(`prices.${id} needs either "usd" (a number) or "tiers" (ascending "upTo", the last null), not ${flat ? 'both' : 'neither'}`);
    if (typeof p.source !== 'string' || !p.source.startsWith('https://')) problems.push(`prices.${id}.source must be an https URL`);
    if (!['aws', 'secondary', 'assumption'].includes(p.seen)) problems.push(`prices.${id}.seen must be aws, secondary or assumption`);
  }
  for (const id of MEASURED_IDS) {
    const m = d.measured?.[id];
    if (!isNumber(m?.value) || typeof m?.date !== 'string' || typeof m?.how !== 'string') problems.push(`measured.${id} needs a numeric "value", a "date" and a "how"`);
  }
  if (!isNumber(d.measured?.collectorChangesPerCpuSecond?.bytesPerChange) || d.measured.collectorChangesPerCpuSecond.bytesPerChange === 0) {
    problems.push('measured.collectorChangesPerCpuSecond needs "bytesPerChange", the change size it was measured at');
  }
  for (const id of ASSUMPTION_IDS) {
    const a = d.assumptions?.[id];
    if (!isNumber(a?.value) || typeof a?.why !== 'string') problems.push(`assumptions.${id} needs a numeric "value" and a "why"`);
  }
  if (problems.length > 0) throw new Error(`price list: ${problems.join('; ')}`);
  return d as PriceList;
}

/** The bundled price list (cli/cost/prices.json), checked once at load. */
export const PRICES: PriceList = checkPriceList(rawPrices);

/** The cost of `quantity` units at `price`, filling each tier in turn (tiers are per month, in total). */
export function priceQuantity(price: Price, quantity: number): number {
  if (price.tiers === undefined) return quantity * (price.usd ?? 0);
  let cost = 0;
  let below = 0;
  for (const tier of price.tiers) {
    const top = tier.upTo ?? Infinity;
    const inTier = Math.max(0, Math.min(quantity, top) - below);
    cost += inTier * tier.usd;
    below = top;
    if (quantity <= top) break;
  }
  return cost;
}
