/**
 * How the change log is laid out in S3. One definition feeds both the deployed Firehose
 * (dynamic partitioning: the JQ query and the S3 prefix), the local Firehose, and the partitions
 * registered in Glue (lambda/partitions, `ddb-audit catalog sync`), so a registered partition's
 * location is exactly where Firehose wrote its objects.
 */
import { PARTITION_KEYS, UNKNOWN_PARTITION_VALUE } from './change-record';

/** Top-level prefix of change-log objects. */
export const CHANGES_PREFIX = 'changes/';
/** Where Firehose writes records it could not partition or convert. */
export const ERRORS_PREFIX = 'errors/';
/** Where the collector writes changes too large for one Firehose record. */
export const OVERFLOW_PREFIX = 'overflow/';
/** Where the hourly integrity digests live (a separate, Object-Locked prefix). */
export const DIGESTS_PREFIX = 'digests/';

/** Firehose metadata-extraction JQ (JQ 1.6): reads the partition keys from each change record. */
export const PARTITION_JQ_QUERY = `{${PARTITION_KEYS.map((k) => `${k}: .${k}`).join(', ')}}`;

/** Firehose S3 prefix with dynamic-partitioning placeholders, ending in "/". */
export const FIREHOSE_S3_PREFIX = `${CHANGES_PREFIX}${PARTITION_KEYS.map((k) => `${k}=!{partitionKeyFromQuery:${k}}`).join('/')}/`;

/** Firehose error prefix; !{firehose:error-output-type} separates partitioning from conversion failures. */
export const FIREHOSE_ERROR_PREFIX = `${ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;

/** The partition directory of one record, the same rule the JQ query and prefix apply. */
export function partitionPath(record: { account_id: string; table_name: string; dt: string }): string {
  return `${CHANGES_PREFIX}${PARTITION_KEYS.map((k) => `${k}=${record[k]}`).join('/')}/`;
}

/** The values of one change-log partition, keyed by partition key. */
export type PartitionValues = Readonly<Record<(typeof PARTITION_KEYS)[number], string>>;

/**
 * What a partition value may be, per key. These are what the collector writes: account ids of 12
 * digits, DynamoDB table names (3-255 of letters, digits, _ . -), "unknown" for a record whose
 * source could not be read, and a UTC date. None of these characters is one Hive escapes in a
 * path ('=', '/', ':', '%', '#' and control characters), so the S3 prefix, the Glue value and the
 * value Athena compares are the same string; a value outside these is refused, never guessed at.
 */
const PARTITION_VALUE_PATTERNS: Record<(typeof PARTITION_KEYS)[number], RegExp> = {
  account_id: new RegExp(`^(?:\\d{12}|${UNKNOWN_PARTITION_VALUE})$`),
  table_name: /^[A-Za-z0-9_.-]{3,255}$/,
  dt: /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/,
};

/** Why `value` is not a valid value of `key`, or undefined when it is. */
export function partitionValueProblem(key: (typeof PARTITION_KEYS)[number], value: string): string | undefined {
  if (!PARTITION_VALUE_PATTERNS[key].test(value)) return `${key} ${JSON.stringify(value)} is not a valid value (${key === 'account_id' ? '12 digits or "unknown"' : key === 'table_name' ? '3-255 of letters, digits, _ . -' : 'a yyyy-MM-dd date'})`;
  if (key === 'dt' && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) return `dt ${JSON.stringify(value)} is not a calendar date`;
  return undefined;
}

/** Thrown for an object key that is not under a change-log partition; the message names the key and what is wrong. */
export class PartitionKeyError extends Error {
  override name = 'PartitionKeyError';
}

/**
 * The partition an object key under changes/ belongs to: `changes/account_id=A/table_name=T/dt=D/<file>`.
 * Throws PartitionKeyError for anything else (a key at another depth, another key order, a value
 * outside the patterns above), so a stray object is reported instead of registered.
 */
export function partitionOfObjectKey(key: string): PartitionValues {
  const shown = JSON.stringify(key.length > 300 ? `${key.slice(0, 300)}...` : key);
  if (!key.startsWith(CHANGES_PREFIX)) throw new PartitionKeyError(`object key ${shown} is not under ${CHANGES_PREFIX}`);
  const parts = key.slice(CHANGES_PREFIX.length).split('/');
  if (parts.length !== PARTITION_KEYS.length + 1 || parts[PARTITION_KEYS.length] === '') {
    throw new PartitionKeyError(`object key ${shown} is not ${CHANGES_PREFIX}${PARTITION_KEYS.map((k) => `${k}=…`).join('/')}/<file>`);
  }
  const values: Partial<Record<(typeof PARTITION_KEYS)[number], string>> = {};
  PARTITION_KEYS.forEach((k, i) => {
    const part = parts[i] as string;
    if (!part.startsWith(`${k}=`)) throw new PartitionKeyError(`object key ${shown}: path segment ${i + 2} is ${JSON.stringify(part)}, expected ${k}=…`);
    const value = part.slice(k.length + 1);
    const problem = partitionValueProblem(k, value);
    if (problem) throw new PartitionKeyError(`object key ${shown}: ${problem}`);
    values[k] = value;
  });
  return values as PartitionValues;
}

/** The partition's values in the table's partition-key order (Glue's PartitionInput.Values). */
export function partitionValueList(values: PartitionValues): string[] {
  return PARTITION_KEYS.map((k) => values[k]);
}

/** The S3 location of a partition, as Glue stores it: s3://bucket/changes/account_id=…/table_name=…/dt=…/ */
export function partitionLocation(bucket: string, values: PartitionValues): string {
  return `s3://${bucket}/${partitionPath(values)}`;
}

/** Glue database and table of the change log; the bundled queries read `audit_changes`. */
export const GLUE_DATABASE_NAME = 'ddb_audit';
export const GLUE_TABLE_NAME = 'audit_changes';
