/**
 * A gap record (op 'g') must land in the delivery stream that carries its table's changes, so the
 * gap row sits in the same Firehose stream (and partitions) as the changes it interrupts, whatever
 * the stream count. Checked as a property over generated tables and stream counts: the stream the
 * watch's sink (lambda/core/routed-delivery.ts) picks for a table's gap record equals the stream the
 * collector (processBatch) sends a change of that table to, and that is the routing hash's stream,
 * not stream 0 for every table. No AWS SDK mock: a recording stand-in for Firehose's send.
 */
import fc from 'fast-check';
import type { ChangeRecord } from '../../schemas/change-record';
import { deliveryStreamNames, streamIndexFor } from '../../lambda/core/delivery-routing';
import { processBatch } from '../../lambda/core/process-batch';
import { deliverRouted } from '../../lambda/core/routed-delivery';
import { gapIdOf, gapRecord } from '../../lambda/watch/gap-record';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Firehose's send, recording which stream each call went to (every entry accepted). */
function recordingFirehose() {
  const streams: string[] = [];
  return {
    streams,
    client: {
      send: async (command: { input: { DeliveryStreamName?: string; Records?: unknown[] } }) => {
        streams.push(command.input.DeliveryStreamName as string);
        return { FailedPutCount: 0, RequestResponses: (command.input.Records ?? []).map((_, i) => ({ RecordId: String(i) })), $metadata: {} };
      },
    } as never,
  };
}
const noS3 = { send: async () => ({}) } as never;
const sink = { deliveryStreamName: 'unused', packing: 'single' as const, overflowBucket: 'log', overflowPrefix: 'overflow/', remainingTimeMs: () => 60_000 };

function gapOf(tableArn: string): ChangeRecord {
  const oldStream = `${tableArn}/stream/2026-03-01T00:00:00.000`;
  const newStream = `${tableArn}/stream/2026-03-02T08:00:00.000`;
  return gapRecord({ gapId: gapIdOf(tableArn, oldStream), tableArn, oldStreamArn: oldStream, newStreamArn: newStream, from: '2026-03-02T07:55:00.000Z', to: null, detectedAt: '2026-03-02T08:05:00.000Z', state: 'open', at: '2026-03-02T08:05:00.000Z' });
}

/** The stream the collector sends one INSERT of this table to. */
async function collectorStreamFor(tableArn: string, names: readonly string[]): Promise<string> {
  const firehose = recordingFirehose();
  const event = {
    Records: [
      {
        eventID: 'e1',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'eu-west-1',
        dynamodb: { ApproximateCreationDateTime: 1772366400, Keys: { Id: { N: '1' } }, NewImage: { Id: { N: '1' } }, SequenceNumber: '100000000000000000111', SizeBytes: 10, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        eventSourceARN: `${tableArn}/stream/2026-03-02T08:00:00.000`,
      },
    ],
  };
  await processBatch(event, { clients: { firehose: firehose.client, s3: noS3 }, sink, deliveryStreamNames: names, sourceOptions: {}, logger: silent, metrics: { addMetric: () => {} } }, () => 60_000);
  expect(firehose.streams).toHaveLength(1);
  return firehose.streams[0] as string;
}

const tableArn = fc
  .tuple(fc.stringMatching(/^\d{12}$/), fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/))
  .map(([account, name]) => `arn:aws:dynamodb:eu-west-1:${account}:table/${name}`);

describe('gap records and delivery streams', () => {
  it("go to the stream that carries their table's changes, for any table and stream count", async () => {
    await fc.assert(
      fc.asyncProperty(tableArn, fc.integer({ min: 1, max: 42 }), async (arn, count) => {
        const names = deliveryStreamNames('DdbAuditCollector-Stream-ABC', 'ddb-audit-changes-', count);
        const firehose = recordingFirehose();
        const report = await deliverRouted([gapOf(arn)], names, { firehose: firehose.client, s3: noS3 }, sink, silent);
        expect(report.undelivered).toEqual([]);
        expect(firehose.streams).toEqual([names[streamIndexFor(arn, count)]]);
        expect(firehose.streams[0]).toBe(await collectorStreamFor(arn, names));
      }),
      { numRuns: 150 },
    );
  });

  it('spread over the streams with their tables, one call per stream, none lost', async () => {
    // Prepare: 40 tables over 5 streams; several of them hash to streams other than 0.
    const names = deliveryStreamNames('DdbAuditCollector-Stream-ABC', 'ddb-audit-changes-', 5);
    const tables = Array.from({ length: 40 }, (_, i) => `arn:aws:dynamodb:eu-west-1:222222222222:table/t-${i}`);
    const expected = new Set(tables.map((t) => names[streamIndexFor(t, 5)]));
    expect(expected.size).toBeGreaterThan(1);
    const firehose = recordingFirehose();

    // Act
    const report = await deliverRouted(tables.map(gapOf), names, { firehose: firehose.client, s3: noS3 }, sink, silent);

    // Assess
    expect(report).toMatchObject({ delivered: 40, undelivered: [] });
    expect(new Set(firehose.streams)).toEqual(expected);
    expect(firehose.streams).toHaveLength(expected.size);
  });
});
