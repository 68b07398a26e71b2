/**
 * How `ddb-audit log verify` prints its result: a report for people (every value that came from
 * the log, such as object keys and details, passed through escapeForTerminal, so a key holding
 * control characters cannot repaint the verdict), or one JSON object with the exact values.
 *
 * Verdicts and exit codes (docs/tamper-evident-log.md):
 *   TAMPERING OR LOSS  any finding                                   exit 1
 *   NOT VERIFIED       no digest in the range was checked            exit 1 (nothing checked is not a clean result)
 *   INTACT             every digest and object checked holds         exit 0; objects not yet digested
 *                      (delivered after the newest digest) are counted on their own line, never
 *                      included in the INTACT claim
 */
import { hourLabel } from '../../lambda/digest/digest-format';
import { escapeForTerminal } from '../terminal-text';
import type { LogVerifyResult } from './verify-log';

export type LogVerdict = 'INTACT' | 'TAMPERING OR LOSS' | 'NOT VERIFIED';

export function logVerdict(r: LogVerifyResult): LogVerdict {
  if (r.findings.length > 0) return 'TAMPERING OR LOSS';
  if (r.digestsChecked === 0) return 'NOT VERIFIED';
  return 'INTACT';
}

/** 0 for INTACT, 1 otherwise. */
export function logExitCode(r: LogVerifyResult): number {
  return logVerdict(r) === 'INTACT' ? 0 : 1;
}

const t = escapeForTerminal;

export function renderLogReport(location: string, r: LogVerifyResult): string {
  const lines = [`log verify ${t(location)}: hours ${hourLabel(r.firstHour)} to ${hourLabel(r.lastHour)}`];
  for (const f of r.findings) lines.push(`  FAIL  ${f.kind} ${t(f.key)}: ${t(f.detail)}`);
  if (r.hoursBeforeChain > 0) lines.push(`  note  ${r.hoursBeforeChain} hour(s) in range come before the first digest (nothing to check there)`);
  if (r.objectsOutsideRange > 0) lines.push(`  note  ${r.objectsOutsideRange} object(s) delivered outside --from/--to were not checked`);
  if (r.retentionNotRecorded > 0) lines.push(`  note  retention not recorded: ${r.retentionNotRecorded} object(s) are listed by digests written before retention was recorded; only their retention now was checked`);
  if (!r.objectLockRequired) lines.push('  note  Object Lock retention not checked (a local folder has none; --require-object-lock checks it)');
  const keys = r.signingKeys.length === 0 ? 'no signatures checked' : `signatures by key ${r.signingKeys.join(', ')} (${r.pinned ? 'pinned' : 'NOT pinned: the key stored with the log was trusted; pin one with --public-key'})`;
  lines.push(`  checked ${r.hoursChecked} hour(s), ${r.digestsChecked} digest(s), ${r.objectsChecked} object(s), ${(r.bytesHashed / 1e6).toFixed(1)} MB hashed; ${keys}`);
  const verdict = logVerdict(r);
  if (verdict === 'TAMPERING OR LOSS') {
    const counts = new Map<string, number>();
    for (const f of r.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    lines.push(`TAMPERING OR LOSS: ${r.findings.length} finding(s): ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  } else if (verdict === 'NOT VERIFIED') {
    lines.push('NOT VERIFIED: no digest in the range was checked, so nothing here is vouched for');
  } else {
    const until = r.digestedUntil === undefined ? '' : ` up to ${hourLabel(r.digestedUntil)}`;
    lines.push(`INTACT${until}: every digest is present, signed and chained, and every object matches its digest`);
  }
  if (r.objectsNotYetDigested > 0) {
    lines.push(`NOT YET DIGESTED: ${r.objectsNotYetDigested} object(s) delivered after the newest digest are covered by no digest yet (not part of the verdict above; the next digest lists them)`);
  }
  return `${lines.join('\n')}\n`;
}

/** The result as one JSON object (exact values: keys and details are not escaped). */
export function renderLogReportJson(location: string, r: LogVerifyResult): string {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return `${JSON.stringify({
    location,
    verdict: logVerdict(r),
    first_hour: iso(r.firstHour),
    last_hour: iso(r.lastHour),
    digested_until: iso(r.digestedUntil),
    hours_checked: r.hoursChecked,
    digests_checked: r.digestsChecked,
    objects_checked: r.objectsChecked,
    bytes_hashed: r.bytesHashed,
    hours_before_chain: r.hoursBeforeChain,
    objects_not_yet_digested: r.objectsNotYetDigested,
    objects_outside_range: r.objectsOutsideRange,
    retention_not_recorded: r.retentionNotRecorded,
    object_lock_required: r.objectLockRequired,
    signing_keys: r.signingKeys,
    pinned: r.pinned,
    findings: r.findings,
  })}\n`;
}
