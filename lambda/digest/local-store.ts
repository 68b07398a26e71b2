/**
 * ObjectStore over a local folder: keys are paths relative to it, LastModified is the mtime.
 * Objects are what ./local-listing.ts lists: regular, non-hidden files reached without following
 * a link (the local Firehose writes under a hidden temporary name and renames, so a half-written
 * file is never listed). Everything else under a prefix is reported by `inventory`, so verify can
 * account for it. A folder has no Object Lock: retention is recorded as null.
 */
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { listLocalFolder, LocalListing } from './local-listing';
import { READ_CHUNK_BYTES, sha256OfStream } from './sha256';
import { ObjectContent, ObjectExistsError, ObjectStore, StoredObject } from './store';

export class LocalFolderStore implements ObjectStore {
  constructor(private readonly root: string) {}

  get location(): string {
    return this.root;
  }

  readonly supportsObjectLock = false;

  /**
   * The attestable objects under the prefix. A file with a future mtime is listed too: the digest
   * writer only takes objects of hours that have ended, and `inventory` reports it.
   */
  async list(prefix: string): Promise<StoredObject[]> {
    return (await listLocalFolder(this.root, prefix, Number.POSITIVE_INFINITY)).objects;
  }

  inventory(prefix: string, now: Date): Promise<LocalListing> {
    return listLocalFolder(this.root, prefix, now.getTime());
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Opened without following a link and without blocking (a FIFO swapped in after the listing would
   * otherwise hang the run), and hashed only when the opened entry is a regular file.
   */
  async hash(key: string): Promise<ObjectContent | undefined> {
    let handle;
    try {
      handle = await open(this.path(key), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw new Error(`${key} became a symbolic link after it was listed; not followed`);
      throw err;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error(`${key} is not a regular file (it changed after it was listed)`);
      const digest = await sha256OfStream(handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false }));
      return { ...digest, retention: null, lastModified: stats.mtime };
    } finally {
      await handle.close();
    }
  }

  async create(key: string, bytes: Buffer): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    // Written whole under a hidden name, then linked in only if the key is still free.
    const temporary = join(dirname(target), `.${randomUUID()}.inprogress`);
    await writeFile(temporary, bytes);
    try {
      // link() fails with EEXIST atomically, where rename() would silently replace.
      await link(temporary, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExistsError(`${key} already exists`);
      throw err;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  private path(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) throw new Error(`invalid object key "${key}"`);
    return join(this.root, ...key.split('/'));
  }
}
