/**
 * Packing change records into Firehose records and records into PutRecordBatch calls.
 *
 * Firehose bills ingestion per record in 5 KB increments, so a 1 KB change sent alone is billed as
 * 5 KB. Packing many changes into one record as newline-delimited JSON, which the delivery stream
 * splits again (RecordDeAggregationProcessor, JSON), cuts that cost up to five-fold. `single` sends
 * one change per record for streams configured without de-aggregation.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { base64Size, MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, MAX_RECORD_BYTES, MAX_SUBRECORDS_PER_RECORD } from './firehose-limits';

export type Packing = 'ndjson' | 'single';

/**
 * A change record as the collector sends it: one line of JSON with its newline. `ddb-audit normalize`
 * and replay's dry run print this same line, so what they show is what Firehose receives.
 */
export function changeRecordLine(record: ChangeRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** One serialized change record: its NDJSON line (with the trailing newline) and its position in the batch. */
export interface Line {
  readonly text: string;
  readonly bytes: number;
  readonly index: number;
}

/** One Firehose record and the change records it carries. */
export interface PackedRecord {
  readonly data: Buffer;
  readonly indexes: number[];
}

/** Packs lines (each at most MAX_RECORD_BYTES) into Firehose records, keeping their order. */
export function packRecords(lines: readonly Line[], packing: Packing): PackedRecord[] {
  if (packing === 'single') return lines.map((line) => ({ data: Buffer.from(line.text, 'utf8'), indexes: [line.index] }));
  const packed: PackedRecord[] = [];
  let texts: string[] = [];
  let indexes: number[] = [];
  let bytes = 0;
  const flush = () => {
    if (texts.length === 0) return;
    packed.push({ data: Buffer.from(texts.join(''), 'utf8'), indexes });
    texts = [];
    indexes = [];
    bytes = 0;
  };
  for (const line of lines) {
    if (bytes + line.bytes > MAX_RECORD_BYTES || texts.length >= MAX_SUBRECORDS_PER_RECORD) flush();
    texts.push(line.text);
    indexes.push(line.index);
    bytes += line.bytes;
  }
  flush();
  return packed;
}

/** Groups records into calls within the per-call record count and byte limits, keeping their order. */
export function groupIntoCalls<T extends { data: Buffer }>(records: readonly T[]): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = base64Size(record.data.length);
    if (current.length > 0 && (current.length >= MAX_RECORDS_PER_CALL || bytes + size > MAX_CALL_BYTES)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
