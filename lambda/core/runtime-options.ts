/**
 * Node.js options the collector runs with (its NODE_OPTIONS), shared by the CDK construct that
 * deploys it and the benchmark that measures it, so the figures describe what is deployed.
 *
 * Why a 64 MB semi-space: a batch's change records live until the batch is delivered, so with the
 * default young generation V8 sometimes decides to pretenure them into the old generation, and
 * the normalizer then spends about 40% of its time in mark-compact and runs at less than half its
 * speed (measured: a bimodal 30k or 68k records/s from one run to the next). With 64 MB, records
 * die young and the fast mode is the only one seen. A 1,000 x 4 KB batch still peaks at ~145 MB RSS.
 */
export const COLLECTOR_NODE_OPTIONS = ['--enable-source-maps', '--max-semi-space-size=64'] as const;
