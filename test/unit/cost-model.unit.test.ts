import fc from 'fast-check';
import { ATHENA_MINIMUM_BYTES, CostInputs, DAYS_PER_MONTH, DEFAULT_INPUTS, estimateCost, FIREHOSE_INCREMENT_BYTES, LineItem, SECONDS_PER_MONTH } from '../../cli/cost/model';
import { checkPriceList, PriceList, PRICES, priceQuantity } from '../../cli/cost/prices';
import rawPrices from '../../cli/cost/prices.json';
import { MAX_RECORD_BYTES, MAX_SUBRECORDS_PER_RECORD } from '../../lambda/core/firehose-limits';

/** The user's own traffic only: the heartbeat adds a fixed trickle that would blur proportionality. */
const base: CostInputs = { ...DEFAULT_INPUTS, heartbeat: false };

function lineOf(inputs: Partial<CostInputs>, service: string, itemStart: string): LineItem {
  const estimate = estimateCost({ ...base, ...inputs });
  const found = estimate.lines.find((l) => l.service === service && l.item.startsWith(itemStart));
  if (!found) throw new Error(`no line ${service} / ${itemStart}`);
  return found;
}

const ingestion = (inputs: Partial<CostInputs>) => lineOf(inputs, 'Firehose', 'ingestion');
const relClose = (a: number, b: number, tolerance = 1e-9) => Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b), 1e-12);

describe('cost model: Firehose ingestion', () => {
  it('bills a 5.1 KB change as two 5 KB increments in single packing, and a 5.0 KB change as one', () => {
    const changes = 1_000 * DAYS_PER_MONTH;
    expect(ingestion({ packing: 'single', changesPerDay: 1_000, changeBytes: 5_100 }).quantity).toBeCloseTo((changes * 2 * FIREHOSE_INCREMENT_BYTES) / 1e9, 9);
    expect(ingestion({ packing: 'single', changesPerDay: 1_000, changeBytes: 5_000 }).quantity).toBeCloseTo((changes * 1 * FIREHOSE_INCREMENT_BYTES) / 1e9, 9);
  });

  it('rounds every single-packed record up to the next 5 KB, whatever its size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (changeBytes) => {
        const perChange = (ingestion({ packing: 'single', changesPerDay: 1_000, changeBytes }).quantity * 1e9) / (1_000 * DAYS_PER_MONTH);
        return relClose(perChange, Math.ceil(changeBytes / 5_000) * 5_000);
      }),
    );
  });

  it('doubles ingestion when changes double in single packing (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 10_000 }), (changesPerDay, changeBytes, tables) => {
        const one = ingestion({ packing: 'single', changesPerDay, changeBytes, tables });
        const two = ingestion({ packing: 'single', changesPerDay: 2 * changesPerDay, changeBytes, tables });
        return relClose(two.quantity, 2 * one.quantity) && relClose(two.monthlyUsd, 2 * one.monthlyUsd);
      }),
    );
  });

  it('doubles ingestion when changes double and batches are already full in ndjson packing', () => {
    // 500 changes a second per shard fills every 500-record batch within the 5 s window.
    const full = { packing: 'ndjson' as const, tables: 10, changesPerDay: 500 * 86_400 * 10 };
    const one = ingestion(full);
    const two = ingestion({ ...full, changesPerDay: 2 * full.changesPerDay });
    expect(two.quantity).toBeCloseTo(2 * one.quantity, 6);
  });

  it('never bills more with ndjson packing than with single (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 10_000 }), (changesPerDay, changeBytes, tables) => {
        const packed = ingestion({ packing: 'ndjson', changesPerDay, changeBytes, tables }).quantity;
        const single = ingestion({ packing: 'single', changesPerDay, changeBytes, tables }).quantity;
        return packed <= single * (1 + 1e-9);
      }),
    );
  });

  it('packs full ndjson batches to within one 5 KB step per record of the raw bytes', () => {
    const inputs = { packing: 'ndjson' as const, tables: 1, changesPerDay: 1_000 * 86_400, changeBytes: 1_000, batchSize: 500 };
    const estimate = estimateCost({ ...base, ...inputs });
    // 500 changes of 1,000 bytes = 500,000 bytes in one record: exactly 100 increments, no rounding waste.
    expect(estimate.derived.changesPerInvocation).toBe(500);
    expect(estimate.derived.firehoseBilledGb).toBeCloseTo((estimate.derived.changesPerMonth * 1_000) / 1e9, 6);
  });

  it('charges format conversion and dynamic partitioning on the same billed GB as ingestion', () => {
    const estimate = estimateCost({ ...base, packing: 'single', changeBytes: 700 });
    const gb = estimate.derived.firehoseBilledGb;
    for (const item of ['ingestion', 'format conversion', 'dynamic partitioning, data']) {
      expect(estimate.lines.find((l) => l.item.startsWith(item))!.quantity).toBe(gb);
    }
  });
});

describe('cost model: collector invocations', () => {
  it('invokes once per batch size when traffic fills batches, and five times as often at a fifth of the batch size', () => {
    const busy = { tables: 4, changesPerDay: 4 * 2_000 * 86_400 };
    const at500 = lineOf({ ...busy, batchSize: 500 }, 'Lambda', 'collector invocations');
    const at100 = lineOf({ ...busy, batchSize: 100 }, 'Lambda', 'collector invocations');
    expect(at500.quantity).toBeCloseTo((busy.changesPerDay * DAYS_PER_MONTH) / 500, 3);
    expect(at100.quantity).toBeCloseTo(5 * at500.quantity, 3);
  });

  it('invokes about once per change when a shard sees far less than one change per batching window', () => {
    const sparse = { tables: 1_000, changesPerDay: 1_000 };
    const invocations = lineOf(sparse, 'Lambda', 'collector invocations').quantity;
    expect(invocations / (sparse.changesPerDay * DAYS_PER_MONTH)).toBeGreaterThan(0.99);
  });

  it('grows collector duration with the change size (CPU per change scales with bytes)', () => {
    const small = lineOf({ changeBytes: 500 }, 'Lambda', 'collector duration').quantity;
    const large = lineOf({ changeBytes: 5_000 }, 'Lambda', 'collector duration').quantity;
    expect(large).toBeGreaterThan(small);
  });
});

describe('cost model: objects and S3', () => {
  it('writes about one object per change when every change lands alone in its buffer interval', () => {
    const estimate = estimateCost({ ...base, tables: 10_000, changesPerDay: 1_000 });
    expect(estimate.derived.objectsPerMonth / estimate.derived.changesPerMonth).toBeGreaterThan(0.99);
    expect(estimate.derived.objectsPerMonth).toBeLessThanOrEqual(estimate.derived.changesPerMonth * (1 + 1e-9) + 10_000 * DAYS_PER_MONTH);
  });

  it('writes one object per table and buffer interval (plus one per table-day at midnight) when every table is busy', () => {
    const tables = 50;
    const estimate = estimateCost({ ...base, tables, changesPerDay: tables * 100_000, bufferIntervalSeconds: 300 });
    const intervals = SECONDS_PER_MONTH / 300;
    expect(estimate.derived.objectsPerMonth).toBeCloseTo(tables * intervals + tables * DAYS_PER_MONTH, 0);
  });

  it('writes more than one object per interval when a partition fills the buffer size first', () => {
    // One table, 1,000 changes of 1,000,000 bytes per 300 s interval: 1 GB, about 7.45 buffers of 128 MiB.
    const estimate = estimateCost({ ...base, tables: 1, changeBytes: 1_000_000, changesPerDay: (1_000 * 86_400) / 300, bufferSizeMiB: 128 });
    const intervals = SECONDS_PER_MONTH / 300;
    expect(estimate.derived.objectsPerMonth / intervals).toBeCloseTo(1e9 / (128 * 2 ** 20), 1);
  });

  it('makes one PutObjectRetention call, one Object Created event and one digest GET per object', () => {
    const estimate = estimateCost({ ...DEFAULT_INPUTS });
    const get = (item: string) => estimate.lines.find((l) => l.item.startsWith(item))!.quantity;
    expect(get('PutObjectRetention')).toBe(get('PUT (Firehose objects'));
    expect(get('S3 Object Created events')).toBe(get('PUT (Firehose objects'));
    expect(get('GET')).toBeGreaterThanOrEqual(estimate.derived.objectsPerMonth);
  });

  it('stores retentionDays of Parquet: twice the retention, twice the change-log GB', () => {
    const year = lineOf({ retentionDays: 365 }, 'S3', 'change log storage').quantity;
    const twoYears = lineOf({ retentionDays: 730 }, 'S3', 'change log storage').quantity;
    expect(twoYears).toBeCloseTo(2 * year, 9);
  });

  it('registers one Glue partition per active table-day, kept for the retention', () => {
    const estimate = estimateCost({ ...base, tables: 100, changesPerDay: 100 * 10_000, retentionDays: 1_000 });
    expect(estimate.derived.partitionsStored).toBeCloseTo(100 * 1_000, 0);
  });
});

describe('cost model: Athena', () => {
  it.each([
    [0, ATHENA_MINIMUM_BYTES],
    [1_000_000, ATHENA_MINIMUM_BYTES],
    [10_000_000, 10_000_000],
    [10_500_000, 11_000_000],
    [2_000_000_000, 2_000_000_000],
  ])('bills a query scanning %d bytes as %d bytes (10 MB minimum, rounded up to the MB)', (scanned, billed) => {
    const queriesPerDay = 10;
    const line = lineOf({ queriesPerDay, bytesScannedPerQuery: scanned }, 'Athena', 'scans');
    expect(line.quantity).toBeCloseTo((queriesPerDay * DAYS_PER_MONTH * billed) / 1e12, 12);
    expect(line.monthlyUsd).toBeCloseTo(line.quantity * 5, 12);
  });

  it('costs nothing with no queries', () => {
    expect(lineOf({ queriesPerDay: 0 }, 'Athena', 'scans').monthlyUsd).toBe(0);
  });
});

describe('cost model: fixed parts and the comparison', () => {
  it('adds a delivery stream, and its alarms, per 250 sources (quota 500, two partitions per source at midnight)', () => {
    const streams = (tables: number) => estimateCost({ ...DEFAULT_INPUTS, tables, accounts: 1 }).derived.deliveryStreams;
    expect(streams(249)).toBe(1); // + heartbeat = 250 sources
    expect(streams(250)).toBe(2);
    expect(streams(10_000)).toBe(41);
    const alarms = (tables: number) => estimateCost({ ...DEFAULT_INPUTS, tables }).lines.find((l) => l.item === 'alarms')!.quantity;
    expect(alarms(10_000) - alarms(10)).toBe(4 * (41 - 1));
  });

  it('prices CloudTrail data events at $0.10 per 100,000 writes', () => {
    const estimate = estimateCost({ ...DEFAULT_INPUTS, changesPerDay: 100_000 });
    expect(estimate.cloudTrail.quantity).toBeCloseTo(100_000 * DAYS_PER_MONTH, 6);
    expect(estimate.cloudTrail.monthlyUsd).toBeCloseTo((100_000 * DAYS_PER_MONTH * 0.1) / 100_000, 9);
  });

  it('totals exactly its lines, and every flat-priced line is quantity x unit price (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          changesPerDay: fc.integer({ min: 0, max: 1_000_000_000 }),
          changeBytes: fc.integer({ min: 1, max: 1_000_000 }),
          tables: fc.integer({ min: 1, max: 20_000 }),
          retentionDays: fc.integer({ min: 1, max: 36_500 }),
          queriesPerDay: fc.integer({ min: 0, max: 10_000 }),
          packing: fc.constantFrom('ndjson' as const, 'single' as const),
        }),
        (inputs) => {
          const estimate = estimateCost({ ...DEFAULT_INPUTS, ...inputs, accounts: 1 });
          const sum = estimate.lines.reduce((s, l) => s + l.monthlyUsd, 0);
          const flatOk = estimate.lines.every((l) => {
            const price = PRICES.prices[l.priceId];
            return price.tiers !== undefined || l.service === 'Lambda' || relClose(l.monthlyUsd, l.quantity * (price.usd ?? NaN));
          });
          return relClose(estimate.totalUsd, sum) && flatOk && estimate.lines.every((l) => Number.isFinite(l.monthlyUsd) && l.monthlyUsd >= 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never bills fewer units on any line, nor a smaller total, for more changes with everything else equal (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom('ndjson' as const, 'single' as const),
        (changesPerDay, more, changeBytes, tables, packing) => {
          const fewer = estimateCost({ ...DEFAULT_INPUTS, changesPerDay, changeBytes, tables, packing });
          const larger = estimateCost({ ...DEFAULT_INPUTS, changesPerDay: changesPerDay + more, changeBytes, tables, packing });
          // Quantities, not each line's dollars: lines that share a tiered price (Lambda, S3 storage) share its
          // average rate, which falls as the total grows.
          const unitsOk = fewer.lines.every((l, i) => l.quantity <= larger.lines[i]!.quantity * (1 + 1e-9) + 1e-12);
          return unitsOk && fewer.totalUsd <= larger.totalUsd * (1 + 1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    [{ changeBytes: 0 }, 'changeBytes must be a whole number'.replace(' whole', '')],
    [{ changeBytes: 1_000_001 }, 'changeBytes must be a number from 1 to 1,000,000, got 1000001'],
    [{ tables: 0 }, 'tables must be a whole number from 1 to 1,000,000, got 0'],
    [{ tables: 2.5 }, 'tables must be a whole number'],
    [{ accounts: 3, tables: 2 }, 'accounts (3) cannot exceed tables (2)'],
    [{ bufferIntervalSeconds: 30 }, 'bufferIntervalSeconds must be a whole number from 60 to 900, got 30'],
    [{ changesPerDay: Number.NaN }, 'changesPerDay must be a number'],
    [{ packing: 'gzip' as never }, 'packing must be ndjson or single, got gzip'],
  ])('refuses bad input %p, naming it', (inputs, message) => {
    expect(() => estimateCost({ ...DEFAULT_INPUTS, ...inputs })).toThrow(message);
  });
});

describe('price list', () => {
  it('fills price tiers in order: 60,000 GB of S3 is 50,000 at the first rate and 10,000 at the second', () => {
    const s3 = PRICES.prices['s3.standardGbMonth'];
    expect(priceQuantity(s3, 60_000)).toBeCloseTo(50_000 * 0.023 + 10_000 * 0.022, 9);
  });

  it('never prices more units for less, and is linear inside a tier (property)', () => {
    const lambda = PRICES.prices['lambda.armGbSecond'];
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5e10, noNaN: true }), fc.double({ min: 0, max: 5e10, noNaN: true }), (x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        return priceQuantity(lambda, lo) <= priceQuantity(lambda, hi) + 1e-6;
      }),
    );
    expect(priceQuantity(lambda, 2e9)).toBeCloseTo(2 * priceQuantity(lambda, 1e9), 6);
  });

  it('has a source URL and where it was seen for every price, and a date for every measured figure', () => {
    for (const price of Object.values(PRICES.prices)) {
      expect(price.source).toMatch(/^https:\/\//);
      expect(['aws', 'secondary', 'assumption']).toContain(price.seen);
    }
    for (const figure of Object.values(PRICES.measured)) expect(figure.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("assumes the collector's own Firehose packing limits (lambda/core/firehose-limits.ts), so the estimate packs as the sink does", () => {
    // prices.json copies these two numbers for the model; if the sink's limits change, the estimate must follow.
    // (500 sub-records for de-aggregation, 1,000 KB per record before base64: https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html)
    expect(PRICES.assumptions.firehoseMaxRecordBytes.value).toBe(MAX_RECORD_BYTES);
    expect(PRICES.assumptions.firehoseMaxSubrecords.value).toBe(MAX_SUBRECORDS_PER_RECORD);
  });

  it('refuses a price list with a missing price or a price with both a flat rate and tiers, naming each', () => {
    const copy = JSON.parse(JSON.stringify(rawPrices)) as { prices: Record<string, any> };
    delete copy.prices['athena.scannedTb'];
    copy.prices['s3.putRequest'].tiers = [{ upTo: null, usd: 1 }];
    expect(() => checkPriceList(copy)).toThrow(/prices\.athena\.scannedTb is missing/);
    expect(() => checkPriceList(copy)).toThrow(/prices\.s3\.putRequest needs either "usd" \(a number\) or "tiers".*not both/);
  });

  it('prices a model run from another price list when one is given', () => {
    const copy = JSON.parse(JSON.stringify(rawPrices)) as { prices: Record<string, any> };
    copy.prices['athena.scannedTb'].usd = 10;
    const doubled = estimateCost({ ...base, queriesPerDay: 10 }, checkPriceList(copy) as PriceList).lines.find((l) => l.service === 'Athena')!;
    const normal = lineOf({ queriesPerDay: 10 }, 'Athena', 'scans');
    expect(doubled.monthlyUsd).toBeCloseTo(2 * normal.monthlyUsd, 12);
  });
});
