/**
 * Splits one Firehose record into change records, like the deployed stream's
 * RecordDeAggregationProcessor (JSON sub-records) followed by the JQ metadata extraction:
 * the collector packs many change records into one Firehose record as newline-delimited JSON
 * ('ndjson' packing) or sends one per record ('single'); both arrive here the same way.
 *
 * A sub-record that is not a JSON object, or whose partition keys are missing or unusable as a
 * directory name, is not dropped: it is returned as a failure, which the caller writes under the
 * error prefix as Firehose writes "processing-failed" records.
 *
 * Each line is parsed once, here; the same parse also tells whether the record fits the Parquet
 * schema (rows.ts), so the writer gets raw lines it never has to parse in JavaScript again.
 */
import { PARTITION_KEYS } from '../../schemas/change-record';
import { partitionPath } from '../../schemas/partitioning';
import { MAX_SUBRECORDS_PER_RECORD } from './limits';
import { conversionProblem } from './rows';

export interface SubRecord {
  /** The change record's JSON text exactly as received (one line). */
  readonly line: string;
  /** Partition directory relative to the data folder, e.g. changes/account_id=…/table_name=…/dt=…/ */
  readonly partition: string;
  /** Why the record does not fit the Parquet schema (a format-conversion failure to come), if it does not. */
  readonly conversionProblem?: string;
}

export interface FailedSubRecord {
  readonly raw: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface DeaggregatedRecord {
  readonly records: SubRecord[];
  readonly failures: FailedSubRecord[];
}

// A partition value becomes a directory name: refuse anything that could climb out of it.
const SAFE_PARTITION_VALUE = /^[A-Za-z0-9_.\-]+$/;
const DT_VALUE = /^\d{4}-\d{2}-\d{2}$/;

export function deaggregate(data: string): DeaggregatedRecord {
  const records: SubRecord[] = [];
  const failures: FailedSubRecord[] = [];
  const lines = data.split('\n').filter((line) => line.trim().length > 0);
  if (lines.length > MAX_SUBRECORDS_PER_RECORD) {
    failures.push({ raw: data, errorCode: 'Deaggregation.TooManySubRecords', errorMessage: `${lines.length} sub-records in one record; at most ${MAX_SUBRECORDS_PER_RECORD}` });
    return { records, failures };
  }
  for (const line of lines) {
    const result = parseSubRecord(line);
    if ('errorCode' in result) failures.push(result);
    else records.push(result.conversionProblem === undefined ? { line, partition: result.partition } : { line, partition: result.partition, conversionProblem: result.conversionProblem });
  }
  return { records, failures };
}

/** The partition directory of one JSON line, or why it has none (the JQ query would fail). */
export function partitionOf(line: string): string | FailedSubRecord {
  const result = parseSubRecord(line);
  return 'errorCode' in result ? result : result.partition;
}

function parseSubRecord(line: string): { partition: string; conversionProblem: string | undefined } | FailedSubRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return { raw: line, errorCode: 'Deaggregation.InvalidJson', errorMessage: `not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { raw: line, errorCode: 'Deaggregation.NotAnObject', errorMessage: 'sub-record is not a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  for (const key of PARTITION_KEYS) {
    const value = record[key];
    if (typeof value !== 'string' || !SAFE_PARTITION_VALUE.test(value) || value === '.' || value === '..') {
      return { raw: line, errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: `partition key ${key} is missing or not a plain name: ${JSON.stringify(value)}` };
    }
  }
  if (!DT_VALUE.test(record.dt as string)) {
    return { raw: line, errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: `partition key dt is not yyyy-MM-dd: ${JSON.stringify(record.dt)}` };
  }
  return { partition: partitionPath(record as { account_id: string; table_name: string; dt: string }), conversionProblem: conversionProblem(record) };
}
