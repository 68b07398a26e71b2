/**
 * The local Firehose: an HTTP endpoint on 127.0.0.1 that the unmodified collector and the real
 * @aws-sdk/client-firehose talk to (set AWS_ENDPOINT_URL_FIREHOSE to its `endpoint`), plus the
 * S3 PutObject/GetObject the collector's overflow path needs (AWS_ENDPOINT_URL_S3, path-style).
 *
 * Thin by design: protocol parsing is in protocol.ts, faults in faults.ts, and what happens to
 * accepted records in delivery-stream.ts. Signatures are not checked (any dummy credentials work).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { BufferOptions } from './buffer';
import { DEFAULT_BUFFER, DeliveryStats, DeliveryStream, LocalDeliveryStream } from './delivery-stream';
import { WorkerDeliveryStream } from './delivery-worker';
import { entryFault, FaultOptions, throttleFault } from './faults';
import { describeReply, parseDescribe, parsePutRecord, parsePutRecordBatch, ProtocolError, PutRequest, recordId, TARGET_PREFIX } from './protocol';
import { seededRandom, Random } from './random';
import { bucketAndKey, decodeAwsChunked, objectPath } from './s3-objects';

export interface LocalFirehoseOptions {
  readonly dataDir: string;
  /** The first delivery stream this endpoint serves. @default 'ddb-audit-local' */
  readonly streamName?: string;
  /**
   * More delivery streams, as a deployment with several has (lambda/core/delivery-routing.ts). Each
   * buffers and writes on its own, into the same data folder and bucket layout, as Firehose's do.
   * @default none
   */
  readonly additionalStreamNames?: readonly string[];
  readonly region?: string;
  readonly buffer?: Partial<BufferOptions>;
  /**
   * Where records are deaggregated, buffered and converted to Parquet: a worker thread (the main
   * thread then only answers HTTP), or this thread. @default 'worker'
   */
  readonly writer?: 'worker' | 'inline';
  readonly faults?: FaultOptions;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
}

export interface CallCounts {
  readonly calls: number;
  readonly throttled: number;
  readonly rejected: number;
  readonly failedEntries: number;
  readonly s3Puts: number;
}

export interface LocalFirehose {
  /** http://127.0.0.1:PORT, for AWS_ENDPOINT_URL_FIREHOSE and AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  readonly port: number;
  readonly streamName: string;
  /** Every stream served, streamName first. */
  readonly streamNames: readonly string[];
  /** Each stream's own figures (the `stats()` totals add them up). */
  statsByStream(): ReadonlyMap<string, DeliveryStats>;
  /** Replaces the fault options; the random source restarts from the new seed. */
  setFaults(faults: FaultOptions): void;
  /** Stops accepting connections (clients see connection refused) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Delivers everything buffered and waits for the files. */
  flush(): Promise<void>;
  stats(): DeliveryStats & CallCounts;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startLocalFirehose(options: LocalFirehoseOptions): Promise<LocalFirehose> {
  const streamName = options.streamName ?? 'ddb-audit-local';
  const region = options.region ?? 'us-east-1';
  const streamNames = [streamName, ...(options.additionalStreamNames ?? [])];
  if (new Set(streamNames).size !== streamNames.length) throw new Error(`local Firehose: stream names must be distinct, got ${streamNames.join(', ')}`);
  const streams = new Map<string, DeliveryStream>();
  for (const name of streamNames) {
    const streamOptions = { dataDir: options.dataDir, streamName: name, buffer: options.buffer };
    streams.set(name, options.writer === 'inline' ? new LocalDeliveryStream(streamOptions) : new WorkerDeliveryStream(streamOptions));
  }
  const all = [...streams.values()];
  let faults: FaultOptions = options.faults ?? {};
  let random: Random = seededRandom(faults.seed ?? 1);
  const counts = { calls: 0, throttled: 0, rejected: 0, failedEntries: 0, s3Puts: 0 };
  const sockets = new Set<Socket>();

  async function firehose(target: string, body: string): Promise<{ status: number; reply: unknown }> {
    counts.calls++;
    const fault = throttleFault(faults, random);
    if (fault) {
      counts.throttled++;
      throw new ProtocolError(fault.status, fault.type, fault.message);
    }
    const operation = target.slice(TARGET_PREFIX.length);
    if (operation === 'DescribeDeliveryStream') {
      const name = parseDescribe(body);
      checkStream(name);
      return { status: 200, reply: describeReply(name, region, { ...DEFAULT_BUFFER, ...options.buffer }) };
    }
    if (operation === 'PutRecord') {
      const request = accept(parsePutRecord(body));
      await streamOf(request).put(request.records);
      return { status: 200, reply: { RecordId: recordId(), Encrypted: false } };
    }
    if (operation === 'PutRecordBatch') {
      const request = accept(parsePutRecordBatch(body));
      const accepted: Buffer[] = [];
      const responses = request.records.map((data) => {
        const entry = entryFault(faults, random);
        if (entry) return entry;
        accepted.push(data);
        return { RecordId: recordId() };
      });
      const failed = responses.length - accepted.length;
      counts.failedEntries += failed;
      await streamOf(request).put(accepted);
      return { status: 200, reply: { FailedPutCount: failed, Encrypted: false, RequestResponses: responses } };
    }
    throw new ProtocolError(400, 'UnknownOperationException', `operation ${operation} is not emulated by the local Firehose`);
  }

  function checkStream(name: string): void {
    if (!streams.has(name)) throw new ProtocolError(400, 'ResourceNotFoundException', `Firehose ${name} under account 000000000000 not found (the local endpoint serves ${streamNames.join(', ')})`);
  }

  function streamOf(request: PutRequest): DeliveryStream {
    return streams.get(request.streamName) as DeliveryStream;
  }

  function accept(request: PutRequest): PutRequest {
    checkStream(request.streamName);
    return request;
  }

  async function s3(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const target = bucketAndKey(new URL(req.url ?? '/', 'http://localhost').pathname);
    const path = target && objectPath(target.key);
    if (!target || !path) return s3Error(res, 400, 'InvalidArgument', 'expected a path-style request /bucket/key with a safe key');
    const file = join(options.dataDir, path);
    if (req.method === 'PUT') {
      const chunked = (req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
      const content = chunked ? decodeAwsChunked(body) : body;
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.inprogress`;
      await writeFile(temporary, content);
      await rename(temporary, file);
      counts.s3Puts++;
      res.writeHead(200, { ETag: `"${createHash('md5').update(content).digest('hex')}"` }).end();
      return;
    }
    if (req.method === 'GET') {
      const content = await readFile(file).catch(() => undefined);
      if (!content) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length }).end(content);
      return;
    }
    s3Error(res, 405, 'MethodNotAllowed', `${req.method} is not emulated`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (faults.delayMs) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && typeof target === 'string' && target.startsWith(TARGET_PREFIX)) {
      try {
        const { status, reply } = await firehose(target, body.toString('utf8'));
        sendJson(res, status, reply);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        if (err.type !== 'LimitExceededException' && err.type !== 'ServiceUnavailableException') counts.rejected++;
        sendJson(res, err.status, { __type: err.type, message: err.message });
      }
      return;
    }
    await s3(req, body, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: err.message });
      else res.destroy(err);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    streamName,
    streamNames,
    statsByStream: () => new Map([...streams].map(([name, stream]) => [name, stream.stats()])),
    setFaults(next) {
      faults = next;
      random = seededRandom(next.seed ?? 1);
    },
    async down() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async up() {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
    flush: async () => {
      await Promise.all(all.map((stream) => stream.flush()));
    },
    stats: () => ({ ...sumStats(all.map((stream) => stream.stats())), ...counts }),
    async close() {
      if (listening) {
        listening = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      }
      await Promise.all(all.map((stream) => stream.close()));
    },
  };
}

/** The totals of several streams' figures: counts add up, file lists concatenate. */
function sumStats(each: readonly DeliveryStats[]): DeliveryStats {
  if (each.length === 1) return each[0] as DeliveryStats;
  const total: Record<string, unknown> = {};
  for (const stats of each) {
    for (const [key, value] of Object.entries(stats)) {
      if (typeof value === 'number') total[key] = ((total[key] as number | undefined) ?? 0) + value;
      else if (Array.isArray(value)) total[key] = [...((total[key] as unknown[] | undefined) ?? []), ...value];
      else total[key] = value;
    }
  }
  return total as unknown as DeliveryStats;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ProtocolError(413, 'ValidationException', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': recordId().slice(0, 36) });
  res.end(text);
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml' }).end(xml);
}
