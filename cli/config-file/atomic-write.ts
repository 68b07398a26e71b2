/**
 * Replaces a file so that a reader, a crash or a full disk never sees it half-written: the new text
 * goes to a temporary file in the same folder, is flushed to disk (fsync), and is renamed over the
 * old one; then the folder itself is flushed so the rename survives a power loss.
 *
 * rename(2) replaces its target atomically when both are in one file system, which a temporary file
 * beside the target always is (POSIX rename: https://pubs.opengroup.org/onlinepubs/9699919799/functions/rename.html).
 * fsync(2) says the folder needs its own fsync for the new entry to be durable
 * (https://man7.org/linux/man-pages/man2/fsync.2.html). A failure at any step removes the temporary file and leaves the original as it was.
 */
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Writes all of `data` to the open file `fd` (injected by tests to fail midway, as a full disk does). */
export type FileWriter = (fd: number, data: Buffer) => void;

export const writeAll: FileWriter = (fd, data) => {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
};

export interface AtomicWriteOptions {
  /** @default writeAll */
  readonly writer?: FileWriter;
}

/** Replaces the file at `path` (following a symlink to the real file) with `text`, all or nothing. */
export function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): void {
  const target = realTarget(path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const mode = existingMode(target) ?? 0o644;
  const fd = openSync(temp, 'wx', mode);
  try {
    try {
      (options.writer ?? writeAll)(fd, Buffer.from(text, 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never created: nothing to remove.
    }
    throw err;
  }
  syncFolder(dir);
}

function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function existingMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/** fsync of the folder makes the rename durable; some file systems refuse it on a folder, which is harmless. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EINVAL/EPERM on file systems that do not sync folders: the rename itself has happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
