/**
 * Packing change records into Firehose records and records into PutRecordBatch calls.
 *
 * Firehose bills ingestion per record in 5 KB increments, so a 1 KB change sent alone is billed as
 * 5 KB. Packing many changes into one record as newline-delimited JSON, which the delivery stream
 * splits again (RecordDeAggregationProcessor, JSON), cuts that cost up to five-fold. `single` sends
 * one change per record for streams configured without de-aggregation.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { base64Size, CALL_BYTES_PER_RECORD, CALL_ENVELOPE_BYTES, MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, MAX_RECORD_BYTES, MAX_SUBRECORDS_PER_RECORD } from './firehose-limits';

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
  /** The lines it was packed from, so a refused record can be split into them again. */
  readonly lines: readonly Line[];
}

/**
 * Packs lines into Firehose records, keeping their order. Each line must be at most MAX_RECORD_BYTES
 * (the sink never passes a larger one): a line is never split, and lines share a record only while
 * the record stays within the limit.
 */
export function packRecords(lines: readonly Line[], packing: Packing): PackedRecord[] {
  if (packing === 'single') return lines.map((line) => ({ data: Buffer.from(line.text, 'utf8'), indexes: [line.index], lines: [line] }));
  const packed: PackedRecord[] = [];
  let group: Line[] = [];
  let bytes = 0;
  const flush = () => {
    if (group.length === 0) return;
    packed.push({ data: Buffer.from(group.map((l) => l.text).join(''), 'utf8'), indexes: group.map((l) => l.index), lines: group });
    group = [];
    bytes = 0;
  };
  for (const line of lines) {
    if (bytes + line.bytes > MAX_RECORD_BYTES || group.length >= MAX_SUBRECORDS_PER_RECORD) flush();
    group.push(line);
    bytes += line.bytes;
  }
  flush();
  return packed;
}

/** Groups records into calls within the per-call record count and byte limits (the whole request body counted), keeping their order. */
export function groupIntoCalls<T extends { data: Buffer }>(records: readonly T[]): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = CALL_ENVELOPE_BYTES;
  for (const record of records) {
    const size = base64Size(record.data.length) + CALL_BYTES_PER_RECORD;
    if (current.length > 0 && (current.length >= MAX_RECORDS_PER_CALL || bytes + size > MAX_CALL_BYTES)) {
      calls.push(current);
      current = [];
      bytes = CALL_ENVELOPE_BYTES;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
