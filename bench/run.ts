/**
 * `npm run bench`: every benchmark section, each comparing against a baseline measured in the same
 * run. Heavy sections run in their own process, so each peak RSS is that section's alone.
 * The last line of output is one JSON object with all figures (other tooling reads it).
 *
 *   BENCH_LOCAL_CHANGES  changes for the local pipeline section (default 1,000,000)
 *   BENCH_VERIFY_MB      megabytes of Parquet for the log verify section (default 1000)
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { COLLECTOR_NODE_OPTIONS } from '../lambda/core/runtime-options';

const log = (text: string) => process.stderr.write(`${text}\n`);

async function main(): Promise<void> {
  const figures: Record<string, unknown> = { node: process.version };

  // With the collector's own Node.js options, so the figures describe the deployed function.
  log(`normalizer: full normalizer vs unmarshall baseline vs JSON.parse, batches of 500, node ${COLLECTOR_NODE_OPTIONS.join(' ')} ...`);
  Object.assign(figures, await runSection('normalizer.ts', [], [...COLLECTOR_NODE_OPTIONS]));
  log(`  ${figures.normalizer_records_per_s} records/s per CPU-second: x${figures.ratio_vs_baseline} the baseline, x${figures.ratio_vs_json_parse} JSON.parse (native stringify of the images + SHA-256 alone: x${figures.stringify_and_hash_ratio_vs_json_parse}); peak RSS ${figures.peak_rss_mb} MB; a 1,000 x 4 KB batch peaks at ${figures.batch_1000x4kb_peak_rss_mb} MB RSS`);

  // The same section on Node.js 24, the collector's Lambda runtime (nodejs24.x), so the figures that
  // matter in production are measured too; V8's JSON.parse and string speeds differ between versions.
  const node24 = findNode24();
  if (node24.path) {
    log(`normalizer on Node.js 24 (${node24.path}) ...`);
    const figures24 = await runSection('normalizer.ts', [], [...COLLECTOR_NODE_OPTIONS], node24.path);
    figures.node24_version = execFileSync(node24.path, ['--version'], { encoding: 'utf8' }).trim();
    for (const [key, value] of Object.entries(figures24)) figures[`node24_${key}`] = value;
    log(`  node24: ${figures.node24_normalizer_records_per_s} records/s per CPU-second: x${figures.node24_ratio_vs_baseline} the baseline, x${figures.node24_ratio_vs_json_parse} JSON.parse`);
  } else {
    figures.node24_error = node24.error;
    log(`  node24: NOT MEASURED: ${node24.error}`);
  }

  const changes = process.env.BENCH_LOCAL_CHANGES ?? '1000000';
  log(`local pipeline: ${changes} changes, handler -> SDK -> local Firehose -> Parquet ...`);
  Object.assign(figures, await runSection('local-pipeline.ts', [changes]));
  log(`  ${figures.local_records_per_s} changes/s, peak RSS ${figures.local_peak_rss_mb} MB; one-partition query read ${figures.local_pruned_query_files_read} of ${figures.local_total_files} files`);

  const mb = process.env.BENCH_VERIFY_MB ?? '1000';
  log(`log verify: ${mb} MB of Parquet, ddb-audit log verify vs sha256sum ...`);
  Object.assign(figures, await runSection('verify.ts', [mb]));
  log(`  ${figures.verify_mb_per_s} MB/s vs sha256sum ${figures.sha256sum_mb_per_s} MB/s (x${figures.verify_ratio_vs_sha256sum})`);

  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Runs one section script in its own Node.js process and returns the JSON object on its last line. */
function runSection(script: string, args: string[], nodeOptions: string[] = [], node = process.execPath): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [...nodeOptions, '--import', 'tsx', join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** A Node.js 24 binary from tools/node24.sh (installed from the npm registry on first use), or why there is none. */
function findNode24(): { path?: string; error?: string } {
  try {
    const path = execFileSync(join(__dirname, '..', 'tools', 'node24.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    return { path };
  } catch (err) {
    return { error: `tools/node24.sh failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
