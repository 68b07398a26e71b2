/**
 * Reads the audit config from cdk.json (context key "audit") for the CLI, and resolves defaults.
 * The CDK app reads the same key through `app.node.tryGetContext('audit')`, so `-c` overrides work.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AuditConfig,
  CollectorSourceOptionsByTable,
  DEFAULT_BYTES_SCANNED_CUTOFF_MIB,
  DEFAULT_PROJECTION_START_DATE,
  DEFAULT_RETENTION_APPLY,
  DELIVERY_DEFAULTS,
  EVENT_SOURCE_DEFAULTS,
  HEARTBEAT_DEFAULTS,
  WATCH_DEFAULTS,
  RetentionApply,
  EventSourceTuning,
  SourceConfig,
} from '../../schemas/audit-config';
import { parseStreamArn, StreamArnParts } from '../../lambda/core/stream-arn';
import { planDeliveryStreams, StreamPlan } from '../../lambda/core/delivery-routing';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { AuditConfigError, validateAuditConfig } from './validate';

export const CONTEXT_KEY = 'audit';

export function defaultCdkJsonPath(): string {
  return resolve(process.env.DDB_AUDIT_CDK_JSON ?? 'cdk.json');
}

/** The raw cdk.json document (all of it). */
export function readCdkJson(path = defaultCdkJsonPath()): Record<string, any> {
  return readCdkJsonText(path).doc;
}

/**
 * cdk.json's exact text and its parsed document. `ddb-audit sources add` edits the text (see
 * cli/config-file/json-insert.ts) rather than re-serializing the document, so the file keeps its layout.
 */
export function readCdkJsonText(path = defaultCdkJsonPath()): { text: string; doc: Record<string, any> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path} is not a JSON object`);
  return { text, doc: doc as Record<string, any> };
}

/**
 * The raw config from a CDK context value. In cdk.json it is an object; from the command line
 * (`cdk synth -c audit='{...}'`) it arrives as a string of JSON.
 */
export function auditConfigFromContext(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new AuditConfigError([`context "${CONTEXT_KEY}" given on the command line is not valid JSON: ${(err as Error).message}`]);
  }
}

/** Loads and validates the config from cdk.json; throws AuditConfigError naming each problem. */
export function loadAuditConfig(path = defaultCdkJsonPath()): AuditConfig {
  return validateAuditConfig(readCdkJson(path).context?.[CONTEXT_KEY]);
}

/** A source with its parsed ARN and its tuning resolved against the global defaults. */
export interface ResolvedSource {
  readonly config: SourceConfig;
  readonly arn: StreamArnParts;
  readonly tuning: Required<EventSourceTuning>;
}

export function resolveSources(config: AuditConfig): ResolvedSource[] {
  return config.sources.map((source) => ({
    config: source,
    arn: parseStreamArn(source.streamArn)!,
    tuning: { ...EVENT_SOURCE_DEFAULTS, ...config.eventSource, ...source.eventSource },
  }));
}

export function resolveDelivery(config: AuditConfig): typeof DELIVERY_DEFAULTS {
  return { ...DELIVERY_DEFAULTS, ...config.delivery };
}

/**
 * The most delivery streams one deployment creates. Each stream adds six resources to the audit
 * stack (the stream, its error log stream and four alarms), and the audit stack must stay at or
 * below 400 of CloudFormation's 500 (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
 * about 150 resources without the streams (with the digest's arrival ledger and the catalog's
 * partition registration), so 42 streams reach 396. 42 streams hold about 10,000 sources at the
 * default quota and about 100,000 at a raised one (5,000). A test projects the audit stack to this
 * maximum from two syntheses and checks the 400, so a construct that adds resources fails it.
 */
export const MAX_DELIVERY_STREAMS = 42;

/**
 * How many delivery streams the config needs, and how full the fullest is (lambda/core/delivery-routing.ts).
 * The heartbeat table counts as a source: its changes go through the same streams.
 *
 * @throws AuditConfigError when no stream count up to MAX_DELIVERY_STREAMS keeps every stream inside the quota
 */
export function deliveryStreamPlan(config: AuditConfig): StreamPlan {
  const tableArns = resolveSources(config).map((s) => s.arn.tableArn);
  const first = resolveSources(config)[0]?.arn.partition ?? 'aws';
  if (resolveHeartbeat(config).enabled) tableArns.push(`arn:${first}:dynamodb:${config.region}:${config.auditAccountId}:table/${HEARTBEAT_TABLE_NAME}`);
  try {
    return planDeliveryStreams(tableArns, resolveDelivery(config).activePartitionQuota, MAX_DELIVERY_STREAMS);
  } catch (err) {
    throw new AuditConfigError([`delivery: ${(err as Error).message}`]);
  }
}

/** How Object Lock retention reaches each change-log object. */
export function retentionApply(config: AuditConfig): RetentionApply {
  return config.retention.apply ?? DEFAULT_RETENTION_APPLY;
}

/** The heartbeat settings with defaults applied. */
export function resolveHeartbeat(config: AuditConfig): typeof HEARTBEAT_DEFAULTS {
  return { ...HEARTBEAT_DEFAULTS, ...config.heartbeat };
}

/** The stream-lifecycle watch's settings with defaults applied. */
export function resolveWatch(config: AuditConfig): typeof WATCH_DEFAULTS {
  return { ...WATCH_DEFAULTS, ...config.watch };
}

/** Reserved concurrency of the digest function, if the config asks for it. */
export function digestReservedConcurrency(config: AuditConfig): number | undefined {
  return config.digest?.reservedConcurrency;
}

export function projectionStartDate(config: AuditConfig): string {
  return config.projectionStartDate ?? DEFAULT_PROJECTION_START_DATE;
}

export function bytesScannedCutoffMiB(config: AuditConfig): number {
  return config.athena?.bytesScannedCutoffPerQueryMiB ?? DEFAULT_BYTES_SCANNED_CUTOFF_MIB;
}

/** The per-source options the collector applies, keyed by table ARN. */
export function collectorSourceOptions(config: AuditConfig): CollectorSourceOptionsByTable {
  const options: CollectorSourceOptionsByTable = {};
  for (const { config: source, arn } of resolveSources(config)) {
    if (source.actorAttribute === undefined && source.redact === undefined) continue;
    options[arn.tableArn] = { actorAttribute: source.actorAttribute, redact: source.redact };
  }
  return options;
}

/** Distinct source account ids, in first-seen order: one source stack each. */
export function sourceAccounts(config: AuditConfig): string[] {
  return [...new Set(resolveSources(config).map((s) => s.arn.accountId))];
}
