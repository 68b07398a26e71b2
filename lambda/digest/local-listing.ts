/**
 * The one listing of a local change-log folder, shared by everything that reads it: the digest
 * writer and `ddb-audit log verify` (through LocalFolderStore) and the local query engine (DuckDB is
 * handed this list of files, never a glob). So what a query reads is exactly what the digests
 * attest, and what verify accounts for.
 *
 * Every directory entry is looked at with lstat, so links are never followed. An entry is either
 * an attestable object (a regular, non-hidden file whose mtime is not in the future) or an
 * unattestable entry with the reason why; nothing is skipped in silence:
 *   - hidden-file / hidden-directory: the name starts with "." (the local Firehose and the store
 *     write under hidden temporary names and rename, so a half-written file is never an object);
 *   - symlink: a link to a file or a folder, anywhere under the prefix (a link could point outside
 *     the folder, or at a file that changes without the folder changing);
 *   - not-a-regular-file: a FIFO, socket or device (reading a FIFO would block forever);
 *   - future-mtime: the mtime is later than now (plus FUTURE_MTIME_TOLERANCE_MS): no digest due so
 *     far can list it, and it would otherwise sit outside every hour verify checks;
 *   - unsafe-name: a name holding a glob character (* ? [ ] { } \), which DuckDB would expand into
 *     other files when handed the path; Firehose and the local pipeline never write such names.
 * Nothing under a hidden directory or a symlinked folder is read: the entry itself is the finding.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredObject } from './store';

export type UnattestableKind = 'hidden-file' | 'hidden-directory' | 'symlink' | 'not-a-regular-file' | 'future-mtime' | 'unsafe-name';

export interface UnattestableEntry {
  readonly kind: UnattestableKind;
  /** '/'-separated path relative to the listed root, like an object key. */
  readonly key: string;
  readonly detail: string;
}

export interface LocalListing {
  /** Regular, non-hidden files with a past mtime, sorted by key. */
  readonly objects: StoredObject[];
  /** Every other entry found, sorted by key. */
  readonly unattestable: UnattestableEntry[];
}

/**
 * How far ahead of the reader's clock an mtime may be before it counts as in the future. Files are
 * written by the same machine, so this only absorbs a clock step between writing and listing.
 */
export const FUTURE_MTIME_TOLERANCE_MS = 5 * 60_000;

const GLOB_CHARACTERS = /[*?[\]{}\\]/;

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function kindOfSpecial(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Lists everything under `prefix` of `root` ('' for the whole folder). A missing prefix folder
 * lists as empty; `nowMs` decides what is in the future.
 */
export async function listLocalFolder(root: string, prefix: string, nowMs: number): Promise<LocalListing> {
  const objects: StoredObject[] = [];
  const unattestable: UnattestableEntry[] = [];
  const start = prefix.replace(/\/+$/, '');
  const walk = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, relative), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && relative === start) return;
      throw err;
    }
    for (const entry of entries) {
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      // lstat, not the Dirent's type: some file systems report DT_UNKNOWN, and lstat never follows a link.
      const info = await lstatIfPresent(join(root, key));
      if (!info) continue; // removed between readdir and lstat (a temporary file renamed away)
      if (info.isSymbolicLink()) {
        unattestable.push({ kind: 'symlink', key, detail: 'a symbolic link (not followed): a digest cannot attest what it points to' });
      } else if (entry.name.startsWith('.')) {
        if (info.isDirectory()) unattestable.push({ kind: 'hidden-directory', key, detail: 'a hidden folder (its contents are neither digested nor queried)' });
        else unattestable.push({ kind: 'hidden-file', key, detail: 'a hidden file (neither digested nor queried; a running local pipeline leaves .inprogress files for a moment)' });
      } else if (GLOB_CHARACTERS.test(entry.name)) {
        unattestable.push({ kind: 'unsafe-name', key, detail: 'the name holds a glob character (* ? [ ] { } \\), which a query engine would expand' });
      } else if (info.isDirectory()) {
        await walk(key);
      } else if (!info.isFile()) {
        unattestable.push({ kind: 'not-a-regular-file', key, detail: `${kindOfSpecial(info)}, not a regular file` });
      } else if (info.mtimeMs > nowMs + FUTURE_MTIME_TOLERANCE_MS) {
        unattestable.push({ kind: 'future-mtime', key, detail: `modified ${info.mtime.toISOString()}, later than now (${new Date(nowMs).toISOString()})` });
      } else {
        objects.push({ key, size: info.size, lastModified: info.mtime });
      }
    }
  };
  const top = start === '' ? undefined : await lstatIfPresent(join(root, start));
  if (top?.isSymbolicLink()) unattestable.push({ kind: 'symlink', key: start, detail: 'the prefix folder itself is a symbolic link (not followed)' });
  else await walk(start);
  return { objects: objects.sort(byKey), unattestable: unattestable.sort(byKey) };
}
