/**
 * `npm run scale [ACCOUNTS] [TABLES_PER_ACCOUNT]`: generates an organization-sized config (default
 * 1,000 accounts x 10 tables), synthesizes the whole app offline with cdk-nag, and reports the
 * figures each AWS quota is about. The last line of output is one JSON object (other tooling reads it).
 *
 * The generated config is what a real organization looks like where it stresses us:
 *   - table names shared across accounts (every account has "orders-0", ...), so names alone never
 *     identify a source;
 *   - every 7th source with a customer managed key (one key per account), every 3rd with redaction
 *     and an actor attribute, so the per-source options file and the KMS grants are exercised.
 *
 * Figures that are modelled rather than measured say so in their name's comment below.
 *   SCALE_NAG=0   synthesize without cdk-nag (to see what cdk-nag costs)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildAuditApp } from '../lib/audit-app';
import { generateScaleConfig } from './scale-config';

const log = (text: string) => process.stderr.write(`${text}\n`);

interface TemplateFigures {
  stacks: number;
  max_stack_resources: number;
  max_stack_resources_stack: string;
  max_template_bytes: number;
  max_template_bytes_stack: string;
  max_role_inline_policy_chars: number;
  max_managed_policy_chars: number;
}

/**
 * Reads every template of a cloud assembly. IAM counts policy size without whitespace
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), so a policy's size is
 * its minified JSON; the figure is an upper bound where a value is still a CloudFormation token.
 */
export function templateFigures(outdir: string): TemplateFigures {
  const figures: TemplateFigures = { stacks: 0, max_stack_resources: 0, max_stack_resources_stack: '', max_template_bytes: 0, max_template_bytes_stack: '', max_role_inline_policy_chars: 0, max_managed_policy_chars: 0 };
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    const path = join(outdir, file);
    const bytes = statSync(path).size;
    const template = JSON.parse(readFileSync(path, 'utf8')) as { Resources?: Record<string, { Type: string; Properties?: Record<string, any> }> };
    const resources = Object.entries(template.Resources ?? {});
    figures.stacks++;
    if (resources.length > figures.max_stack_resources) Object.assign(figures, { max_stack_resources: resources.length, max_stack_resources_stack: file });
    if (bytes > figures.max_template_bytes) Object.assign(figures, { max_template_bytes: bytes, max_template_bytes_stack: file });
    // Inline policy characters per role: AWS::IAM::Policy resources attached to it, plus the role's own Policies.
    const perRole = new Map<string, number>();
    for (const [logicalId, resource] of resources) {
      if (resource.Type === 'AWS::IAM::Role') {
        const own = (resource.Properties?.Policies ?? []) as { PolicyDocument: unknown }[];
        perRole.set(logicalId, (perRole.get(logicalId) ?? 0) + own.reduce((sum, p) => sum + JSON.stringify(p.PolicyDocument).length, 0));
      }
    }
    for (const [, resource] of resources) {
      if (resource.Type === 'AWS::IAM::Policy') {
        const chars = JSON.stringify(resource.Properties?.PolicyDocument).length;
        for (const role of (resource.Properties?.Roles ?? []) as unknown[]) {
          const key = typeof role === 'object' && role !== null && 'Ref' in role ? String((role as { Ref: string }).Ref) : JSON.stringify(role);
          perRole.set(key, (perRole.get(key) ?? 0) + chars);
        }
      }
      if (resource.Type === 'AWS::IAM::ManagedPolicy') {
        figures.max_managed_policy_chars = Math.max(figures.max_managed_policy_chars, JSON.stringify(resource.Properties?.PolicyDocument).length);
      }
    }
    for (const chars of perRole.values()) figures.max_role_inline_policy_chars = Math.max(figures.max_role_inline_policy_chars, chars);
  }
  return figures;
}

async function main(): Promise<void> {
  const accounts = Number(process.argv[2] ?? 1000);
  const tables = Number(process.argv[3] ?? 10);
  if (!Number.isInteger(accounts) || accounts < 1 || !Number.isInteger(tables) || tables < 1) {
    throw new Error(`usage: npm run scale [ACCOUNTS] [TABLES_PER_ACCOUNT] (positive integers), got "${process.argv[2]}" "${process.argv[3]}"`);
  }
  const nag = process.env.SCALE_NAG !== '0';
  const config = generateScaleConfig(accounts, tables);
  const outdir = mkdtempSync(join(tmpdir(), 'ddb-audit-scale-'));
  log(`scale: ${config.sources.length} sources (${accounts} accounts x ${tables} tables), synthesizing into ${outdir}${nag ? ' with cdk-nag' : ' WITHOUT cdk-nag'} ...`);
  const started = process.hrtime.bigint();
  const app = new App({ outdir });
  buildAuditApp(app, config, { nag });
  const built = process.hrtime.bigint();
  app.synth();
  const done = process.hrtime.bigint();
  const figures = templateFigures(outdir);
  const result = {
    sources: config.sources.length,
    accounts,
    tables_per_account: tables,
    nag,
    synth_seconds: Number(done - started) / 1e9,
    construct_seconds: Number(built - started) / 1e9,
    synthesize_seconds: Number(done - built) / 1e9,
    synth_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...figures,
  };
  rmSync(outdir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`scale: ${err.message}\n`);
    process.exit(1);
  });
}
