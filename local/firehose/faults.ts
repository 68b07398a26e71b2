/**
 * Fault injection for tests: the failures the collector must survive in AWS, on demand and
 * reproducibly (seeded). Decisions are pure functions of the options and the random source.
 */
import { Random } from './random';

export interface FaultOptions {
  /** Share of calls refused as throttled (0..1): half 400 LimitExceededException, half 503 ServiceUnavailableException. */
  readonly throttleRate?: number;
  /** Share of entries in an accepted PutRecordBatch that fail individually (FailedPutCount, ErrorCode per entry). */
  readonly failedEntryRate?: number;
  /** Delay before every response, in milliseconds (for client timeouts). */
  readonly delayMs?: number;
  /** Seed of the random source; the same seed gives the same faults. @default 1 */
  readonly seed?: number;
}

export interface CallFault {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export function throttleFault(options: FaultOptions, random: Random): CallFault | undefined {
  const rate = options.throttleRate ?? 0;
  if (rate <= 0 || random() >= rate) return undefined;
  return random() < 0.5
    ? { status: 400, type: 'LimitExceededException', message: 'Rate exceeded for delivery stream (injected fault)' }
    : { status: 503, type: 'ServiceUnavailableException', message: 'Slow down (injected fault)' };
}

export interface EntryFault {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

export function entryFault(options: FaultOptions, random: Random): EntryFault | undefined {
  const rate = options.failedEntryRate ?? 0;
  if (rate <= 0 || random() >= rate) return undefined;
  return random() < 0.5
    ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down (injected fault)' }
    : { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure (injected fault)' };
}
