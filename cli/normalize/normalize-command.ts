/**
 * What `ddb-audit normalize [FILE] [--cdk-json PATH | --no-config]` does (bin/commands/normalize.ts
 * defines its options): prints the change records of a
 * Lambda DynamoDB stream event, one JSON object per line, exactly as the collector sends them, in
 * input order. The per-source options (actor attribute, redaction) of the project's config apply
 * when the record's table is onboarded.
 *
 * The config is required: without it nothing is redacted, so the output would hold what the log
 * withholds and a record_hash unlike the collector's. --cdk-json PATH (or DDB_AUDIT_CDK_JSON) names
 * it, else ./cdk.json; when there is none the command refuses, unless --no-config says to go on
 * without redaction, which it warns about on stderr.
 *
 * Exit 0 when the event was read, even if records carry normalization_error; exit 2 with a one-line
 * reason (printed escaped: it can quote the input) when the input is not a stream event or there is
 * no valid config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { normalizeRecords } from '../../lambda/core/normalize';
import { changeRecordLine } from '../../lambda/core/packing';
import { collectorSourceOptions, loadAuditConfig } from '../../lib/config/load';
import { escapeForTerminal } from '../terminal-text';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

/** The warning --no-config prints; replay prints the same words. */
export function noConfigWarning(command: string): string {
  return `ddb-audit ${command}: warning: --no-config: no redaction and no actor attribute are applied, so the records hold every value as the stream has it, and record_hash differs from the collector's for any source whose config redacts\n`;
}

export interface NormalizeOptions {
  readonly cdkJson?: string;
  /** false when --no-config was given (commander's negated option). */
  readonly config?: boolean;
}

export async function normalizeCommand(file: string | undefined, values: NormalizeOptions, io: CommandIo): Promise<number> {
  try {
    const noConfig = values.config === false;
    if (noConfig && values.cdkJson !== undefined) throw new UsageError('--cdk-json and --no-config are exclusive: name the config, or say there is none');
    // The config first: a refusal must not have consumed standard input.
    const sourceOptions = loadSourceOptions(values.cdkJson ?? io.env.DDB_AUDIT_CDK_JSON, noConfig, io);
    const text = file === undefined || file === '-' ? await io.readStdin() : readInput(resolve(io.cwd, file));
    const records = parseStreamEvent(text, file ?? 'standard input');
    let out = '';
    for (const record of normalizeRecords(records, { sourceOptions })) out += changeRecordLine(record);
    io.stdout(out);
    return 0;
  } catch (err) {
    io.stderr(`ddb-audit normalize: ${escapeForTerminal((err as Error).message)}\n`);
    return 2;
  }
}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The Records of a stream event; anything else is refused with the reason. */
export function parseStreamEvent(text: string, source: string): unknown[] {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const records = (event as { Records?: unknown } | null)?.Records;
  if (event === null || typeof event !== 'object' || Array.isArray(event) || !Array.isArray(records)) {
    throw new UsageError(`${source} is not a DynamoDB stream event: expected an object with a "Records" array`);
  }
  return records;
}

// A config that is present must be valid (silently skipping a source's redaction because of a typo
// elsewhere would leak what it protects), and a missing one is refused unless --no-config says so.
function loadSourceOptions(cdkJson: string | undefined, noConfig: boolean, io: CommandIo): CollectorSourceOptionsByTable {
  if (noConfig) {
    io.stderr(noConfigWarning('normalize'));
    return {};
  }
  const path = resolve(io.cwd, cdkJson ?? 'cdk.json');
  if (cdkJson === undefined && !existsSync(path)) {
    throw new UsageError(`no config: ${path} does not exist, and redaction and actor attributes come from it; pass --cdk-json PATH, or --no-config to normalize without redaction`);
  }
  return collectorSourceOptions(loadAuditConfig(path));
}
