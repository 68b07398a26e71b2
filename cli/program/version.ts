/**
 * `ddb-audit --version`: the package version and the git commit of the checkout it runs from.
 *
 * The commit is read at run time with `git rev-parse HEAD`. Outside a checkout (an npm install, a
 * container without git, a shallow copy without .git) that fails, and the commit is then "unknown":
 * --version never fails because git is missing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PROJECT_ROOT = join(__dirname, '..', '..');

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `git rev-parse HEAD` of the checkout, or "unknown" when there is none (or no git). */
export function gitCommit(run: (args: string[]) => string = runGit): string {
  try {
    const out = run(['rev-parse', 'HEAD']).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : 'unknown';
  } catch {
    return 'unknown';
  }
}

function runGit(args: string[]): string {
  return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
}

export function versionLine(commit: string = gitCommit()): string {
  return `ddb-audit ${toolVersion()} (git commit ${commit})`;
}
