/**
 * `ddb-audit evidence export`: runs one bundled query and writes a self-contained, signed package.
 *
 * All or nothing: the query runs first; the package (rows, summary.md, report.html, manifest and
 * signature) is written into a hidden sibling folder and renamed to --out only once it is complete
 * and signed. A failed query or signature leaves nothing, and neither does Ctrl-C
 * (cli/program/interrupt.ts removes the hidden folder).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { publicKeyFingerprint, Signer } from '../../lambda/digest/signing';
import { sha256Hex } from '../../lambda/digest/sha256';
import type { PartitionRef, QueryResult, RunQueryRequest } from '../query';
import { UNAVAILABLE_REASON } from '../query';
import { csvLine } from './csv';
import {
  CSV_FILE,
  EVIDENCE_FORMAT,
  EvidenceManifest,
  JSONL_FILE,
  ManifestFile,
  MANIFEST_FILE,
  PartitionCovered,
  PUBLIC_KEY_FILE,
  REPORT_FILE,
  serializeManifest,
  SIGNATURE_FILE,
  SUMMARY_FILE,
} from './manifest';
import { renderReportHtml } from './report-html';
import { renderSummary } from './summary';
import { removeOnInterrupt } from '../program/interrupt';
import { CLOUDTRAIL_TABLE_NAME } from '../../schemas/cloudtrail-events';
import { GLUE_DATABASE_NAME } from '../../schemas/partitioning';
import type { ToolInfo } from './tool-info';
import { ExportValue, exportValue } from './values';

export type QueryRunner = (request: RunQueryRequest) => Promise<QueryResult>;

export interface ExportOptions {
  readonly runQuery: QueryRunner;
  readonly request: RunQueryRequest;
  readonly outDir: string;
  readonly signer: Signer;
  readonly reason?: string;
  readonly tool: ToolInfo;
  readonly now?: () => Date;
}

export class OutputExistsError extends Error {
  override name = 'OutputExistsError';
}

export async function exportEvidence(options: ExportOptions): Promise<{ outDir: string; manifest: EvidenceManifest }> {
  const outDir = resolve(options.outDir);
  if (await exists(outDir)) throw new OutputExistsError(`--out ${options.outDir} already exists; evidence packages are never overwritten`);

  const result = await options.runQuery(options.request);

  const staging = join(dirname(outDir), `.${basename(outDir)}.partial-${randomUUID()}`);
  // Registered before it exists, so that Ctrl-C at any moment from here on leaves no partial folder.
  const forget = removeOnInterrupt(staging);
  await mkdir(staging, { recursive: true });
  try {
    const manifest = await writePackage(staging, result, options);
    if (await exists(outDir)) throw new OutputExistsError(`--out ${options.outDir} appeared while exporting; not overwritten`);
    await rename(staging, outDir);
    return { outDir, manifest };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    forget();
  }
}

async function writePackage(dir: string, result: QueryResult, options: ExportOptions): Promise<EvidenceManifest> {
  const now = options.now ?? (() => new Date());
  const columns = result.columns.map((c) => ({ name: c.name, type: c.type }));
  const rows: Record<string, ExportValue>[] = result.rows.map((row) => {
    const out: Record<string, ExportValue> = {};
    for (const c of columns) out[c.name] = exportValue(row[c.name], c.type);
    return out;
  });

  const files: ManifestFile[] = [];
  const add = async (path: string, bytes: Buffer): Promise<void> => {
    await writeFile(join(dir, path), bytes);
    files.push({ path, bytes: bytes.length, sha256: sha256Hex(bytes) });
  };
  await add(CSV_FILE, Buffer.from(csvLine(columns.map((c) => c.name)) + rows.map((r) => csvLine(columns.map((c) => r[c.name] as ExportValue))).join(''), 'utf8'));
  await add(JSONL_FILE, Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8'));
  await add(PUBLIC_KEY_FILE, Buffer.from(options.signer.publicKeyPem, 'utf8'));

  const isChangeRows = columns.some((c) => c.name === 'record_hash');
  const partitions = partitionsOf(result, rows);
  const body: Omit<EvidenceManifest, 'files'> = {
    format: EVIDENCE_FORMAT,
    created_at: now().toISOString(),
    tool: { name: 'ddb-audit', version: options.tool.version, git_commit: options.tool.gitCommit },
    reason: options.reason && options.reason.trim() !== '' ? options.reason : null,
    query: { name: options.request.name, source_file: `athena-queries/${options.request.name}.sql`, sql: result.sql, params: { ...options.request.params } },
    execution: {
      engine: result.engine,
      execution_id: result.executionId,
      started_at: String(exportValue(result.startedAt, 'timestamp')),
      ended_at: String(exportValue(result.endedAt, 'timestamp')),
      data_source: 'athena' in options.request ? athenaSource(options.request.athena) : resolve(options.request.dataDir),
    },
    result: { row_count: rows.length, empty: rows.length === 0, columns, partitions_covered: partitions.list, partitions_source: partitions.source },
    record_hashes: isChangeRows ? rows.map((r) => String(r.record_hash)) : null,
    ...(readsCloudTrail(result)
      ? {
          cloudtrail_input: {
            table: `${GLUE_DATABASE_NAME}.${CLOUDTRAIL_TABLE_NAME}`,
            files: result.cloudTrailFiles ? [...result.cloudTrailFiles] : null,
            attribution_unavailable: attributionUnavailable(rows),
            ...(result.warnings && result.warnings.length > 0 ? { warnings: [...result.warnings] } : {}),
          },
        }
      : {}),
    signing: {
      algorithm: options.signer.algorithm,
      signature_file: SIGNATURE_FILE,
      public_key_file: PUBLIC_KEY_FILE,
      public_key_sha256: publicKeyFingerprint(options.signer.publicKeyPem),
      kms_key_id: options.signer.kmsKeyId ?? null,
    },
  };
  await add(SUMMARY_FILE, Buffer.from(renderSummary(body, [...files]), 'utf8'));
  // Listed like every other file, so the signature covers the page a person looks at.
  await add(REPORT_FILE, Buffer.from(renderReportHtml({ manifest: body, files: [...files], rows }), 'utf8'));

  const manifest: EvidenceManifest = { ...body, files };
  const manifestBytes = serializeManifest(manifest);
  const signature = await options.signer.sign(manifestBytes);
  await writeFile(join(dir, MANIFEST_FILE), manifestBytes);
  await writeFile(join(dir, SIGNATURE_FILE), signature);
  return manifest;
}

/**
 * Where the rows could not be attributed for want of CloudTrail input (attribution_reason
 * cloudtrail-unavailable, given by the attribution join), by account and region: a signed package
 * must not read as "nobody is attributed" without saying why.
 */
function attributionUnavailable(rows: readonly Record<string, ExportValue>[]): { account_id: string; region: string; rows: number }[] {
  const where = new Map<string, { account_id: string; region: string; rows: number }>();
  for (const row of rows) {
    if (row.attribution_reason !== UNAVAILABLE_REASON) continue;
    const account_id = typeof row.account_id === 'string' ? row.account_id : '(unknown)';
    const region = typeof row.region === 'string' ? row.region : '(unknown)';
    const at = `${account_id}\u0000${region}`;
    const seen = where.get(at) ?? { account_id, region, rows: 0 };
    where.set(at, { ...seen, rows: seen.rows + 1 });
  }
  return [...where.values()].sort((a, b) => a.account_id.localeCompare(b.account_id) || a.region.localeCompare(b.region));
}

/** A query that read the CloudTrail table: local runs list its files; the SQL names it either way. */
function readsCloudTrail(result: QueryResult): boolean {
  return result.cloudTrailFiles !== undefined || result.sql.includes(CLOUDTRAIL_TABLE_NAME);
}

function athenaSource(target: { workgroup: string; database?: string }): string {
  return `athena:workgroup=${target.workgroup}${target.database ? `,database=${target.database}` : ''}`;
}

/** The engine's partition list when it gives one (local runs), else the partitions the rows carry. */
function partitionsOf(result: QueryResult, rows: readonly Record<string, ExportValue>[]): { list: PartitionCovered[]; source: 'engine' | 'rows' } {
  if (result.partitionsCovered) return { list: result.partitionsCovered.map((p: PartitionRef) => ({ account_id: p.account_id, table_name: p.table_name, dt: p.dt })), source: 'engine' };
  const seen = new Map<string, PartitionCovered>();
  for (const r of rows) {
    const { account_id, table_name, dt } = r;
    if (typeof account_id !== 'string' || typeof table_name !== 'string' || typeof dt !== 'string') continue;
    seen.set(`${account_id}\u0000${table_name}\u0000${dt}`, { account_id, table_name, dt });
  }
  const list = [...seen.values()].sort((a, b) => `${a.account_id}/${a.table_name}/${a.dt}`.localeCompare(`${b.account_id}/${b.table_name}/${b.dt}`));
  return { list, source: 'rows' };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
