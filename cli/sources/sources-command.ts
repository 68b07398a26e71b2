/**
 * What `ddb-audit sources add|list|validate` do once their arguments are parsed
 * (bin/commands/sources.ts defines them): onboarding is one entry in cdk.json.
 *
 *   add        validates the whole resulting config (the same checks as `cdk synth`), refuses a stream ARN
 *       already present, writes the entry into cdk.json and prints what the source account must
 *       deploy. The write is safe to run many at once and to interrupt: it takes a lock beside
 *       cdk.json (cdk.json.lock), re-reads the file under it, inserts only the new entry's text (every
 *       other byte of the file is kept, so the diff is the new lines), and replaces the file through a
 *       flushed temporary file and a rename, so a crash or a full disk leaves the old file whole.
 *   rotate     moves an onboarded table to its new stream (re-enabling a stream or changing its view
 *       type gives it a new ARN, and the mapping keeps reading the old one: docs/coverage.md). Same
 *       lock, checks and atomic write as add; only the entry's streamArn value changes. Prints the next
 *       steps: deploy (the mapping moves to the new stream), then fill the gap the watch recorded.
 *   list       one line per onboarded source; --json prints the same columns, one JSON object per line.
 *   validate   the config's problems, in the same words as `cdk synth`; exit 1 when there are any.
 *
 * Exit status: 0 done; 1 the config has problems (validate, or add on an invalid result);
 * 2 bad arguments, unreadable cdk.json, a stream already onboarded, a table not onboarded (rotate), or
 * cdk.json locked or not writable.
 *
 * Values from cdk.json are printed through escapeForTerminal (a name with control characters cannot
 * repaint the terminal); --json prints them exactly.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditConfig, SourceConfig } from '../../schemas/audit-config';
import { parseStreamArn } from '../../lambda/core/stream-arn';
import { AUDIT_STACK_NAME, mappingsStackName, sourceStackName, WATCH_STACK_NAME } from '../../lib/stack-names';
import { chunkIndexOf, MAPPINGS_PER_STACK, SOURCES_PER_SOURCE_STACK } from '../../lib/stack-chunks';
import { CONTEXT_KEY, readCdkJson, readCdkJsonText, resolveWatch } from '../../lib/config/load';
import { AuditConfigError, findConfigProblems } from '../../lib/config/validate';
import { collectorRoleArn, sourceKeyPolicyStatement, streamResourcePolicy, watchRoleArn, watchTableResourcePolicy } from '../../lib/stream-policy';
import { FileWriter, writeFileAtomic } from '../config-file/atomic-write';
import { acquireFileLock, LockOptions } from '../config-file/file-lock';
import { insertIntoJsonArray, replaceStringInJsonArray } from '../config-file/json-insert';
import { escapeForTerminal } from '../terminal-text';
import { outputStyle } from '../program/output-style';
import { onInterrupt } from '../program/interrupt';
import { renderTable } from '../text-table';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { SOURCE_COLUMNS, sourceRow } from './source-columns';

/** Exit status when the config itself is invalid. */
const CONFIG_INVALID = 1;

/** What tests replace: the file writer (to fail midway, as a full disk does) and the lock's timing. */
export interface SourcesDependencies {
  readonly writer?: FileWriter;
  readonly lock?: LockOptions;
}

export interface RotateOptions {
  readonly tableArn?: string;
  readonly streamArn?: string;
  readonly cdkJson?: string;
}

export interface AddOptions {
  readonly streamArn?: string;
  readonly actorAttribute?: string;
  readonly redact?: string;
  readonly keyAttributes?: string;
  readonly kmsKeyArn?: string;
  readonly cdkJson?: string;
}

/** Runs `body`, printing any error as one `ddb-audit sources SUB:` line with exit status 2. */
export async function sourcesCommand(sub: string, io: CommandIo, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (err) {
    io.stderr(`ddb-audit sources ${sub}: ${escapeForTerminal((err as Error).message)}\n`);
    return 2;
  }
}

function cdkJsonPath(value: string | undefined, io: CommandIo): string {
  return resolve(io.cwd, value ?? io.env.DDB_AUDIT_CDK_JSON ?? 'cdk.json');
}

/** The `audit` context of a cdk.json document (raw, not validated). */
function auditContext(doc: Record<string, any>, path: string): Record<string, any> {
  const audit = doc.context?.[CONTEXT_KEY];
  if (audit === null || typeof audit !== 'object' || Array.isArray(audit)) {
    throw new UsageError(`${path} has no "context.${CONTEXT_KEY}" object (see docs/configuration.md)`);
  }
  return audit as Record<string, any>;
}

export async function addSource(values: AddOptions, io: CommandIo, deps: SourcesDependencies = {}): Promise<number> {
  const streamArn = values.streamArn;
  if (streamArn === undefined || streamArn === '') throw new UsageError('add needs --stream-arn ARN (the full stream ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)');

  const entry: Record<string, unknown> = { streamArn };
  if (values.actorAttribute !== undefined) entry.actorAttribute = values.actorAttribute;
  if (values.redact !== undefined) entry.redact = values.redact.split(',').map((p) => p.trim());
  // The table's key schema (DescribeTable's KeySchema: partition key, then sort key). Recorded, it lets
  // the config refuse a redact path on a key attribute before deploy (keys are never redacted).
  if (values.keyAttributes !== undefined) entry.keyAttributes = values.keyAttributes.split(',').map((p) => p.trim());
  if (values.kmsKeyArn !== undefined) entry.kmsKeyArn = values.kmsKeyArn;

  return editCdkJsonUnderLock(cdkJsonPath(values.cdkJson, io), deps, (text, audit, sources, path) => {
    const existing = sources.findIndex((s) => (s as { streamArn?: unknown } | null)?.streamArn === streamArn);
    if (existing >= 0) throw new UsageError(`stream ${streamArn} is already onboarded as sources[${existing}] in ${path}; nothing changed`);

    const candidate = { ...audit, sources: [...sources, entry] };
    const problems = findConfigProblems(candidate);
    if (problems.length > 0) {
      io.stderr(`ddb-audit sources add: not added, cdk.json unchanged. ${new AuditConfigError(problems).message}\n`);
      return CONFIG_INVALID;
    }
    return {
      text: insertIntoJsonArray(text, ['context', CONTEXT_KEY, 'sources'], entry),
      written: () => io.stdout(nextSteps(candidate as AuditConfig, entry as SourceConfig, sources.length, path)),
    };
  });
}

/** What an edit of cdk.json decides: the new text, and what to say once it is written; or an exit status, writing nothing. */
type CdkJsonEdit = { readonly text: string; readonly written: () => void } | number;

/**
 * The one way `sources add` and `sources rotate` change cdk.json: under its lock (one per real file,
 * whichever name or symlink reaches it), reading it again under the lock because another process may
 * have written since this one started, and writing the edit atomically while the lock is still held.
 * Ctrl-C releases the lock at once (a dead owner's lock would otherwise wait to be judged stale).
 */
async function editCdkJsonUnderLock(
  path: string,
  deps: SourcesDependencies,
  edit: (text: string, audit: Record<string, any>, sources: unknown[], path: string) => CdkJsonEdit,
): Promise<number> {
  const lock = await acquireFileLock(realFile(path), deps.lock);
  const forgetLock = onInterrupt(() => lock.release());
  try {
    const { text, doc } = readCdkJsonText(path);
    const audit = auditContext(doc, path);
    const sources: unknown[] = Array.isArray(audit.sources) ? audit.sources : [];
    const decided = edit(text, audit, sources, path);
    if (typeof decided === 'number') return decided;
    lock.assertHeld();
    writeFileAtomic(path, decided.text, { writer: deps.writer });
    decided.written();
    return 0;
  } finally {
    forgetLock();
    lock.release();
  }
}

export async function rotateSource(values: RotateOptions, io: CommandIo, deps: SourcesDependencies = {}): Promise<number> {
  const tableArn = values.tableArn;
  const newStreamArn = values.streamArn;
  if (!tableArn) throw new UsageError('rotate needs --table-arn ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)');
  if (!newStreamArn) throw new UsageError('rotate needs --stream-arn NEW (the table\'s new stream ARN, its LatestStreamArn)');
  const parsedNew = parseStreamArn(newStreamArn);
  if (!parsedNew) throw new UsageError(`--stream-arn ${newStreamArn} is not a stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)`);
  if (parsedNew.tableArn !== tableArn) throw new UsageError(`--stream-arn ${newStreamArn} is a stream of ${parsedNew.tableArn}, not of --table-arn ${tableArn}; nothing changed`);

  return editCdkJsonUnderLock(cdkJsonPath(values.cdkJson, io), deps, (text, audit, sources, path) => {
    const index = sources.findIndex((s) => {
      const arn = (s as { streamArn?: unknown } | null)?.streamArn;
      return typeof arn === 'string' && parseStreamArn(arn)?.tableArn === tableArn;
    });
    if (index < 0) throw new UsageError(`table ${tableArn} is not onboarded in ${path} (no source whose streamArn is a stream of it); use sources add; nothing changed`);
    const oldStreamArn = (sources[index] as { streamArn: string }).streamArn;
    if (oldStreamArn === newStreamArn) throw new UsageError(`sources[${index}] already reads ${newStreamArn}; nothing changed`);

    const candidate = { ...audit, sources: sources.map((s, i) => (i === index ? { ...(s as object), streamArn: newStreamArn } : s)) };
    const problems = findConfigProblems(candidate);
    if (problems.length > 0) {
      io.stderr(`ddb-audit sources rotate: not rotated, cdk.json unchanged. ${new AuditConfigError(problems).message}\n`);
      return CONFIG_INVALID;
    }
    return {
      text: replaceStringInJsonArray(text, ['context', CONTEXT_KEY, 'sources'], index, 'streamArn', newStreamArn),
      written: () => io.stdout(rotateNextSteps(candidate as AuditConfig, index, oldStreamArn, newStreamArn, path)),
    };
  });
}

/** What to do after a rotation: deploy, so the mapping reads the new stream, then fill the gap. */
function rotateNextSteps(config: AuditConfig, index: number, oldStreamArn: string, newStreamArn: string, path: string): string {
  const arn = parseStreamArn(newStreamArn)!;
  // The source keeps its place among its account's sources, so its chunks (lib/stack-chunks.ts) stay the same.
  const ofAccount = config.sources.slice(0, index + 1).filter((s) => parseStreamArn(s.streamArn)?.accountId === arn.accountId).length;
  const sourceStack = sourceStackName(arn.accountId, chunkIndexOf(ofAccount - 1, SOURCES_PER_SOURCE_STACK));
  const mappingsStack = mappingsStackName(arn.accountId, chunkIndexOf(ofAccount - 1, MAPPINGS_PER_STACK));
  return `${[
    `Rotated sources[${index}] in ${escapeForTerminal(path)}: table ${arn.tableName} in account ${arn.accountId} (${arn.region})`,
    `  from ${oldStreamArn}`,
    `  to   ${newStreamArn}`,
    '',
    'Next steps:',
    `1. Source account ${arn.accountId}: npx cdk deploy --exclusively ${sourceStack}   (grants the new stream to the collector and the watch)`,
    `2. Audit account ${config.auditAccountId}: npx cdk deploy ${auditStacks(config)} ${mappingsStack}   (the mapping moves to the new stream and reads it from TRIM_HORIZON;`,
    '   changes older than 24 h on the new stream are already trimmed).',
    '3. Within one watch interval the watch closes the gap (an op = \'g\' row with its bounds); then fill it:',
    '     npx ddb-audit coverage        (shows the gap, its bounds and whether it is filled)',
    '   and re-deliver the table\'s state from a full export at or after the gap\'s end (DYNAMODB_JSON), with',
    '     npx ddb-audit backfill --export EXPORT --key-attributes PK[,SK] --gap-id GAP_ID --data DIR',
    '   (docs/coverage.md, "Filling a gap"; backfill reads full exports only, and refuses an incremental one).',
    '',
  ].join('\n')}\n`;
}

/** The audit-account stacks a source change touches: the audit stack, and the watch stack (its source list) when the watch is deployed. */
function auditStacks(config: AuditConfig): string {
  return resolveWatch(config).enabled ? `${AUDIT_STACK_NAME} ${WATCH_STACK_NAME}` : AUDIT_STACK_NAME;
}

function realFile(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** What the platform team and the source account do after the entry is written. */
function nextSteps(config: AuditConfig, source: SourceConfig, index: number, path: string): string {
  const arn = parseStreamArn(source.streamArn)!;
  const location = { auditAccountId: config.auditAccountId, region: config.region, partition: arn.partition };
  const role = collectorRoleArn(location);
  // With the stream watch (watch.enabled, the default) its role is in the stream statement and has a table statement of its own.
  const watch = resolveWatch(config).enabled ? watchRoleArn(location) : undefined;
  // The new entry is appended, so it is its account's last source: that fixes its chunk (lib/stack-chunks.ts).
  const ofAccount = config.sources.filter((s) => parseStreamArn(s.streamArn)?.accountId === arn.accountId).length;
  const sourceChunk = chunkIndexOf(ofAccount - 1, SOURCES_PER_SOURCE_STACK);
  const sourceStack = sourceStackName(arn.accountId, sourceChunk);
  const mappingsStack = mappingsStackName(arn.accountId, chunkIndexOf(ofAccount - 1, MAPPINGS_PER_STACK));
  const indent = (text: string, by: string) => text.replace(/^/gm, by);
  const lines = [
    `Added sources[${index}] to ${escapeForTerminal(path)}: table ${arn.tableName} in account ${arn.accountId} (${arn.region}).`,
    '',
    'Deploy in this order (or all at once with `npx cdk deploy --all` when both accounts are bootstrapped with trust):',
    `1. Audit account ${config.auditAccountId}: npx cdk deploy ${auditStacks(config)}`,
    '   (gives the collector the table\'s options; the Glue catalog needs no change: the table\'s partitions are',
    '   registered as its first changes arrive, and `npx ddb-audit catalog sync` registers any that are missing).',
    `2. Source account ${arn.accountId} grants its stream to the collector role ${role}${watch ? ` and the watch role ${watch}, and DescribeTable on the table to the watch role` : ''}:`,
    `     npx cdk deploy --exclusively ${sourceStack}      (with that account's credentials)`,
    '   or, if the table is defined in the source team\'s own CDK app (TableV2), they set streamResourcePolicy to',
    `   iam.PolicyDocument.fromJson() of this document (streamResourcePolicy() in lib/stream-policy.ts; the Sid is ${sourceStack}'s):`,
    indent(JSON.stringify(streamResourcePolicy(role, '*', watch, sourceChunk), null, 2), '     '),
  ];
  if (watch !== undefined) {
    lines.push(
      '   and resourcePolicy (the table\'s own policy) to this document (watchTableResourcePolicy() in lib/stream-policy.ts):',
      indent(JSON.stringify(watchTableResourcePolicy(watch, '*', sourceChunk), null, 2), '     '),
    );
  }
  if (source.kmsKeyArn !== undefined) {
    lines.push(
      `   and they add this statement to the key policy of ${source.kmsKeyArn}:`,
      indent(JSON.stringify(sourceKeyPolicyStatement(role), null, 2), '     '),
    );
  }
  lines.push(
    `3. Audit account ${config.auditAccountId}: npx cdk deploy --exclusively ${mappingsStack}      (creates the event source mapping)`,
    '',
    'Before you deploy, check the two known blockers:',
    '  - a table encrypted with the AWS managed key aws/dynamodb cannot be read from another account:',
    '    switch the table to a customer managed key (and pass --kms-key-arn) or to an AWS owned key;',
    '  - each stream shard allows two concurrent readers and this pipeline is one of them.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

export function listSources(values: { json?: boolean; cdkJson?: string }, io: CommandIo): number {
  const path = cdkJsonPath(values.cdkJson, io);
  const audit = auditContext(readCdkJson(path), path);
  const sources: unknown[] = Array.isArray(audit.sources) ? audit.sources : [];
  const rows = sources.map((raw, i) => sourceRow(raw, i));
  if (values.json) {
    // The table's columns, keyed by their JSON names, with exact values.
    io.stdout(rows.map((row) => `${JSON.stringify(Object.fromEntries(SOURCE_COLUMNS.map((c) => [c.json, row[c.json]])))}\n`).join(''));
    return 0;
  }
  if (sources.length === 0) {
    io.stdout(`no sources onboarded in ${escapeForTerminal(path)}\n`);
    return 0;
  }
  const cells = rows.map((row) => SOURCE_COLUMNS.map((c) => escapeForTerminal(c.text(row))));
  io.stdout(renderTable(SOURCE_COLUMNS.map((c) => c.header), cells, { style: outputStyle(io), maxCellWidth: Number.POSITIVE_INFINITY }));
  return 0;
}

export function validateSources(values: { cdkJson?: string }, io: CommandIo): number {
  const path = cdkJsonPath(values.cdkJson, io);
  const config = readCdkJson(path).context?.[CONTEXT_KEY];
  const problems = findConfigProblems(config);
  if (problems.length > 0) {
    io.stderr(`${new AuditConfigError(problems).message}\n`);
    return CONFIG_INVALID;
  }
  const sources = (config as AuditConfig).sources.length;
  io.stdout(`${escapeForTerminal(path)}: audit config is valid (${sources} source${sources === 1 ? '' : 's'})\n`);
  return 0;
}
