/**
 * Validates the audit config: first its shape (JSON Schema, ajv), then what a schema cannot say
 * (stream ARN structure, duplicates, same region as the collector, 12-digit accounts).
 *
 * Every message names the entry, the field and the value received, because the person reading it
 * is a platform engineer looking at a failed `cdk synth` or `ddb-audit sources validate`.
 * Pure code: no aws-cdk-lib, so the CLI can use it too.
 */
import Ajv, { ErrorObject } from 'ajv';
import { AUDIT_CONFIG_SCHEMA, AuditConfig } from '../../schemas/audit-config';
import { explainStreamArn, parseStreamArn } from '../../lambda/core/stream-arn';
import { parseRedactPath, RedactPathError, topLevelName } from '../../lambda/core/redact-path';

export class AuditConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid audit config (cdk.json context "audit"):\n  - ${problems.join('\n  - ')}`);
    this.name = 'AuditConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateShape = ajv.compile(AUDIT_CONFIG_SCHEMA);

/** Returns the problems found; an empty list means the config is valid. */
export function findConfigProblems(input: unknown): string[] {
  if (input === undefined || input === null) return ['no "audit" context found: add it to cdk.json (see README, Configuration)'];
  if (!validateShape(input)) return (validateShape.errors ?? []).map((e) => describeSchemaError(e, input));
  return findSemanticProblems(input as AuditConfig);
}

/** Validates and returns the config, or throws AuditConfigError listing every problem. */
export function validateAuditConfig(input: unknown): AuditConfig {
  const problems = findConfigProblems(input);
  if (problems.length > 0) throw new AuditConfigError(problems);
  return input as AuditConfig;
}

function findSemanticProblems(config: AuditConfig): string[] {
  const problems: string[] = [];
  if (!/^\d{12}$/.test(config.auditAccountId)) {
    problems.push(`auditAccountId: "${config.auditAccountId}" is not a 12-digit AWS account id (write it as a string so leading zeros are kept)`);
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(config.region)) {
    problems.push(`region: "${config.region}" is not an AWS region name such as eu-west-1`);
  }
  const seenStreams = new Map<string, number>();
  const seenTables = new Map<string, number>();
  config.sources.forEach((source, i) => {
    const where = `sources[${i}]`;
    const parts = parseStreamArn(source.streamArn);
    if (!parts) {
      problems.push(`${where}.streamArn: "${source.streamArn}" is not a DynamoDB stream ARN: ${explainStreamArn(source.streamArn)}`);
      return;
    }
    const firstStream = seenStreams.get(source.streamArn);
    if (firstStream !== undefined) {
      problems.push(`${where}.streamArn: "${source.streamArn}" duplicates sources[${firstStream}]; each stream is onboarded once`);
    } else {
      seenStreams.set(source.streamArn, i);
      const firstTable = seenTables.get(parts.tableArn);
      if (firstTable !== undefined) {
        problems.push(`${where}.streamArn: "${source.streamArn}" is a second stream of table ${parts.tableArn} (sources[${firstTable}]); a table has one stream at a time, so replace the old entry`);
      }
      seenTables.set(parts.tableArn, i);
    }
    if (parts.region !== config.region) {
      problems.push(
        `${where}.streamArn: "${source.streamArn}" is in region ${parts.region}, but the collector is in ${config.region}; ` +
          'cross-account DynamoDB stream reading works only in the same region (deploy a second audit stack in that region)',
      );
    }
    if (source.kmsKeyArn !== undefined && !/^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(source.kmsKeyArn)) {
      problems.push(`${where}.kmsKeyArn: "${source.kmsKeyArn}" is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; an alias will not do)`);
    }
    problems.push(...tuningProblems(source.eventSource, `${where}.eventSource`));
    problems.push(...redactPathProblems(source.redact, source.keyAttributes, `${where}.redact`));
  });
  problems.push(...tuningProblems(config.eventSource, 'eventSource'));
  if (config.projectionStartDate !== undefined && !isCalendarDate(config.projectionStartDate)) {
    problems.push(`projectionStartDate: "${config.projectionStartDate}" is not a calendar date`);
  }
  return problems;
}

/**
 * Each redact path in the syntax the collector applies (lambda/core/redact-path.ts), and none on a
 * key attribute where the key schema is known: keys are never redacted, so such a path would
 * protect nothing.
 */
function redactPathProblems(paths: readonly string[] | undefined, keyAttributes: readonly string[] | undefined, where: string): string[] {
  const problems: string[] = [];
  for (const path of paths ?? []) {
    try {
      const parsed = parseRedactPath(path);
      if (keyAttributes?.includes(topLevelName(parsed))) {
        problems.push(`${where}: ${JSON.stringify(path)} names the key attribute ${JSON.stringify(topLevelName(parsed))}; keys are never redacted (item_key must identify the item), so remove it`);
      }
    } catch (err) {
      if (!(err instanceof RedactPathError)) throw err;
      problems.push(`${where}: ${JSON.stringify(path)} ${err.reason} at position ${err.position}`);
    }
  }
  return problems;
}

/** Date.parse accepts 2026-02-30 (it rolls over to March); a round trip does not. */
function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/** Limits the JSON Schema cannot state: Lambda takes a record age of -1 (no limit) or 60 s to 7 days. */
function tuningProblems(tuning: AuditConfig['eventSource'], where: string): string[] {
  const age = tuning?.maxRecordAgeSeconds;
  if (age !== undefined && age !== -1 && age < 60) {
    return [`${where}.maxRecordAgeSeconds: ${age} is not -1 (no limit) or between 60 and 604800 (Lambda's limits)`];
  }
  return [];
}

function describeSchemaError(error: ErrorObject, root: unknown): string {
  const path = pointerToPath(error.instancePath) || '(top level)';
  const value = valueAt(root, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return `${path}: unknown key "${key}"`;
    }
    case 'required':
      return `${path}: missing required key "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${path}: ${JSON.stringify(value)} is not one of ${((error.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${path}: ${JSON.stringify(value)} ${error.message ?? 'is invalid'}`;
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
    current = (current as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}
