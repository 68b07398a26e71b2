/**
 * The newest hourly digest is recent, and the objects it lists are under Object Lock retention.
 *
 * A digest for hour H is written at H+1h+15m (digest-format SETTLE_MINUTES, the schedule's minute),
 * so on a healthy installation the newest digest hour is between 1h15m and 2h15m old; older than
 * DIGEST_MAX_AGE_MINUTES means a run was missed.
 * Each object entry of a digest records the object's retention as S3 reported it (GetObject and
 * HeadObject return ObjectLockMode and ObjectLockRetainUntilDate,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): object_lock_mode null is an
 * unlocked object (FAIL: it can be deleted or overwritten). Digests written before those fields
 * existed lack them; that is "retention not recorded" (WARN), never a pass.
 * This check reads only the newest digest; `ddb-audit log verify --bucket` walks the whole chain
 * and checks every signature and object.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { digestKey, hourLabel, hourOfDigestKey, parseDigest } from '../../../lambda/digest/digest-format';
import { DIGESTS_PREFIX } from '../../../schemas/partitioning';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { notChecked, onError } from './common';
import { listObjects, minutesAgo } from './s3-listing';

/** 2h15m on time, plus 15 minutes for the run itself. */
export const DIGEST_MAX_AGE_MINUTES = 150;

/** How a digest's object entries stand on retention (read tolerantly: older digests lack the fields). */
export interface RetentionSummary {
  readonly locked: number;
  readonly unlocked: readonly string[];
  readonly notRecorded: number;
}

export function retentionOf(objects: readonly unknown[]): RetentionSummary {
  let locked = 0;
  let notRecorded = 0;
  const unlocked: string[] = [];
  for (const entry of objects) {
    const e = entry as { key?: unknown; object_lock_mode?: unknown };
    if (!('object_lock_mode' in (e ?? {})) || e.object_lock_mode === undefined) notRecorded++;
    else if (e.object_lock_mode === 'GOVERNANCE' || e.object_lock_mode === 'COMPLIANCE') locked++;
    else unlocked.push(String(e.key));
  }
  return { locked, unlocked, notRecorded };
}

export const digestCheck: DoctorCheck = {
  id: 'digest',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const bucket = context.state.deployment.changeLogBucket;
    const what = 'newest digest';
    if (bucket === undefined) return [notChecked('digest', what, 'ChangeLogBucketName')];
    const now = context.now.getTime();
    // Today's and yesterday's digest folders: a healthy newest digest is at most ~2 hours old.
    const days = [now, now - 86_400_000].map((ms) => digestKey(ms).slice(0, `${DIGESTS_PREFIX}YYYY/MM/DD/`.length));
    let newestHour: number | undefined;
    try {
      for (const prefix of days) {
        for (const object of await listObjects(context.clients.s3, bucket, prefix)) {
          const hour = hourOfDigestKey(object.key);
          if (hour !== undefined && (newestHour === undefined || hour > newestHour)) newestHour = hour;
        }
        if (newestHour !== undefined) break;
      }
    } catch (err) {
      return [onError('digest', what, err, 's3:ListBucket')];
    }
    if (newestHour === undefined) return [{ status: 'FAIL', check: 'digest', what, detail: `no digest under s3://${bucket}/${days[0]} or the day before: the digest function has not run since yesterday`, fix: runbook('digest') }];

    const lines: CheckLine[] = [];
    const age = minutesAgo(context.now, new Date(newestHour));
    lines.push(
      age > DIGEST_MAX_AGE_MINUTES
        ? { status: 'FAIL', check: 'digest', what, detail: `hour ${hourLabel(newestHour)} is ${age} minutes old (limit ${DIGEST_MAX_AGE_MINUTES}): hourly digests are not being written`, fix: runbook('digest') }
        : { status: 'PASS', check: 'digest', what, detail: `hour ${hourLabel(newestHour)} (${age} minutes ago)` },
    );

    const key = digestKey(newestHour);
    let objects: readonly unknown[];
    try {
      const reply = await context.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from((await reply.Body?.transformToByteArray()) ?? []);
      objects = parseDigest(bytes).objects;
    } catch (err) {
      if ((err as Error).name === 'DigestFormatError') return [...lines, { status: 'FAIL', check: 'digest', what: `digest s3://${bucket}/${key}`, detail: `is not a valid digest: ${(err as Error).message}`, fix: `ddb-audit log verify --bucket ${bucket}; ${runbook('digest')}` }];
      return [...lines, onError('digest', `digest s3://${bucket}/${key}`, err, 's3:GetObject')];
    }
    const retention = retentionOf(objects);
    const retentionWhat = `retention of the ${objects.length} objects in digest ${hourLabel(newestHour)}`;
    if (retention.unlocked.length > 0) {
      lines.push({ status: 'FAIL', check: 'digest', what: retentionWhat, detail: `${retention.unlocked.length} unlocked (no Object Lock retention), e.g. s3://${bucket}/${retention.unlocked[0]}`, fix: runbook('unlocked-objects') });
    }
    if (retention.notRecorded > 0) {
      lines.push({ status: 'WARN', check: 'digest', what: retentionWhat, detail: `retention not recorded for ${retention.notRecorded} (a digest written before digests recorded retention)`, fix: 'wait for the next digest of the current version; until then, check with aws s3api get-object-retention' });
    }
    if (objects.length === 0) {
      // Nothing to be locked is not "all locked"; with the heartbeat on, every hour delivers objects.
      lines.push({ status: 'WARN', check: 'digest', what: retentionWhat, detail: 'no objects were delivered in that hour, so no retention could be checked', fix: `see the heartbeat and delivery lines; ${runbook('digest')}` });
    } else if (retention.unlocked.length === 0 && retention.notRecorded === 0) {
      lines.push({ status: 'PASS', check: 'digest', what: retentionWhat, detail: `all ${retention.locked} under Object Lock retention` });
    }
    return lines;
  },
};
