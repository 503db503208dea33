/** How a job retries: attempts after the first, and the exponential schedule's base and ceiling. */
export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseMs: 500, maxMs: 30_000 };

/** A Retry-After longer than this is cut to it: a server asking for an hour would stall the whole job. */
export const RETRY_AFTER_CAP_MS = 120_000;

/** Statuses worth another try: rate limiting and the server's own errors. Other 4xx will answer the same again. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/**
 * The wait before retry number `attempt` (0 for the first retry): "full jitter", a uniform draw
 * in [0, min(max, base · 2^attempt)), so clients that failed together do not retry together.
 * `random` returns [0, 1) and is given so tests can fix it.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * A Retry-After header as milliseconds from `now`: delta-seconds ("3", "1.5") or an HTTP date.
 * Null when absent or unreadable; a date in the past is 0. Capped at RETRY_AFTER_CAP_MS.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === "") return null;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    // Only an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"): Date.parse also takes "-1" as a year.
    if (!/^[A-Za-z]{3}, /.test(text)) return null;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(RETRY_AFTER_CAP_MS, Math.max(0, Math.round(ms)));
}

/** The wait before retry `attempt`: the server's Retry-After when it gave one, else the jittered backoff. */
export function retryDelay(attempt: number, retryAfterMs: number | null, policy: RetryPolicy, random: () => number): number {
  return retryAfterMs ?? backoffDelay(attempt, policy, random);
}
