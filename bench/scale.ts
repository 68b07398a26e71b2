/**
 * `npm run scale [ACCOUNTS] [TABLES_PER_ACCOUNT]`: generates an organization-sized config (default
 * 1,000 accounts x 10 tables; see ./scale-config.ts), synthesizes the whole app offline with
 * cdk-nag, and reports the figures each AWS quota is about. The last line of output is one JSON
 * object (other tooling reads it).
 *
 * Measured: synth time and peak RSS, stacks, resources and template bytes per stack, policy sizes,
 * the per-source options file's size and its parse time (the collector's cold-start cost), the
 * stream watch's source list file size (its layer; Lambda allows 250 MB unzipped with the function).
 * Modelled (labelled `*_model` where it says how): the delivery streams' active partitions with
 * every source active across midnight UTC (the same plan the app is built from), and the digest's
 * requests per hour at 1 million objects (the digest's own call model).
 *   SCALE_NAG=0   synthesize without cdk-nag (to see what cdk-nag costs)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildAuditApp } from '../lib/audit-app';
import { collectorSourceOptions, deliveryStreamPlan, resolveDelivery } from '../lib/config/load';
import { digestCallsPerHour, digestListCallsPerHour, listingDigestListCallsPerHour } from '../lambda/digest/arrivals/call-model';
import { parseSourceOptions } from '../lambda/core/collector-environment';
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

/** cdk-nag findings not acknowledged, from the validation report synth writes (0 when there is none: synth throws on a failure). */
function countNagViolations(outdir: string): number {
  let report: { pluginReports?: { violations: unknown[] }[] };
  try {
    report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  } catch {
    return 0;
  }
  return (report.pluginReports ?? []).reduce((sum, r) => sum + r.violations.length, 0);
}

/**
 * The per-source options file as the collector reads it at cold start: its size, and the median
 * time to read and parse it here (a bench figure, never a test assertion). Measured on a 10,000-
 * source file as well, whatever the config's size, since that is the size the issue asks about.
 */
function optionsFileFigures(options: Record<string, unknown>): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-audit-options-'));
  const measure = (content: Record<string, unknown>, name: string) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const start = process.hrtime.bigint();
      parseSourceOptions(readFileSync(path, 'utf8'));
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { bytes: statSync(path).size, ms: Math.round((times[10] as number) * 100) / 100 };
  };
  const actual = measure(options, 'actual.json');
  const ten = measure(collectorSourceOptions(generateScaleConfigAll(10_000)), 'ten-thousand.json');
  rmSync(dir, { recursive: true, force: true });
  return { source_options_file_bytes: actual.bytes, source_options_parse_ms: actual.ms, source_options_10k_sources_file_bytes: ten.bytes, source_options_10k_sources_parse_ms: ten.ms };
}

/**
 * The stream watch's source list file (its layer, lib/constructs/stream-watch.ts): the configured
 * stream ARNs as JSON, the bytes the layer holds, for this config and for 10,000 sources.
 */
function watchSourcesFigures(config: ReturnType<typeof generateScaleConfig>): Record<string, number> {
  const bytes = (c: ReturnType<typeof generateScaleConfig>) => Buffer.byteLength(JSON.stringify(c.sources.map((s) => s.streamArn)));
  return { watch_sources_file_bytes: bytes(config), watch_sources_10k_sources_file_bytes: bytes(generateScaleConfig(1_000, 10)) };
}

/** 10,000 sources with options on every one (the worst case for the file), 1,000 accounts x 10. */
function generateScaleConfigAll(sources: number): ReturnType<typeof generateScaleConfig> {
  const config = generateScaleConfig(sources / 10, 10);
  return { ...config, sources: config.sources.map((s) => ({ ...s, actorAttribute: 'updatedBy', redact: ['payment.cardNumber', 'customer.ssn'] })) };
}

/**
 * The digest's requests per hourly run with 1 million change-log objects, from the digest's own
 * call model (lambda/digest/arrivals/call-model.ts, which moves with the digest code): with the
 * arrivals ledger, ListObjectsV2 reads only the recent day folders of digests/, whatever the size of
 * the log. The listing design it replaced (every run lists all of changes/) is reported beside it.
 * Objects per hour, for the GetObject figure, is an upper bound: every source's partition flushed
 * once per buffer interval.
 */
function digestModel(sources: number, bufferIntervalSeconds: number): Record<string, number | string> {
  const objectsInLog = 1_000_000;
  const objectsPerHour = sources * Math.ceil(3600 / bufferIntervalSeconds);
  return {
    digest_list_calls_per_hour_at_1m_objects: digestListCallsPerHour(objectsInLog, objectsPerHour),
    digest_list_calls_per_hour_at_1m_objects_listing_design: listingDigestListCallsPerHour(objectsInLog),
    digest_get_object_calls_per_hour_upper_bound: digestCallsPerHour(objectsPerHour).getObject,
    digest_model: `lambda/digest/arrivals/call-model.ts (arrivals ledger); GetObject with every source flushing once per ${bufferIntervalSeconds} s buffer interval`,
  };
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
  const nagViolations = countNagViolations(outdir);
  const plan = deliveryStreamPlan(config);
  const options = optionsFileFigures(collectorSourceOptions(config));
  const result = {
    sources: config.sources.length,
    accounts,
    tables_per_account: tables,
    nag,
    nag_violations: nagViolations,
    synth_seconds: Number(done - started) / 1e9,
    construct_seconds: Number(built - started) / 1e9,
    synthesize_seconds: Number(done - built) / 1e9,
    synth_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...figures,
    delivery_streams: plan.streamCount,
    max_active_partitions_per_stream: plan.maxActivePartitions,
    max_active_partitions_model: 'every source active across midnight UTC: 2 partitions per source + 2 reserved (unknown source) per stream, hash routing as deployed',
    ...options,
    ...watchSourcesFigures(config),
    ...digestModel(config.sources.length, resolveDelivery(config).bufferIntervalSeconds),
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
