/**
 * An advisory lock beside a file (`PATH.lock`), so that concurrent read-modify-write cycles of one
 * file (30 `ddb-audit sources add` at once) happen one after another instead of losing updates.
 *
 * The lock file is created with O_CREAT|O_EXCL, which fails when it exists: exactly one process
 * wins. It holds the owner's pid, host and a random token. A lock is stale, and is broken, when its
 * owner is a process of this host that no longer exists, or when it is older than STALE_AFTER_MS
 * (an owner on another host, or one killed before it wrote its pid). Breaking renames the lock to a
 * unique name first and checks that what it moved is the lock it judged stale, so two processes that
 * both saw a stale lock cannot both remove a new one. Before replacing the file, the holder checks
 * that the lock is still its own (assertHeld).
 */
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, linkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A `sources add` holds the lock for milliseconds; one older than this was left by a crash. */
export const STALE_AFTER_MS = 60_000;
/** How long to wait for a lock held by a live process. @default 30 s */
export const DEFAULT_WAIT_MS = 30_000;

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly created: string;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface FileLock {
  readonly path: string;
  /** Throws when the lock file is no longer this lock (broken as stale by another process). */
  assertHeld(): void;
  release(): void;
}

export interface LockOptions {
  /** @default DEFAULT_WAIT_MS */
  readonly waitMs?: number;
  /** @default STALE_AFTER_MS */
  readonly staleAfterMs?: number;
}

/** Takes the lock for `target`, waiting while a live process holds it. */
export async function acquireFileLock(target: string, options: LockOptions = {}): Promise<FileLock> {
  const path = `${target}.lock`;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(12).toString('hex'), created: new Date().toISOString() };
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    if (tryCreate(path, owner)) return heldLock(path, owner);
    const current = readOwner(path);
    if (current !== 'gone' && isStale(path, current, staleAfterMs)) {
      breakStale(path, current);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = current === 'gone' || current === 'unreadable' ? 'another process' : `process ${current.pid} on ${current.host} since ${current.created}`;
      throw new LockTimeoutError(`${target} is locked by ${who} (${path}); try again, or remove ${path} if no ddb-audit command is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.floor(Math.random() * delay)));
    delay = Math.min(delay * 2, 200);
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create lock ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') return value as LockOwner;
  } catch {
    // Empty or partial: its creator is between open and write, or was killed there.
  }
  return 'unreadable';
}

function isStale(path: string, owner: LockOwner | 'unreadable', staleAfterMs: number): boolean {
  if (owner !== 'unreadable' && owner.host === hostname() && !processExists(owner.pid)) return true;
  try {
    return Date.now() - statSync(path).mtimeMs > staleAfterMs;
  } catch {
    return false;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function breakStale(path: string, judged: LockOwner | 'unreadable'): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // Someone else broke or released it first.
  }
  const moved = readOwner(aside);
  const same = judged === 'unreadable' ? moved === 'unreadable' : moved !== 'gone' && moved !== 'unreadable' && moved.token === judged.token;
  if (!same) {
    // We moved a newer lock than the one judged stale: put it back unless a third process took the name.
    try {
      linkSync(aside, path);
    } catch {
      // EEXIST: a lock exists again; the owner of the moved one will see assertHeld fail.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Already gone.
  }
}

function heldLock(path: string, owner: LockOwner): FileLock {
  let released = false;
  return {
    path,
    assertHeld() {
      const current = readOwner(path);
      if (current === 'gone' || current === 'unreadable' || current.token !== owner.token) {
        throw new Error(`lost the lock ${path} (another process judged it stale); nothing was written`);
      }
    },
    release() {
      if (released) return;
      released = true;
      const current = readOwner(path);
      if (current !== 'gone' && current !== 'unreadable' && current.token === owner.token) unlinkSync(path);
    },
  };
}
