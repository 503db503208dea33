/**
 * One request to an OpenAI-compatible chat completions endpoint, and the retry loop around it:
 * what sampling responses and judging them share (README: Sampling responses; issue 13). A
 * status worth another try (429, 408, 5xx), a timeout or a connection error is retried with
 * full-jitter backoff or the server's Retry-After; any other failure is final.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { browserKeyVariableProblem, parseCompletion, parseRetryAfter, retryableStatus, retryDelay, snippet, type Completion, type RetryPolicy } from "../core/sampling";
import { ServiceError } from "./errors.server";

export type ChatAttempt =
  | { kind: "ok"; completion: Completion; latencyMs: number; upstreamModel: string | null }
  | { kind: "retry" | "fail"; status: number | null; reason: string; retryAfterMs: number | null };

export interface ChatRequest {
  url: string;
  /** Sent as `Authorization: Bearer`; never stored or put in a message. */
  apiKey?: string;
  body: string;
  timeoutMs: number;
  /** Aborting drops the request; the caller's signal is rethrown, never reported as a failure. */
  signal: AbortSignal;
}

/** POSTs one chat completion request and classifies the outcome. */
export async function chatAttempt(request: ChatRequest): Promise<ChatAttempt> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers,
      body: request.body,
      signal: AbortSignal.any([AbortSignal.timeout(request.timeoutMs), request.signal]),
    });
    const text = await response.text();
    const latencyMs = Math.round(performance.now() - started);
    if (!response.ok) {
      return {
        kind: retryableStatus(response.status) ? "retry" : "fail",
        status: response.status,
        reason: `HTTP ${response.status}: ${snippet(text) || "(empty body)"}`,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
      };
    }
    const parsed = parseCompletion(text);
    if (!parsed.ok) return { kind: "fail", status: response.status, reason: parsed.reason, retryAfterMs: null };
    return { kind: "ok", completion: parsed.completion, latencyMs, upstreamModel: upstreamModel(text) };
  } catch (error) {
    if (request.signal.aborted) throw error;
    if ((error as Error).name === "TimeoutError") return { kind: "retry", status: null, reason: `no answer within ${request.timeoutMs} ms`, retryAfterMs: null };
    return { kind: "retry", status: null, reason: `connection error: ${connectionProblem(error)}`, retryAfterMs: null };
  }
}

export type ChatResult =
  | { kind: "ok"; completion: Completion; latencyMs: number; upstreamModel: string | null; attempts: number }
  | { kind: "fail"; status: number | null; reason: string; attempts: number };

/**
 * {@link chatAttempt} until it succeeds, fails for good, or `policy.maxRetries` retries are
 * spent; a failure after retries says how many attempts it took.
 */
export async function chatWithRetries(request: ChatRequest, policy: RetryPolicy, random: () => number): Promise<ChatResult> {
  for (let tries = 0; ; tries++) {
    const result = await chatAttempt(request);
    if (result.kind === "ok") return { ...result, attempts: tries + 1 };
    if (result.kind === "fail" || tries >= policy.maxRetries) {
      const reason = result.kind === "retry" && tries > 0 ? `${result.reason} (after ${tries + 1} attempts)` : result.reason;
      return { kind: "fail", status: result.status, reason, attempts: tries + 1 };
    }
    await sleep(retryDelay(tries, result.retryAfterMs, policy, random), undefined, { signal: request.signal });
  }
}

/** The model an answer says it came from, when it says. */
function upstreamModel(body: string): string | null {
  try {
    const model = (JSON.parse(body) as { model?: unknown }).model;
    return typeof model === "string" ? model : null;
  } catch {
    return null;
  }
}

/** A connection error in a few words: undici hides the useful code (ECONNRESET, …) in `cause`. */
function connectionProblem(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : null;
  const message = typeof cause?.message === "string" ? cause.message : error instanceof Error ? error.message : String(error);
  return code ? `${code} (${message})` : message;
}

/**
 * Runs `each` over the work with `concurrency` workers, in order, until done or `signal` is
 * aborted, calling `after` when each piece is done. Resolves when every worker has stopped —
 * allSettled, not all: on a cancel or a crash nothing is still running when the caller marks its
 * job — with the first crash, if any.
 */
export async function runWorkers<T>(work: readonly T[], concurrency: number, signal: AbortSignal, each: (item: T) => Promise<void>, after: () => void): Promise<{ crash: unknown } | null> {
  let cursor = 0;
  const worker = async () => {
    while (cursor < work.length && !signal.aborted) {
      await each(work[cursor++]!);
      after();
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, Math.max(1, work.length)) }, worker));
  const crash = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  return crash ? { crash: crash.reason } : null;
}

/**
 * The API key a job started from the browser sends, read from the server's environment by the
 * name the form gave (only `…_KEY` variables may be named from a browser). The name is all a
 * form or the database ever sees; a missing variable is the caller's to fix, said without a value.
 */
export function serverApiKey(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const problem = browserKeyVariableProblem(name);
  if (problem) throw new ServiceError("invalid", `api_key_env: ${name} is not a key variable: ${problem}`, { fields: { api_key_env: problem } });
  const key = process.env[name];
  if (!key) {
    throw new ServiceError("invalid", `the server has no environment variable ${name}: set it where the server starts, or leave the field empty for an endpoint without a key`, {
      fields: { api_key_env: `the server has no environment variable ${name}` },
    });
  }
  return key;
}
