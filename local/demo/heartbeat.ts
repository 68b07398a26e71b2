/**
 * The heartbeat as the deployed one writes it, for the local pipeline: one item put every
 * `intervalMinutes` simulated minutes into the table HEARTBEAT_TABLE_NAME of the audit account,
 * whose NEW_AND_OLD_IMAGES stream the collector reads like any source. The deployed heartbeat is an
 * EventBridge Scheduler PutItem of the same key each time, so the first put is an INSERT and every
 * later one a MODIFY of that item; here they go as Lambda stream events through the same collector
 * handler and normalizer, so the rows land where the deployed ones do (account_id = the audit
 * account, table_name = ddb-audit-heartbeat) and the local queries can prove they leave them out.
 */
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';

export interface HeartbeatOptions {
  /** The audit account, whose partition the heartbeat rows land in. */
  readonly accountId: string;
  readonly region: string;
  /** @default 5, as the deployed schedule */
  readonly intervalMinutes?: number;
}

/** One heartbeat as written, for tests. */
export interface HeartbeatEntry {
  readonly eventId: string;
  readonly eventName: 'INSERT' | 'MODIFY';
  readonly dt: string;
}

const STREAM_LABEL = '2026-01-01T00:00:00.000';
/** The heartbeat item's key: one item, overwritten by every put. */
const KEY = { pk: { S: 'heartbeat' } } as const;

export function heartbeatStreamArn(options: Pick<HeartbeatOptions, 'accountId' | 'region'>): string {
  return `arn:aws:dynamodb:${options.region}:${options.accountId}:table/${HEARTBEAT_TABLE_NAME}/stream/${STREAM_LABEL}`;
}

/**
 * Heartbeat stream events for [startMs, endMs], `batchSize` records each, in stream order; fills
 * `ledger` with what was written. A few hundred records a day, so a generator is not needed.
 */
export function heartbeatEvents(options: HeartbeatOptions, startMs: number, endMs: number, seed: number, batchSize: number, ledger?: HeartbeatEntry[]): DynamoDBStreamEvent[] {
  const intervalMs = (options.intervalMinutes ?? 5) * 60_000;
  const records: DynamoDBRecord[] = [];
  let previous: Record<string, AttributeValue> | undefined;
  let sequence = BigInt(startMs) * 1_000_000_000n + 7n;
  // Scheduler fires on the interval boundaries of the clock, not from the workload's start.
  for (let at = Math.ceil(startMs / intervalMs) * intervalMs, n = 0; at <= endMs; at += intervalMs, n++) {
    const scheduledAt = new Date(at).toISOString();
    const image: Record<string, AttributeValue> = { ...KEY, scheduledAt: { S: scheduledAt } };
    const eventName = previous === undefined ? 'INSERT' : 'MODIFY';
    const eventId = `hb${seed.toString(16)}${n.toString(16).padStart(8, '0')}`;
    sequence += 1n;
    records.push({
      eventID: eventId,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: options.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(at / 1000),
        Keys: { ...KEY },
        NewImage: image,
        ...(previous ? { OldImage: previous } : {}),
        SequenceNumber: sequence.toString(),
        SizeBytes: JSON.stringify(image).length,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: heartbeatStreamArn(options),
    });
    ledger?.push({ eventId, eventName, dt: scheduledAt.slice(0, 10) });
    previous = image;
  }
  const events: DynamoDBStreamEvent[] = [];
  for (let i = 0; i < records.length; i += batchSize) events.push({ Records: records.slice(i, i + batchSize) });
  return events;
}
