/**
 * Amazon Data Firehose PutRecordBatch limits. These cannot be raised; a call over them is refused
 * whole, so the sink must split before sending (the SDK checks none of them).
 */

/** Records (entries) per PutRecordBatch call. */
export const MAX_RECORDS_PER_CALL = 500;

/**
 * Bytes of one record's data, before base64. AWS writes "1,000 KB"; the decimal reading is the
 * smaller, so it is the one that is safe whichever was meant.
 */
export const MAX_RECORD_BYTES = 1_000_000;

/**
 * Bytes of one call. AWS writes "4 MB for the entire request" without saying whether base64 counts;
 * we count the base64 size of every record against 4,000,000 so the request is under 4 MB in any reading.
 */
export const MAX_CALL_BYTES = 4_000_000;

/** Sub-records in one packed record: Firehose's JSON de-aggregation handles at most 500. */
export const MAX_SUBRECORDS_PER_RECORD = 500;

/** Size of a record's data once base64-encoded on the wire. */
export function base64Size(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
