/** Lines every check writes the same way: a check that needs an output the stack lacks, and an AWS error. */
import { AUDIT_STACK_NAME } from '../../../lib/stack-names';
import { DoctorFatalError, describeError, fatalError, isAccessDenied } from '../aws-errors';
import { CheckLine, runbook } from '../result';

/** WARN, not FAIL: the stacks check has already failed for the missing output, and this one was not run. */
export function notChecked(check: string, what: string, output: string): CheckLine {
  return { status: 'WARN', check, what, detail: `not checked: the stack output ${output} is missing (see the ${AUDIT_STACK_NAME} lines)` };
}

/**
 * The line for an error of one check. Credential and network errors are not one check's problem:
 * they are rethrown so the run ends with one line.
 */
export function onError(check: string, what: string, err: unknown, action: string): CheckLine {
  const fatal = fatalError(err);
  if (fatal) throw fatal;
  if (err instanceof DoctorFatalError) throw err;
  if (isAccessDenied(err)) return { status: 'FAIL', check, what, detail: `not allowed to call ${action} (${describeError(err)})`, fix: `give the identity running doctor read access; ${runbook('doctor-permissions')}` };
  return { status: 'FAIL', check, what, detail: `${action} failed (${describeError(err)})`, fix: runbook(check) };
}
