/**
 * The watch's memory between runs, and the gaps it opens and closes.
 *
 * The state is one small JSON object (WATCH_STATE_KEY), rewritten by every run: per source, the
 * last assessment, when the source was last seen healthy, and its open gap. `ddb-audit coverage`
 * reads it for the "current stream status" column. It grows with the number of sources only
 * (about 600 bytes each: 6 MB at 10,000), never with time. Gaps themselves are not kept here only:
 * each state change is a change record (op = 'g', lambda/watch/gap-record.ts) in the Object Lock log.
 */
import type { ChangeRecord } from '../../schemas/change-record';
import { gapIdOf, gapRecord, type Gap } from './gap-record';
import type { SourceHealth, SourceObservation } from './source-health';

export const WATCH_STATE_KEY = 'watch/state.json';
export const WATCH_STATE_VERSION = 1;
/** DynamoDB keeps stream records 24 hours (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). */
export const STREAM_RETENTION_MS = 24 * 3600 * 1000;

export interface SourceState extends SourceHealth {
  readonly checkedAt: string;
  /** The last run that saw the configured stream current and the mapping on it. */
  readonly lastHealthyAt: string | null;
  readonly openGap: Gap | null;
}

export interface WatchState {
  readonly version: typeof WATCH_STATE_VERSION;
  readonly updatedAt: string;
  readonly sources: Readonly<Record<string, SourceState>>;
}

export function emptyWatchState(now: string): WatchState {
  return { version: WATCH_STATE_VERSION, updatedAt: now, sources: {} };
}

/** Parses a stored state; a missing or unreadable one starts empty (the watch then knows less, and says so: gaps get an unbounded start). */
export function parseWatchState(text: string | undefined, now: string): WatchState {
  if (text === undefined) return emptyWatchState(now);
  try {
    const parsed = JSON.parse(text) as WatchState;
    if (parsed?.version !== WATCH_STATE_VERSION || typeof parsed.sources !== 'object' || parsed.sources === null) return emptyWatchState(now);
    return parsed;
  } catch {
    return emptyWatchState(now);
  }
}

/** New streams whose creation time closes an open gap: described this run whatever their slot. */
export function streamsToDescribe(state: WatchState, configured: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const [tableArn, s] of Object.entries(state.sources)) {
    const now = configured.get(tableArn);
    if (s.openGap && now !== undefined && now !== s.openGap.oldStreamArn) out.add(now);
  }
  return out;
}

export interface Transition {
  readonly state: WatchState;
  /** Gap records to append to the log (op = 'g'). */
  readonly gapRecords: ChangeRecord[];
}

/**
 * The next state from this run's assessments. `configured` maps every onboarded table ARN to its
 * configured stream: sources no longer onboarded are dropped, sources not due this run keep their state.
 */
export function nextWatchState(previous: WatchState, assessed: readonly { health: SourceHealth; observation: SourceObservation }[], configured: ReadonlyMap<string, string>, now: string): Transition {
  const sources: Record<string, SourceState> = {};
  for (const [tableArn, s] of Object.entries(previous.sources)) if (configured.has(tableArn)) sources[tableArn] = s;
  const gapRecords: ChangeRecord[] = [];

  for (const { health, observation } of assessed) {
    const prev = previous.sources[health.tableArn];
    let openGap = prev?.openGap ?? null;
    const streamGone = health.problems.includes('stream-disabled') || health.problems.includes('stream-replaced');

    if (openGap && health.health === 'healthy' && health.configuredStreamArn !== openGap.oldStreamArn) {
      // The mapping reads the table's current stream again. Records of the new stream older than the
      // mapping's start minus 24 h are trimmed; the mapping started before this run, so everything
      // after now - 24 h is read: a safe upper bound even if we do not know when it started.
      const created = observation.stream.kind === 'ok' ? observation.stream.createdAt : null;
      const trimmedBefore = new Date(Date.parse(now) - STREAM_RETENTION_MS).toISOString();
      const to = created === null ? now : created > trimmedBefore ? created : trimmedBefore;
      const closed: Gap = { ...openGap, newStreamArn: health.configuredStreamArn, to };
      gapRecords.push(gapRecord({ ...closed, state: 'closed', at: now }, now));
      openGap = null;
    } else if (streamGone && (openGap === null || openGap.oldStreamArn !== health.configuredStreamArn)) {
      openGap = {
        gapId: gapIdOf(health.tableArn, health.configuredStreamArn),
        tableArn: health.tableArn,
        oldStreamArn: health.configuredStreamArn,
        newStreamArn: health.latestStreamArn !== health.configuredStreamArn ? health.latestStreamArn : null,
        from: prev?.lastHealthyAt ?? null,
        to: null,
        detectedAt: now,
      };
      gapRecords.push(gapRecord({ ...openGap, state: 'open', at: now }, now));
    } else if (openGap && openGap.newStreamArn === null && health.latestStreamArn !== null && health.latestStreamArn !== openGap.oldStreamArn) {
      openGap = { ...openGap, newStreamArn: health.latestStreamArn };
    }

    sources[health.tableArn] = {
      ...health,
      checkedAt: now,
      lastHealthyAt: health.health === 'healthy' ? now : (prev?.lastHealthyAt ?? null),
      openGap,
    };
  }
  return { state: { version: WATCH_STATE_VERSION, updatedAt: now, sources }, gapRecords };
}
