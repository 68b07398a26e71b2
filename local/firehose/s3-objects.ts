/**
 * Just enough of S3 for the collector's overflow path: PutObject and GetObject, path-style
 * (PUT /bucket/key), as the SDK sends them with forcePathStyle and a local endpoint. Objects land
 * in the data folder under the overflow prefix, where the pointer records' overflow_uri points.
 */
import { OVERFLOW_PREFIX } from '../../schemas/partitioning';

/** Local file path (relative to the data folder) of an object key, or undefined if unsafe. */
export function objectPath(key: string): string | undefined {
  const segments = key.split('/');
  if (key.length === 0 || segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) return undefined;
  const path = key.startsWith(OVERFLOW_PREFIX) ? key : `${OVERFLOW_PREFIX}${key}`;
  return path.endsWith('/') ? undefined : path;
}

/** Splits a path-style request path into bucket and key. */
export function bucketAndKey(pathname: string): { bucket: string; key: string } | undefined {
  const match = /^\/([^/]+)\/(.+)$/.exec(pathname);
  if (!match) return undefined;
  return { bucket: decodeURIComponent(match[1] as string), key: decodeURIComponent(match[2] as string) };
}

/**
 * Decodes an aws-chunked body (the SDK uses it for streaming uploads with trailing checksums):
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>\r\n\r\n`.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('aws-chunked body ends inside a chunk header');
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] as string, 16);
    if (Number.isNaN(size)) throw new Error('aws-chunked chunk size is not hexadecimal');
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size > body.length) throw new Error('aws-chunked body is shorter than its chunk sizes');
    parts.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
}
