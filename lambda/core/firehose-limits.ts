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
 * Bytes of one call. AWS writes "4 MB for the entire request" without saying whether base64 counts
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html); we count the
 * request body itself (every record's base64 size, its JSON punctuation and the envelope) against
 * 4,000,000, so the request is under 4 MB in any reading.
 */
export const MAX_CALL_BYTES = 4_000_000;

/** JSON punctuation around one record in the request body: `{"Data":"…"},`. */
export const CALL_BYTES_PER_RECORD = 12;

/**
 * The body's envelope, `{"DeliveryStreamName":"…","Records":[]}`, with room for the longest stream
 * name (Firehose allows 64 characters; counted twice over, for any escaping).
 */
export const CALL_ENVELOPE_BYTES = 40 + 2 * 64;

/** Sub-records in one packed record: Firehose's JSON de-aggregation handles at most 500. */
export const MAX_SUBRECORDS_PER_RECORD = 500;

/** Size of a record's data once base64-encoded on the wire. */
export function base64Size(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
