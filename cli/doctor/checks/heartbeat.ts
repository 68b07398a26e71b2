/**
 * The newest heartbeat object in the change log is at most 30 minutes old.
 *
 * The heartbeat writes an item every 5 minutes into a table of the audit account; its change
 * records travel the whole chain (stream, mapping, collector, Firehose's JQ, de-aggregation,
 * Parquet conversion, KMS, the Object Lock bucket) and land under
 * changes/account_id=<audit account>/table_name=<heartbeat table>/dt=<day>/. An object there that
 * is recent proves the chain works now; its age is measured at the end of the chain, by the
 * object's LastModified, which is what the heartbeat alarm measures too.
 */
import { partitionPath } from '../../../schemas/partitioning';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { notChecked, onError } from './common';
import { listObjects, minutesAgo, todayAndYesterday } from './s3-listing';

/** Older than this, the heartbeat alarm fires too: something in the chain is broken. */
export const HEARTBEAT_MAX_AGE_MINUTES = 30;

export const heartbeatCheck: DoctorCheck = {
  id: 'heartbeat',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const { deployment } = context.state;
    const what = 'heartbeat lag';
    if (deployment.heartbeatTable === null) return [{ status: 'WARN', check: 'heartbeat', what, detail: 'the heartbeat is disabled: nothing proves the pipeline end to end', fix: `enable it (config heartbeat.enabled, cdk deploy --all); ${runbook('heartbeat')}` }];
    if (deployment.heartbeatTable === undefined) return [notChecked('heartbeat', what, 'HeartbeatTableName')];
    if (deployment.changeLogBucket === undefined) return [notChecked('heartbeat', what, 'ChangeLogBucketName')];
    const bucket = deployment.changeLogBucket;
    const prefixes = todayAndYesterday(context.now).map((dt) => partitionPath({ account_id: context.config.auditAccountId, table_name: deployment.heartbeatTable as string, dt }));
    let newest: { key: string; lastModified: Date } | undefined;
    try {
      for (const prefix of prefixes) {
        for (const object of await listObjects(context.clients.s3, bucket, prefix)) {
          if (!newest || object.lastModified > newest.lastModified) newest = object;
        }
        if (newest) break; // today's prefix has one: yesterday's can only be older
      }
    } catch (err) {
      return [onError('heartbeat', what, err, 's3:ListBucket')];
    }
    if (!newest) {
      return [{ status: 'FAIL', check: 'heartbeat', what, detail: `no heartbeat object under s3://${bucket}/${prefixes[0]} or the day before: the chain has delivered no heartbeat since yesterday`, fix: runbook('heartbeat') }];
    }
    const age = minutesAgo(context.now, newest.lastModified);
    if (age > HEARTBEAT_MAX_AGE_MINUTES) {
      return [{ status: 'FAIL', check: 'heartbeat', what, detail: `newest heartbeat object is ${age} minutes old (limit ${HEARTBEAT_MAX_AGE_MINUTES}): s3://${bucket}/${newest.key}`, fix: runbook('heartbeat') }];
    }
    return [{ status: 'PASS', check: 'heartbeat', what, detail: `newest heartbeat object ${age} minutes old` }];
  },
};
