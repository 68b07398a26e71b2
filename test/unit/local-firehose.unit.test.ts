import { PartitionBuffers } from '../../local/firehose/buffer';
import { deaggregate } from '../../local/firehose/deaggregate';
import { entryFault, throttleFault } from '../../local/firehose/faults';
import { MAX_BATCH_BYTES, MAX_RECORD_BYTES } from '../../local/firehose/limits';
import { parsePutRecordBatch, ProtocolError } from '../../local/firehose/protocol';
import { seededRandom } from '../../local/firehose/random';
import { conversionProblem } from '../../local/firehose/rows';
import { decodeAwsChunked, objectPath } from '../../local/firehose/s3-objects';

const change = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    schema_version: 1, event_id: 'e1', event_name: 'INSERT', op: 'c', is_ttl_expiry: false, event_version: '1.1',
    event_time: '2026-03-01T12:00:00.000Z', processed_at: '2026-03-01T12:00:01.250Z', account_id: '012345678901', region: 'us-east-1',
    table_name: 'Orders', stream_arn: 'arn', dt: '2026-03-01', sequence_number: '100000000000000000001', stream_view_type: 'NEW_AND_OLD_IMAGES',
    size_bytes: 42, keys: '{"pk":"a"}', item_key: '{"pk":"a"}', new_image: '{"pk":"a"}', old_image: null, changed_attributes: ['pk'],
    user_identity: null, actor: 'bob', actor_source: 'attribute:updatedBy', redacted_attributes: null, overflow_uri: null,
    record_hash: 'ab'.repeat(32), normalization_error: null, raw_record: null, ...overrides,
  });

describe('deaggregate', () => {
  it('splits newline-delimited change records and partitions each like the deployed JQ', () => {
    // Prepare
    const data = `${change()}\n${change({ account_id: '111122223333', dt: '2026-03-02' })}\n`;
    // Act
    const { records, failures } = deaggregate(data);
    // Assess
    expect(failures).toEqual([]);
    expect(records.map((r) => r.partition)).toEqual([
      'changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/',
      'changes/account_id=111122223333/table_name=Orders/dt=2026-03-02/',
    ]);
  });

  it('keeps a single unpacked record whole', () => {
    const { records } = deaggregate(change());
    expect(records).toHaveLength(1);
    expect(records[0]?.line).toBe(change());
  });

  it('fails sub-records that are not JSON or lack a usable partition key, without losing the others', () => {
    // Prepare
    const data = [change(), 'not json', change({ account_id: '../etc' }), change({ dt: '2026/03/01' }), '[1,2]'].join('\n');
    // Act
    const { records, failures } = deaggregate(data);
    // Assess
    expect(records).toHaveLength(1);
    expect(failures.map((f) => f.errorCode)).toEqual([
      'Deaggregation.InvalidJson',
      'DynamicPartitioning.MetadataExtractionFailed',
      'DynamicPartitioning.MetadataExtractionFailed',
      'Deaggregation.NotAnObject',
    ]);
    expect(failures[0]?.raw).toBe('not json');
  });
});

describe('PartitionBuffers', () => {
  const options = { sizeBytes: 100, intervalMs: 1000, maxTotalBytes: 250 };

  it('delivers a partition when it reaches the size limit', () => {
    const buffers = new PartitionBuffers(options);
    expect(buffers.add('p1/', 'x'.repeat(60), 0)).toEqual([]);
    const due = buffers.add('p1/', 'y'.repeat(60), 0);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ partition: 'p1/', lines: ['x'.repeat(60), 'y'.repeat(60)], bytes: 122 });
    expect(buffers.bufferedBytes).toBe(0);
  });

  it('delivers a partition when its oldest record has waited the interval, and not before', () => {
    const buffers = new PartitionBuffers(options);
    buffers.add('p1/', 'a', 0);
    buffers.add('p2/', 'b', 600);
    expect(buffers.expired(999)).toEqual([]);
    expect(buffers.expired(1000).map((b) => b.partition)).toEqual(['p1/']);
    expect(buffers.expired(1600).map((b) => b.partition)).toEqual(['p2/']);
  });

  it('delivers the largest buffer early when all buffers together exceed the memory cap', () => {
    const buffers = new PartitionBuffers(options);
    buffers.add('small/', 'a'.repeat(40), 0);
    buffers.add('big/', 'b'.repeat(94), 0);
    buffers.add('mid/', 'c'.repeat(80), 0);
    const due = buffers.add('small/', 'd'.repeat(40), 0);
    expect(due.map((b) => b.partition)).toEqual(['big/']);
    expect(buffers.bufferedBytes).toBeLessThanOrEqual(250);
  });

  it('drains every partition on flush', () => {
    const buffers = new PartitionBuffers(options);
    buffers.add('p1/', 'a', 0);
    buffers.add('p2/', 'b', 0);
    expect(buffers.drain().map((b) => b.partition).sort()).toEqual(['p1/', 'p2/']);
    expect(buffers.bufferedPartitions).toBe(0);
  });
});

describe('fault injection', () => {
  it('is reproducible for a seed and close to the requested rate', () => {
    const decide = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 2000 }, () => throttleFault({ throttleRate: 0.25 }, random)?.type ?? 'ok');
    };
    const first = decide(7);
    expect(decide(7)).toEqual(first);
    const throttled = first.filter((t) => t !== 'ok');
    expect(throttled.length / first.length).toBeGreaterThan(0.2);
    expect(throttled.length / first.length).toBeLessThan(0.3);
    expect(new Set(throttled)).toEqual(new Set(['LimitExceededException', 'ServiceUnavailableException']));
  });

  it('injects nothing at rate zero', () => {
    const random = seededRandom(1);
    expect(Array.from({ length: 100 }, () => entryFault({}, random) ?? throttleFault({}, random)).every((f) => f === undefined)).toBe(true);
  });
});

describe('PutRecordBatch validation', () => {
  const body = (records: Buffer[]) => JSON.stringify({ DeliveryStreamName: 's', Records: records.map((r) => ({ Data: r.toString('base64') })) });
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err as ProtocolError;
    }
    throw new Error('expected a refusal');
  };

  it('refuses more than 500 records in one call', () => {
    const err = refusal(() => parsePutRecordBatch(body(Array.from({ length: 501 }, () => Buffer.from('x')))));
    expect([err.status, err.type]).toEqual([400, 'ValidationException']);
  });

  it('refuses a record over 1,000 KiB and accepts one of exactly 1,000 KiB', () => {
    expect(parsePutRecordBatch(body([Buffer.alloc(MAX_RECORD_BYTES, 'a')])).records[0]).toHaveLength(MAX_RECORD_BYTES);
    expect(refusal(() => parsePutRecordBatch(body([Buffer.alloc(MAX_RECORD_BYTES + 1, 'a')]))).type).toBe('ValidationException');
  });

  it('refuses a call over 4 MiB in total', () => {
    const records = Array.from({ length: 5 }, () => Buffer.alloc(Math.ceil(MAX_BATCH_BYTES / 5) + 10, 'a'));
    const err = refusal(() => parsePutRecordBatch(body(records)));
    expect([err.status, err.type]).toEqual([400, 'InvalidArgumentException']);
  });
});

describe('conversionProblem', () => {
  const parsed = (overrides: Record<string, unknown> = {}) => JSON.parse(change(overrides)) as Record<string, unknown>;

  it('accepts a record that fits the schema, with or without its optional fields', () => {
    expect(conversionProblem(parsed())).toBeUndefined();
    expect(conversionProblem(parsed({ event_time: null, changed_attributes: undefined, size_bytes: 9007199254740991 }))).toBeUndefined();
  });

  it('rejects a record that does not fit the schema instead of reshaping it', () => {
    expect(conversionProblem(parsed({ record_hash: null }))).toBe('record_hash is required but null');
    expect(conversionProblem(parsed({ size_bytes: '42' }))).toBe('size_bytes is not a bigint: "42"');
    expect(conversionProblem(parsed({ event_time: '1 March 2026' }))).toMatch(/^event_time is not a timestamp/);
    expect(conversionProblem(parsed({ changed_attributes: [1] }))).toMatch(/^changed_attributes is not a string_list/);
    expect(conversionProblem(parsed({ schema_version: 2 ** 31 }))).toMatch(/^schema_version is not a int/);
  });

  it('marks unconvertible records during deaggregation and still partitions them', () => {
    const { records, failures } = deaggregate(`${change()}\n${change({ processed_at: 'yesterday' })}`);
    expect(failures).toEqual([]);
    expect(records.map((r) => r.conversionProblem)).toEqual([undefined, expect.stringMatching(/^processed_at is not a timestamp/)]);
  });
});

describe('local S3 objects', () => {
  it('keeps overflow keys under the overflow prefix and refuses keys that climb out', () => {
    expect(objectPath('overflow/2026/03/01/x.json')).toBe('overflow/2026/03/01/x.json');
    expect(objectPath('x.json')).toBe('overflow/x.json');
    expect(objectPath('overflow/../../etc/passwd')).toBeUndefined();
  });

  it('decodes an aws-chunked body with trailing checksum', () => {
    const body = Buffer.from('5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
