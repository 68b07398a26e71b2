/**
 * Benchmark: `ddb-audit log verify` hashing throughput against `sha256sum` on the same files, in
 * the same run. Builds a month of Parquet-like change-log objects (about 1 GB by default) in a temp
 * folder, digests them, then times verifyLog (the command's core: listing, digest signatures and
 * chain, and the SHA-256 of every object) and `sha256sum` over the same files, best of two each,
 * after one warm-up pass so both read from the page cache.
 *
 * Run alone: `npx tsx bench/verify.ts [MB]`; the last line is the JSON figures.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HOUR_MS } from '../lambda/digest/digest-format';
import { LocalFolderStore } from '../lambda/digest/local-store';
import { ed25519Signer, generateEd25519KeyPair } from '../lambda/digest/signing';
import { writeDueDigests } from '../lambda/digest/write-digests';
import { verifyLog } from '../cli/log/verify-log';
import { createPublicKey } from 'node:crypto';

export interface VerifyBenchOptions {
  /** Total bytes of objects. @default 1e9 */
  readonly totalBytes?: number;
  /** Bytes per object (Firehose writes up to its 64-128 MiB buffer; partitions split it). @default 8 MiB */
  readonly objectBytes?: number;
  readonly log?: (text: string) => void;
}

export interface VerifyBenchFigures {
  readonly verify_mb_per_s: number;
  readonly sha256sum_mb_per_s: number;
  readonly verify_ratio_vs_sha256sum: number;
  readonly verify_bench_mb: number;
  readonly verify_bench_objects: number;
  readonly verify_bench_digests: number;
}

const DAYS = 30;
const ACCOUNTS = ['012345678901', '111122223333', '444455556666'];
const TABLES = ['Orders', 'Customers'];

export async function benchLogVerify(options: VerifyBenchOptions = {}): Promise<VerifyBenchFigures> {
  const log = options.log ?? (() => {});
  const totalBytes = options.totalBytes ?? 1e9;
  const objectBytes = options.objectBytes ?? 8 * 1024 * 1024;
  const count = Math.max(1, Math.round(totalBytes / objectBytes));
  const root = mkdtempSync(join(tmpdir(), 'bench-verify-'));
  try {
    // A month ending two days ago, one object every few hours across the partitions.
    const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * 24 * HOUR_MS;
    const start = end - DAYS * 24 * HOUR_MS;
    const block = randomBytes(objectBytes);
    const files: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = new Date(start + Math.floor(((end - start) * i) / count) + 60_000);
      const dt = at.toISOString().slice(0, 10);
      const key = `changes/account_id=${ACCOUNTS[i % ACCOUNTS.length]}/table_name=${TABLES[i % TABLES.length]}/dt=${dt}/ddb-audit-1-${i}.parquet`;
      const path = join(root, ...key.split('/'));
      mkdirSync(join(path, '..'), { recursive: true });
      // Unique per object: its own header over the shared random block, framed like Parquet.
      writeFileSync(path, Buffer.concat([Buffer.from('PAR1'), randomBytes(64), block.subarray(72), Buffer.from('PAR1')]));
      utimesSync(path, at, at);
      files.push(path);
    }
    const bytes = count * objectBytes;
    log(`  built ${count} objects, ${(bytes / 1e6).toFixed(0)} MB over ${DAYS} days`);

    const keyPair = generateEd25519KeyPair();
    const store = new LocalFolderStore(root);
    const now = new Date(end + 2 * HOUR_MS);
    const digests = await writeDueDigests({ store, signer: ed25519Signer(keyPair.privateKeyPem), now });
    log(`  wrote ${digests.written.length} hourly digests`);

    const pinnedKey = createPublicKey(keyPair.publicKeyPem);
    const timeVerify = async (): Promise<number> => {
      const t = process.hrtime.bigint();
      const result = await verifyLog({ store, fromMs: start, toMs: end, now, pinnedKey });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (result.findings.length > 0 || result.bytesHashed !== bytes) throw new Error(`verify found ${result.findings.length} findings over ${result.bytesHashed} bytes`);
      return seconds;
    };
    const timeSha256sum = async (): Promise<number> => {
      const t = process.hrtime.bigint();
      const { stdout } = await promisify(execFile)('sha256sum', files, { maxBuffer: 64 * 1024 * 1024 });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (stdout.trim().split('\n').length !== count) throw new Error('sha256sum did not hash every file');
      return seconds;
    };
    await timeSha256sum(); // warm-up: both then read from the page cache
    const shaSeconds = Math.min(await timeSha256sum(), await timeSha256sum());
    const verifySeconds = Math.min(await timeVerify(), await timeVerify());

    const verifyRate = bytes / 1e6 / verifySeconds;
    const shaRate = bytes / 1e6 / shaSeconds;
    return {
      verify_mb_per_s: Math.round(verifyRate),
      sha256sum_mb_per_s: Math.round(shaRate),
      verify_ratio_vs_sha256sum: Math.round((verifyRate / shaRate) * 100) / 100,
      verify_bench_mb: Math.round(bytes / 1e6),
      verify_bench_objects: count,
      verify_bench_digests: digests.written.length,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const mb = Number(process.argv[2] ?? 1000);
  benchLogVerify({ totalBytes: mb * 1e6, log: (t) => process.stderr.write(`${t}\n`) })
    .then((figures) => process.stdout.write(`${JSON.stringify(figures)}\n`))
    .catch((err) => {
      process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}
