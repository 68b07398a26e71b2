/** How `ddb-audit log verify` prints its result. */
import { hourLabel } from '../../lambda/digest/digest-format';
import type { LogVerifyResult } from './verify-log';

export function renderLogReport(location: string, r: LogVerifyResult): string {
  const lines = [`log verify ${location}: hours ${hourLabel(r.firstHour)} to ${hourLabel(r.lastHour)}`];
  for (const f of r.findings) lines.push(`  FAIL  ${f.kind} ${f.key}: ${f.detail}`);
  if (r.hoursBeforeChain > 0) lines.push(`  note  ${r.hoursBeforeChain} hour(s) in range come before the first digest (nothing to check there)`);
  if (r.objectsNotYetDigested > 0) lines.push(`  note  ${r.objectsNotYetDigested} object(s) delivered after the newest digest was written: not covered yet`);
  const keys = r.signingKeys.length === 0 ? 'no signatures checked' : `signatures by key ${r.signingKeys.join(', ')} (${r.pinned ? 'pinned' : 'NOT pinned: the key stored with the log was trusted; pin one with --public-key'})`;
  lines.push(`  checked ${r.hoursChecked} hour(s), ${r.digestsChecked} digest(s), ${r.objectsChecked} object(s), ${(r.bytesHashed / 1e6).toFixed(1)} MB hashed; ${keys}`);
  if (r.findings.length === 0) lines.push('INTACT: every digest is present, signed and chained, and every object matches its digest');
  else {
    const counts = new Map<string, number>();
    for (const f of r.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    lines.push(`TAMPERING OR LOSS: ${r.findings.length} finding(s): ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
