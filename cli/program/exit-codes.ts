/**
 * The exit-status contract of every `ddb-audit` command (docs/cli.md, "Exit status").
 *
 * Scripts and schedulers branch on these, so they mean the same in every command: 0 the command did
 * what was asked and found nothing wrong; 1 it ran and found something (a finding, a FAIL, a
 * tampered package) or could not finish (AWS unreachable, a query failed); 2 it was asked wrongly
 * (unknown command or option, a bad value, a missing or empty input) and did nothing.
 */
export const EXIT_OK = 0;
export const EXIT_FINDING_OR_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Interrupted by SIGINT (Ctrl-C): 128 + the signal number, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Each exit status with its meaning, in the words docs/cli.md and `ddb-audit --help` use. */
export const EXIT_STATUSES: readonly { readonly code: number; readonly meaning: string }[] = [
  { code: EXIT_OK, meaning: 'done: nothing wrong found (also --help, --version, and output cut short by a closed pipe)' },
  { code: EXIT_FINDING_OR_FAILURE, meaning: 'a finding (FAIL, TAMPERED, NOT VERIFIED, invalid config) or a failure (AWS, a query, a write)' },
  { code: EXIT_USAGE, meaning: 'usage: unknown command or option, a bad value, or an input that is missing or holds no change log; nothing was done' },
  { code: EXIT_INTERRUPTED, meaning: 'interrupted (Ctrl-C / SIGINT); nothing half-written is left behind' },
];
