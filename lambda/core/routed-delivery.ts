/**
 * Delivers change records, each to the delivery stream that carries its source's changes
 * (delivery-routing.ts: a stable hash of the table ARN), one sink call per stream, and merges the
 * reports back into indexes of the input. The collector and the stream watch both deliver through
 * here, so a table's gap records (op 'g') always land in the same stream, and so the same
 * account_id/table_name/dt partitions, as its changes.
 *
 * The table ARN comes from the record's stream_arn (a change's stream, a gap's new or old stream:
 * both name the table); a record without a parsable stream ARN goes to stream 0, as in the collector.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { deliveryStreamFor } from './delivery-routing';
import { deliverChangeRecords, type DeliveryReport, type SinkClients, type SinkOptions } from './firehose-sink';
import type { MinimalLogger } from './logger';
import { parseStreamArn } from './stream-arn';

/** The delivery stream of one record, from its stream_arn's table. */
export function deliveryStreamOf(record: Pick<ChangeRecord, 'stream_arn'>, names: readonly string[]): string {
  const arn = record.stream_arn;
  return deliveryStreamFor(arn === null ? undefined : parseStreamArn(arn)?.tableArn, names);
}

/**
 * @param names every delivery stream of the deployment, index = stream
 * @param sink the sink's options; its deliveryStreamName is replaced per group
 */
export async function deliverRouted(records: readonly ChangeRecord[], names: readonly string[], clients: SinkClients, sink: SinkOptions, logger: MinimalLogger): Promise<DeliveryReport> {
  if (names.length === 0) throw new Error('deliverRouted: no delivery stream names');
  const groups = new Map<string, number[]>();
  let lastArn: string | null | undefined;
  let lastStream = names[0] as string;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ChangeRecord;
    // A collector batch comes from one stream: route once per run of the same stream ARN.
    if (record.stream_arn !== lastArn) {
      lastArn = record.stream_arn;
      lastStream = deliveryStreamOf(record, names);
    }
    const group = groups.get(lastStream);
    if (group) group.push(i);
    else groups.set(lastStream, [i]);
  }
  let delivered = 0;
  let retriedEntries = 0;
  let oversize = 0;
  let calls = 0;
  const undelivered: number[] = [];
  for (const [deliveryStreamName, indexes] of groups) {
    const report = await deliverChangeRecords(indexes.map((i) => records[i] as ChangeRecord), clients, { ...sink, deliveryStreamName }, logger);
    delivered += report.delivered;
    retriedEntries += report.retriedEntries;
    oversize += report.oversize;
    calls += report.calls;
    for (const local of report.undelivered) undelivered.push(indexes[local] as number);
  }
  return { delivered, undelivered: undelivered.sort((a, b) => a - b), retriedEntries, oversize, calls };
}
