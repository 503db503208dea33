/**
 * Login throttling policy: at most `limit` failed attempts per key (an account or an
 * address) within a sliding window of `windowMs`. Pure: the caller keeps the failure times.
 */
export interface ThrottlePolicy {
  limit: number;
  windowMs: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = { limit: 5, windowMs: 15 * 60_000 };
export const ADDRESS_POLICY: ThrottlePolicy = { limit: 20, windowMs: 15 * 60_000 };

/** Failure times still inside the window, oldest first. */
export function recentFailures(failures: readonly number[], now: number, policy: ThrottlePolicy): number[] {
  return failures.filter((t) => now - t < policy.windowMs);
}

/**
 * Milliseconds until another attempt is allowed, or 0 when it is allowed now.
 * Once the limit is reached, the next attempt opens when the oldest counted failure leaves the window.
 */
export function retryAfterMs(failures: readonly number[], now: number, policy: ThrottlePolicy): number {
  const recent = recentFailures(failures, now, policy);
  if (recent.length < policy.limit) return 0;
  const oldestCounted = recent[recent.length - policy.limit]!;
  return Math.max(0, oldestCounted + policy.windowMs - now);
}
