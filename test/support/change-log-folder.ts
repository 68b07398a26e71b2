/** A local change-log folder with objects delivered at chosen times (mtime), for digest tests. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PlacedObject {
  readonly key: string;
  /** Delivery time, ISO-8601 UTC: becomes the file's mtime. */
  readonly at: string;
  readonly bytes?: number;
}

export function placeObject(root: string, object: PlacedObject): Buffer {
  const path = join(root, ...object.key.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  // Parquet-like: the PAR1 magic at both ends around arbitrary bytes.
  const body = Buffer.concat([Buffer.from('PAR1'), randomBytes(object.bytes ?? 2048), Buffer.from('PAR1')]);
  writeFileSync(path, body);
  const t = new Date(object.at);
  utimesSync(path, t, t);
  return body;
}

export function partitionKey(dt: string, name: string, account = '012345678901', table = 'Orders'): string {
  return `changes/account_id=${account}/table_name=${table}/dt=${dt}/${name}.parquet`;
}
