/**
 * The partition-registration function's settings, read once from its environment; a missing
 * variable fails the cold start with its name (a loud failed deploy, not partitions left unregistered).
 */
import { requiredEnv } from '../core/required-env';

/** Environment variable names, shared with lib/constructs/partition-registration.ts. */
export const PARTITIONS_ENV = {
  bucket: 'CHANGE_LOG_BUCKET',
  database: 'GLUE_DATABASE',
  table: 'GLUE_TABLE',
} as const;

export interface PartitionSettings {
  /** The change-log bucket: events for any other bucket are refused. */
  readonly bucket: string;
  readonly database: string;
  readonly table: string;
}

export function readPartitionSettings(env: NodeJS.ProcessEnv): PartitionSettings {
  return { bucket: requiredEnv(env, PARTITIONS_ENV.bucket), database: requiredEnv(env, PARTITIONS_ENV.database), table: requiredEnv(env, PARTITIONS_ENV.table) };
}
