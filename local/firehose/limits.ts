/**
 * Limits the deployed Firehose enforces on PutRecordBatch/PutRecord. The AWS SDK checks none of
 * them (it sent 600 records and a 5.9 MB body to a local endpoint), so a faithful local endpoint
 * must refuse what Firehose refuses, or the collector's batching bugs would only show in AWS.
 */
export const MAX_RECORDS_PER_BATCH = 500;
/** 1,000 KiB per record, measured on the decoded Data. */
export const MAX_RECORD_BYTES = 1000 * 1024;
/** 4 MiB per call, measured on the decoded Data of all records. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** RecordDeAggregationProcessor splits at most this many sub-records out of one record. */
export const MAX_SUBRECORDS_PER_RECORD = 500;
