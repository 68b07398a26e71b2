/**
 * Buffering by partition, by size and by time, as Firehose's dynamic partitioning does: each
 * partition has its own buffer, delivered when it reaches `sizeBytes` or when its oldest record
 * has waited `intervalMs`. A cap on all buffers together (`maxTotalBytes`) delivers the largest
 * buffer early, so a workload spread over many partitions cannot grow memory without bound.
 *
 * Pure: the caller supplies the clock and receives the batches to write.
 */
export interface BufferOptions {
  readonly sizeBytes: number;
  readonly intervalMs: number;
  readonly maxTotalBytes: number;
}

export interface FlushBatch {
  readonly partition: string;
  readonly lines: string[];
  readonly bytes: number;
}

interface PartitionBuffer {
  lines: string[];
  bytes: number;
  openedAt: number;
}

export class PartitionBuffers {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private totalBytes = 0;

  constructor(private readonly options: BufferOptions) {}

  /** Adds one record; returns the batches that became due because of it. */
  add(partition: string, line: string, now: number): FlushBatch[] {
    const bytes = Buffer.byteLength(line) + 1;
    let buffer = this.buffers.get(partition);
    if (!buffer) {
      buffer = { lines: [], bytes: 0, openedAt: now };
      this.buffers.set(partition, buffer);
    }
    buffer.lines.push(line);
    buffer.bytes += bytes;
    this.totalBytes += bytes;
    const due: FlushBatch[] = [];
    if (buffer.bytes >= this.options.sizeBytes) due.push(this.take(partition));
    while (this.totalBytes > this.options.maxTotalBytes) {
      const largest = this.largestPartition();
      if (largest === undefined) break;
      due.push(this.take(largest));
    }
    return due;
  }

  /** Batches whose oldest record has waited at least the interval. */
  expired(now: number): FlushBatch[] {
    const due: FlushBatch[] = [];
    for (const [partition, buffer] of this.buffers) {
      if (now - buffer.openedAt >= this.options.intervalMs) due.push(this.take(partition));
    }
    return due;
  }

  /** Everything buffered, regardless of size and age (shutdown, explicit flush). */
  drain(): FlushBatch[] {
    return [...this.buffers.keys()].map((partition) => this.take(partition));
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  get bufferedPartitions(): number {
    return this.buffers.size;
  }

  private take(partition: string): FlushBatch {
    const buffer = this.buffers.get(partition);
    if (!buffer) throw new Error(`no buffer for ${partition}`);
    this.buffers.delete(partition);
    this.totalBytes -= buffer.bytes;
    return { partition, lines: buffer.lines, bytes: buffer.bytes };
  }

  private largestPartition(): string | undefined {
    let largest: string | undefined;
    let size = -1;
    for (const [partition, buffer] of this.buffers) {
      if (buffer.bytes > size) {
        largest = partition;
        size = buffer.bytes;
      }
    }
    return largest;
  }
}
