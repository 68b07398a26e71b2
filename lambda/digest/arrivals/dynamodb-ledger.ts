/**
 * The arrivals ledger in a DynamoDB table: partition key `hour` (e.g. 2026-12-01T19), sort key
 * `key` (the object key). Why DynamoDB and not small S3 objects under a prefix:
 *   - idempotent by construction: a redelivered event (EventBridge and SQS deliver at least once)
 *     writes the same item again, where an S3 marker would be a second object, locked by the
 *     bucket's Object Lock default retention when that mode is configured;
 *   - one Query returns up to 1 MB of an hour's arrivals (about 4,000 items), where S3 would need a
 *     ListObjectsV2 per 1,000 markers plus a PutObject per arrival at S3 request prices;
 *   - items expire by TTL (free), with no lifecycle rule fighting Object Lock.
 * Writes per hour key stay far below DynamoDB's per-partition limit of 1,000 writes per second
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html):
 * one per object Firehose delivers, a few per second even at 5,000 active partitions per stream.
 * Queries are strongly consistent (ConsistentRead), so an arrival written before the digest ran is read.
 */
import { DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { Arrival, ArrivalLedger, arrivalHourLabel, ARRIVAL_RETENTION_DAYS, ArrivalSource } from './arrival-ledger';

/** Attribute names of the ledger table, shared with lib/constructs/digest-arrivals.ts. */
export const LEDGER_ATTRIBUTE = { hour: 'hour', key: 'key', eventTime: 'event_time', recordedAt: 'recorded_at', source: 'source', expiresAt: 'expires_at' } as const;

export class DynamoDbArrivalLedger implements ArrivalLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async record(arrival: Arrival): Promise<void> {
    const a = LEDGER_ATTRIBUTE;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [a.hour]: { S: arrivalHourLabel(arrival.recordedAt.getTime()) },
          [a.key]: { S: arrival.key },
          [a.eventTime]: { S: arrival.eventTime.toISOString() },
          [a.recordedAt]: { S: arrival.recordedAt.toISOString() },
          [a.source]: { S: arrival.source },
          [a.expiresAt]: { N: String(Math.floor(arrival.recordedAt.getTime() / 1000) + ARRIVAL_RETENTION_DAYS * 86_400) },
        },
      }),
    );
  }

  /** The table's CreationDateTime (DescribeTable): an upgrade's first runs digest from a listing until the ledger covers their hours. */
  async startedAt(): Promise<Date> {
    const out = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
    const created = out?.Table?.CreationDateTime;
    if (!(created instanceof Date) || Number.isNaN(created.getTime())) throw new Error(`DescribeTable of arrivals table ${this.tableName} returned no CreationDateTime`);
    return created;
  }

  async recordedIn(hourStartMs: number): Promise<Arrival[]> {
    const a = LEDGER_ATTRIBUTE;
    const out: Arrival[] = [];
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#h = :h',
          ExpressionAttributeNames: { '#h': a.hour },
          ExpressionAttributeValues: { ':h': { S: arrivalHourLabel(hourStartMs) } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = item[a.key]?.S;
        // The sort key is always there. Anything else malformed is read leniently, never refused: the
        // digest hashes the named object and records what S3 says, so a bad item can neither hide an
        // object nor block the chain. An unreadable event time reads as "earliest", so it is considered now.
        if (!key) continue;
        const recordedAt = timeOr(item[a.recordedAt]?.S, hourStartMs);
        const source = item[a.source]?.S === 'reconciliation' ? 'reconciliation' : 'event';
        out.push({ key, eventTime: timeOr(item[a.eventTime]?.S, 0), recordedAt, source: source as ArrivalSource });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function timeOr(iso: string | undefined, fallbackMs: number): Date {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return new Date(Number.isNaN(t) ? fallbackMs : t);
}
