/**
 * Firehose's JSON 1.1 protocol as the AWS SDK speaks it (POST /, x-amz-target
 * Firehose_20150804.<Operation>, base64 Data), with the limits Firehose enforces. Pure: parses
 * and validates request bodies and builds reply bodies; the HTTP server only moves bytes.
 */
import { randomBytes } from 'node:crypto';
import { FIREHOSE_ERROR_PREFIX, FIREHOSE_S3_PREFIX } from '../../schemas/partitioning';
import { MAX_BATCH_BYTES, MAX_RECORD_BYTES, MAX_RECORDS_PER_BATCH } from './limits';

export const TARGET_PREFIX = 'Firehose_20150804.';

/** A refused call: HTTP status plus the `__type` the SDK maps to an exception class. */
export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PutRequest {
  readonly streamName: string;
  readonly records: Buffer[];
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the protocol error below
  }
  throw new ProtocolError(400, 'SerializationException', 'request body is not a JSON object');
}

function streamNameOf(request: Record<string, unknown>): string {
  const name = request.DeliveryStreamName;
  if (typeof name !== 'string' || name.length === 0) throw new ProtocolError(400, 'ValidationException', 'DeliveryStreamName is required');
  return name;
}

function decodeData(record: unknown, index: number): Buffer {
  const data = (record as { Data?: unknown } | null)?.Data;
  if (typeof data !== 'string') throw new ProtocolError(400, 'ValidationException', `Records[${index}].Data is required`);
  const decoded = Buffer.from(data, 'base64');
  if (decoded.length > MAX_RECORD_BYTES) {
    throw new ProtocolError(400, 'ValidationException', `1 validation error detected: record ${index} is ${decoded.length} bytes; Firehose accepts at most ${MAX_RECORD_BYTES} (1,000 KiB)`);
  }
  return decoded;
}

export function parsePutRecordBatch(body: string): PutRequest {
  const request = parseJson(body);
  const streamName = streamNameOf(request);
  const records = request.Records;
  if (!Array.isArray(records) || records.length === 0) throw new ProtocolError(400, 'ValidationException', 'Records must hold at least one record');
  if (records.length > MAX_RECORDS_PER_BATCH) {
    throw new ProtocolError(400, 'ValidationException', `1 validation error detected: ${records.length} records; PutRecordBatch accepts at most ${MAX_RECORDS_PER_BATCH}`);
  }
  const decoded = records.map((r, i) => decodeData(r, i));
  const total = decoded.reduce((sum, b) => sum + b.length, 0);
  if (total > MAX_BATCH_BYTES) throw new ProtocolError(400, 'InvalidArgumentException', `batch holds ${total} bytes; PutRecordBatch accepts at most ${MAX_BATCH_BYTES} (4 MiB)`);
  return { streamName, records: decoded };
}

export function parsePutRecord(body: string): PutRequest {
  const request = parseJson(body);
  return { streamName: streamNameOf(request), records: [decodeData(request.Record, 0)] };
}

export function parseDescribe(body: string): string {
  return streamNameOf(parseJson(body));
}

/** Firehose record ids are long opaque strings; these are unique per entry. */
export function recordId(): string {
  return randomBytes(42).toString('base64');
}

export function describeReply(streamName: string, region: string, buffer: { sizeBytes: number; intervalMs: number }): Record<string, unknown> {
  return {
    DeliveryStreamDescription: {
      DeliveryStreamName: streamName,
      DeliveryStreamARN: `arn:aws:firehose:${region}:000000000000:deliverystream/${streamName}`,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      CreateTimestamp: Math.floor(Date.now() / 1000),
      HasMoreDestinations: false,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          ExtendedS3DestinationDescription: {
            RoleARN: 'arn:aws:iam::000000000000:role/local',
            BucketARN: 'arn:aws:s3:::local-audit-data',
            Prefix: FIREHOSE_S3_PREFIX,
            ErrorOutputPrefix: FIREHOSE_ERROR_PREFIX,
            BufferingHints: { SizeInMBs: Math.max(1, Math.round(buffer.sizeBytes / 1048576)), IntervalInSeconds: Math.max(1, Math.round(buffer.intervalMs / 1000)) },
            CompressionFormat: 'UNCOMPRESSED',
            EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
            DynamicPartitioningConfiguration: { Enabled: true },
            DataFormatConversionConfiguration: { Enabled: true },
          },
        },
      ],
    },
  };
}
