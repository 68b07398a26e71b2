/**
 * manifest.json of an evidence package: what was asked, of which data, when, by which tool, why,
 * and the SHA-256 of every other file. manifest.sig is the signature over its exact bytes.
 */
import type { SignatureAlgorithm } from '../../lambda/digest/signing';
import { isSignatureAlgorithm } from '../../lambda/digest/signing';

/**
 * v2: rows.csv text cells are neutralized against spreadsheet formulas (cli/csv-cell.ts).
 * v1 packages (plain RFC 4180 cells) still verify.
 */
export const EVIDENCE_FORMAT = 'ddb-audit/evidence/v2';
export const EVIDENCE_FORMAT_V1 = 'ddb-audit/evidence/v1';
const READABLE_FORMATS: readonly string[] = [EVIDENCE_FORMAT, EVIDENCE_FORMAT_V1];
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PUBLIC_KEY_FILE = 'public-key.pem';
export const CSV_FILE = 'rows.csv';
export const JSONL_FILE = 'rows.jsonl';
export const SUMMARY_FILE = 'summary.md';
export const REPORT_FILE = 'report.html';

export interface ManifestFile {
  /** Relative to the package folder, '/'-separated. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PartitionCovered {
  readonly account_id: string;
  readonly table_name: string;
  readonly dt: string;
}

export interface EvidenceManifest {
  readonly format: typeof EVIDENCE_FORMAT | typeof EVIDENCE_FORMAT_V1;
  readonly created_at: string;
  readonly tool: { readonly name: 'ddb-audit'; readonly version: string; readonly git_commit: string };
  readonly reason: string | null;
  readonly query: {
    readonly name: string;
    readonly source_file: string;
    /** The SQL text exactly as executed (placeholders already replaced). */
    readonly sql: string;
    readonly params: Readonly<Record<string, string>>;
  };
  readonly execution: {
    readonly engine: 'duckdb' | 'athena';
    readonly execution_id: string;
    readonly started_at: string;
    readonly ended_at: string;
    /** The local data folder, or athena:workgroup=…[,database=…]. */
    readonly data_source: string;
  };
  readonly result: {
    readonly row_count: number;
    readonly empty: boolean;
    readonly columns: readonly { readonly name: string; readonly type: string }[];
    readonly partitions_covered: readonly PartitionCovered[];
    /** engine: the partitions the query's parameters select (local runs); rows: those the rows come from. */
    readonly partitions_source: 'engine' | 'rows';
  };
  /** record_hash of each row, in row order; null when the rows are not change records. */
  readonly record_hashes: readonly string[] | null;
  /**
   * Present when the query reads CloudTrail (change-attribution): the trail's log files the
   * attribution rests on, each with its key under the data folder and its SHA-256 as read. Null
   * files on Athena, which does not report the objects a query read: the package then names the
   * table only.
   */
  readonly cloudtrail_input?: {
    readonly table: string;
    readonly files: readonly { readonly key: string; readonly bytes: number; readonly sha256: string }[] | null;
    /**
     * The accounts and regions whose rows say attribution_reason cloudtrail-unavailable (no
     * DynamoDB write event at all there in the CloudTrail days read), with their row counts,
     * sorted; [] when none does. Their rows name no caller because none could be looked up, not
     * because none was found. Absent in packages exported before it was recorded (still v2: an
     * added, optional field; verify reads neither).
     */
    readonly attribution_unavailable?: readonly { readonly account_id: string; readonly region: string; readonly rows: number }[];
    /** What the query said beside its rows (e.g. no CloudTrail file for the days asked); absent when nothing. */
    readonly warnings?: readonly string[];
  };
  readonly files: readonly ManifestFile[];
  readonly signing: {
    readonly algorithm: SignatureAlgorithm;
    readonly signature_file: typeof SIGNATURE_FILE;
    readonly public_key_file: typeof PUBLIC_KEY_FILE;
    /** SHA-256 of the public key's DER SubjectPublicKeyInfo. */
    readonly public_key_sha256: string;
    readonly kms_key_id: string | null;
  };
}

export function serializeManifest(manifest: EvidenceManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Parses manifest.json and checks the fields verify relies on; throws ManifestError naming the field. */
export function parseManifest(bytes: Buffer): EvidenceManifest {
  let m: any;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestError('not valid JSON');
  }
  const fail = (what: string): never => {
    throw new ManifestError(what);
  };
  if (m === null || typeof m !== 'object' || Array.isArray(m)) fail('not a JSON object');
  if (!READABLE_FORMATS.includes(m.format)) fail(`format is ${JSON.stringify(m.format)}, expected ${READABLE_FORMATS.join(' or ')}`);
  if (!Array.isArray(m.files)) fail('files is not a list');
  for (const [i, f] of (m.files as any[]).entries()) {
    if (typeof f?.path !== 'string' || !Number.isSafeInteger(f.bytes) || typeof f.sha256 !== 'string') fail(`files[${i}] is not {path, bytes, sha256}`);
  }
  if (!Number.isSafeInteger(m.result?.row_count)) fail('result.row_count is not an integer');
  if (m.record_hashes !== null && !Array.isArray(m.record_hashes)) fail('record_hashes is neither null nor a list');
  if (!isSignatureAlgorithm(m.signing?.algorithm)) fail(`signing.algorithm ${JSON.stringify(m.signing?.algorithm)} is not one of Ed25519, ECDSA_SHA_256, ECDSA_SHA_384, RSASSA_PSS_SHA_256`);
  if (typeof m.signing?.public_key_sha256 !== 'string') fail('signing.public_key_sha256 is missing');
  return m as EvidenceManifest;
}

/** A package path that stays inside the package: relative, '/'-separated, no "..". */
export function isSafePackagePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
