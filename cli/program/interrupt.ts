/**
 * Ctrl-C (SIGINT) and a closed pipe (EPIPE) end the command quietly, and leave nothing half-written.
 *
 * - SIGINT: every cleanup registered with removeOnInterrupt runs (synchronously: the process exits
 *   right after), then the process exits with 130 and no stack trace. Code that writes something it
 *   renames into place when complete (an evidence package's `.NAME.partial-*` folder) registers the
 *   temporary path for as long as it exists.
 * - EPIPE on standard output (`ddb-audit query … | head -1`): the reader has all it wanted, so the
 *   command stops with exit 0 and prints nothing more. Any other write error is reported as usual.
 *
 * installProcessHandlers is called only by the command line (bin/ddb-audit.ts main), never by
 * in-process tests, which must not have their process's signals taken over.
 */
import { rmSync } from 'node:fs';
import { EXIT_INTERRUPTED, EXIT_OK } from './exit-codes';

const cleanups = new Set<() => void>();

/** Runs `cleanup` (synchronously) if the process is interrupted; call the returned function once it is no longer needed. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/** Removes `path` (recursively) if the process is interrupted; call the returned function once it is gone or renamed. */
export function removeOnInterrupt(path: string): () => void {
  return onInterrupt(() => rmSync(path, { recursive: true, force: true }));
}

/** Runs every registered cleanup; one that fails does not stop the others. */
export function runInterruptCleanups(): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is ending; the other cleanups still run.
    }
    cleanups.delete(cleanup);
  }
}

let installed = false;

export function installProcessHandlers(proc: NodeJS.Process = process): void {
  if (installed) return;
  installed = true;
  proc.on('SIGINT', () => {
    runInterruptCleanups();
    proc.exit(EXIT_INTERRUPTED);
  });
  proc.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') proc.exit(EXIT_OK);
    throw err;
  });
}
