/**
 * A Signer backed by an AWS KMS asymmetric key (KMS Sign), whose signatures anyone can check
 * offline with the public key (KMS GetPublicKey), without AWS credentials.
 *
 * Key specs: ECC_NIST_P256 (ECDSA_SHA_256, the default of the digest construct), ECC_NIST_P384
 * (ECDSA_SHA_384) and RSA_2048/3072/4096 (RSASSA_PSS_SHA_256). KMS's Ed25519 key spec
 * (ECC_NIST_EDWARDS25519) is not used: its pure Ed25519 algorithm signs at most 4096 bytes
 * (MessageType RAW), shorter than many manifests and digests, and its pre-hashed variant
 * (Ed25519ph) cannot be checked by Node.js 20's crypto or OpenSSL 3.0.
 *
 * We send KMS the SHA-256 (or SHA-384) of the bytes with MessageType DIGEST: KMS's limit on RAW
 * messages is 4096 bytes, and ECDSA/RSA-PSS over a digest is the same signature as over the message.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import type { SignatureAlgorithm, Signer } from './signing';

const BY_KEY_SPEC: Record<string, { algorithm: SignatureAlgorithm; kms: SigningAlgorithmSpec; hash: 'sha256' | 'sha384' }> = {
  ECC_NIST_P256: { algorithm: 'ECDSA_SHA_256', kms: 'ECDSA_SHA_256', hash: 'sha256' },
  ECC_NIST_P384: { algorithm: 'ECDSA_SHA_384', kms: 'ECDSA_SHA_384', hash: 'sha384' },
  RSA_2048: { algorithm: 'RSASSA_PSS_SHA_256', kms: 'RSASSA_PSS_SHA_256', hash: 'sha256' },
  RSA_3072: { algorithm: 'RSASSA_PSS_SHA_256', kms: 'RSASSA_PSS_SHA_256', hash: 'sha256' },
  RSA_4096: { algorithm: 'RSASSA_PSS_SHA_256', kms: 'RSASSA_PSS_SHA_256', hash: 'sha256' },
};

/** PEM of a KMS key's public key (GetPublicKey returns DER SubjectPublicKeyInfo). */
export async function kmsPublicKeyPem(client: KMSClient, keyId: string): Promise<{ pem: string; keySpec: string; keyArn: string }> {
  const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!out.PublicKey) throw new Error(`KMS key ${keyId}: GetPublicKey returned no public key`);
  if (out.KeyUsage && out.KeyUsage !== 'SIGN_VERIFY') throw new Error(`KMS key ${keyId}: key usage is ${out.KeyUsage}, expected SIGN_VERIFY`);
  const pem = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
  return { pem, keySpec: out.KeySpec ?? 'unknown', keyArn: out.KeyId ?? keyId };
}

export async function kmsSigner(client: KMSClient, keyId: string): Promise<Signer> {
  const { pem, keySpec, keyArn } = await kmsPublicKeyPem(client, keyId);
  const choice = BY_KEY_SPEC[keySpec];
  if (!choice) throw new Error(`KMS key ${keyId}: key spec ${keySpec} is not supported for signing here; use ECC_NIST_P256, ECC_NIST_P384 or RSA_2048/3072/4096`);
  return {
    algorithm: choice.algorithm,
    publicKeyPem: pem,
    kmsKeyId: keyArn,
    sign: async (bytes) => {
      const out = await client.send(
        new SignCommand({
          KeyId: keyArn,
          Message: createHash(choice.hash).update(bytes).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: choice.kms,
        }),
      );
      if (!out.Signature) throw new Error(`KMS key ${keyArn}: Sign returned no signature`);
      return Buffer.from(out.Signature);
    },
  };
}

/** The region of a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), when it is an ARN. */
export function regionOfKmsArn(keyId: string): string | undefined {
  const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId);
  return match?.[1];
}
