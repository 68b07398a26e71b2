/**
 * Telling apart the errors that end a doctor run (no credentials, no network: every check would
 * fail the same way, so one line says it) from those that fail one check (AccessDenied, a missing
 * resource), which that check reports.
 */

/** A failure that makes every check meaningless; its message is the one line doctor prints. */
export class DoctorFatalError extends Error {
  override name = 'DoctorFatalError';
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** The fatal error this is, or undefined when it belongs to one check. */
export function fatalError(err: unknown): DoctorFatalError | undefined {
  const e = (err ?? {}) as SdkLikeError;
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '')) {
    return new DoctorFatalError(`no AWS credentials found (${oneLine(e.message)}); set AWS_PROFILE or pass --profile, or run aws sso login / aws configure`);
  }
  if (e.name === 'ExpiredTokenException' || e.name === 'ExpiredToken' || e.name === 'TokenRefreshRequired') {
    return new DoctorFatalError(`the AWS credentials have expired (${oneLine(e.message)}); log in again (aws sso login) and re-run`);
  }
  if (e.name === 'UnrecognizedClientException' || e.name === 'InvalidClientTokenId' || e.name === 'InvalidSignatureException') {
    return new DoctorFatalError(`AWS rejected the credentials (${e.name}: ${oneLine(e.message)}); check AWS_PROFILE / --profile`);
  }
  // No HTTP reply at all: DNS, refused or reset connections, timeouts.
  // The SDK puts the socket error's code on the error, or (for an error from another realm, as
  // under jest) only in its "AWS SDK error wrapper for ..." message.
  const code = e.code ?? ((e.cause ?? {}) as SdkLikeError).code ?? [...NETWORK_CODES].find((c) => new RegExp(`\\b${c}\\b`).test(e.message ?? ''));
  if (e.$metadata?.httpStatusCode === undefined && ((code !== undefined && NETWORK_CODES.has(code)) || e.name === 'TimeoutError')) {
    return new DoctorFatalError(`cannot reach AWS (${code ?? e.name}: ${oneLine(e.message)}); check the network, a proxy, or --region`);
  }
  return undefined;
}

/** True for an authorization refusal, which doctor reports as a missing read permission. */
export function isAccessDenied(err: unknown): boolean {
  const e = (err ?? {}) as SdkLikeError;
  return /AccessDenied|AuthorizationError|UnauthorizedOperation|Forbidden/i.test(e.name ?? '') || e.$metadata?.httpStatusCode === 403;
}

/** "Name: message" on one line, for a detail. */
export function describeError(err: unknown): string {
  const e = (err ?? {}) as SdkLikeError;
  const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return `${name}${oneLine(e.message ?? String(err))}`;
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
}
