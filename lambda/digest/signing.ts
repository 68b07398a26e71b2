/**
 * Signatures over evidence manifests and log digests, made and checked with node:crypto only.
 *
 * A signature is always over the exact bytes of a file (manifest.json, a digest object) and is
 * stored raw beside it (`<file>.sig`), so it can be checked by hand with OpenSSL:
 *   - Ed25519 (local key files):     openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in FILE -sigfile FILE.sig
 *   - ECDSA / RSA-PSS (AWS KMS keys): openssl dgst -sha256 -verify KEY.pem -signature FILE.sig FILE
 *     (RSA-PSS adds: -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32)
 *
 * Keys are identified by their fingerprint: the SHA-256 (hex) of the public key's DER
 * SubjectPublicKeyInfo, which is what `openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`
 * prints.
 */
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';

/** Named like KMS's SigningAlgorithmSpec where one exists, so one name travels end to end. */
export const SIGNATURE_ALGORITHMS = ['Ed25519', 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'RSASSA_PSS_SHA_256'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKeyPem: string;
  /** The KMS key ARN or id when KMS signs; absent for a local key file. */
  readonly kmsKeyId?: string;
  sign(bytes: Buffer): Promise<Buffer>;
}

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === 'string' && (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

/** SHA-256 (hex) of the DER SubjectPublicKeyInfo. */
export function publicKeyFingerprint(publicKeyPem: string | KeyObject): string {
  const key = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Reads a PEM public key, or says in one line why it is not one. */
export function parsePublicKey(pem: string, source: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new Error(`${source}: not a PEM public key (${(err as Error).message})`);
  }
}

/** An Ed25519 signer over a PKCS#8 PEM private key, as `ddb-audit evidence keygen` writes. */
export function ed25519Signer(privateKeyPem: string, source = 'signing key'): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new Error(`${source}: not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${source}: expected an Ed25519 private key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    algorithm: 'Ed25519',
    publicKeyPem,
    sign: async (bytes) => sign(null, bytes, key),
  };
}

export function generateEd25519KeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Which algorithms a public key can have made, so a claimed algorithm cannot pick a weaker check. */
function keyAllows(key: KeyObject, algorithm: SignatureAlgorithm): boolean {
  switch (algorithm) {
    case 'Ed25519':
      return key.asymmetricKeyType === 'ed25519';
    case 'ECDSA_SHA_256':
    case 'ECDSA_SHA_384':
      return key.asymmetricKeyType === 'ec';
    case 'RSASSA_PSS_SHA_256':
      return key.asymmetricKeyType === 'rsa';
  }
}

/**
 * True when `signature` is `algorithm`'s signature of `bytes` under `publicKey`. False for any
 * mismatch, including a key that cannot make that kind of signature; never throws on bad bytes.
 */
export function verifySignature(algorithm: SignatureAlgorithm, publicKey: KeyObject, bytes: Buffer, signature: Buffer): boolean {
  if (!keyAllows(publicKey, algorithm)) return false;
  try {
    switch (algorithm) {
      case 'Ed25519':
        return verify(null, bytes, publicKey, signature);
      case 'ECDSA_SHA_256':
        // KMS returns DER-encoded (r, s), as OpenSSL does.
        return verify('sha256', bytes, { key: publicKey, dsaEncoding: 'der' }, signature);
      case 'ECDSA_SHA_384':
        return verify('sha384', bytes, { key: publicKey, dsaEncoding: 'der' }, signature);
      case 'RSASSA_PSS_SHA_256':
        // KMS uses a salt as long as the hash (32 bytes).
        return verify('sha256', bytes, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    }
  } catch {
    return false;
  }
}

/** The by-hand OpenSSL command that checks `file` against `file.sig`. */
export function opensslVerifyCommand(algorithm: SignatureAlgorithm, publicKeyFile: string, file: string, signatureFile: string): string {
  switch (algorithm) {
    case 'Ed25519':
      return `openssl pkeyutl -verify -pubin -inkey ${publicKeyFile} -rawin -in ${file} -sigfile ${signatureFile}`;
    case 'ECDSA_SHA_256':
      return `openssl dgst -sha256 -verify ${publicKeyFile} -signature ${signatureFile} ${file}`;
    case 'ECDSA_SHA_384':
      return `openssl dgst -sha384 -verify ${publicKeyFile} -signature ${signatureFile} ${file}`;
    case 'RSASSA_PSS_SHA_256':
      return `openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify ${publicKeyFile} -signature ${signatureFile} ${file}`;
  }
}
