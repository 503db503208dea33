import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  chatCompletionsUrl,
  chatRequestBody,
  displayEndpoint,
  formatDuration,
  parseCompletion,
  parseRetryAfter,
  redact,
  retryableStatus,
  retryDelay,
  RETRY_AFTER_CAP_MS,
  sampleExternalId,
  samplingJobProgress,
  samplingProgressLine,
  snippet,
} from "../../app/core/sampling";

describe("request", () => {
  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Hi" },
  ];

  it("sends the prompt's messages with only the parameters given, and seed + index", () => {
    expect(chatRequestBody("m", messages, {}, 0)).toEqual({ model: "m", messages, n: 1, stream: false });
    expect(chatRequestBody("m", messages, { temperature: 0, top_p: 1, max_tokens: 5, seed: 7 }, 2)).toEqual({
      model: "m",
      messages,
      temperature: 0,
      top_p: 1,
      max_tokens: 5,
      seed: 9,
      n: 1,
      stream: false,
    });
  });

  it("puts a job's system prompt first, in place of the prompt's own", () => {
    expect(chatRequestBody("m", messages, {}, 0, "Be kind.").messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("names samples label#index and builds the completions URL", () => {
    expect(sampleExternalId("llama@v2", 3)).toBe("llama@v2#3");
    expect(chatCompletionsUrl("http://h:8000/v1")).toBe("http://h:8000/v1/chat/completions");
    expect(chatCompletionsUrl("http://h:8000/v1/")).toBe("http://h:8000/v1/chat/completions");
  });

  it("shows endpoints without credentials or query, and redacts the key from text", () => {
    expect(displayEndpoint("https://u:secret@api.example.com/v1/?key=secret#x")).toBe("https://api.example.com/v1");
    expect(displayEndpoint("not a url")).toBe("(invalid URL)");
    expect(redact("Bearer sk-1 and sk-1 again", "sk-1")).toBe("Bearer [redacted] and [redacted] again");
    expect(redact("nothing", undefined)).toBe("nothing");
  });
});

describe("response", () => {
  it("reads the first choice's text, finish reason and usage", () => {
    const body = JSON.stringify({
      choices: [{ message: { role: "assistant", content: "7" }, finish_reason: "length" }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    });
    expect(parseCompletion(body)).toEqual({
      ok: true,
      completion: { text: "7", finishReason: "length", usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
    });
    expect(parseCompletion('{"choices":[{"message":{"content":""}}]}')).toEqual({ ok: true, completion: { text: "", finishReason: null, usage: null } });
  });

  it("explains bodies that are not completions, with a snippet", () => {
    expect(parseCompletion("<html>oops</html>")).toEqual({ ok: false, reason: "the body is not JSON: <html>oops</html>" });
    expect(parseCompletion("")).toEqual({ ok: false, reason: "the body is not JSON: (empty)" });
    expect(parseCompletion('{"choices":[]}')).toEqual({ ok: false, reason: 'the body has no choices: {"choices":[]}' });
    expect(parseCompletion('{"error":"x"}')).toEqual({ ok: false, reason: 'the body has no choices: {"error":"x"}' });
    expect(parseCompletion('{"choices":[{"message":{"content":null,"tool_calls":[]}}]}').ok).toBe(false);
    expect(parseCompletion('{"choices":[{"nomessage":1}]}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^the body is not a chat completion/) });
  });

  it("cuts snippets and flattens whitespace", () => {
    expect(snippet("a\n\n  b")).toBe("a b");
    expect(snippet("x".repeat(400))).toBe(`${"x".repeat(300)}…`);
  });
});

describe("retry", () => {
  const policy = { maxRetries: 5, baseMs: 100, maxMs: 1000 };

  it("retries rate limits, timeouts and server errors only", () => {
    expect([429, 408, 500, 502, 503, 599].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422, 200].some(retryableStatus)).toBe(false);
  });

  it("draws full jitter below a doubling ceiling, capped", () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
  });

  it("reads Retry-After as seconds or an HTTP date, capped", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("99999", now)).toBe(RETRY_AFTER_CAP_MS);
    expect([null, undefined, "", "soon", "-1"].map((v) => parseRetryAfter(v, now))).toEqual([null, null, null, null, null]);
  });

  it("prefers the server's Retry-After to its own schedule", () => {
    expect(retryDelay(0, 2500, policy, () => 0.5)).toBe(2500);
    expect(retryDelay(0, null, policy, () => 0.5)).toBe(50);
  });
});

describe("progress", () => {
  it("shows done/total, failures, rate and ETA", () => {
    expect(samplingProgressLine({ done: 120, total: 400, failed: 2, elapsedMs: 30_000 })).toBe("sample: 120/400 (30%), 2 failed, 4.0/s, ETA 1m10s");
    expect(samplingProgressLine({ done: 0, total: 10, failed: 0, elapsedMs: 0 })).toBe("sample: 0/10 (0%), 0.0/s, ETA —");
    expect(samplingProgressLine({ done: 10, total: 10, failed: 0, elapsedMs: 2000 })).toBe("sample: 10/10 (100%), 5.0/s, done");
    expect(samplingProgressLine({ done: 0, total: 0, failed: 0, elapsedMs: 5 })).toBe("sample: 0/0 (100%), 0.0/s, done");
  });

  it("formats durations", () => {
    expect([0, 12_400, 65_000, 3_600_000 + 120_000].map(formatDuration)).toEqual(["0s", "12s", "1m05s", "1h02m"]);
  });

  it("derives a job's progress, rate and ETA from its counts and when its run began", () => {
    // 100 wanted, 40 there before the run, 20 answered and 5 failed in 10 s: 2.5/s, 35 left, 14 s.
    const counts = { requested: 100, already_present: 40, sampled: 20, failed: 5 };
    expect(samplingJobProgress(counts, { startedAt: 0, now: 10_000 })).toEqual({ stored: 60, total: 100, failed: 5, remaining: 35, percent: 65, ratePerSecond: 2.5, etaMs: 14_000 });
    // Not running: no rate, no ETA; nothing left with failures is still 100%.
    expect(samplingJobProgress({ requested: 4, already_present: 0, sampled: 3, failed: 1 }, null)).toEqual({ stored: 3, total: 4, failed: 1, remaining: 0, percent: 100, ratePerSecond: null, etaMs: null });
    // Just started: nothing finished yet, so no rate to guess an ETA from.
    expect(samplingJobProgress({ requested: 10, already_present: 0, sampled: 0, failed: 0 }, { startedAt: 5, now: 5 })).toMatchObject({ percent: 0, ratePerSecond: null, etaMs: null });
    // 999 of 1000 rounds down to 99%, never up to a 100% that is not done.
    expect(samplingJobProgress({ requested: 1000, already_present: 0, sampled: 999, failed: 0 }, { startedAt: 0, now: 1000 }).percent).toBe(99);
    expect(samplingJobProgress({ requested: 0, already_present: 0, sampled: 0, failed: 0 }, null).percent).toBe(100);
  });
});
