/**
 * The backfill's checkpoint: per data file, how many of its lines (items) are delivered. Written
 * atomically (cli/config-file/atomic-write.ts) after every delivered batch, so an interruption at
 * any point leaves either the old or the new count, never a torn file; a resumed run skips what it
 * says is delivered and sends the rest again. A batch interrupted mid-send is sent again whole:
 * at-least-once, and the copies share event_id and record_hash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../config-file/atomic-write';

export interface Checkpoint {
  readonly version: 1;
  readonly export_arn: string;
  /** dataFileS3Key -> lines delivered, from the first line on. */
  readonly delivered: Record<string, number>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The checkpoint at `path` for this export, a fresh one when there is none; refuses one of another export. */
export function readCheckpoint(path: string, exportArn: string): Checkpoint {
  if (!existsSync(path)) return { version: 1, export_arn: exportArn, delivered: {} };
  let parsed: Checkpoint;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch (err) {
    throw new CheckpointError(`checkpoint ${path}: not JSON (${(err as Error).message}); remove it to start again`);
  }
  if (parsed?.version !== 1 || typeof parsed.delivered !== 'object' || parsed.delivered === null) throw new CheckpointError(`checkpoint ${path}: not a backfill checkpoint (version 1); remove it to start again`);
  if (parsed.export_arn !== exportArn) throw new CheckpointError(`checkpoint ${path} is of export ${parsed.export_arn}, not ${exportArn}: give another --checkpoint, or remove it`);
  for (const [key, n] of Object.entries(parsed.delivered)) {
    if (!Number.isSafeInteger(n) || n < 0) throw new CheckpointError(`checkpoint ${path}: ${key} has ${JSON.stringify(n)} lines delivered, expected a non-negative integer`);
  }
  return parsed;
}

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}
