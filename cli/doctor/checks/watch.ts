/**
 * The stream-lifecycle watch runs and sees every onboarded source (issue 14): its stack DdbAuditWatch
 * is settled, its state object (lambda/watch/watch-state.ts) exists, is fresh, lists every source of
 * the config, and names no source unhealthy.
 *
 * Calls, whatever the number of sources: the watch stack is described with the others (run-doctor.ts),
 * and the state object is one GetObject; every per-source verdict is computed from that one object.
 *
 * - Fresh: every run rewrites the state (nextWatchState sets updatedAt), so a state older than
 *   2 x watch.intervalMinutes + STATE_MARGIN_MINUTES means runs have stopped or fail.
 * - A source absent from the state is normal only right after it was onboarded: the watch checks
 *   every source within shardCount(...) runs (lambda/watch/check-sources.ts), and onboarding updates
 *   the watch stack (its source list is a layer of that stack), so the stack's LastUpdatedTime
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html) bounds when
 *   the source was added. Absent past that bound is a FAIL: the watch does not see that stream.
 * - GetObject of a missing key answers NoSuchKey (404) to an identity with s3:ListBucket on the
 *   bucket and AccessDenied (403) otherwise
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"), so a 403
 *   is reported as a missing permission that may also be a missing state.
 */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseStreamArn } from '../../../lambda/core/stream-arn';
import { shardCount } from '../../../lambda/watch/check-sources';
import { parseWatchState, WATCH_STATE_KEY, type SourceState, type WatchState } from '../../../lambda/watch/watch-state';
import { resolveWatch } from '../../../lib/config/load';
import { WATCH_STACK_NAME } from '../../../lib/stack-names';
import { WATCH_STACK_OUTPUT } from '../../../schemas/deployment';
import { outputsOfStack } from '../../deployment/stack-outputs';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { onError } from './common';
import { minutesAgo } from './s3-listing';
import { stackStatusVerdict } from './stacks';

/** Slack over two intervals for a run's own duration (at most 90 % of an interval) and the clock. */
export const STATE_MARGIN_MINUTES = 5;
/** Fixed names of the watch (lib/constructs/stream-watch.ts), repeated here because the CLI never imports aws-cdk-lib. */
export const WATCH_LOG_GROUP = '/aws/lambda/ddb-audit-stream-watch';
export const WATCH_ERRORS_ALARM = 'ddb-audit-WatchErrors';

const CHECK = 'watch';

/** Oldest age of the state, in minutes, that still means the watch runs. */
export function stateMaxAgeMinutes(intervalMinutes: number): number {
  return 2 * intervalMinutes + STATE_MARGIN_MINUTES;
}

/** Where to look when the watch does not run: its logs and its errors alarm. */
const NOT_RUNNING_FIX = `read the log group ${WATCH_LOG_GROUP} and the alarm ${WATCH_ERRORS_ALARM}; ${runbook('watch')}`;

/** The state's text from S3; undefined when the object does not exist. */
async function readState(context: DoctorContext, bucket: string): Promise<string | undefined> {
  try {
    const reply = await context.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: WATCH_STATE_KEY }));
    return (await reply.Body?.transformToString()) ?? '';
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** parseWatchState (as `coverage` reads it) answers an empty state for anything unreadable; doctor must tell them apart. */
function parseState(text: string): WatchState | undefined {
  const sentinel = new Date(0).toISOString();
  const state = parseWatchState(text, sentinel);
  if (state.updatedAt === sentinel && Object.keys(state.sources).length === 0) return undefined;
  if (typeof state.updatedAt !== 'string' || Number.isNaN(Date.parse(state.updatedAt))) return undefined;
  return state;
}

function sourceProblemLine(tableArn: string, s: SourceState): CheckLine {
  const problems = Array.isArray(s.problems) && s.problems.length > 0 ? s.problems.join(', ') : 'no problem named';
  const gap = s.openGap ? `; gap open since ${s.openGap.from ?? 'before the watch first saw the stream'}` : '';
  return {
    status: 'FAIL',
    check: CHECK,
    what: `source ${tableArn}`,
    detail: `the watch marks it unhealthy (${problems}; stream ${s.streamStatus}, mapping ${s.mappingState}, checked ${s.checkedAt})${gap}: its changes are not reaching the log`,
    fix: s.command ? `${s.command}; ${runbook('watch-unhealthy')}` : runbook('watch-unhealthy'),
  };
}

export const watchCheck: DoctorCheck = {
  id: CHECK,
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const { config } = context;
    const watch = resolveWatch(config);
    if (!watch.enabled) {
      return [{ status: 'INFO', check: CHECK, what: 'stream watch', detail: 'disabled (watch.enabled is false): a stream that is disabled or replaced, or a mapping that stops, goes dark without an alarm', fix: `enable it (config watch.enabled, npx cdk deploy --all); ${runbook('watch')}` }];
    }
    const stack: Stack | undefined = context.state.stacks.get(WATCH_STACK_NAME);
    const what = 'stream watch';
    // The stacks check has the line saying why (missing, rolled back, not describable).
    if (!stack) return [{ status: 'WARN', check: CHECK, what, detail: `not checked: stack ${WATCH_STACK_NAME} is missing or could not be described (see the stacks lines)` }];
    if (stackStatusVerdict(stack.StackStatus) === 'FAIL') return [{ status: 'WARN', check: CHECK, what, detail: `not checked: stack ${WATCH_STACK_NAME} is ${stack.StackStatus ?? 'without status'} (see the stacks lines)` }];
    const bucket = outputsOfStack(stack, `stack ${WATCH_STACK_NAME}`)[WATCH_STACK_OUTPUT.stateBucket]?.trim();
    if (!bucket) {
      return [{ status: 'FAIL', check: CHECK, what, detail: `stack ${WATCH_STACK_NAME} has no output ${WATCH_STACK_OUTPUT.stateBucket}, so its state cannot be found`, fix: `deploy the current version: npx cdk deploy ${WATCH_STACK_NAME}` }];
    }
    const location = `s3://${bucket}/${WATCH_STATE_KEY}`;
    let text: string | undefined;
    try {
      text = await readState(context, bucket);
    } catch (err) {
      const line = onError(CHECK, `watch state ${location}`, err, 's3:GetObject');
      // Without s3:ListBucket, S3 answers a missing object with 403 too (see the header).
      return [line.detail?.startsWith('not allowed') ? { ...line, detail: `${line.detail}; without s3:ListBucket on the bucket this is also what a missing state looks like` } : line];
    }
    if (text === undefined) {
      return [{ status: 'FAIL', check: CHECK, what: `watch state ${location}`, detail: 'does not exist: the watch has never completed a run, so no stream is watched', fix: NOT_RUNNING_FIX }];
    }
    const state = parseState(text);
    if (!state) return [{ status: 'FAIL', check: CHECK, what: `watch state ${location}`, detail: `is not a watch state (version 1 JSON with "updatedAt" and "sources"): the next run starts from nothing`, fix: NOT_RUNNING_FIX }];

    const lines: CheckLine[] = [];
    const age = minutesAgo(context.now, new Date(state.updatedAt));
    const maxAge = stateMaxAgeMinutes(watch.intervalMinutes);
    lines.push(
      age > maxAge
        ? { status: 'FAIL', check: CHECK, what: `watch state ${location}`, detail: `last written ${state.updatedAt}, ${age} minutes ago (limit ${maxAge}: runs every ${watch.intervalMinutes} minutes): the watch is not running`, fix: NOT_RUNNING_FIX }
        : { status: 'PASS', check: CHECK, what: `watch state ${location}`, detail: `written ${age} minutes ago (runs every ${watch.intervalMinutes} minutes)` },
    );

    // The watch keys its state by table ARN (lambda/watch/run-watch.ts), derived from the stream ARN.
    const onboarded = config.sources.map((s) => parseStreamArn(s.streamArn)?.tableArn).filter((a): a is string => a !== undefined);
    const shards = shardCount(onboarded.length, watch.intervalMinutes, watch.maxCallsPerSecond);
    const reachAllMinutes = shards * watch.intervalMinutes + maxAge;
    const deployedAt = stack.LastUpdatedTime ?? stack.CreationTime;
    const recentlyDeployed = deployedAt !== undefined && minutesAgo(context.now, deployedAt) <= reachAllMinutes;
    let healthy = 0;
    let unknown = 0;
    let absentOrUnhealthy = 0;
    for (const tableArn of onboarded) {
      const s = state.sources[tableArn];
      if (!s) {
        if (!recentlyDeployed) absentOrUnhealthy++;
        lines.push(
          recentlyDeployed
            ? { status: 'WARN', check: CHECK, what: `source ${tableArn}`, detail: `not in the watch state yet: stack ${WATCH_STACK_NAME} was deployed ${minutesAgo(context.now, deployedAt as Date)} minutes ago and the watch reaches every source within ${reachAllMinutes} minutes`, fix: 'run doctor again after that' }
            : { status: 'FAIL', check: CHECK, what: `source ${tableArn}`, detail: `not in the watch state: the watch does not check this stream, so a change to it would raise no alarm`, fix: `npx cdk deploy ${WATCH_STACK_NAME} (the watch's source list comes from the config); ${runbook('watch')}` },
        );
      } else if (s.health === 'unhealthy') {
        absentOrUnhealthy++;
        lines.push(sourceProblemLine(tableArn, s));
      }
      else if (s.health === 'healthy') healthy++;
      else {
        unknown++;
        const reasons = Array.isArray(s.unknownReasons) && s.unknownReasons.length > 0 ? s.unknownReasons.join('; ') : 'no reason recorded';
        lines.push({ status: 'WARN', check: CHECK, what: `source ${tableArn}`, detail: `the watch could not check it (${reasons}), checked ${s.checkedAt}`, fix: runbook('watch') });
      }
    }
    if (onboarded.length === 0) lines.push({ status: 'WARN', check: CHECK, what: 'watched sources', detail: 'the config onboards no source, so the watch checks nothing' });
    // A PASS only for a verified fact: every onboarded source present and healthy.
    // A stale state's verdicts are old news: healthy then is not healthy now.
    else if (healthy === onboarded.length && age > maxAge) lines.push({ status: 'WARN', check: CHECK, what: 'watched sources', detail: `all ${onboarded.length} onboarded sources healthy as of ${state.updatedAt}, but the state is stale, so nothing is known of them since`, fix: NOT_RUNNING_FIX });
    else if (healthy === onboarded.length) lines.push({ status: 'PASS', check: CHECK, what: 'watched sources', detail: `all ${onboarded.length} onboarded sources in the watch state and healthy` });
    else lines.push({ status: absentOrUnhealthy > 0 ? 'FAIL' : 'WARN', check: CHECK, what: 'watched sources', detail: `${healthy} of ${onboarded.length} onboarded sources healthy in the watch state${unknown > 0 ? `, ${unknown} not checkable` : ''}`, fix: runbook('watch-unhealthy') });
    return lines;
  },
};
