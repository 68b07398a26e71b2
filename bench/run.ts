/**
 * `npm run bench`: every benchmark section, each comparing against a baseline measured in the same
 * run. The last line of output is one JSON object with all figures (other tooling reads it).
 */
import { benchNormalizer } from './normalizer';
import { PeakRss } from './measure';

async function main(): Promise<void> {
  const rss = new PeakRss().start();
  const figures: Record<string, unknown> = {};
  const log = (text: string) => process.stderr.write(`${text}\n`);

  log('normalizer: full normalizer vs unmarshall baseline vs JSON.parse ...');
  Object.assign(figures, await benchNormalizer({}, rss));
  log(`  ${figures.normalizer_records_per_s} records/s (x${figures.ratio_vs_baseline} baseline, x${figures.ratio_vs_json_parse} JSON.parse); 1,000 x 4 KB batch peak RSS ${figures.batch_1000x4kb_peak_rss_mb} MB`);

  figures.peak_rss_mb = rss.stop();
  figures.node = process.version;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
