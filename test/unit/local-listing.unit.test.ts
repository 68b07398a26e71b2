/**
 * The shared local lister (lambda/digest/local-listing.ts) on the edges the generated verify tests
 * do not reach: a missing prefix, a prefix that is itself a link, a link loop, what hides inside a
 * hidden folder, and the mtime tolerance.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUTURE_MTIME_TOLERANCE_MS, listLocalFolder } from '../../lambda/digest/local-listing';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'listing-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const file = (rel: string, mtime?: Date) => {
  const path = join(root, ...rel.split('/'));
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  if (mtime) utimesSync(path, mtime, mtime);
};

test('a missing prefix lists as empty', async () => {
  expect(await listLocalFolder(root, 'changes/', Date.now())).toEqual({ objects: [], unattestable: [] });
});

test('a prefix folder that is itself a link is one finding, and nothing behind it is listed', async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'listing-elsewhere-'));
  try {
    writeFileSync(join(elsewhere, 'forged.parquet'), 'x');
    symlinkSync(elsewhere, join(root, 'changes'));
    const listing = await listLocalFolder(root, 'changes/', Date.now());
    expect(listing.objects).toEqual([]);
    expect(listing.unattestable).toEqual([expect.objectContaining({ kind: 'symlink', key: 'changes' })]);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('a link loop is reported, not followed; a hidden folder is one finding, not its contents', async () => {
  file('changes/a/real.parquet');
  symlinkSync(join(root, 'changes'), join(root, 'changes', 'a', 'loop'));
  file('changes/a/.hidden/deep/x.parquet');
  const listing = await listLocalFolder(root, 'changes/', Date.now());
  expect(listing.objects.map((o) => o.key)).toEqual(['changes/a/real.parquet']);
  expect(listing.unattestable.map((e) => `${e.kind} ${e.key}`)).toEqual(['hidden-directory changes/a/.hidden', 'symlink changes/a/loop']);
});

test('an mtime up to the tolerance ahead is an object; beyond it, future-mtime', async () => {
  const now = Date.now();
  file('changes/near.parquet', new Date(now + FUTURE_MTIME_TOLERANCE_MS - 60_000));
  file('changes/far.parquet', new Date(now + FUTURE_MTIME_TOLERANCE_MS + 60_000));
  const listing = await listLocalFolder(root, 'changes/', now);
  expect(listing.objects.map((o) => o.key)).toEqual(['changes/near.parquet']);
  expect(listing.unattestable.map((e) => `${e.kind} ${e.key}`)).toEqual(['future-mtime changes/far.parquet']);
});
