/**
 * Hourly digests over a local change-log folder (objects with chosen delivery times), and
 * `verifyLog` finding each kind of tampering: a modified, deleted or inserted object, a deleted,
 * altered, unsigned or foreign-signed digest.
 */
import { createPublicKey } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestKey, DigestDocument, HOUR_MS, parseDigest, serializeDigest } from '../../lambda/digest/digest-format';
import { LocalFolderStore } from '../../lambda/digest/local-store';
import { sha256Hex } from '../../lambda/digest/sha256';
import { ed25519Signer, generateEd25519KeyPair, Signer } from '../../lambda/digest/signing';
import type { ObjectStore } from '../../lambda/digest/store';
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { verifyLog } from '../../cli/log/verify-log';
import { partitionKey, placeObject } from '../support/change-log-folder';
import { captureIo } from '../support/capture-io';
import { run as log } from '../../bin/commands/log';

const NOW = new Date('2026-03-02T00:20:00Z');
const H = (iso: string) => Date.parse(iso);
const signingPair = generateEd25519KeyPair();
const signer: Signer = ed25519Signer(signingPair.privateKeyPem);
const pinnedKey = createPublicKey(signer.publicKeyPem);

let root: string;
let store: LocalFolderStore;

/** Objects in hours 20, 21 and 23 of 2026-03-01; hour 22 delivers nothing. */
const OBJECTS = [
  { key: partitionKey('2026-03-01', 'a'), at: '2026-03-01T20:05:00Z' },
  { key: partitionKey('2026-03-01', 'b'), at: '2026-03-01T20:59:59.999Z' },
  { key: partitionKey('2026-02-28', 'c', '111122223333', 'Customers'), at: '2026-03-01T21:00:00Z' },
  { key: partitionKey('2026-03-01', 'd'), at: '2026-03-01T23:30:00Z' },
];

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'digest-'));
  store = new LocalFolderStore(root);
  for (const o of OBJECTS) placeObject(root, o);
  await writeDueDigests({ store, signer, now: NOW });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const readDigest = (hourIso: string): DigestDocument => parseDigest(readFileSync(join(root, digestKey(H(hourIso)))));
const verify = (overrides: Partial<Parameters<typeof verifyLog>[0]> = {}) => verifyLog({ store, fromMs: H('2026-03-01T00:00:00Z'), toMs: H('2026-03-01T23:00:00Z'), now: NOW, pinnedKey, ...overrides });

describe('writeDueDigests', () => {
  test('writes one digest per hour from the first delivery to the last settled hour, empty hours included', () => {
    expect(readDigest('2026-03-01T20:00:00Z').objects.map((o) => o.key)).toEqual([OBJECTS[0]!.key, OBJECTS[1]!.key]);
    expect(readDigest('2026-03-01T21:00:00Z').objects.map((o) => o.key)).toEqual([OBJECTS[2]!.key]);
    expect(readDigest('2026-03-01T22:00:00Z')).toMatchObject({ object_count: 0, objects: [] });
    expect(readDigest('2026-03-01T23:00:00Z').objects.map((o) => o.key)).toEqual([OBJECTS[3]!.key]);
    // 00:00 ended 20 minutes ago, less than the settle time: not digested yet.
    expect(() => readFileSync(join(root, digestKey(H('2026-03-02T00:00:00Z'))))).toThrow();
  });

  test('lists each object with its size and SHA-256, and chains each digest to the exact bytes of the one before', () => {
    const first = readDigest('2026-03-01T20:00:00Z');
    const body = readFileSync(join(root, OBJECTS[0]!.key));
    expect(first.previous_digest).toBeNull();
    expect(first.objects[0]).toEqual({ key: OBJECTS[0]!.key, size: body.length, sha256: sha256Hex(body), last_modified: '2026-03-01T20:05:00.000Z', late: false, object_lock_mode: null, object_lock_retain_until: null });
    for (const [prev, next] of [['20', '21'], ['21', '22'], ['22', '23']]) {
      const prevKey = digestKey(H(`2026-03-01T${prev}:00:00Z`));
      expect(readDigest(`2026-03-01T${next}:00:00Z`).previous_digest).toEqual({ key: prevKey, sha256: sha256Hex(readFileSync(join(root, prevKey))) });
    }
  });

  test('a second run writes nothing new; an hour later it writes exactly the next hour, continuing the chain', async () => {
    expect((await writeDueDigests({ store, signer, now: NOW })).written).toEqual([]);
    const later = await writeDueDigests({ store, signer, now: new Date(NOW.getTime() + HOUR_MS) });
    expect(later.written.map((w) => w.key)).toEqual([digestKey(H('2026-03-02T00:00:00Z'))]);
    expect(later.undigestedHours).toBe(0);
    expect(readDigest('2026-03-02T00:00:00Z').previous_digest?.key).toBe(digestKey(H('2026-03-01T23:00:00Z')));
  });

  test('an object arriving after its hour was digested is listed, marked late, by the next digest, and verifies', async () => {
    const late = { key: partitionKey('2026-03-01', 'late'), at: '2026-03-01T21:45:00Z' };
    placeObject(root, late);
    await writeDueDigests({ store, signer, now: new Date(NOW.getTime() + HOUR_MS) });
    expect(readDigest('2026-03-02T00:00:00Z').objects).toEqual([expect.objectContaining({ key: late.key, late: true, last_modified: '2026-03-01T21:45:00.000Z' })]);
    const result = await verify({ toMs: H('2026-03-02T00:00:00Z'), now: new Date(NOW.getTime() + HOUR_MS) });
    expect(result.findings).toEqual([]);
  });

  test('stops at the deadline and reports the hours left for the next run', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'digest-deadline-'));
    placeObject(fresh, OBJECTS[0]!);
    const result = await writeDueDigests({ store: new LocalFolderStore(fresh), signer, now: NOW, deadlineMs: Date.now() - 1 });
    expect(result).toMatchObject({ written: [], undigestedHours: 4 });
    rmSync(fresh, { recursive: true, force: true });
  });

  test('refuses to extend the chain from a newest digest whose signature does not verify', async () => {
    appendFileSync(join(root, digestKey(H('2026-03-01T23:00:00Z'))), ' ');
    await expect(writeDueDigests({ store, signer, now: new Date(NOW.getTime() + HOUR_MS) })).rejects.toThrow(
      'newest digest digests/2026/03/01/23.json does not match its signature; refusing to extend the chain from it',
    );
  });
});

describe('verifyLog', () => {
  test('finds nothing wrong in an intact log and checks every digest and object', async () => {
    const result = await verify();
    expect(result.findings).toEqual([]);
    expect(result).toMatchObject({ digestsChecked: 4, objectsChecked: 4, hoursBeforeChain: 20, signingKeys: [expect.stringMatching(/^[0-9a-f]{64}$/)], pinned: true });
  });

  test('reports a changed Parquet object under a digest, naming the object and the digest', async () => {
    const path = join(root, OBJECTS[2]!.key);
    const bytes = readFileSync(path);
    bytes[100] = (bytes[100] as number) ^ 1;
    writeFileSync(path, bytes);
    // Keep the delivery time, as a careful tamperer would: the content alone must give it away.
    utimesSync(path, new Date(OBJECTS[2]!.at), new Date(OBJECTS[2]!.at));
    const { findings } = await verify();
    expect(findings).toEqual([{ kind: 'modified-object', key: OBJECTS[2]!.key, detail: expect.stringContaining(`${digestKey(H('2026-03-01T21:00:00Z'))} recorded ${bytes.length} bytes with SHA-256`) }]);
  });

  test('reports a deleted object', async () => {
    unlinkSync(join(root, OBJECTS[0]!.key));
    expect((await verify()).findings).toEqual([{ kind: 'deleted-object', key: OBJECTS[0]!.key, detail: expect.stringContaining(`listed in ${digestKey(H('2026-03-01T20:00:00Z'))}`) }]);
  });

  test('reports an inserted object that no digest lists', async () => {
    const inserted = { key: partitionKey('2026-03-01', 'inserted'), at: '2026-03-01T22:10:00Z' };
    placeObject(root, inserted);
    expect((await verify()).findings).toEqual([{ kind: 'inserted-object', key: inserted.key, detail: 'delivered 2026-03-01T22:10:00.000Z but listed in no digest' }]);
  });

  test('reports a deleted digest as missing, once, with the objects of its hour it leaves unchecked', async () => {
    unlinkSync(join(root, digestKey(H('2026-03-01T21:00:00Z'))));
    const { findings } = await verify();
    expect(findings).toEqual([{ kind: 'missing-digest', key: digestKey(H('2026-03-01T21:00:00Z')), detail: 'no digest for hour 2026-03-01T21:00Z; 1 object(s) delivered in that hour cannot be checked' }]);
  });

  test('reports the newest digest as missing when it was deleted after its hour was due', async () => {
    unlinkSync(join(root, digestKey(H('2026-03-01T23:00:00Z'))));
    const { findings } = await verify();
    expect(findings).toEqual([{ kind: 'missing-digest', key: digestKey(H('2026-03-01T23:00:00Z')), detail: 'no digest for hour 2026-03-01T23:00Z; 1 object(s) delivered in that hour cannot be checked' }]);
  });

  test('reports an altered digest: its signature fails and the next digest\'s link breaks', async () => {
    const key = digestKey(H('2026-03-01T20:00:00Z'));
    const doc = readDigest('2026-03-01T20:00:00Z');
    writeFileSync(join(root, key), serializeDigest({ ...doc, objects: doc.objects.slice(1), object_count: 1 }));
    const kinds = (await verify()).findings.map((f) => `${f.kind} ${f.key}`);
    expect(kinds).toEqual([`bad-signature ${key}`, `broken-chain ${digestKey(H('2026-03-01T21:00:00Z'))}`, `inserted-object ${OBJECTS[0]!.key}`]);
  });

  test('reports a digest re-signed with another key when the key is pinned', async () => {
    const forger = ed25519Signer(generateEd25519KeyPair().privateKeyPem);
    const forgedRoot = mkdtempSync(join(tmpdir(), 'digest-forged-'));
    for (const o of OBJECTS) placeObject(forgedRoot, o);
    const forgedStore = new LocalFolderStore(forgedRoot);
    await writeDueDigests({ store: forgedStore, signer: forger, now: NOW });
    expect((await verifyLog({ store: forgedStore, fromMs: H('2026-03-01T20:00:00Z'), toMs: H('2026-03-01T23:00:00Z'), now: NOW })).findings).toEqual([]);
    const pinned = await verifyLog({ store: forgedStore, fromMs: H('2026-03-01T20:00:00Z'), toMs: H('2026-03-01T23:00:00Z'), now: NOW, pinnedKey });
    expect(pinned.findings).toHaveLength(4);
    expect(pinned.findings[0]).toEqual({ kind: 'bad-signature', key: digestKey(H('2026-03-01T20:00:00Z')), detail: expect.stringMatching(/^signed by key [0-9a-f]{64}, not the pinned key [0-9a-f]{64}$/) });
    rmSync(forgedRoot, { recursive: true, force: true });
  });

  test('reports a digest whose signature object was removed', async () => {
    const key = digestKey(H('2026-03-01T22:00:00Z'));
    unlinkSync(join(root, `${key}.sig`));
    expect((await verify()).findings).toEqual([{ kind: 'missing-signature', key, detail: `no signature object ${key}.sig` }]);
  });

  test('an object placed before the first digest\'s hour is reported as inserted, not skipped', async () => {
    const backdated = { key: partitionKey('2026-03-01', 'backdated'), at: '2026-03-01T10:00:00Z' };
    placeObject(root, backdated);
    expect((await verify()).findings).toEqual([{ kind: 'inserted-object', key: backdated.key, detail: 'delivered 2026-03-01T10:00:00.000Z but listed in no digest (before the chain of digests starts)' }]);
  });

  test('an object whose mtime was set back into a checked hour is reported as inserted', async () => {
    const path = join(root, OBJECTS[3]!.key);
    utimesSync(path, new Date('2026-03-01T20:30:00Z'), new Date('2026-03-01T20:30:00Z'));
    const replay = { key: partitionKey('2026-03-01', 'replayed'), at: '2026-03-01T20:30:00Z' };
    placeObject(root, replay);
    expect((await verify()).findings.map((f) => `${f.kind} ${f.key}`)).toEqual([`inserted-object ${replay.key}`]);
  });
});

describe('a digest left unsigned by a run that failed between its two writes', () => {
  const NEXT = new Date(NOW.getTime() + HOUR_MS);
  const LATER = new Date(NOW.getTime() + 2 * HOUR_MS);
  const unsignedKey = digestKey(H('2026-03-02T00:00:00Z'));

  /** The store, except that the next signature write fails (a throttled or interrupted run). */
  function failingOnceAtSignature(): ObjectStore {
    let failed = false;
    return Object.assign(Object.create(store) as ObjectStore, {
      create: async (key: string, bytes: Buffer, contentType: string) => {
        if (!failed && key.endsWith('.sig')) {
          failed = true;
          throw new Error('EIO: signature write failed');
        }
        return (store as ObjectStore).create(key, bytes, contentType);
      },
    });
  }

  beforeEach(async () => {
    placeObject(root, { key: partitionKey('2026-03-02', 'e'), at: '2026-03-02T00:10:00Z' });
    await expect(writeDueDigests({ store: failingOnceAtSignature(), signer, now: NEXT })).rejects.toThrow('EIO: signature write failed');
  });

  test('verify reports it until a run signs it', async () => {
    expect((await verify({ toMs: H('2026-03-02T00:00:00Z'), now: NEXT })).findings).toEqual([{ kind: 'missing-signature', key: unsignedKey, detail: `no signature object ${unsignedKey}.sig` }]);
  });

  test('the next run checks it, signs exactly its bytes, says so and goes on; the whole chain then verifies', async () => {
    const before = readFileSync(join(root, unsignedKey));
    const result = await writeDueDigests({ store, signer, now: LATER });
    expect(result.recoveredSignatures).toEqual([unsignedKey]);
    expect(result.written.map((w) => w.key)).toEqual([digestKey(H('2026-03-02T01:00:00Z'))]);
    expect(readFileSync(join(root, unsignedKey)).equals(before)).toBe(true);
    expect(readDigest('2026-03-02T01:00:00Z').previous_digest).toEqual({ key: unsignedKey, sha256: sha256Hex(before) });
    expect((await verify({ toMs: H('2026-03-02T01:00:00Z'), now: LATER })).findings).toEqual([]);
    // And a run after that has nothing left to recover.
    expect((await writeDueDigests({ store, signer, now: LATER })).recoveredSignatures).toEqual([]);
  });

  const unsigned = (): DigestDocument => parseDigest(readFileSync(join(root, unsignedKey)));
  test.each<[string, (d: DigestDocument) => DigestDocument, string]>([
    ['lists an object whose bytes differ', (d) => ({ ...d, objects: d.objects.map((o) => ({ ...o, sha256: '0'.repeat(64) })) }), `it lists ${partitionKey('2026-03-02', 'e')} with SHA-256 ${'0'.repeat(64)}, but the object now hashes to`],
    ['lists an object that does not exist', (d) => ({ ...d, objects: [...d.objects, { ...d.objects[0]!, key: partitionKey('2026-03-02', 'ghost') }], object_count: 2, total_bytes: d.total_bytes * 2 }), `it lists ${partitionKey('2026-03-02', 'ghost')}, which does not exist`],
    ['links to other bytes than the digest before it', (d) => ({ ...d, previous_digest: { key: d.previous_digest!.key, sha256: '0'.repeat(64) } }), 'does not match digests/2026/03/01/23.json'],
    ['names another signing key', (d) => ({ ...d, signing: { ...d.signing, public_key_sha256: 'f'.repeat(64) } }), `it names signing key ${'f'.repeat(64)}`],
    ['claims another hour', (d) => ({ ...d, hour_start: '2026-03-01T05:00:00.000Z' }), 'it claims hour 2026-03-01T05:00:00.000Z'],
  ])('refuses to sign it when it %s, naming what is wrong', async (_what, alter, reason) => {
    writeFileSync(join(root, unsignedKey), serializeDigest(alter(unsigned())));
    const run = writeDueDigests({ store, signer, now: LATER });
    await expect(run).rejects.toThrow(`newest digest ${unsignedKey} has no signature (${unsignedKey}.sig) and cannot be signed now: `);
    await expect(writeDueDigests({ store, signer, now: LATER })).rejects.toThrow(reason);
    expect(() => readFileSync(join(root, `${unsignedKey}.sig`))).toThrow();
  });
});

describe('log digest output', () => {
  test('an object key with control characters is escaped in its one-line error, never printed raw', async () => {
    const evil = partitionKey('2026-03-02', 'x\u001b\u009b2K\rwrote 1 digest(s)');
    placeObject(root, { key: evil, at: '2026-03-02T00:10:00Z' });
    const keyFile = join(root, '..', `${root.split('/').pop()}-key.pem`);
    writeFileSync(keyFile, signingPair.privateKeyPem);
    try {
      // The run writes the 00:00 digest listing the object; then the object changes and the signature write is lost.
      const unsigned = digestKey(H('2026-03-02T00:00:00Z'));
      await writeDueDigests({ store, signer, now: new Date(NOW.getTime() + HOUR_MS) });
      unlinkSync(join(root, `${unsigned}.sig`));
      appendFileSync(join(root, ...evil.split('/')), 'x');
      const io = captureIo({ cwd: root });
      expect(await log(['digest', '--data', root, '--sign-key', keyFile], io)).toBe(1);
      const err = io.err.join('');
      expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(err).toContain('x\\x1b\\x9b2K\\x0dwrote 1 digest(s).parquet with SHA-256');
    } finally {
      rmSync(keyFile, { force: true });
    }
  });
});

describe('Object Lock retention in a local folder', () => {
  test('digests record null retention (a folder has no Object Lock), which verify does not report unless asked', async () => {
    expect(readDigest('2026-03-01T20:00:00Z').objects.map((o) => [o.object_lock_mode, o.object_lock_retain_until])).toEqual([[null, null], [null, null]]);
    expect(await verify()).toMatchObject({ findings: [], objectLockRequired: false });
    const required = await verify({ requireObjectLock: true });
    expect(required.findings.map((f) => `${f.kind} ${f.key}`)).toEqual(OBJECTS.map((o) => `unlocked-object ${o.key}`));
  });
});

describe('parseDigest and retention fields', () => {
  const doc = () => readDigest('2026-03-01T20:00:00Z');
  const parse = (d: unknown) => () => parseDigest(Buffer.from(JSON.stringify(d)));
  test('accepts entries without them (digests written before retention was recorded) and well-formed ones', () => {
    const d = doc();
    expect(parse({ ...d, objects: d.objects.map(({ object_lock_mode: _m, object_lock_retain_until: _u, ...rest }) => rest) })).not.toThrow();
    expect(parse({ ...d, objects: d.objects.map((o) => ({ ...o, object_lock_mode: 'COMPLIANCE', object_lock_retain_until: '2033-01-01T00:00:00.000Z' })) })).not.toThrow();
  });
  test.each([
    [{ object_lock_mode: 'COMPLIANCE' }, 'objects[0] has only one of object_lock_mode and object_lock_retain_until'],
    [{ object_lock_mode: 'LOCKED', object_lock_retain_until: '2033-01-01T00:00:00Z' }, 'objects[0] object_lock_mode is "LOCKED", expected GOVERNANCE, COMPLIANCE or null'],
    [{ object_lock_mode: 'GOVERNANCE', object_lock_retain_until: null }, 'objects[0] object_lock_retain_until is null, expected an ISO-8601 time when object_lock_mode is set'],
  ])('rejects malformed retention %j', (fields, message) => {
    const d = doc();
    const { object_lock_mode: _m, object_lock_retain_until: _u, ...first } = d.objects[0]!;
    expect(parse({ ...d, objects: [{ ...first, ...fields }] })).toThrow(message);
  });
});
