/**
 * The retention function's settings, read once from its environment; a missing or malformed
 * variable fails the cold start with its name (a loud failed deploy, not objects left unlocked).
 */
import { requiredEnv } from '../core/required-env';
import type { RetentionSettings } from './apply-retention';

/** Environment variable names, shared with lib/constructs/object-retention.ts. */
export const RETENTION_ENV = {
  bucket: 'CHANGE_LOG_BUCKET',
  mode: 'RETENTION_MODE',
  days: 'RETENTION_DAYS',
  prefixes: 'RETAINED_PREFIXES',
} as const;

export function readRetentionSettings(env: NodeJS.ProcessEnv): RetentionSettings {
  const bucket = requiredEnv(env, RETENTION_ENV.bucket);
  const mode = requiredEnv(env, RETENTION_ENV.mode);
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new Error(`environment variable ${RETENTION_ENV.mode} must be GOVERNANCE or COMPLIANCE, got "${mode}"`);
  const daysText = requiredEnv(env, RETENTION_ENV.days);
  const days = Number(daysText);
  if (!/^\d+$/.test(daysText) || days < 1 || days > 36500) throw new Error(`environment variable ${RETENTION_ENV.days} must be a whole number of days from 1 to 36500, got "${daysText}"`);
  const prefixes = requiredEnv(env, RETENTION_ENV.prefixes).split(',');
  if (prefixes.some((p) => p === '' || !p.endsWith('/'))) throw new Error(`environment variable ${RETENTION_ENV.prefixes} must be comma-separated prefixes each ending in "/", got "${env[RETENTION_ENV.prefixes]}"`);
  return { bucket, mode, days, prefixes };
}
