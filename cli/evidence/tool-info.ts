/** Which tool made a package: the package.json version and the git commit of the checkout. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const PROJECT_ROOT = join(__dirname, '..', '..');

export interface ToolInfo {
  readonly version: string;
  /** `git rev-parse HEAD` of the tool's checkout, or "unknown" outside one (e.g. an npm install). */
  readonly gitCommit: string;
}

export async function toolInfo(): Promise<ToolInfo> {
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let gitCommit = 'unknown';
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, timeout: 5000 });
    if (/^[0-9a-f]{40,64}$/.test(stdout.trim())) gitCommit = stdout.trim();
  } catch {
    // Not a checkout, no commits yet, or no git: the version alone identifies the tool.
  }
  return { version, gitCommit };
}
