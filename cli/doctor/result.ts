/**
 * What one doctor check reports: one or more lines of `PASS|WARN|FAIL <what>[: <detail>; fix: <fix>]`.
 * FAIL means the installation loses or cannot prove changes until fixed; WARN means something a
 * person should look at (or could not be checked); PASS is a verified fact, never an absence; INFO
 * states a choice of the config that leaves something unchecked (e.g. the watch disabled): said
 * once, neither a pass nor a finding.
 */
import { escapeForTerminal } from '../terminal-text';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'INFO';

export interface CheckLine {
  readonly status: CheckStatus;
  /** Which check wrote it (the check's id, e.g. "streams"). */
  readonly check: string;
  readonly what: string;
  readonly detail?: string;
  /** The fix, or the runbook section (docs/operations.md#...) that has it. Given for every FAIL. */
  readonly fix?: string;
}

/** The runbook, for fixes that need more than a line. */
export const RUNBOOK = 'docs/operations.md';

export function runbook(section: string): string {
  return `see ${RUNBOOK}#${section}`;
}

export function formatLine(line: CheckLine): string {
  // Detail can hold names from the account (stream ARNs, object keys a table writer chose).
  return escapeForTerminal(`${line.status} ${line.what}${line.detail ? `: ${line.detail}` : ''}${line.fix ? `; fix: ${line.fix}` : ''}`);
}

/**
 * Per-source checks can fail for thousands of sources at once; the text report lists the first
 * `limit` non-PASS lines of each check and counts the rest (--json lists every one).
 */
export function renderText(lines: readonly CheckLine[], limit = 50): string {
  const shownPerCheck = new Map<string, number>();
  const hiddenPerCheck = new Map<string, { count: number; status: CheckStatus }>();
  const out: string[] = [];
  for (const line of lines) {
    if (line.status !== 'PASS') {
      const shown = shownPerCheck.get(line.check) ?? 0;
      if (shown >= limit) {
        const hidden = hiddenPerCheck.get(line.check) ?? { count: 0, status: 'WARN' };
        hiddenPerCheck.set(line.check, { count: hidden.count + 1, status: hidden.status === 'FAIL' || line.status === 'FAIL' ? 'FAIL' : 'WARN' });
        continue;
      }
      shownPerCheck.set(line.check, shown + 1);
    }
    out.push(formatLine(line));
  }
  for (const [check, hidden] of hiddenPerCheck) out.push(`${hidden.status} ${check}: ${hidden.count} more lines not shown (ddb-audit doctor --json lists every one)`);
  const counts = countByStatus(lines);
  out.push(`doctor: ${counts.PASS} passed, ${counts.WARN} warnings, ${counts.FAIL} failed${counts.INFO > 0 ? `, ${counts.INFO} informational` : ''}`);
  return `${out.join('\n')}\n`;
}

export function countByStatus(lines: readonly CheckLine[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { PASS: 0, WARN: 0, FAIL: 0, INFO: 0 };
  for (const line of lines) counts[line.status]++;
  return counts;
}

/** The worst status of some lines (PASS when there are none; INFO counts as neither). */
export function worst(statuses: Iterable<CheckStatus>): CheckStatus {
  let result: CheckStatus = 'PASS';
  for (const s of statuses) {
    if (s === 'FAIL') return 'FAIL';
    if (s === 'WARN') result = 'WARN';
  }
  return result;
}
