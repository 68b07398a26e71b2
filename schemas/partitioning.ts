/**
 * How the change log is laid out in S3. One definition feeds both the deployed Firehose
 * (dynamic partitioning: the JQ query and the S3 prefix) and the local Firehose, so the local
 * files sit exactly where Athena's partition projection expects the deployed ones.
 */
import { PARTITION_KEYS } from './change-record';

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

/** Glue storage location template used by partition projection. */
export const PROJECTION_LOCATION_TEMPLATE_SUFFIX = `${CHANGES_PREFIX}${PARTITION_KEYS.map((k) => `${k}=\${${k}}`).join('/')}/`;

/** The partition directory of one record, the same rule the JQ query and prefix apply. */
export function partitionPath(record: { account_id: string; table_name: string; dt: string }): string {
  return `${CHANGES_PREFIX}${PARTITION_KEYS.map((k) => `${k}=${record[k]}`).join('/')}/`;
}

/** Glue database and table of the change log; the bundled queries read `audit_changes`. */
export const GLUE_DATABASE_NAME = 'ddb_audit';
export const GLUE_TABLE_NAME = 'audit_changes';
