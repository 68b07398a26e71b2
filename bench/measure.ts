/** Measurement helpers shared by the benchmark sections. */

/**
 * Runs `work` (which processes `items` items) repeatedly for about `seconds`; returns items per
 * CPU-second of this process (user + system, garbage-collector threads included). CPU time rather
 * than wall time keeps figures comparable when other processes share the machine's two cores.
 */
export function measureThroughput(items: number, seconds: number, work: () => unknown): number {
  work(); // warm-up: let the JIT compile the hot path before the clock starts
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let runs = 0;
  const cpuStart = process.cpuUsage();
  while (process.hrtime.bigint() < deadline || runs === 0) {
    work();
    runs++;
  }
  const cpu = process.cpuUsage(cpuStart);
  return (items * runs) / ((cpu.user + cpu.system) / 1e6);
}

/** Tracks the peak resident set size of this process, sampled on demand and on a timer. */
export class PeakRss {
  private peak = process.memoryUsage.rss();
  private timer: NodeJS.Timeout | undefined;

  sample(): number {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak;
  }

  start(intervalMs = 50): this {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    return this.mb();
  }

  mb(): number {
    return Math.round(this.sample() / 1024 / 1024);
  }
}
