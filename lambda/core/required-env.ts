/** A required environment variable of a function, read at cold start; a missing one fails with its name. */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required but not set`);
  return value;
}
