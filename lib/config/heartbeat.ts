/**
 * The heartbeat's timing rule, shared by config validation and the heartbeat construct (pure: no
 * aws-cdk-lib, so `ddb-audit sources validate` applies it too).
 *
 * The heartbeat alarm fires when no heartbeat object lands under changes/ for one window. An item
 * written at time t lands at the latest by t + 1.5 x the Firehose buffer interval (Firehose documents
 * that delivery can take up to 1.5 times the buffer interval with multi-stage buffering) plus the
 * stream, mapping, collector and S3-event hops. So two consecutive landings are at most
 * interval + 1.5 x buffer + slack apart, and a window that is not longer than that would fire while
 * everything works.
 */

/** The alarm's window: no heartbeat object for this long means the chain is broken. */
export const HEARTBEAT_ALARM_WINDOW_MINUTES = 30;

/** Stream -> mapping -> collector -> Firehose conversion -> S3 event: a generous allowance, in seconds. */
export const HEARTBEAT_PIPELINE_SLACK_SECONDS = 120;

/** Firehose delivery may take this multiple of the buffer interval. */
export const FIREHOSE_DELIVERY_FACTOR = 1.5;

/** The longest gap between two heartbeat objects landing while the pipeline is healthy, in seconds. */
export function worstHeartbeatGapSeconds(intervalMinutes: number, bufferIntervalSeconds: number): number {
  return intervalMinutes * 60 + FIREHOSE_DELIVERY_FACTOR * bufferIntervalSeconds + HEARTBEAT_PIPELINE_SLACK_SECONDS;
}

/** The problem with a heartbeat interval and buffer that would keep the alarm firing, or undefined. */
export function heartbeatTimingProblem(intervalMinutes: number, bufferIntervalSeconds: number): string | undefined {
  const gap = worstHeartbeatGapSeconds(intervalMinutes, bufferIntervalSeconds);
  if (gap < HEARTBEAT_ALARM_WINDOW_MINUTES * 60) return undefined;
  return (
    `heartbeat.intervalMinutes: ${intervalMinutes} with delivery.bufferIntervalSeconds ${bufferIntervalSeconds} lets two heartbeat objects land up to ` +
    `${gap} s apart (interval + ${FIREHOSE_DELIVERY_FACTOR} x buffer + ${HEARTBEAT_PIPELINE_SLACK_SECONDS} s), which is not under the ` +
    `${HEARTBEAT_ALARM_WINDOW_MINUTES}-minute alarm window: the heartbeat alarm would fire while the pipeline works; shorten the interval or the buffer`
  );
}
