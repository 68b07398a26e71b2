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
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { verifyLog } from '../../cli/log/verify-log';
import { partitionKey, placeObject } from '../support/change-log-folder';

const NOW = new Date('2026-03-02T00:20:00Z');
const H = (iso: string) => Date.parse(iso);
const signer: Signer = ed25519Signer(generateEd25519KeyPair().privateKeyPem);
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
