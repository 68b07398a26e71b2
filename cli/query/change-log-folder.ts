/**
 * The refusal `ddb-audit query` and `evidence export` give a local data folder that holds no change
 * log: a mistyped --data must not answer "0 rows" with exit 0, nor yield a signed package saying that
 * nothing matched. The message names the folder looked at, so the typo is visible.
 *
 * "Holds a change log" means at least one file a query reads (Parquet under changes/, as
 * queryableFiles lists them). A log whose files exist but do not match the query's period is a real
 * empty answer, and is answered as one.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../program/command-io';
import { CHANGES_PREFIX } from '../../schemas/partitioning';
import { queryableFiles } from './duckdb-engine';

export class NoChangeLogError extends UsageError {
  override name = 'NoChangeLogError';
}

/** Resolves when `dataDir` holds at least one change-log file; otherwise throws NoChangeLogError naming it. */
export async function assertHoldsChangeLog(dataDir: string, now: Date = new Date()): Promise<void> {
  const info = await stat(dataDir).catch(() => undefined);
  if (info === undefined) throw new NoChangeLogError(`data folder ${dataDir} does not exist (is --data right? npm start writes ./audit-data)`);
  if (!info.isDirectory()) throw new NoChangeLogError(`data folder ${dataDir} is not a folder`);
  if ((await queryableFiles(dataDir, now)).length === 0) {
    throw new NoChangeLogError(`data folder ${dataDir} holds no change log (no Parquet file under ${CHANGES_PREFIX}); is --data right?`);
  }
}
