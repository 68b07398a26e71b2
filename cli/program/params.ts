/** Argument helpers shared by the commands: --param key=value lists, --sign-key and --public-key files. */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { ed25519Signer, parsePublicKey, Signer } from '../../lambda/digest/signing';
import { UsageError } from './command-io';

/** `--param key=value` entries as an object; a malformed or repeated one is a usage error naming it. */
export function parseParams(values: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const entry of values) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param "${entry}" is not key=value`);
    const key = entry.slice(0, eq);
    if (key in params) throw new UsageError(`--param ${key} given twice`);
    params[key] = entry.slice(eq + 1);
  }
  return params;
}

/** An Ed25519 signer from a PEM private key file named by --sign-key. */
export async function signerFromKeyFile(path: string): Promise<Signer> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--sign-key ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return ed25519Signer(pem, `--sign-key ${path}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A public key from a PEM file named by `option` (--public-key); unreadable or invalid is a usage error naming it. */
export async function readPublicKey(path: string, option: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parsePublicKey(pem, `${option} ${path}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
