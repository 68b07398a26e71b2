/**
 * Normalizer throughput against two baselines measured in the same run, on the same records, each
 * in its own process with the collector's Node.js options:
 *   - baseline: the obvious implementation: `unmarshall` from @aws-sdk/util-dynamodb plus a
 *     Set/BigInt-safe JSON.stringify for the images, with everything else (identity, changed
 *     attributes, record_hash) done the same way, so the ratio isolates the conversion approach;
 *   - json_parse: JSON.parse of the same stream records as text (what receiving them costs);
 *   - normalizer_and_serialize: the normalizer plus the sink's JSON.stringify of each change record,
 *     the collector's whole per-record work before packing (not compared with a goal);
 *   - stringify_and_hash: a reference point, not a normalizer: V8's native JSON.stringify of each
 *     record's Keys and images (AttributeValue maps, tags and all) plus one SHA-256 over that text:
 *     the two things a change record cannot do without (its images as text, its record_hash),
 *     done by native code with nothing else. It shows how much of JSON.parse's time those alone take.
 * The normalizer's input is the parsed record, as the Lambda runtime hands it over.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { normalizeRecords } from '../lambda/core/normalize';
import { changeRecordLine } from '../lambda/core/packing';
import { sha256Hex } from '../lambda/core/sha256';
import { COLLECTOR_NODE_OPTIONS } from '../lambda/core/runtime-options';
import { generateStreamRecords } from './stream-records';
import { measureThroughput, PeakRss } from './measure';

export interface NormalizerFigures {
  normalizer_records_per_s: number;
  baseline_records_per_s: number;
  json_parse_records_per_s: number;
  stringify_and_hash_records_per_s: number;
  normalizer_and_serialize_records_per_s: number;
  ratio_vs_baseline: number;
  ratio_vs_json_parse: number;
  /** stringify_and_hash vs JSON.parse: the ratio a normalizer would reach if everything else were free. */
  stringify_and_hash_ratio_vs_json_parse: number;
  batch_1000x4kb_peak_rss_mb: number;
  /** Peak RSS of the process that measured the normalizer. */
  peak_rss_mb: number;
  record_bytes_avg: number;
}

export type Contender = 'normalizer' | 'baseline' | 'json_parse' | 'stringify_and_hash' | 'normalizer_and_serialize';
const CONTENDERS: readonly Contender[] = ['normalizer', 'baseline', 'json_parse', 'stringify_and_hash', 'normalizer_and_serialize'];

/**
 * Each contender runs in its own fresh process (same records, same Node.js options), twice, and the
 * better run counts: sharing one heap let one contender's garbage change another's GC decisions.
 */
export async function benchNormalizer(options: { repeats?: number } = {}): Promise<NormalizerFigures> {
  const best: Record<Contender, { perSecond: number; peakRssMb: number; recordBytes?: number }> = {} as never;
  for (let repeat = 0; repeat < (options.repeats ?? 2); repeat++) {
    for (const contender of CONTENDERS) {
      const run = measureInFreshProcess(contender);
      if (!best[contender] || run.perSecond > best[contender].perSecond) best[contender] = run;
    }
  }
  return {
    normalizer_records_per_s: Math.round(best.normalizer.perSecond),
    baseline_records_per_s: Math.round(best.baseline.perSecond),
    json_parse_records_per_s: Math.round(best.json_parse.perSecond),
    stringify_and_hash_records_per_s: Math.round(best.stringify_and_hash.perSecond),
    normalizer_and_serialize_records_per_s: Math.round(best.normalizer_and_serialize.perSecond),
    ratio_vs_baseline: round2(best.normalizer.perSecond / best.baseline.perSecond),
    ratio_vs_json_parse: round2(best.normalizer.perSecond / best.json_parse.perSecond),
    stringify_and_hash_ratio_vs_json_parse: round2(best.stringify_and_hash.perSecond / best.json_parse.perSecond),
    batch_1000x4kb_peak_rss_mb: batchMemory(),
    peak_rss_mb: best.normalizer.peakRssMb,
    record_bytes_avg: best.json_parse.recordBytes ?? 0,
  };
}

function measureInFreshProcess(contender: Contender): { perSecond: number; peakRssMb: number; recordBytes?: number } {
  const result = spawnSync(process.execPath, [...COLLECTOR_NODE_OPTIONS, '--import', 'tsx', __filename, contender], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${contender} measurement failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
}

/**
 * Measures one contender in this process: 20,000 records in Lambda-sized batches of 500, for about
 * 3 s of CPU. Each process materializes only its own contender's input (parsed records, or their
 * JSON text), as the collector's process would hold only the parsed batch.
 */
export function measureContender(contender: Contender, options: { records?: number; seconds?: number; batchSize?: number } = {}) {
  const rss = new PeakRss();
  const processedAt = new Date().toISOString();
  const batch = options.batchSize ?? 500;
  let records: any[] = generateStreamRecords(options.records ?? 20_000);
  const count = records.length;
  let texts: string[] = [];
  if (contender === 'json_parse') {
    texts = records.map((r) => JSON.stringify(r));
    records = [];
  }
  const work: Record<Contender, (from: number, to: number) => unknown> = {
    normalizer: (a, b) => normalizeRecords(records.slice(a, b), { processedAt }),
    baseline: (a, b) => baselineNormalize(records.slice(a, b), processedAt),
    json_parse: (a, b) => texts.slice(a, b).map((t) => JSON.parse(t)),
    stringify_and_hash: (a, b) => records.slice(a, b).map(stringifyAndHash),
    normalizer_and_serialize: (a, b) => normalizeRecords(records.slice(a, b), { processedAt }).map(changeRecordLine),
  };
  const perSecond = measureThroughput(count, options.seconds ?? 3, () => {
    for (let i = 0; i < count; i += batch) work[contender](i, Math.min(i + batch, count));
  });
  const recordBytes = contender === 'json_parse' ? Math.round(texts.reduce((sum, t) => sum + t.length, 0) / count) : undefined;
  return { perSecond, peakRssMb: rss.mb(), recordBytes };
}

/** Peak RSS of a fresh process (with the collector's Node.js options) that runs one Lambda batch of 1,000 records of 4 KB through processBatch. */
function batchMemory(): number {
  const result = spawnSync(process.execPath, [...COLLECTOR_NODE_OPTIONS, '--import', 'tsx', `${__dirname}/batch-memory.ts`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`batch-memory failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}').peak_rss_mb;
}

function stringifyAndHash(record: any): string {
  const ddb = record.dynamodb;
  return sha256Hex(JSON.stringify(ddb.Keys) + (ddb.NewImage ? JSON.stringify(ddb.NewImage) : '') + (ddb.OldImage ? JSON.stringify(ddb.OldImage) : ''));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

const safeReplacer = (_key: string, value: unknown) => (value instanceof Set ? [...value] : typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value);

/** The straightforward normalizer a team would write first. */
export function baselineNormalize(records: any[], processedAt: string): unknown[] {
  return records.map((r) => {
    const ddb = r.dynamodb;
    const parts = /^arn:[^:]+:dynamodb:([^:]+):(\d{12}):table\/([^/]+)\/stream\//.exec(r.eventSourceARN) ?? [];
    const newImage = ddb.NewImage ? unmarshall(ddb.NewImage) : undefined;
    const oldImage = ddb.OldImage ? unmarshall(ddb.OldImage) : undefined;
    const changed: string[] = [];
    if (newImage && oldImage) {
      for (const k of Object.keys(newImage)) if (JSON.stringify(newImage[k], safeReplacer) !== JSON.stringify(oldImage[k], safeReplacer)) changed.push(k);
      for (const k of Object.keys(oldImage)) if (!(k in newImage)) changed.push(k);
    }
    const keys = unmarshall(ddb.Keys);
    const eventTime = new Date(ddb.ApproximateCreationDateTime * 1000).toISOString();
    const record = {
      event_id: r.eventID,
      event_name: r.eventName,
      event_time: eventTime,
      account_id: parts[2],
      region: parts[1],
      table_name: parts[3],
      dt: eventTime.slice(0, 10),
      sequence_number: ddb.SequenceNumber,
      keys: JSON.stringify(keys, safeReplacer),
      item_key: JSON.stringify(Object.fromEntries(Object.entries(keys).sort()), safeReplacer),
      new_image: newImage ? JSON.stringify(newImage, safeReplacer) : null,
      old_image: oldImage ? JSON.stringify(oldImage, safeReplacer) : null,
      changed_attributes: changed.sort(),
      processed_at: processedAt,
    };
    return { ...record, record_hash: createHash('sha256').update(JSON.stringify(Object.values(record))).digest('hex') };
  });
}

if (require.main === module) {
  const contender = process.argv[2] as Contender | undefined;
  if (contender !== undefined) process.stdout.write(`${JSON.stringify(measureContender(contender))}\n`);
  else benchNormalizer().then((figures) => process.stdout.write(`${JSON.stringify(figures)}\n`));
}
