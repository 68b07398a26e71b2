/**
 * Local `log verify` cannot be fooled by what a writer of the data folder can place there, and the
 * local query engine reads only what verify attests (issue 12, item 3):
 * - a forged Parquet object hidden in each kind of entry (hidden file, hidden folder, symbolic link
 *   to a file, symbolically linked folder, future mtime, FIFO, glob-character name) is reported by
 *   verify under that kind, and none of its rows reaches a DuckDB query (generated cases);
 * - two different versions of one change are reported as conflicting-copies, a legitimate retry is
 *   not, and de-duplication never lets processed_at choose between copies whose content differs;
 * - terminal reports escape control characters in names; JSON keeps them exact.
 * Real components only: the local folder store, the digest writer, DuckDB over real Parquet.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { floorHour, HOUR_MS } from '../../lambda/digest/digest-format';
import { LocalFolderStore } from '../../lambda/digest/local-store';
import { ed25519Signer, generateEd25519KeyPair } from '../../lambda/digest/signing';
import { writeDueDigests } from '../../lambda/digest/write-digests';
import { verifyLog } from '../../cli/log/verify-log';
import { runOnDuckDb } from '../../cli/query/duckdb-engine';
import { runQuery } from '../../cli/query';
import { run as log } from '../../bin/commands/log';
import { captureIo } from '../support/capture-io';
import { RowValues, writeChangeRows } from '../support/parquet-rows';

const signer = ed25519Signer(generateEd25519KeyPair().privateKeyPem);
const pinnedKey = createPublicKey(signer.publicKeyPem);
const PART = 'changes/account_id=012345678901/table_name=Orders/dt=2026-12-01';
const REAL_HASH = 'b'.repeat(64);
/** Sorts before the real record_hash, so a visible forged copy would win de-duplication by record_hash too. */
const FORGED_HASH = 'a'.repeat(64);
const REAL: RowValues = { event_id: 'e1', event_name: 'MODIFY', actor: 'alice', item_key: '{"pk":"1"}', record_hash: REAL_HASH, processed_at: '2026-12-01T10:00:05Z' };
const forgedRow = (marker: string): RowValues => ({ ...REAL, actor: marker, record_hash: FORGED_HASH, processed_at: '2026-12-01T10:00:00Z' });

let root: string;
let outside: string;
let store: LocalFolderStore;
const delivered = new Date(floorHour(Date.now()) - 2 * HOUR_MS + 5 * 60_000);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'verify-local-'));
  outside = mkdtempSync(join(tmpdir(), 'verify-outside-'));
  store = new LocalFolderStore(root);
  await writeChangeRows(join(root, PART, 'real.parquet'), [REAL, { ...REAL, event_id: 'e2', record_hash: 'c'.repeat(64) }], delivered);
  await writeDueDigests({ store, signer, now: new Date() });
}, 30_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const verify = () => verifyLog({ store, now: new Date(), pinnedKey, contentCheck: undefined });

/** Every actor any local query can see, and what changes-deduplicated shows for e1. */
async function whatQueriesSee(): Promise<{ actors: string[]; e1: unknown[] }> {
  const all = await runOnDuckDb('SELECT actor FROM audit_changes', root);
  const dedup = await runQuery({ name: 'changes-deduplicated', params: { from: '2026-12-01', to: '2026-12-01' }, dataDir: root });
  return { actors: all.rows.map((r) => String(r.actor)), e1: dedup.rows.filter((r) => r.event_id === 'e1').map((r) => r.record_hash) };
}

type EntryKind = 'hidden-file' | 'hidden-directory' | 'symlink-to-file' | 'symlinked-folder' | 'future-mtime' | 'fifo' | 'unsafe-name';

/** Places forged rows (actor = marker) in an entry of `kind`; returns the finding expected and a cleanup. */
async function placeForged(kind: EntryKind, name: string, marker: string): Promise<{ finding: { kind: string; key: string }; remove: () => void }> {
  const rows = [forgedRow(marker)];
  const at = (rel: string) => join(root, ...rel.split('/'));
  switch (kind) {
    case 'hidden-file': {
      const key = `${PART}/.${name}.parquet`;
      await writeChangeRows(at(key), rows, delivered);
      return { finding: { kind: 'hidden-file', key }, remove: () => rmSync(at(key)) };
    }
    case 'hidden-directory': {
      const key = `${PART}/.${name}`;
      await writeChangeRows(join(at(key), 'x.parquet'), rows, delivered);
      return { finding: { kind: 'hidden-directory', key }, remove: () => rmSync(at(key), { recursive: true }) };
    }
    case 'symlink-to-file': {
      const target = join(outside, `${name}.parquet`);
      await writeChangeRows(target, rows, delivered);
      const key = `${PART}/${name}.parquet`;
      symlinkSync(target, at(key));
      return { finding: { kind: 'symlink', key }, remove: () => (rmSync(at(key)), rmSync(target)) };
    }
    case 'symlinked-folder': {
      const target = join(outside, name);
      await writeChangeRows(join(target, 'dt=2026-12-01', 'x.parquet'), rows, delivered);
      const key = `changes/account_id=012345678901/table_name=${name}`;
      symlinkSync(target, at(key));
      return { finding: { kind: 'symlink', key }, remove: () => (rmSync(at(key)), rmSync(target, { recursive: true })) };
    }
    case 'future-mtime': {
      const key = `${PART}/${name}.parquet`;
      await writeChangeRows(at(key), rows, new Date(Date.now() + 30 * 24 * HOUR_MS));
      return { finding: { kind: 'future-mtime', key }, remove: () => rmSync(at(key)) };
    }
    case 'fifo': {
      // A FIFO holds no rows; what matters is that it is reported and that no reader opens it (it would hang).
      const key = `${PART}/${name}.parquet`;
      execFileSync('mkfifo', [at(key)]);
      return { finding: { kind: 'not-a-regular-file', key }, remove: () => rmSync(at(key)) };
    }
    case 'unsafe-name': {
      // DuckDB expands glob characters in a path it is given, so such a name could pull in other files.
      const key = `${PART}/${name}*.parquet`;
      await writeChangeRows(at(key), rows, delivered);
      return { finding: { kind: 'unsafe-name', key }, remove: () => rmSync(at(key)) };
    }
  }
}

describe('entries verify cannot attest', () => {
  test('the intact folder verifies, and queries show the real change', async () => {
    const result = await verify();
    expect(result.findings).toEqual([]);
    expect(result.objectsChecked).toBe(1);
    expect(await whatQueriesSee()).toEqual({ actors: ['alice', 'alice'], e1: [REAL_HASH] });
  });

  test('a forged object hidden in any kind of entry is reported as that kind, and none of its rows reaches a query', async () => {
    const kinds: EntryKind[] = ['hidden-file', 'hidden-directory', 'symlink-to-file', 'symlinked-folder', 'future-mtime', 'fifo', 'unsafe-name'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,11}$/), async (kind, name) => {
        const marker = `forged-${kind}-${name}`;
        const placed = await placeForged(kind, name, marker);
        try {
          const { findings } = await verify();
          expect(findings.map((f) => ({ kind: f.kind, key: f.key }))).toContainEqual(placed.finding);
          const seen = await whatQueriesSee();
          expect(seen.actors).not.toContain(marker);
          expect(seen.e1).toEqual([REAL_HASH]);
        } finally {
          placed.remove();
        }
      }),
      { numRuns: 21 },
    );
    // Every kind was also tried at least once by name, whatever the generator drew.
    for (const kind of kinds) {
      const placed = await placeForged(kind, 'fixed', `forged-${kind}`);
      try {
        expect((await verify()).findings.map((f) => ({ kind: f.kind, key: f.key }))).toContainEqual(placed.finding);
        expect((await whatQueriesSee()).actors).not.toContain(`forged-${kind}`);
      } finally {
        placed.remove();
      }
    }
  }, 120_000);

  test('control characters in a file name are escaped in the report, and kept exact in JSON', async () => {
    const name = '.\u001b[2K\rINTACT: all good\u001b[8m';
    const key = `${PART}/${name}`;
    await writeChangeRows(join(root, ...key.split('/')), [forgedRow('x')], delivered);
    try {
      const io = captureIo({ cwd: root });
      expect(await log(['verify', '--data', root], io)).toBe(1);
      const text = io.out.join('');
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      expect(text).toContain(`FAIL  hidden-file ${PART}/.\\x1b[2K\\x0dINTACT: all good\\x1b[8m:`);
      const json = captureIo({ cwd: root });
      expect(await log(['verify', '--data', root, '--format', 'json'], json)).toBe(1);
      expect(JSON.parse(json.out.join('')).findings).toContainEqual(expect.objectContaining({ kind: 'hidden-file', key }));
    } finally {
      rmSync(join(root, ...key.split('/')));
    }
  });
});

describe('conflicting copies and the de-duplication rule', () => {
  const FORGED = `${PART}/zz-copy.parquet`;
  afterEach(() => rmSync(join(root, ...FORGED.split('/')), { force: true }));
  const conflicts = async () => {
    const io = captureIo({ cwd: root });
    await log(['verify', '--data', root, '--format', 'json'], io);
    return (JSON.parse(io.out.join('')).findings as { kind: string; key: string }[]).filter((f) => f.kind === 'conflicting-copies');
  };

  test('a copy that differs from the real change in record_hash or any hashed field is reported; a retried delivery is not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('actor', 'new_image', 'item_key', 'event_name', 'record_hash'),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (field, value) => {
          fc.pre(REAL[field] !== value);
          await writeChangeRows(join(root, ...FORGED.split('/')), [{ ...REAL, [field]: value, processed_at: '2026-12-01T09:00:00Z' }], delivered);
          expect(await conflicts()).toEqual([expect.objectContaining({ kind: 'conflicting-copies', key: 'e1' })]);
        },
      ),
      { numRuns: 10 },
    );
    // A true retry: same content and record_hash, another processed_at (the collector's at-least-once delivery).
    await writeChangeRows(join(root, ...FORGED.split('/')), [{ ...REAL, processed_at: '2026-12-01T11:00:00Z' }], delivered);
    expect(await conflicts()).toEqual([]);
  }, 60_000);

  test('an earlier processed_at does not make a copy with other content the one queries show', async () => {
    // record_hash 'f…' sorts after the real one; with processed_at deciding, this copy would be shown.
    await writeChangeRows(join(root, ...FORGED.split('/')), [{ ...REAL, actor: 'mallory', record_hash: 'f'.repeat(64), processed_at: '2000-01-01T00:00:00Z' }], delivered);
    const dedup = await runQuery({ name: 'changes-deduplicated', params: { from: '2026-12-01', to: '2026-12-01' }, dataDir: root });
    expect(dedup.rows.filter((r) => r.event_id === 'e1')).toEqual([expect.objectContaining({ record_hash: REAL_HASH, actor: 'alice', deliveries: 2 })]);
    const evidence = await runQuery({ name: 'evidence-changes', params: { from: '2026-12-01', to: '2026-12-01' }, dataDir: root });
    expect(evidence.rows.filter((r) => r.event_id === 'e1').map((r) => r.actor)).toEqual(['alice']);
  });
});

describe('coverage', () => {
  test('an object older than the chain\'s first digest is reported when no --from is given, not skipped', async () => {
    const key = `${PART}/backdated.parquet`;
    await writeChangeRows(join(root, ...key.split('/')), [{ ...REAL, event_id: 'e9', record_hash: 'd'.repeat(64) }], new Date(delivered.getTime() - 30 * 24 * HOUR_MS));
    try {
      expect((await verify()).findings).toEqual([expect.objectContaining({ kind: 'inserted-object', key, detail: expect.stringContaining('before the chain of digests starts') })]);
    } finally {
      rmSync(join(root, ...key.split('/')));
    }
  });

  test('objects newer than the newest digest are counted as not yet digested, outside the INTACT claim, exit 0', async () => {
    const key = `${PART}/just-arrived.parquet`;
    await writeChangeRows(join(root, ...key.split('/')), [{ ...REAL, event_id: 'e8', record_hash: 'e'.repeat(64) }]);
    try {
      const io = captureIo({ cwd: root });
      expect(await log(['verify', '--data', root], io)).toBe(0);
      const lines = io.out.join('').trimEnd().split('\n');
      expect(lines.at(-2)).toMatch(/^INTACT up to \d{4}-\d{2}-\d{2}T\d{2}:00Z: every digest is present/);
      expect(lines.at(-1)).toBe('NOT YET DIGESTED: 1 object(s) delivered after the newest digest are covered by no digest yet (not part of the verdict above; the next digest lists them)');
    } finally {
      rmSync(join(root, ...key.split('/')));
    }
  });

  test('a missing data folder is an error and a folder without digests is NOT VERIFIED, never a clean result', async () => {
    const missing = captureIo({ cwd: root });
    expect(await log(['verify', '--data', join(root, 'nope')], missing)).toBe(1);
    expect(missing.err.join('')).toMatch(/^ddb-audit log verify: data folder .*nope does not exist or is not a folder\n$/);
    const empty = mkdtempSync(join(tmpdir(), 'verify-empty-'));
    try {
      mkdirSync(join(empty, PART), { recursive: true });
      await writeChangeRows(join(empty, PART, 'x.parquet'), [REAL]);
      const io = captureIo({ cwd: empty });
      expect(await log(['verify', '--data', empty], io)).toBe(1);
      expect(io.out.join('')).toContain('no digests yet (start the chain with ddb-audit log digest --init, or wait for the digest Lambda); 1 object(s) under changes/ are covered by no digest\nNOT VERIFIED\n');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
