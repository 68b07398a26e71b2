/**
 * A duplicate delivery must carry the same record_hash, whenever it happens: a Lambda retry
 * minutes later, or `ddb-audit replay` the next day. Error records whose creation time cannot be
 * read take dt from processed_at, so dt differs between such deliveries and must not be hashed.
 */
import { normalizeRecord } from '../../lambda/core/normalize';
import { canonicalContent, recordHash } from '../../lambda/core/record-hash';

const BAD_TIME = {
  eventID: 'e-bad-time',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSourceARN: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000',
  dynamodb: { ApproximateCreationDateTime: 'yesterday', Keys: { orderId: { S: 'order#1' } }, SequenceNumber: '5000000000000000000001', StreamViewType: 'KEYS_ONLY' },
};

describe('record_hash of duplicate deliveries', () => {
  it('is the same for an error record without a readable creation time delivered on two different days', () => {
    // Act
    const first = normalizeRecord(BAD_TIME, { processedAt: '2026-03-01T23:59:59.000Z' });
    const replayed = normalizeRecord(BAD_TIME, { processedAt: '2026-03-02T08:00:00.000Z' });
    // Assess
    expect([first.event_time, first.dt, replayed.dt]).toEqual([null, '2026-03-01', '2026-03-02']);
    expect(replayed.record_hash).toBe(first.record_hash);
  });

  it('can still be recomputed from the stored row, as evidence verification does', () => {
    const record = normalizeRecord(BAD_TIME, { processedAt: '2026-03-02T08:00:00.000Z' });
    expect(recordHash(record)).toBe(record.record_hash);
    expect(canonicalContent(record)).not.toContain('"2026-03-02"');
  });

  it('still covers dt when the creation time is known', () => {
    const valid = normalizeRecord({ ...BAD_TIME, dynamodb: { ...BAD_TIME.dynamodb, ApproximateCreationDateTime: 1772366400 } }, { processedAt: '2026-03-02T08:00:00.000Z' });
    expect(valid.normalization_error).toBeNull();
    expect(canonicalContent(valid)).toContain('"2026-03-01"');
  });
});
