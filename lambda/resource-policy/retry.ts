/**
 * Which DynamoDB resource-policy errors are worth waiting out, and how long to wait between tries.
 * Pure: the caller supplies the clock and the random numbers.
 *
 * Transient refusals a first deploy meets:
 * - "Invalid principal in policy document" (ValidationException): IAM has not yet propagated the
 *   role the statement names. Reported publicly for PutResourcePolicy right after the role was
 *   created: https://github.com/hashicorp/terraform-provider-aws/issues/42933 ("api error
 *   ValidationException: One or more parameter values were invalid: Invalid principal in policy
 *   document."). IAM documents that its changes take time to propagate:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 * - A second policy change on the same resource within 15 seconds: "Subsequent updates to a policy
 *   for a given resource are blocked for 15 seconds after a successful update of the policy for the
 *   same resource" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html).
 *   AWS does not document which error that refusal carries. The API reference lists, for
 *   PutResourcePolicy and DeleteResourcePolicy, ResourceInUseException ("You tried to update a
 *   resource that was already being updated ... wait for the ongoing update to complete and attempt
 *   the request again") and LimitExceededException: both are waited out here. Should the refusal
 *   come as something else, the provider fails at once with that error's name and message, so the
 *   first deploy shows which it is (docs/onboarding.md says so).
 * Throttling and 5xx errors are retried by the SDK's own retry strategy before they reach us.
 *
 * A revision conflict (PolicyNotFoundException on a write with ExpectedRevisionId) is not retried
 * here: it means "re-read the policy", which the caller does (see apply-statement.ts).
 */

export type RetryReason = 'invalid-principal' | 'policy-change-in-progress';

/** The error fields we classify by (an AWS SDK v3 ServiceException has both). */
export interface ErrorLike {
  readonly name?: string;
  readonly message?: string;
}

/** Why `error` is worth retrying, or undefined when it is not. */
export function retryReason(error: ErrorLike): RetryReason | undefined {
  if (error.name === 'ValidationException' && /invalid principal/i.test(error.message ?? '')) return 'invalid-principal';
  if (error.name === 'ResourceInUseException' || error.name === 'LimitExceededException') return 'policy-change-in-progress';
  return undefined;
}

export interface BackoffOptions {
  /** First delay's upper bound. @default 1000 */
  readonly baseMs?: number;
  /** No delay is longer than this. @default 16000 (a little over DynamoDB's 15-second block) */
  readonly capMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, capMs: 16_000 };

/**
 * The wait before retry number `attempt` (0 for the first retry): exponential, capped, with
 * "equal jitter" (half the step fixed, half random), so concurrent deploys spread out but every
 * wait still grows.
 * @param random a number in [0, 1), e.g. Math.random()
 */
export function backoffDelayMs(attempt: number, random: number, options: BackoffOptions = {}): number {
  const { baseMs, capMs } = { ...DEFAULT_BACKOFF, ...options };
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(step / 2 + (step / 2) * random);
}

/** The wait before the next try, shortened so it never runs past the deadline; undefined when no time is left. */
export function nextWait(attempt: number, random: number, nowMs: number, deadlineMs: number, options: BackoffOptions = {}): number | undefined {
  const left = deadlineMs - nowMs;
  if (left <= 0) return undefined;
  return Math.min(backoffDelayMs(attempt, random, options), left);
}
