/** Builds the real CDK app from a config, for infrastructure tests (one synth per test file). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { AuditConfig } from '../../schemas/audit-config';
import { AuditAppStacks, buildAuditApp } from '../../lib/audit-app';
import { CONTEXT_KEY, readCdkJson } from '../../lib/config/load';
import { validateAuditConfig } from '../../lib/config/validate';

export const REPO_ROOT = join(__dirname, '..', '..');

/** The example config of the repository's cdk.json (three sources in two accounts). */
export function exampleConfig(): AuditConfig {
  return validateAuditConfig(readCdkJson(join(REPO_ROOT, 'cdk.json')).context[CONTEXT_KEY]);
}

/** A folder of .sql files, so named-query tests do not depend on what athena-queries/ holds today. */
export function queriesFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-queries-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

export function buildTestApp(config: AuditConfig, options: { queriesDir?: string; nag?: boolean } = {}): { app: App; stacks: AuditAppStacks; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'ddb-audit-cdk-out-'));
  const app = new App({ outdir });
  const stacks = buildAuditApp(app, config, { queriesDir: options.queriesDir, nag: options.nag ?? false });
  return { app, stacks, outdir };
}
