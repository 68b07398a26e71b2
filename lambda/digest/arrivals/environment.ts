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
