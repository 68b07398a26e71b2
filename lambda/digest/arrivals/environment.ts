/**
 * Environment of the digest arrivals function, read once at cold start; a missing variable fails it
 * with its name. Shared with lib/constructs/digest-arrivals.ts.
 */
export const ARRIVALS_ENV = {
  bucket: 'CHANGE_LOG_BUCKET',
  table: 'DIGEST_ARRIVALS_TABLE',
} as const;

export function readArrivalsEnvironment(env: NodeJS.ProcessEnv): { bucket: string; table: string } {
  const get = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is required but not set`);
    return value;
  };
  return { bucket: get(ARRIVALS_ENV.bucket), table: get(ARRIVALS_ENV.table) };
}

/** Environment of the daily reconciliation function (lambda/handlers/digest-reconcile.ts). */
export const RECONCILE_ENV = {
  bucket: 'CHANGE_LOG_BUCKET',
  table: 'DIGEST_ARRIVALS_TABLE',
  inventoryBucket: 'INVENTORY_BUCKET',
  /** destination-prefix/source-bucket/config-ID/, ending in "/". */
  inventoryPrefix: 'INVENTORY_PREFIX',
} as const;

export function readReconcileEnvironment(env: NodeJS.ProcessEnv): { bucket: string; table: string; inventoryBucket: string; inventoryPrefix: string } {
  const get = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is required but not set`);
    return value;
  };
  const inventoryPrefix = get(RECONCILE_ENV.inventoryPrefix);
  if (!inventoryPrefix.endsWith('/')) throw new Error(`environment variable ${RECONCILE_ENV.inventoryPrefix} must end in "/", got "${inventoryPrefix}"`);
  return { bucket: get(RECONCILE_ENV.bucket), table: get(RECONCILE_ENV.table), inventoryBucket: get(RECONCILE_ENV.inventoryBucket), inventoryPrefix };
}
