export { startLocalFirehose } from './server';
export type { LocalFirehose, LocalFirehoseOptions, CallCounts } from './server';
export type { FaultOptions } from './faults';
export type { DeliveryStats } from './delivery-stream';
