/**
 * `ddb-audit normalize [FILE] [--cdk-json PATH]`: prints the change records of a Lambda DynamoDB
 * stream event, one JSON object per line, exactly as the collector sends them, in input order.
 * The per-source options (actor attribute, redaction) of the project's config apply when the
 * record's table is onboarded. Exit 0 when the event was read, even if records carry
 * normalization_error; exit 2 with a one-line reason when the input is not a stream event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { normalizeRecords } from '../../lambda/core/normalize';
import { changeRecordLine } from '../../lambda/core/packing';
import { collectorSourceOptions, loadAuditConfig } from '../../lib/config/load';
import { CommandIo, UsageError } from './io';

export async function run(args: string[], io: CommandIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'cdk-json': { type: 'string' } } });
    if (positionals.length > 1) throw new UsageError(`expected at most one FILE, got ${positionals.length}`);
    const file = positionals[0];
    const text = file === undefined || file === '-' ? await io.readStdin() : readInput(resolve(io.cwd, file));
    const records = parseStreamEvent(text, file ?? 'standard input');
    const sourceOptions = loadSourceOptions(values['cdk-json'] ?? resolve(io.cwd, 'cdk.json'), values['cdk-json'] !== undefined);
    let out = '';
    for (const record of normalizeRecords(records, { sourceOptions })) out += changeRecordLine(record);
    io.stdout(out);
    return 0;
  } catch (err) {
    io.stderr(`ddb-audit normalize: ${(err as Error).message}\n`);
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

// The config is optional (normalize works on any event), but a config that is present must be valid:
// silently skipping a source's redaction because of a typo elsewhere would leak what it protects.
function loadSourceOptions(path: string, explicit: boolean): CollectorSourceOptionsByTable {
  if (!explicit && !existsSync(path)) return {};
  return collectorSourceOptions(loadAuditConfig(path));
}
