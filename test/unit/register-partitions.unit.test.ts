/**
 * Partition registration: the object-key parser (schemas/partitioning.ts), the Lambda's batch core
 * (lambda/partitions/partition-events.ts) and the BatchCreatePartition core it shares with
 * `ddb-audit catalog sync` (lambda/partitions/register-partitions.ts). The core is tested against
 * an in-memory catalog that behaves as BatchCreatePartition documents (per-partition Errors,
 * AlreadyExistsException); the SDK adapter is tested with aws-sdk-client-mock, because no local
 * Glue peer exists here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchCreatePartitionCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { partitionLocation, partitionOfObjectKey, partitionPath, type PartitionValues } from '../../schemas/partitioning';
import { readPartitionSettings } from '../../lambda/partitions/environment';
import { gluePartitionCatalog } from '../../lambda/partitions/glue-catalog';
import { KnownPartitions, PARTITION_FAILURE_LOG_MESSAGE, partitionOfMessage, processPartitionBatch } from '../../lambda/partitions/partition-events';
import { ALREADY_EXISTS, BATCH_CREATE_PARTITION_MAX, partitionId, registerPartitions, type PartitionCatalog, type PartitionCreateError } from '../../lambda/partitions/register-partitions';

const eventText = readFileSync(join(__dirname, '..', 'events', 's3-object-created-eventbridge.json'), 'utf8');
const event = JSON.parse(eventText);
const settings = { bucket: 'ddb-audit-change-log', database: 'ddb_audit', table: 'audit_changes' };

function eventFor(key: string, change: (e: any) => void = () => undefined): string {
  const e = structuredClone(event);
  e.detail.object.key = key;
  change(e);
  return JSON.stringify(e);
}

/** Generated partition values: what the collector can write (schemas/partitioning.ts). */
const partitionValues: fc.Arbitrary<PartitionValues> = fc.record({
  account_id: fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constant('unknown')),
  table_name: fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/),
  dt: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
});

/** A catalog that behaves as BatchCreatePartition documents: per-partition AlreadyExistsException for what it has. */
function memoryCatalog(options: { refuse?: (p: PartitionValues) => string | undefined; throwOnCall?: (call: number, partitions: readonly PartitionValues[]) => Error | undefined } = {}) {
  const registered = new Set<string>();
  const calls: PartitionValues[][] = [];
  const catalog: PartitionCatalog = {
    async createPartitions(partitions) {
      calls.push([...partitions]);
      const thrown = options.throwOnCall?.(calls.length, partitions);
      if (thrown) throw thrown;
      const errors: PartitionCreateError[] = [];
      for (const p of partitions) {
        const values = [p.account_id, p.table_name, p.dt];
        const refusal = options.refuse?.(p);
        if (refusal) errors.push({ values, errorCode: refusal, message: `${refusal} for ${p.table_name}` });
        else if (registered.has(partitionId(p))) errors.push({ values, errorCode: ALREADY_EXISTS, message: 'Partition already exists.' });
        else registered.add(partitionId(p));
      }
      return errors;
    },
  };
  return { catalog, registered, calls };
}

const silent = { info: () => undefined, error: () => undefined };

describe('partitionOfObjectKey', () => {
  test('reads account, table and day from the key Firehose writes', () => {
    expect(partitionOfObjectKey(event.detail.object.key)).toEqual({ account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' });
  });

  test('round-trips every value the collector can write, including "." "-" "_" and account "unknown"', () => {
    fc.assert(
      fc.property(partitionValues, fc.stringMatching(/^[a-z0-9-]{1,30}\.parquet$/), (values, file) => {
        const key = `${partitionPath(values)}${file}`;
        expect(partitionOfObjectKey(key)).toEqual(values);
        expect(`s3://b/${key}`.startsWith(partitionLocation('b', values))).toBe(true);
      }),
    );
  });

  test.each([
    ['outside changes/', 'overflow/account_id=222222222222/table_name=Orders/dt=2026-12-01/x.json', /is not under changes\//],
    ['too shallow', 'changes/account_id=222222222222/table_name=Orders/x.parquet', /is not changes\/account_id=…\/table_name=…\/dt=…\/<file>/],
    ['too deep', 'changes/account_id=222222222222/table_name=Orders/dt=2026-12-01/extra/x.parquet', /is not changes\//],
    ['keys in another order', 'changes/table_name=Orders/account_id=222222222222/dt=2026-12-01/x.parquet', /path segment 2 is "table_name=Orders", expected account_id=…/],
    ['an account that is not 12 digits', 'changes/account_id=2222/table_name=Orders/dt=2026-12-01/x.parquet', /account_id "2222" is not a valid value/],
    ['a table name with a space', 'changes/account_id=222222222222/table_name=My Orders/dt=2026-12-01/x.parquet', /table_name "My Orders" is not a valid value/],
    ['a date that does not exist', 'changes/account_id=222222222222/table_name=Orders/dt=2026-02-30/x.parquet', /dt "2026-02-30" is not a calendar date/],
    ['a folder marker, not an object', 'changes/account_id=222222222222/table_name=Orders/dt=2026-12-01/', /is not changes\//],
  ])('refuses a key %s, naming what is wrong', (_what, key, message) => {
    expect(() => partitionOfObjectKey(key)).toThrow(message);
  });
});

describe('partitionOfMessage', () => {
  test('gives the same partition whether EventBridge sends the key as is or URL-encoded', () => {
    fc.assert(
      fc.property(partitionValues, (values) => {
        const key = `${partitionPath(values)}ddb-audit-1-2026-12-01-10-00-00-1b2c.parquet`;
        expect(partitionOfMessage(eventFor(key), settings)).toEqual(values);
        expect(partitionOfMessage(eventFor(encodeURIComponent(key)), settings)).toEqual(values);
        expect(partitionOfMessage(eventFor(key.replace(/=/g, '%3D')), settings)).toEqual(values);
      }),
    );
  });

  test.each([
    ['not JSON', '{', /^message body is not JSON/],
    ['another event type', eventFor(event.detail.object.key, (e) => (e['detail-type'] = 'Object Deleted')), /is not an S3 "Object Created" event/],
    ['another bucket', eventFor(event.detail.object.key, (e) => (e.detail.bucket.name = 'elsewhere')), /event is for bucket "elsewhere", not the change-log bucket "ddb-audit-change-log"/],
    ['a malformed %-escape', eventFor('changes/account_id=222222222222/table_name=Orders/dt=2026-12-01/%E0%A4%A.parquet'), /has a malformed %-escape/],
    ['an encoded key that decodes to a bad value', eventFor('changes/account_id%3D222222222222/table_name%3DOr%2Fders/dt%3D2026-12-01/x.parquet'), /is not changes\//],
  ])('refuses %s with a one-line PartitionEventError', (_what, body, message) => {
    expect(() => partitionOfMessage(body, settings)).toThrow(message);
    try {
      partitionOfMessage(body, settings);
    } catch (err) {
      expect((err as Error).name).toBe('PartitionEventError');
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('registerPartitions', () => {
  test('registers each distinct partition once, in calls of at most 100', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(partitionValues, { minLength: 1, maxLength: 350 }), async (partitions) => {
        // Prepare: repeats of the same partitions, as redelivered events bring them.
        const { catalog, registered, calls } = memoryCatalog();
        const distinct = new Set(partitions.map(partitionId));
        // Act
        const result = await registerPartitions([...partitions, ...partitions.slice(0, 10)], catalog);
        // Assess
        expect(calls.every((c) => c.length >= 1 && c.length <= BATCH_CREATE_PARTITION_MAX)).toBe(true);
        expect(calls).toHaveLength(Math.ceil(distinct.size / BATCH_CREATE_PARTITION_MAX));
        expect(calls.flat().map(partitionId).sort()).toEqual([...distinct].sort());
        expect(new Set(registered)).toEqual(distinct);
        expect(result.created).toHaveLength(distinct.size);
        expect(result.failed).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  test('is idempotent: a second run over the same partitions creates nothing and fails nothing', async () => {
    const { catalog } = memoryCatalog();
    const partitions = [{ account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' }, { account_id: 'unknown', table_name: 'unknown', dt: '2026-12-01' }];
    await registerPartitions(partitions, catalog);
    const again = await registerPartitions(partitions, catalog);
    expect(again).toEqual({ created: [], alreadyRegistered: partitions, failed: [] });
  });

  test('treats a whole-call AlreadyExistsException as "some exist" and settles them one by one', async () => {
    // Prepare: one of three exists; the call as a whole refuses, without saying which.
    const existing = { account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' };
    const { catalog, registered } = memoryCatalog({ throwOnCall: (n, ps) => (n === 1 && ps.length > 1 ? Object.assign(new Error('Partition already exists.'), { name: ALREADY_EXISTS }) : undefined) });
    registered.add(partitionId(existing));
    const others = [{ ...existing, dt: '2026-12-02' }, { ...existing, table_name: 'Payments' }];
    // Act
    const result = await registerPartitions([existing, ...others], catalog);
    // Assess
    expect(result.alreadyRegistered).toEqual([existing]);
    expect(result.created).toEqual(others);
    expect(result.failed).toEqual([]);
  });

  test('fails only the partitions Glue refuses, and every partition of a call that throws', async () => {
    const { catalog } = memoryCatalog({ refuse: (p) => (p.table_name === 'Refused' ? 'InvalidInputException' : undefined), throwOnCall: (n) => (n === 2 ? Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) : undefined) });
    const first = Array.from({ length: BATCH_CREATE_PARTITION_MAX }, (_, i) => ({ account_id: '222222222222', table_name: i === 7 ? 'Refused' : `Table${i}`, dt: '2026-12-01' }));
    const second = [{ account_id: '333333333333', table_name: 'Late', dt: '2026-12-01' }];
    const result = await registerPartitions([...first, ...second], catalog);
    expect(result.created).toHaveLength(BATCH_CREATE_PARTITION_MAX - 1);
    expect(result.failed).toEqual([
      { partition: first[7], errorCode: 'InvalidInputException', message: 'InvalidInputException for Refused' },
      { partition: second[0], errorCode: 'ThrottlingException', message: 'Rate exceeded' },
    ]);
  });
});

describe('processPartitionBatch', () => {
  const orders = 'changes/account_id=222222222222/table_name=Orders/dt=2026-12-01/';
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const logger = { info: () => undefined, error: (message: string, fields: Record<string, unknown>) => void lines.push({ message, fields }) };
  beforeEach(() => (lines.length = 0));

  test('registers the partitions of a batch once each, whatever the number of objects', async () => {
    const { catalog, calls } = memoryCatalog();
    const messages = [
      { messageId: 'a', body: eventFor(`${orders}1.parquet`) },
      { messageId: 'b', body: eventFor(`${orders}2.parquet`) },
      { messageId: 'c', body: eventFor(`${orders}1.parquet`) }, // a duplicate delivery
      { messageId: 'd', body: eventFor('changes/account_id=unknown/table_name=unknown/dt=2026-12-01/3.parquet') },
    ];
    const result = await processPartitionBatch(messages, { settings, catalog, logger: silent });
    expect(calls).toEqual([[{ account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' }, { account_id: 'unknown', table_name: 'unknown', dt: '2026-12-01' }]]);
    expect(result).toEqual({ batchItemFailures: [], outcomes: { created: 2, alreadyRegistered: 0, known: 0, failed: 0, refused: 0 } });
  });

  test('a partition Glue already has is a success: redelivered events change and fail nothing', async () => {
    const { catalog } = memoryCatalog();
    const messages = [{ messageId: 'a', body: eventFor(`${orders}1.parquet`) }];
    await processPartitionBatch(messages, { settings, catalog, logger: silent });
    const again = await processPartitionBatch(messages, { settings, catalog, logger: silent });
    expect(again).toEqual({ batchItemFailures: [], outcomes: { created: 0, alreadyRegistered: 1, known: 0, failed: 0, refused: 0 } });
  });

  test('a malformed message or a refused partition fails only its own messages, never the others', async () => {
    // Prepare: a good partition, a message that is not an event, and a partition Glue refuses (two messages).
    const refusedKey = 'changes/account_id=222222222222/table_name=Refused/dt=2026-12-01/';
    const { catalog, registered } = memoryCatalog({ refuse: (p) => (p.table_name === 'Refused' ? 'AccessDeniedException' : undefined) });
    const messages = [
      { messageId: 'good', body: eventFor(`${orders}1.parquet`) },
      { messageId: 'junk', body: '{"not":"an event"}' },
      { messageId: 'refused-1', body: eventFor(`${refusedKey}1.parquet`) },
      { messageId: 'refused-2', body: eventFor(`${refusedKey}2.parquet`) },
    ];
    // Act
    const result = await processPartitionBatch(messages, { settings, catalog, logger });
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'junk' }, { itemIdentifier: 'refused-1' }, { itemIdentifier: 'refused-2' }]);
    expect(result.outcomes).toEqual({ created: 1, alreadyRegistered: 0, known: 0, failed: 1, refused: 1 });
    expect(registered.has(partitionId({ account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' }))).toBe(true);
    expect(lines.map((l) => [l.message, l.fields.errorName])).toEqual([
      [PARTITION_FAILURE_LOG_MESSAGE, 'PartitionEventError'],
      [PARTITION_FAILURE_LOG_MESSAGE, 'AccessDeniedException'],
    ]);
    expect(lines[1]?.fields.messageIds).toEqual(['refused-1', 'refused-2']);
  });

  test('an instance sends a partition it saw registered no more, and forgets the oldest past its limit', async () => {
    // Prepare
    const { catalog, calls } = memoryCatalog();
    const known = new KnownPartitions(2);
    const batch = (key: string) => [{ messageId: key, body: eventFor(`${key}x.parquet`) }];
    const other = 'changes/account_id=unknown/table_name=unknown/dt=2026-12-01/';
    const third = 'changes/account_id=unknown/table_name=unknown/dt=2026-12-02/';
    // Act: the same partition twice, then two others (the first is forgotten), then the first again.
    await processPartitionBatch(batch(orders), { settings, catalog, logger: silent, known });
    const again = await processPartitionBatch(batch(orders), { settings, catalog, logger: silent, known });
    await processPartitionBatch(batch(other), { settings, catalog, logger: silent, known });
    await processPartitionBatch(batch(third), { settings, catalog, logger: silent, known });
    const forgotten = await processPartitionBatch(batch(orders), { settings, catalog, logger: silent, known });
    // Assess
    expect(again.outcomes).toMatchObject({ known: 1, created: 0, alreadyRegistered: 0 });
    expect(calls).toHaveLength(4);
    expect(forgotten.outcomes).toMatchObject({ known: 0, alreadyRegistered: 1 });
    expect(known.size).toBe(2);
  });

  test('remembers only what Glue confirmed: a refused partition is sent again', async () => {
    const { catalog, calls } = memoryCatalog({ refuse: () => 'InternalServiceException' });
    const known = new KnownPartitions();
    const messages = [{ messageId: 'a', body: eventFor(`${orders}1.parquet`) }];
    await processPartitionBatch(messages, { settings, catalog, logger: silent, known });
    const again = await processPartitionBatch(messages, { settings, catalog, logger: silent, known });
    expect(again.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(calls).toHaveLength(2);
    expect(known.size).toBe(0);
  });

  test('when the Glue call itself fails, every message of the batch is returned for redelivery', async () => {
    const { catalog } = memoryCatalog({ throwOnCall: () => Object.assign(new Error('Service unavailable'), { name: 'InternalServiceException' }) });
    const messages = [{ messageId: 'a', body: eventFor(`${orders}1.parquet`) }, { messageId: 'b', body: eventFor('changes/account_id=unknown/table_name=unknown/dt=2026-12-01/3.parquet') }];
    const result = await processPartitionBatch(messages, { settings, catalog, logger: silent });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
  });
});

describe('gluePartitionCatalog', () => {
  // aws-sdk-client-mock: no local Glue peer exists to run BatchCreatePartition against.
  const glue = mockClient(GlueClient);
  afterAll(() => glue.restore());

  test('sends one BatchCreatePartition for the table and maps its per-partition Errors', async () => {
    glue.reset();
    glue.on(BatchCreatePartitionCommand).resolves({ Errors: [{ PartitionValues: ['222222222222', 'Orders', '2026-12-01'], ErrorDetail: { ErrorCode: ALREADY_EXISTS, ErrorMessage: 'Partition already exists.' } }] });
    const catalog = gluePartitionCatalog(new GlueClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), { database: 'ddb_audit', table: 'audit_changes', bucket: 'ddb-audit-change-log' });
    const errors = await catalog.createPartitions([{ account_id: '222222222222', table_name: 'Orders', dt: '2026-12-01' }]);
    expect(errors).toEqual([{ values: ['222222222222', 'Orders', '2026-12-01'], errorCode: ALREADY_EXISTS, message: 'Partition already exists.' }]);
    const input = glue.commandCalls(BatchCreatePartitionCommand)[0]!.args[0].input;
    expect(input.DatabaseName).toBe('ddb_audit');
    expect(input.TableName).toBe('audit_changes');
    expect(input.PartitionInputList?.[0]?.StorageDescriptor?.Location).toBe('s3://ddb-audit-change-log/changes/account_id=222222222222/table_name=Orders/dt=2026-12-01/');
  });

  test('refuses more than 100 partitions in one call rather than sending what Glue rejects', async () => {
    const catalog = gluePartitionCatalog(new GlueClient({ region: 'eu-west-1' }), { database: 'd', table: 't', bucket: 'b' });
    const many = Array.from({ length: 101 }, (_, i) => ({ account_id: 'unknown', table_name: `Table${i}`, dt: '2026-12-01' }));
    await expect(catalog.createPartitions(many)).rejects.toThrow('createPartitions takes 1 to 100 partitions, got 101');
  });
});

describe('readPartitionSettings', () => {
  test('fails the cold start naming a missing variable', () => {
    expect(() => readPartitionSettings({ CHANGE_LOG_BUCKET: 'b', GLUE_DATABASE: 'd' })).toThrow('environment variable GLUE_TABLE is required but not set');
    expect(readPartitionSettings({ CHANGE_LOG_BUCKET: 'b', GLUE_DATABASE: 'd', GLUE_TABLE: 't' })).toEqual({ bucket: 'b', database: 'd', table: 't' });
  });
});
