/**
 * One scheduled run of the stream-lifecycle watch, with its dependencies passed in (the handler,
 * lambda/handlers/stream-watch.ts, wires the real clients):
 *   read the previous state -> observe the sources due (check-sources.ts) -> assess each
 *   (source-health.ts) -> next state and gap records (watch-state.ts) -> deliver the gap records
 *   through the collector's sink -> save the state -> report.
 *
 * Alerting is bounded whatever the number of sources: two metrics per run (UnhealthySources,
 * UnknownSources; no per-source dimension, so CloudWatch cost does not grow with sources) and one
 * log line per unhealthy source that starts with UNHEALTHY_SOURCE_LOG_PREFIX and names the table, the
 * configured and current stream ARNs and the command to run. An alarm's description is static, so
 * it points at these lines (a log metric filter on the same constant can alarm on them).
 *
 * Nothing is lost on failure: if the gap records cannot all be delivered, the state is not saved and
 * the run fails, so the next run sees the same transition and writes them again (their event_id is
 * deterministic, so a duplicate de-duplicates).
 */
import type { ChangeRecord } from '../../schemas/change-record';
import type { MinimalLogger } from '../core/logger';
import { observeSources, type CheckOptions, type WatchClients, type WatchSource } from './check-sources';
import { assessSource, type SourceHealth } from './source-health';
import { nextWatchState, parseWatchState, streamsToDescribe, type WatchState } from './watch-state';

import { UNHEALTHY_SOURCE_LOG_PREFIX, WATCH_METRICS } from './telemetry';

export { UNHEALTHY_SOURCE_LOG_PREFIX, WATCH_METRICS };

export interface StateStore {
  load(): Promise<string | undefined>;
  save(text: string): Promise<void>;
}

export interface RunWatchDependencies {
  readonly sources: readonly WatchSource[];
  readonly clients: WatchClients;
  readonly check: Omit<CheckOptions, 'alwaysDescribe'>;
  readonly store: StateStore;
  /** Appends change records to the log; returns the indexes not delivered. */
  readonly deliver: (records: readonly ChangeRecord[]) => Promise<number[]>;
  readonly logger: MinimalLogger;
  readonly addMetric: (name: string, value: number) => void;
  readonly now: () => string;
}

export interface WatchReport {
  readonly checked: number;
  readonly healthy: number;
  readonly unhealthy: SourceHealth[];
  readonly unknown: SourceHealth[];
  readonly gapRecords: ChangeRecord[];
  readonly state: WatchState;
}

export async function runWatch(deps: RunWatchDependencies): Promise<WatchReport> {
  const startedAt = deps.now();
  const previous = parseWatchState(await deps.store.load(), startedAt);
  const configured = new Map(deps.sources.map((s) => [s.tableArn, s.streamArn]));
  const observations = await observeSources(deps.sources, deps.clients, { ...deps.check, alwaysDescribe: streamsToDescribe(previous, configured) });
  const assessed = observations.map((observation) => ({ observation, health: assessSource(observation) }));
  const now = deps.now();
  const { state, gapRecords } = nextWatchState(previous, assessed, configured, now);

  if (gapRecords.length > 0) {
    const undelivered = await deps.deliver(gapRecords);
    if (undelivered.length > 0) {
      throw new Error(`stream watch: ${undelivered.length} of ${gapRecords.length} gap records not delivered; state not saved, the next run writes them again`);
    }
  }
  await deps.store.save(JSON.stringify(state));

  const unhealthy = assessed.map((a) => a.health).filter((h) => h.health === 'unhealthy');
  const unknown = assessed.map((a) => a.health).filter((h) => h.health === 'unknown');
  for (const h of unhealthy) {
    deps.logger.error(UNHEALTHY_SOURCE_LOG_PREFIX, {
      table_arn: h.tableArn,
      configured_stream_arn: h.configuredStreamArn,
      current_stream_arn: h.latestStreamArn,
      problems: h.problems,
      stream_status: h.streamStatus,
      mapping_state: h.mappingState,
      command: h.command,
    });
  }
  for (const h of unknown) deps.logger.warn('source health unknown', { table_arn: h.tableArn, reasons: h.unknownReasons });
  deps.addMetric(WATCH_METRICS.checked, assessed.length);
  deps.addMetric(WATCH_METRICS.unhealthy, unhealthy.length);
  deps.addMetric(WATCH_METRICS.unknown, unknown.length);
  deps.addMetric(WATCH_METRICS.gaps, gapRecords.length);
  return { checked: assessed.length, healthy: assessed.length - unhealthy.length - unknown.length, unhealthy, unknown, gapRecords, state };
}
