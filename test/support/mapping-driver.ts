/**
 * Drives a collector handler the way a Lambda event source mapping drives it from one DynamoDB
 * stream shard, so fault tests and the soak see the retry behaviour the deployed pipeline has:
 *
 *   - a partial batch response (ReportBatchItemFailures) makes the mapping retry from the reported
 *     sequence number; an identifier it cannot find (or an empty one) retries the whole batch;
 *   - a function error (a throw, or the invocation outliving the function timeout) retries the
 *     batch; with BisectBatchOnFunctionError it is split in two first, which does not use up a
 *     retry attempt;
 *   - after MaximumRetryAttempts the batch is discarded and its invocation record (the S3
 *     on-failure shape, full payload included) handed to `onFailure`;
 *   - batches of one shard are processed strictly in order, one at a time.
 *
 * An invocation that times out is abandoned, not cancelled (as in Lambda, its in-flight call may
 * still land): `settle()` waits for those so a test can close the endpoint safely.
 */
import { randomUUID } from 'node:crypto';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaContext } from '../../local/pipeline';

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<BatchResponse | void>;

export interface MappingDriverOptions {
  /** MaximumRetryAttempts; -1 retries until the records expire (here: until `maxInvocationsPerBatch`). @default -1 */
  readonly maximumRetryAttempts?: number;
  /** @default true (the deployed mappings bisect) */
  readonly bisectBatchOnFunctionError?: boolean;
  /** The function timeout: an invocation still running after this is a function error. @default 60,000 */
  readonly functionTimeoutMs?: number;
  /** Guard against a test that never converges. @default 500 */
  readonly maxInvocationsPerBatch?: number;
  /** The S3 on-failure destination: receives the invocation record of every discarded batch. */
  readonly onFailure?: (record: OnFailureRecord) => void | Promise<void>;
  readonly shardId?: string;
  readonly functionArn?: string;
  /** Told of each failed invocation before the mapping retries it (tests use it to end a fault). */
  readonly onFunctionError?: (error: Error, timedOut: boolean) => void;
}

/** The invocation record Lambda writes to an S3 on-failure destination for a DynamoDB stream batch. */
export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: string;
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
  /** The full invocation event as JSON text, as Lambda writes it to S3. */
  payload: string;
}

export interface MappingStats {
  invocations: number;
  partialFailures: number;
  functionErrors: number;
  timeouts: number;
  bisections: number;
  discardedBatches: number;
  discardedRecords: number;
}

interface PendingBatch {
  readonly records: DynamoDBRecord[];
  /** Retries used so far (bisection does not count, as in Lambda). */
  readonly retries: number;
  /** Invocations of these records, for approximateInvokeCount. */
  readonly invokes: number;
  readonly lastError?: 'partial' | 'function';
}

class InvocationTimeout extends Error {}

export class EventSourceMappingDriver {
  readonly stats: MappingStats = { invocations: 0, partialFailures: 0, functionErrors: 0, timeouts: 0, bisections: 0, discardedBatches: 0, discardedRecords: 0 };
  private readonly abandoned = new Set<Promise<unknown>>();
  private readonly options: Required<Omit<MappingDriverOptions, 'onFailure' | 'onFunctionError'>> & Pick<MappingDriverOptions, 'onFailure' | 'onFunctionError'>;

  constructor(
    private readonly handler: StreamHandler,
    options: MappingDriverOptions = {},
  ) {
    this.options = {
      maximumRetryAttempts: options.maximumRetryAttempts ?? -1,
      bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? true,
      functionTimeoutMs: options.functionTimeoutMs ?? 60_000,
      maxInvocationsPerBatch: options.maxInvocationsPerBatch ?? 500,
      shardId: options.shardId ?? 'shardId-00000001772366400000-0a1b2c3d',
      functionArn: options.functionArn ?? 'arn:aws:lambda:us-east-1:000000000000:function:ddb-audit-collector-local',
      onFailure: options.onFailure,
      onFunctionError: options.onFunctionError,
    };
  }

  /** Processes one batch read from the shard until every record is delivered or discarded. */
  async process(records: readonly DynamoDBRecord[]): Promise<void> {
    const queue: PendingBatch[] = [{ records: [...records], retries: 0, invokes: 0 }];
    let invocations = 0;
    while (queue.length > 0) {
      const batch = queue.shift() as PendingBatch;
      if (++invocations > this.options.maxInvocationsPerBatch) throw new Error(`batch starting at ${batch.records[0]?.dynamodb?.SequenceNumber} was not delivered after ${this.options.maxInvocationsPerBatch} invocations`);
      const outcome = await this.invoke(batch.records);
      if (outcome.kind === 'ok') {
        const failure = outcome.response?.batchItemFailures?.[0];
        if (failure === undefined) continue;
        this.stats.partialFailures++;
        const from = batch.records.findIndex((r) => r.dynamodb?.SequenceNumber === failure.itemIdentifier);
        // An identifier that names no record of the batch means the whole batch failed.
        const remaining = from < 0 ? batch.records : batch.records.slice(from);
        await this.retryOrDiscard(queue, { records: remaining, retries: batch.retries, invokes: batch.invokes + 1, lastError: 'partial' });
        continue;
      }
      this.stats.functionErrors++;
      this.options.onFunctionError?.(outcome.error, outcome.error instanceof InvocationTimeout);
      if (this.options.bisectBatchOnFunctionError && batch.records.length > 1) {
        this.stats.bisections++;
        const half = Math.ceil(batch.records.length / 2);
        queue.unshift({ records: batch.records.slice(0, half), retries: batch.retries, invokes: batch.invokes + 1 }, { records: batch.records.slice(half), retries: batch.retries, invokes: batch.invokes + 1 });
        continue;
      }
      await this.retryOrDiscard(queue, { records: batch.records, retries: batch.retries, invokes: batch.invokes + 1, lastError: 'function' });
    }
  }

  /** Waits for invocations abandoned after a timeout (their late deliveries are duplicates). */
  async settle(): Promise<void> {
    while (this.abandoned.size > 0) await Promise.allSettled([...this.abandoned]);
  }

  private async retryOrDiscard(queue: PendingBatch[], batch: PendingBatch): Promise<void> {
    const limit = this.options.maximumRetryAttempts;
    if (limit < 0 || batch.retries < limit) {
      queue.unshift({ ...batch, retries: batch.retries + 1 });
      return;
    }
    this.stats.discardedBatches++;
    this.stats.discardedRecords += batch.records.length;
    await this.options.onFailure?.(this.invocationRecord(batch));
  }

  private async invoke(records: DynamoDBRecord[]): Promise<{ kind: 'ok'; response: BatchResponse | void } | { kind: 'error'; error: Error }> {
    this.stats.invocations++;
    const invocation = Promise.resolve().then(() => this.handler({ Records: records }, lambdaContext(this.options.functionTimeoutMs)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InvocationTimeout(`Task timed out after ${this.options.functionTimeoutMs} ms`)), this.options.functionTimeoutMs);
    });
    try {
      return { kind: 'ok', response: await Promise.race([invocation, timeout]) };
    } catch (err) {
      if (err instanceof InvocationTimeout) {
        this.stats.timeouts++;
        const settled = invocation.catch(() => undefined).finally(() => this.abandoned.delete(settled));
        this.abandoned.add(settled);
      }
      return { kind: 'error', error: err as Error };
    } finally {
      clearTimeout(timer);
    }
  }

  private invocationRecord(batch: PendingBatch): OnFailureRecord {
    const first = batch.records[0] as DynamoDBRecord;
    const last = batch.records[batch.records.length - 1] as DynamoDBRecord;
    const arrival = (r: DynamoDBRecord) => new Date((r.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      requestContext: { requestId: randomUUID(), functionArn: this.options.functionArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: batch.invokes },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(batch.lastError === 'function' ? { functionError: 'Unhandled' } : {}) },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.options.shardId,
        startSequenceNumber: first.dynamodb?.SequenceNumber ?? '',
        endSequenceNumber: last.dynamodb?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: batch.records.length,
        streamArn: first.eventSourceARN ?? '',
      },
      payload: JSON.stringify({ Records: batch.records }),
    };
  }
}
