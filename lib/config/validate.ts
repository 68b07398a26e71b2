/**
 * Validates the audit config: its shape (JSON Schema, ajv), then what a schema cannot say (stream
 * ARN structure and label, duplicates, same region and partition as the collector, KMS keys beside
 * their table, 12-digit accounts, names that are safe to use as attribute names and to print).
 *
 * Every problem is reported at once, one line each, starting with the JSON path it is about
 * (`sources[3].kmsKeyArn: …`), because the person reading it is a platform engineer looking at a
 * failed `cdk synth` or `ddb-audit sources validate`, who should fix them all in one pass.
 * The semantic checks run even when the shape is wrong: each looks only at the values of the type
 * it expects (ajv already reported the others), so one mistake is reported once.
 *
 * To add a check: write one function that pushes its problems, and list it in CONFIG_CHECKS (a
 * whole-config check) or SOURCE_CHECKS (run for each entry of `sources`).
 *
 * Values are printed through escapeForTerminal: a config value may hold control characters (that
 * is one of the things refused here), and the message about it must not carry them to the terminal.
 * Pure code: no aws-cdk-lib, so the CLI can use it too.
 */
import Ajv, { ErrorObject } from 'ajv';
import { AUDIT_CONFIG_SCHEMA, AuditConfig, DELIVERY_DEFAULTS, HEARTBEAT_DEFAULTS } from '../../schemas/audit-config';
import { explainStreamArn, parseStreamArn, StreamArnParts } from '../../lambda/core/stream-arn';
import { escapeForTerminal, hasTerminalControl } from '../../cli/terminal-text';
import { parseRedactPath, RedactPathError, topLevelName } from '../../lambda/core/redact-path';
import { heartbeatTimingProblem } from './heartbeat';

export class AuditConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid audit config (cdk.json context "audit"):\n  - ${problems.join('\n  - ')}`);
    this.name = 'AuditConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateShape = ajv.compile(AUDIT_CONFIG_SCHEMA);

/** The config as read, before it is known to have the schema's shape. */
type RawConfig = Readonly<Record<string, unknown>>;
type RawSource = Readonly<Record<string, unknown>>;

/** A check of the whole config: pushes one line per problem found. */
type ConfigCheck = (config: RawConfig, problems: string[]) => void;

/** A check of one `sources` entry; `where` is its JSON path (`sources[3]`). */
type SourceCheck = (source: RawSource, where: string, context: SourceCheckContext, problems: string[]) => void;

interface SourceCheckContext {
  readonly config: RawConfig;
  /** The entry's parsed stream ARN, when it is one. */
  readonly arn: StreamArnParts | undefined;
  /** First index of each stream ARN and of each table ARN seen so far (for duplicates). */
  readonly seenStreams: Map<string, number>;
  readonly seenTables: Map<string, number>;
}

/** Returns the problems found; an empty list means the config is valid. */
export function findConfigProblems(input: unknown): string[] {
  if (input === undefined || input === null) return ['no "audit" context found: add it to cdk.json (see docs/configuration.md)'];
  const problems = validateShape(input) ? [] : (validateShape.errors ?? []).map((e) => describeSchemaError(e, input));
  if (!isObject(input)) return problems;
  for (const check of CONFIG_CHECKS) check(input, problems);
  return problems;
}

/** Validates and returns the config, or throws AuditConfigError listing every problem. */
export function validateAuditConfig(input: unknown): AuditConfig {
  const problems = findConfigProblems(input);
  if (problems.length > 0) throw new AuditConfigError(problems);
  return input as AuditConfig;
}

// ---------------------------------------------------------------------------------------------
// Whole-config checks
// ---------------------------------------------------------------------------------------------

function checkAuditAccountId(config: RawConfig, problems: string[]): void {
  const id = config.auditAccountId;
  if (typeof id === 'string' && !/^\d{12}$/.test(id)) {
    problems.push(`auditAccountId: ${shown(id)} is not a 12-digit AWS account id (write it as a string so leading zeros are kept)`);
  }
}

function checkRegion(config: RawConfig, problems: string[]): void {
  const region = config.region;
  if (typeof region === 'string' && !isRegionName(region)) problems.push(`region: ${shown(region)} is not an AWS region name such as eu-west-1`);
}

function checkAlarmEmail(config: RawConfig, problems: string[]): void {
  pushIfControl(config.alarmEmail, 'alarmEmail', problems);
}

function checkGlobalTuning(config: RawConfig, problems: string[]): void {
  tuningProblems(config.eventSource, 'eventSource', problems);
}

function checkProjectionStartDate(config: RawConfig, problems: string[]): void {
  const date = config.projectionStartDate;
  // The schema's pattern reports text that is not yyyy-MM-dd; this catches 2026-02-30.
  if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) && !isCalendarDate(date)) {
    problems.push(`projectionStartDate: ${shown(date)} is not a calendar date`);
  }
}

function checkSources(config: RawConfig, problems: string[]): void {
  if (!Array.isArray(config.sources)) return;
  const seenStreams = new Map<string, number>();
  const seenTables = new Map<string, number>();
  config.sources.forEach((source: unknown, i) => {
    if (!isObject(source)) return;
    const arn = typeof source.streamArn === 'string' ? parseStreamArn(source.streamArn) : undefined;
    const context: SourceCheckContext = { config, arn, seenStreams, seenTables };
    for (const check of SOURCE_CHECKS) check(source, `sources[${i}]`, context, problems);
  });
}

/** The heartbeat alarm must not be armed to fire between two heartbeats that are merely buffered (lib/config/heartbeat.ts). */
function checkHeartbeatTiming(config: RawConfig, problems: string[]): void {
  const heartbeat = isObject(config.heartbeat) ? config.heartbeat : {};
  const delivery = isObject(config.delivery) ? config.delivery : {};
  if ((heartbeat.enabled ?? HEARTBEAT_DEFAULTS.enabled) !== true) return;
  const interval = heartbeat.intervalMinutes ?? HEARTBEAT_DEFAULTS.intervalMinutes;
  const buffer = delivery.bufferIntervalSeconds ?? DELIVERY_DEFAULTS.bufferIntervalSeconds;
  // Shape errors (not integers) are the schema's to report.
  if (!Number.isInteger(interval) || !Number.isInteger(buffer)) return;
  const timing = heartbeatTimingProblem(interval as number, buffer as number);
  if (timing) problems.push(timing);
}

/**
 * attribution.cloudTrail names an existing trail's bucket: its name must be one S3 accepts
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: 3-63 characters
 * of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit), the
 * prefix a key prefix without slashes at its ends (CloudTrail appends /AWSLogs/ itself), and the
 * organization id AWS Organizations' form o- followed by 10 to 32 lower-case letters or digits
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
 * Each is spliced into the Glue table's S3 location, so nothing else may pass.
 */
function checkCloudTrail(config: RawConfig, problems: string[]): void {
  const trail = isObject(config.attribution) && isObject(config.attribution.cloudTrail) ? config.attribution.cloudTrail : undefined;
  if (!trail) return;
  const where = 'attribution.cloudTrail';
  const { bucket, prefix, organizationId } = trail;
  if (typeof bucket === 'string' && (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..'))) {
    problems.push(`${where}.bucket: ${shown(bucket)} is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)`);
  }
  if (typeof prefix === 'string' && !pushIfControl(prefix, `${where}.prefix`, problems)) {
    if (prefix === '' || prefix.startsWith('/') || prefix.endsWith('/') || prefix.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      problems.push(`${where}.prefix: ${shown(prefix)} is not a key prefix as a trail takes it (no slash at either end, no empty, . or .. segment; leave it out for none)`);
    } else if (/[*?[\]{}\\'"]/.test(prefix)) {
      problems.push(`${where}.prefix: ${shown(prefix)} holds a character (* ? [ ] { } \\ ' ") that cannot be part of the table's S3 location`);
    }
  }
  if (typeof organizationId === 'string' && !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    problems.push(`${where}.organizationId: ${shown(organizationId)} is not an organization id (o- and 10 to 32 lower-case letters or digits)`);
  }
}

const CONFIG_CHECKS: readonly ConfigCheck[] = [
  checkAuditAccountId,
  checkRegion,
  checkAlarmEmail,
  checkSources,
  checkGlobalTuning,
  checkProjectionStartDate,
  checkHeartbeatTiming,
  checkCloudTrail,
];

// ---------------------------------------------------------------------------------------------
// Per-source checks
// ---------------------------------------------------------------------------------------------

function checkStreamArn(source: RawSource, where: string, { config, arn, seenStreams, seenTables }: SourceCheckContext, problems: string[]): void {
  const streamArn = source.streamArn;
  if (typeof streamArn !== 'string') return;
  const at = `${where}.streamArn: ${shown(streamArn)}`;
  if (!arn) {
    problems.push(`${at} is not a DynamoDB stream ARN: ${escapeForTerminal(explainStreamArn(streamArn))}`);
    return;
  }
  const index = Number(/\[(\d+)\]$/.exec(where)?.[1]);
  const firstStream = seenStreams.get(streamArn);
  if (firstStream !== undefined) {
    problems.push(`${at} duplicates sources[${firstStream}]; each stream is onboarded once`);
    return;
  }
  seenStreams.set(streamArn, index);
  const firstTable = seenTables.get(arn.tableArn);
  if (firstTable !== undefined) {
    problems.push(`${at} is a second stream of table ${arn.tableArn} (sources[${firstTable}]); a table has one stream at a time, so replace the old entry`);
  }
  seenTables.set(arn.tableArn, index);
  // DynamoDB's StreamLabel is "a timestamp, in ISO 8601 format"
  // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Stream.html); stream
  // ARNs spell it yyyy-MM-ddTHH:mm:ss.SSS. "latest" or 2026-13-01… names no stream that can exist.
  if (!isStreamLabel(arn.streamLabel)) {
    problems.push(`${at} has stream label ${shown(arn.streamLabel)}, which is not the stream's creation time (yyyy-MM-ddTHH:mm:ss.SSS, as DescribeTable's LatestStreamArn gives it)`);
  }
  const partition = partitionOfRegion(arn.region);
  if (arn.partition !== partition) {
    problems.push(`${at} is in partition ${arn.partition}, but region ${arn.region} belongs to partition ${partition}`);
  } else if (typeof config.region === 'string' && isRegionName(config.region) && arn.region !== config.region) {
    problems.push(
      `${at} is in region ${arn.region}, but the collector is in ${config.region}; ` +
        'cross-account DynamoDB stream reading works only in the same region (deploy a second audit stack in that region)',
    );
  }
}

const KMS_KEY_ARN = /^arn:([a-z-]+):kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/;

/**
 * The key of an encrypted source table. A KMS key lives in one region (even a multi-Region key is a
 * set of related keys, one ARN per region, each managed independently:
 * https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html), and the
 * onboarding instructions ask the source account to add the collector to this key's policy, so the
 * key must be in the table's partition, region and account. (Whether DynamoDB accepts a key of
 * another account for a table is not verified; such a config is refused, which is the safe side.)
 */
function checkKmsKeyArn(source: RawSource, where: string, { arn }: SourceCheckContext, problems: string[]): void {
  const key = source.kmsKeyArn;
  if (typeof key !== 'string') return;
  const at = `${where}.kmsKeyArn: ${shown(key)}`;
  const m = KMS_KEY_ARN.exec(key);
  if (!m) {
    problems.push(`${at} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; an alias will not do)`);
    return;
  }
  if (!arn) return;
  const [, partition, region, account] = m as unknown as [string, string, string, string];
  const differences: string[] = [];
  if (partition !== arn.partition) differences.push(`partition ${partition}, not ${arn.partition}`);
  if (region !== arn.region) differences.push(`region ${region}, not ${arn.region}`);
  if (account !== arn.accountId) differences.push(`account ${account}, not ${arn.accountId}`);
  if (differences.length > 0) {
    problems.push(`${at} is in ${differences.join(', ')}: a table's key is in the table's own partition, region and account (those of streamArn)`);
  }
}

// Names a plain JavaScript object already answers to ("__proto__", "constructor", "toString", …).
// An actor attribute of that name would read the prototype's member, not the item's attribute.
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function checkActorAttribute(source: RawSource, where: string, _context: SourceCheckContext, problems: string[]): void {
  const name = source.actorAttribute;
  if (typeof name !== 'string') return;
  if (pushIfControl(name, `${where}.actorAttribute`, problems)) return;
  if (PROTOTYPE_NAMES.has(name)) {
    problems.push(`${where}.actorAttribute: ${shown(name)} is a JavaScript object property name (like __proto__ or constructor) and cannot be read safely as an attribute name`);
  }
}

/**
 * Redact paths in the syntax the collector parses (lambda/core/redact-path.ts): any other syntax is
 * refused, never skipped; and, where the key schema is recorded (keyAttributes), never on a key.
 */
function checkRedactPaths(source: RawSource, where: string, _context: SourceCheckContext, problems: string[]): void {
  if (!Array.isArray(source.redact)) return;
  const keyAttributes = Array.isArray(source.keyAttributes) ? (source.keyAttributes as unknown[]) : [];
  source.redact.forEach((path: unknown, i) => {
    if (typeof path !== 'string') return;
    if (pushIfControl(path, `${where}.redact[${i}]`, problems)) return;
    try {
      const name = topLevelName(parseRedactPath(path));
      if (keyAttributes.includes(name)) {
        problems.push(`${where}.redact: ${shown(path)} names the key attribute ${shown(name)}; keys are never redacted (item_key must identify the item), so remove it`);
      }
    } catch (err) {
      if (!(err instanceof RedactPathError)) throw err;
      problems.push(`${where}.redact: ${shown(path)} ${err.reason} at position ${err.position}`);
    }
  });
}

function checkSourceTuning(source: RawSource, where: string, _context: SourceCheckContext, problems: string[]): void {
  tuningProblems(source.eventSource, `${where}.eventSource`, problems);
}

const SOURCE_CHECKS: readonly SourceCheck[] = [checkStreamArn, checkActorAttribute, checkRedactPaths, checkKmsKeyArn, checkSourceTuning];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Limits the JSON Schema cannot state: Lambda takes a record age of -1 (no limit) or 60 s to 7 days. */
function tuningProblems(tuning: unknown, where: string, problems: string[]): void {
  if (!isObject(tuning)) return;
  const age = tuning.maxRecordAgeSeconds;
  if (typeof age === 'number' && Number.isInteger(age) && age >= -1 && age !== -1 && age < 60) {
    problems.push(`${where}.maxRecordAgeSeconds: ${age} is not -1 (no limit) or between 60 and 604800 (Lambda's limits)`);
  }
}

/** Pushes a problem and returns true when `value` is a string holding a control character. */
function pushIfControl(value: unknown, where: string, problems: string[]): boolean {
  if (typeof value !== 'string' || !hasTerminalControl(value)) return false;
  problems.push(`${where}: ${shown(value)} contains a control character (newline, tab, escape, bidirectional override…); names must be printable text`);
  return true;
}

/** Region names as AWS spells them: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1. */
function isRegionName(text: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d+$/.test(text);
}

/**
 * The partition a region belongs to: China (Beijing, Ningxia) is aws-cn
 * (https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html), GovCloud is aws-us-gov, the
 * isolated regions aws-iso / aws-iso-b; every other region is in aws.
 */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/** A stream label: the stream's creation time, yyyy-MM-ddTHH:mm:ss.SSS, a real instant (no month 13). */
function isStreamLabel(label: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/.test(label)) return false;
  const time = Date.parse(`${label}Z`);
  return !Number.isNaN(time) && new Date(time).toISOString() === `${label}Z`;
}


/** Date.parse accepts 2026-02-30 (it rolls over to March); a round trip does not. */
function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A received value as printed in a message: strings quoted, control characters shown as escapes. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `"${escapeForTerminal(value)}"`;
  return escapeForTerminal(JSON.stringify(value) ?? String(value));
}

function describeSchemaError(error: ErrorObject, root: unknown): string {
  const path = escapeForTerminal(pointerToPath(error.instancePath)) || '(top level)';
  const value = valueAt(root, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return `${path}: unknown key ${shown(key)}`;
    }
    case 'required':
      return `${path}: missing required key "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${path}: ${shown(value)} is not one of ${((error.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${path}: ${shown(value)} ${error.message ?? 'is invalid'}`;
  }
}

/** "/sources/2/streamArn" -> "sources[2].streamArn" */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function valueAt(root: unknown, pointer: string): unknown {
  let current: unknown = root;
  for (const seg of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
