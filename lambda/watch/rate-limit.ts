/**
 * A limit on calls per second shared by every worker of a watch run: each acquire() waits for the
 * next free slot, slots 1000/perSecond ms apart. Spreading calls evenly keeps the watch far below the
 * APIs' per-second quotas instead of bursting into them at the start of every run.
 */
export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type Acquire = () => Promise<void>;

export function rateLimiter(perSecond: number, clock: Clock = realClock): Acquire {
  if (!(perSecond > 0)) throw new Error(`rate limit: calls per second must be positive, got ${perSecond}`);
  const spacingMs = 1000 / perSecond;
  let nextSlot = 0;
  return async () => {
    const now = clock.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + spacingMs;
    if (slot > now) await clock.sleep(slot - now);
  };
}
