/**
 * Names the watch's logs and metrics share with the alarms that watch them (lib/constructs/stream-watch.ts).
 * No AWS SDK here, so the CDK app imports it at synth without loading the watch's clients.
 */

/** Message of the one log line per unhealthy source; the alarm's metric filter matches it. */
export const UNHEALTHY_SOURCE_LOG_PREFIX = 'DDB_AUDIT_SOURCE_UNHEALTHY';
export const WATCH_METRICS = { unhealthy: 'UnhealthySources', unknown: 'UnknownSources', checked: 'CheckedSources', gaps: 'GapRecordsWritten' } as const;
