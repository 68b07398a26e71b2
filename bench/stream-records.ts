/**
 * Deterministic, realistic DynamoDB stream records for benchmarks: every type, nested maps and
 * lists, sets, big numbers, a mix of INSERT / MODIFY / REMOVE, and a target size per record.
 */
import { seededRandom } from '../local/firehose/random';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'écho', 'foxtrot', '東京', 'hotel', 'india', 'juliett', 'kilo', 'lima'];

export interface GeneratorOptions {
  readonly seed?: number;
  /** Approximate JSON size of one stream record in bytes. @default 1024 */
  readonly targetBytes?: number;
  readonly streamArn?: string;
}

export function generateStreamRecords(count: number, options: GeneratorOptions = {}): any[] {
  const random = seededRandom(options.seed ?? 42);
  const target = options.targetBytes ?? 1024;
  const arn = options.streamArn ?? 'arn:aws:dynamodb:eu-west-1:012345678901:table/Orders/stream/2026-01-15T10:00:00.000';
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const records: any[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const eventName = roll < 0.4 ? 'INSERT' : roll < 0.8 ? 'MODIFY' : 'REMOVE';
    const pk = `order#${Math.floor(random() * 1e6)}`;
    const image = (version: number): Record<string, unknown> => {
      const img: Record<string, unknown> = {
        pk: { S: pk },
        sk: { S: `line#${i % 7}` },
        status: { S: pick(['NEW', 'PAID', 'SHIPPED', 'CANCELLED']) },
        amount: { N: `${Math.floor(random() * 1e6)}.${Math.floor(random() * 100)}` },
        ledger: { N: '12345678901234567890123456789012345678' },
        version: { N: String(version) },
        active: { BOOL: random() < 0.5 },
        note: { NULL: true },
        tags: { SS: [pick(WORDS), pick(WORDS) + 'x', pick(WORDS) + 'y'] },
        scores: { NS: ['1', '2.5', '-3E-10'] },
        blob: { B: 'AAECAwQFBgcICQ==' },
        customer: { M: { name: { S: pick(WORDS) }, address: { M: { city: { S: pick(WORDS) } } } } },
        items: { L: [{ M: { sku: { S: 'SKU-1' }, qty: { N: '2' } } }] },
        updatedBy: { S: `${pick(WORDS)}@example.com` },
      };
      return img;
    };
    const oldImage = image(1);
    const newImage = image(2);
    const record: any = {
      eventID: `${i.toString(16).padStart(8, '0')}${Math.floor(random() * 1e12).toString(16).padStart(24, '0')}`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: arn,
      dynamodb: {
        ApproximateCreationDateTime: 1772366400 + i,
        Keys: { pk: { S: pk }, sk: newImage.sk },
        ...(eventName !== 'REMOVE' ? { NewImage: newImage } : {}),
        ...(eventName !== 'INSERT' ? { OldImage: oldImage } : {}),
        SequenceNumber: String(100000000000000000000n + BigInt(i)),
        SizeBytes: 0,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    // Pad with a description attribute until the record reaches its target size.
    const size = JSON.stringify(record).length;
    const pad = Math.max(0, target - size - 40);
    const imagesPresent = (eventName !== 'REMOVE' ? 1 : 0) + (eventName !== 'INSERT' ? 1 : 0);
    const text = 'lorem ipsum '.repeat(Math.ceil(pad / 12 / imagesPresent)).slice(0, Math.floor(pad / imagesPresent));
    if (record.dynamodb.NewImage) record.dynamodb.NewImage.description = { S: text };
    if (record.dynamodb.OldImage) record.dynamodb.OldImage.description = { S: text };
    record.dynamodb.SizeBytes = JSON.stringify(record.dynamodb).length;
    records.push(record);
  }
  return records;
}
