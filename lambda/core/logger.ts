/**
 * The logging surface core functions need. The handler passes a Powertools Logger; tests and the
 * CLI pass something smaller. Keeping it minimal keeps the core free of Powertools.
 */
export interface MinimalLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A logger that keeps nothing, for callers that report through their own output. */
export const silentLogger: MinimalLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
