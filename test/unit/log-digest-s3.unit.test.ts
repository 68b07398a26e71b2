/**
 * The digest Lambda's path in AWS: the handler, S3Store and the KMS signer, against an in-memory
 * bucket and key. No local S3 or KMS peer exists, so aws-sdk-client-mock answers the SDK calls:
 * ListObjectsV2 in pages of two, GetObject as a byte stream, PutObject honouring If-None-Match,
 * and KMS Sign through OpenSSL with a real P-256 key (ECDSA over the digest it is sent, as KMS).
 * The arrivals ledger is the real DynamoDB ledger over a mocked DynamoDB (no local peer either):
 * every delivered object is recorded in it, as the arrivals function does from its S3 event.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { digestKey, floorHour, HOUR_MS, parseDigest } from '../../lambda/digest/digest-format';
import { S3Store } from '../../lambda/digest/s3-store';
import { ObjectExistsError } from '../../lambda/digest/store';
import { DIGEST_ENV, DIGEST_METRIC } from '../../lambda/digest/telemetry';
import { sha256Hex } from '../../lambda/digest/sha256';
import { ed25519Signer, generateEd25519KeyPair, publicKeyFingerprint } from '../../lambda/digest/signing';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { verifyLog } from '../../cli/log/verify-log';

const BUCKET = 'audit-change-log';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/digest-key';
const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const dynamodb = mockClient(DynamoDBClient);
const ARRIVALS_TABLE = 'digest-arrivals';
/** The ledger table's items by hour partition. */
const ledgerItems = new Map<string, Record<string, any>[]>();
/** retention: what GetObject reports as ObjectLockMode/ObjectLockRetainUntilDate (absent: none). */
const objects = new Map<string, { body: Buffer; lastModified: Date; retention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; until: Date } }>();
const work = mkdtempSync(join(tmpdir(), 'digest-s3-'));
const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const privateFile = join(work, 'kms-private.pem');
writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));

function fakeBucket(): void {
  objects.clear();
  s3.reset();
  s3.on(ListObjectsV2Command).callsFake((input) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = Number(input.ContinuationToken ?? 0);
    const page = keys.slice(start, start + 2);
    const more = start + 2 < keys.length;
    return { Contents: page.map((Key) => ({ Key, Size: objects.get(Key)!.body.length, LastModified: objects.get(Key)!.lastModified })), IsTruncated: more, NextContinuationToken: more ? String(start + 2) : undefined };
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const found = objects.get(input.Key);
    if (!found) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return {
      Body: Readable.from([found.body.subarray(0, 7), found.body.subarray(7)]),
      ContentLength: found.body.length,
      LastModified: found.lastModified,
      ...(found.retention ? { ObjectLockMode: found.retention.mode, ObjectLockRetainUntilDate: found.retention.until } : {}),
    };
  });
  s3.on(PutObjectCommand).callsFake((input) => {
    if (input.IfNoneMatch === '*' && objects.has(input.Key)) {
      throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
    }
    objects.set(input.Key, { body: Buffer.from(input.Body as Uint8Array), lastModified: new Date() });
    return { ETag: '"x"' };
  });
  ledgerItems.clear();
  dynamodb.reset();
  dynamodb.on(PutItemCommand).callsFake((input) => {
    const hour = input.Item.hour.S as string;
    const items = (ledgerItems.get(hour) ?? []).filter((i) => i.key.S !== input.Item.key.S);
    ledgerItems.set(hour, [...items, input.Item]);
    return {};
  });
  dynamodb.on(QueryCommand).callsFake((input) => ({ Items: ledgerItems.get(input.ExpressionAttributeValues[':h'].S) ?? [] }));
  // The ledger was deployed long before these tests' hours.
  dynamodb.on(DescribeTableCommand).resolves({ Table: { CreationDateTime: new Date('2020-01-01T00:00:00Z') } });
  kms.reset();
  kms.on(GetPublicKeyCommand).resolves({ KeyId: KEY_ARN, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PublicKey: pair.publicKey.export({ type: 'spki', format: 'der' }) });
  kms.on(SignCommand).callsFake((input) => ({ KeyId: KEY_ARN, SigningAlgorithm: 'ECDSA_SHA_256', Signature: execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', privateFile], { input: Buffer.from(input.Message) }) }));
}

const RETAIN_UNTIL = new Date('2033-03-01T00:00:00Z');
/** A delivered object, locked as per-object retention leaves it seconds after delivery unless `retention` says otherwise. */
function deliver(key: string, at: Date, retention: { mode: 'GOVERNANCE' | 'COMPLIANCE'; until: Date } | null = { mode: 'COMPLIANCE', until: RETAIN_UNTIL }): void {
  objects.set(key, { body: Buffer.concat([Buffer.from('PAR1'), randomBytes(1000), Buffer.from('PAR1')]), lastModified: at, ...(retention ? { retention } : {}) });
  // Its S3 event, recorded by the arrivals function right after delivery.
  const hour = at.toISOString().slice(0, 13);
  ledgerItems.set(hour, [...(ledgerItems.get(hour) ?? []), { hour: { S: hour }, key: { S: key }, event_time: { S: at.toISOString() }, recorded_at: { S: at.toISOString() }, source: { S: 'event' } }]);
}

type DigestHandler = (event: unknown, context: Context) => Promise<{ written: number; undigestedHours: number; recoveredSignatures: string[] }>;
/** The handler reads its environment at load, as in Lambda; loaded in this registry so the SDK mocks apply. */
function loadHandler(): DigestHandler {
  process.env[DIGEST_ENV.bucket] = BUCKET;
  process.env[DIGEST_ENV.signingKeyId] = KEY_ARN;
  process.env[DIGEST_ENV.arrivalsTable] = ARRIVALS_TABLE;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.AWS_REGION = 'eu-west-1';
  return require('../../lambda/handlers/digest').handler as DigestHandler;
}

const context = { functionName: 'digest', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
const thisHour = floorHour(Date.now());

afterAll(() => {
  s3.restore();
  kms.restore();
  dynamodb.restore();
  rmSync(work, { recursive: true, force: true });
});

describe('digest Lambda over S3 with a KMS key', () => {
  beforeEach(fakeBucket);

  test('writes signed, chained digests of the settled hours that anyone can verify offline with the KMS public key', async () => {
    deliver('changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/a.parquet', new Date(thisHour - 3 * HOUR_MS + 60_000));
    deliver('changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/b.parquet', new Date(thisHour - 3 * HOUR_MS + 120_000));
    deliver('changes/account_id=111122223333/table_name=Customers/dt=2026-03-01/c.parquet', new Date(thisHour - 2 * HOUR_MS + 60_000));

    const result = await loadHandler()({}, context);

    const written = [...objects.keys()].filter((k) => /^digests\/\d{4}\//.test(k) && k.endsWith('.json'));
    expect(result.written).toBe(written.length);
    expect(result.undigestedHours).toBe(0);
    const first = parseDigest(objects.get(digestKey(thisHour - 3 * HOUR_MS))!.body);
    expect(first).toMatchObject({ previous_digest: null, object_count: 2, log_location: `s3://${BUCKET}`, signing: { algorithm: 'ECDSA_SHA_256', kms_key_id: KEY_ARN } });
    expect(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.IfNoneMatch === '*' && c.args[0].input.ChecksumAlgorithm === 'SHA256')).toBe(true);
    expect(kms.commandCalls(SignCommand).every((c) => c.args[0].input.MessageType === 'DIGEST' && c.args[0].input.SigningAlgorithm === 'ECDSA_SHA_256')).toBe(true);

    const store = new S3Store(new S3Client({ region: 'eu-west-1' }), BUCKET);
    const verify = () => verifyLog({ store, fromMs: thisHour - 3 * HOUR_MS, toMs: thisHour, now: new Date(), pinnedKey: pair.publicKey });
    expect((await verify()).findings).toEqual([]);

    const tampered = objects.get('changes/account_id=111122223333/table_name=Customers/dt=2026-03-01/c.parquet')!;
    tampered.body = Buffer.concat([tampered.body, Buffer.from('x')]);
    expect((await verify()).findings.map((f) => `${f.kind} ${f.key}`)).toEqual(['modified-object changes/account_id=111122223333/table_name=Customers/dt=2026-03-01/c.parquet']);
  });

  test('a failed signing call fails the run and leaves no digest behind', async () => {
    deliver('changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/a.parquet', new Date(thisHour - 2 * HOUR_MS));
    kms.on(SignCommand).rejects(new Error('ThrottlingException: Rate exceeded'));
    await expect(loadHandler()({}, context)).rejects.toThrow('Rate exceeded');
    expect([...objects.keys()].filter((k) => k.endsWith('.json'))).toEqual([]);
  });
});

describe('Object Lock retention, recorded by the digest and verified by log verify --bucket', () => {
  beforeEach(fakeBucket);
  const KEY_A = 'changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/a.parquet';
  const KEY_B = 'changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/b.parquet';
  const store = () => new S3Store(new S3Client({ region: 'eu-west-1' }), BUCKET);
  const verify = () => verifyLog({ store: store(), fromMs: thisHour - 3 * HOUR_MS, toMs: thisHour, now: new Date(), pinnedKey: pair.publicKey });

  test('each digest entry records the mode and retain-until date GetObject reported', async () => {
    deliver(KEY_A, new Date(thisHour - 3 * HOUR_MS + 60_000));
    deliver(KEY_B, new Date(thisHour - 3 * HOUR_MS + 120_000), { mode: 'GOVERNANCE', until: new Date('2031-01-01T00:00:00Z') });
    await loadHandler()({}, context);
    expect(parseDigest(objects.get(digestKey(thisHour - 3 * HOUR_MS))!.body).objects.map((o) => [o.key, o.object_lock_mode, o.object_lock_retain_until])).toEqual([
      [KEY_A, 'COMPLIANCE', RETAIN_UNTIL.toISOString()],
      [KEY_B, 'GOVERNANCE', '2031-01-01T00:00:00.000Z'],
    ]);
    expect((await verify()).findings).toEqual([]);
  });

  test('an object still unlocked when digested is unlocked-object, even if it was locked later', async () => {
    deliver(KEY_A, new Date(thisHour - 3 * HOUR_MS + 60_000), null);
    await loadHandler()({}, context);
    const { findings } = await verify();
    expect(findings).toEqual([{ kind: 'unlocked-object', key: KEY_A, detail: 'has no Object Lock retention now (or this identity lacks s3:GetObjectRetention, without which S3 reports none)' }]);
    objects.get(KEY_A)!.retention = { mode: 'COMPLIANCE', until: RETAIN_UNTIL };
    expect((await verify()).findings).toEqual([{ kind: 'unlocked-object', key: KEY_A, detail: expect.stringMatching(/^was not locked when digests\/.* was written .*; locked now: COMPLIANCE until 2033-03-01T00:00:00.000Z$/) }]);
  });

  test('a retain-until earlier than recorded, or a weaker mode, is unlocked-object', async () => {
    deliver(KEY_A, new Date(thisHour - 3 * HOUR_MS + 60_000));
    deliver(KEY_B, new Date(thisHour - 3 * HOUR_MS + 120_000));
    await loadHandler()({}, context);
    objects.get(KEY_A)!.retention = { mode: 'COMPLIANCE', until: new Date('2026-12-02T00:00:00Z') };
    objects.get(KEY_B)!.retention = { mode: 'GOVERNANCE', until: RETAIN_UNTIL };
    expect((await verify()).findings).toEqual([
      { kind: 'unlocked-object', key: KEY_A, detail: expect.stringContaining('retain-until is 2026-12-02T00:00:00.000Z, earlier than the 2033-03-01T00:00:00.000Z that digests/') },
      { kind: 'unlocked-object', key: KEY_B, detail: expect.stringMatching(/^mode is GOVERNANCE, weaker than the COMPLIANCE that digests\/.* recorded$/) },
    ]);
  });

  test('a digest written before retention was recorded verifies, counted as "retention not recorded"; an object unlocked now is still reported', async () => {
    // An older-format digest (no retention fields), signed by an older key whose public key the log publishes.
    const older = ed25519Signer(generateEd25519KeyPair().privateKeyPem);
    deliver(KEY_A, new Date(thisHour - 3 * HOUR_MS + 60_000));
    const body = objects.get(KEY_A)!.body;
    const hour = thisHour - 3 * HOUR_MS;
    const doc = {
      format: 'ddb-audit/log-digest/v1', hour_start: new Date(hour).toISOString(), hour_end: new Date(hour + HOUR_MS).toISOString(), created_at: new Date(hour + HOUR_MS + 900_000).toISOString(),
      log_location: `s3://${BUCKET}`, changes_prefix: 'changes/', previous_digest: null, object_count: 1, total_bytes: body.length,
      objects: [{ key: KEY_A, size: body.length, sha256: sha256Hex(body), last_modified: new Date(hour + 60_000).toISOString(), late: false }],
      signing: { algorithm: 'Ed25519', public_key_sha256: publicKeyFingerprint(older.publicKeyPem), kms_key_id: null },
    };
    const bytes = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
    objects.set(digestKey(hour), { body: bytes, lastModified: new Date() });
    objects.set(`${digestKey(hour)}.sig`, { body: await older.sign(bytes), lastModified: new Date() });
    objects.set(`digests/public-keys/${publicKeyFingerprint(older.publicKeyPem)}.pem`, { body: Buffer.from(older.publicKeyPem), lastModified: new Date() });
    const check = () => verifyLog({ store: store(), fromMs: hour, toMs: hour, now: new Date() });
    expect(await check()).toMatchObject({ findings: [], retentionNotRecorded: 1, digestsChecked: 1 });
    delete objects.get(KEY_A)!.retention;
    expect((await check()).findings.map((f) => `${f.kind} ${f.key}`)).toEqual([`unlocked-object ${KEY_A}`]);
  });
});

describe('a digest whose signature write failed', () => {
  beforeEach(fakeBucket);

  test('the next run signs it, reports it in its result and the SignaturesRecovered metric, and the chain goes on', async () => {
    deliver('changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/a.parquet', new Date(thisHour - 3 * HOUR_MS + 60_000));
    let failed = false;
    const original = objects.set.bind(objects);
    s3.on(PutObjectCommand).callsFake((input) => {
      if (!failed && String(input.Key).endsWith('.sig')) {
        failed = true;
        throw new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'We encountered an internal error. Please try again.', $metadata: { httpStatusCode: 500 } });
      }
      if (input.IfNoneMatch === '*' && objects.has(input.Key)) {
        throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
      }
      original(input.Key, { body: Buffer.from(input.Body as Uint8Array), lastModified: new Date() });
      return { ETag: '"x"' };
    });
    const handler = loadHandler();
    await expect(handler({}, context)).rejects.toThrow('internal error');
    const unsigned = digestKey(thisHour - 3 * HOUR_MS);
    expect(objects.has(unsigned)).toBe(true);
    expect(objects.has(`${unsigned}.sig`)).toBe(false);

    const metrics = jest.spyOn(Metrics.prototype, 'addMetric');
    try {
      const result = await handler({}, context);
      expect(result.recoveredSignatures).toEqual([unsigned]);
      expect(metrics).toHaveBeenCalledWith(DIGEST_METRIC.signaturesRecovered, 'Count', 1);
    } finally {
      metrics.mockRestore();
    }
    const store = new S3Store(new S3Client({ region: 'eu-west-1' }), BUCKET);
    expect((await verifyLog({ store, fromMs: thisHour - 3 * HOUR_MS, toMs: thisHour, now: new Date(), pinnedKey: pair.publicKey })).findings).toEqual([]);
  });
});

describe('S3Store', () => {
  beforeEach(fakeBucket);
  const store = () => new S3Store(new S3Client({ region: 'eu-west-1' }), BUCKET);

  test('lists every page of a prefix', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) deliver(`changes/x/${name}.parquet`, new Date());
    deliver('errors/x.json', new Date());
    expect((await store().list('changes/')).map((o) => o.key)).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `changes/x/${n}.parquet`));
  });

  test('never overwrites an existing key', async () => {
    await store().create('digests/2026/03/01/00.json', Buffer.from('first'), 'application/json');
    await expect(store().create('digests/2026/03/01/00.json', Buffer.from('second'), 'application/json')).rejects.toBeInstanceOf(ObjectExistsError);
    expect(objects.get('digests/2026/03/01/00.json')!.body.toString()).toBe('first');
  });

  test('hashes an object as a stream and answers undefined for a missing key', async () => {
    const lastModified = new Date('2026-03-01T10:11:12Z');
    objects.set('changes/k', { body: Buffer.from('hello'), lastModified });
    // LastModified comes from the same GetObject: the digest reads it for objects the arrivals ledger named.
    expect(await store().hash('changes/k')).toEqual({ sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', size: 5, retention: null, lastModified });
    expect(await store().hash('changes/missing')).toBeUndefined();
  });
});
