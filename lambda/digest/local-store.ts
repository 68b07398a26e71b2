/**
 * ObjectStore over a local folder: keys are paths relative to it, LastModified is the mtime.
 * Files whose name starts with "." are skipped: the local Firehose writes under a hidden
 * temporary name and renames, so a half-written file is never listed.
 */
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sha256OfFile, StreamDigest } from './sha256';
import { ObjectExistsError, ObjectStore, StoredObject } from './store';

export class LocalFolderStore implements ObjectStore {
  constructor(private readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, relative), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) await walk(key);
        else if (entry.isFile()) {
          const info = await stat(join(this.root, key));
          out.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    await walk(prefix.replace(/\/+$/, ''));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async hash(key: string): Promise<StreamDigest | undefined> {
    try {
      return await sha256OfFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
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
