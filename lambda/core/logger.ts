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

/**
 * Characters of one log value taken from outside the collector (an error message, an error reason that
 * names attribute paths). CloudWatch Logs caps an event at 256 KB
 * ("Each log event can be no larger than 256 KB",
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html), and a table
 * writer controls attribute names, so such text is cut to this before it is logged.
 */
export const MAX_LOGGED_TEXT = 1000;

/** `text` cut to `max` characters, saying how much was cut. */
export function boundedLogText(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
