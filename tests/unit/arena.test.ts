import { describe, expect, it } from "vitest";
import { arenaConfigSchema, arenaRequestBody, chooseBattle, pairKey, parseStreamData, sseReader } from "~/core/arena";

const endpoint = (label: string) => ({ label, url: "http://127.0.0.1:9/v1", model: "m" });

describe("arena endpoint list", () => {
  it("accepts two or more endpoints with optional key variable and parameters", () => {
    const parsed = arenaConfigSchema.parse({ endpoints: [endpoint("alpha"), { ...endpoint("beta"), api_key_env: "BETA_KEY", temperature: 0.7, max_tokens: 256 }] });
    expect(parsed.endpoints.map((e) => e.label)).toEqual(["alpha", "beta"]);
  });

  it("names each problem by its field", () => {
    const result = arenaConfigSchema.safeParse({
      endpoints: [
        { label: "alpha", url: "ftp://x", model: "m" },
        { label: "alpha", url: "http://user:pw@host/v1", model: "", api_key_env: "not a name", temperature: 3 },
      ],
    });
    expect(result.success).toBe(false);
    const fields = Object.fromEntries(result.error!.issues.map((i) => [i.path.join("."), i.message]));
    expect(fields["endpoints.0.url"]).toMatch(/http:\/\/ or https:\/\//);
    expect(fields["endpoints.1.url"]).toMatch(/must not hold a user or password/);
    expect(fields["endpoints.1.model"]).toBe("the model is required");
    expect(fields["endpoints.1.api_key_env"]).toMatch(/not an environment variable name/);
    expect(fields["endpoints.1.temperature"]).toBe("0 to 2");
  });

  it("names only key variables (ending in _KEY, not VERDICT_…) for endpoint keys", () => {
    const keyOf = (api_key_env: string) => arenaConfigSchema.safeParse({ endpoints: [endpoint("a"), { ...endpoint("b"), api_key_env }] }).error?.issues[0]?.message;
    expect(keyOf("OPENAI_API_KEY")).toBeUndefined();
    for (const name of ["HOME", "DATABASE_URL", "VERDICT_DB", "VERDICT_SECRET_KEY"]) {
      expect(keyOf(name)).toBe("only a variable whose name ends in _KEY (not VERDICT_…), such as OPENAI_API_KEY");
    }
  });

  it("refuses a single endpoint and a label used twice", () => {
    expect(arenaConfigSchema.safeParse({ endpoints: [endpoint("a")] }).error?.issues[0]?.message).toBe("an arena needs at least two endpoints, got 1");
    const twice = arenaConfigSchema.safeParse({ endpoints: [endpoint("a"), endpoint("a")] });
    expect(twice.error?.issues[0]).toMatchObject({ path: ["endpoints", 1, "label"], message: 'label "a" is used twice' });
  });
});

describe("chooseBattle", () => {
  it("picks the pair with the fewest battles", () => {
    const battles = new Map([
      [pairKey("a", "b"), 3],
      [pairKey("a", "c"), 1],
      [pairKey("b", "c"), 2],
    ]);
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const { a, b } = chooseBattle(["a", "b", "c"], battles, () => r);
      expect([a, b].sort()).toEqual([0, 2]);
    }
  });

  it("draws every pair and both sides about equally when counts tie", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const { a, b } = chooseBattle(["a", "b", "c", "d"], new Map(), random);
      seen.set(`${a}${b}`, (seen.get(`${a}${b}`) ?? 0) + 1);
    }
    expect(seen.size).toBe(12); // 6 pairs × 2 sides
    for (const n of seen.values()) expect(n).toBeGreaterThan(350);
  });
});

describe("streamed completions", () => {
  it("asks for a stream with usage", () => {
    expect(arenaRequestBody({ ...endpoint("a"), temperature: 0.2 }, "hi")).toMatchObject({ model: "m", stream: true, stream_options: { include_usage: true }, temperature: 0.2, messages: [{ role: "user", content: "hi" }] });
  });

  it("splits events arriving in arbitrary pieces", () => {
    const reader = sseReader();
    const whole = 'data: {"a":1}\n\n: comment\n\ndata: {"b":\ndata: 2}\r\n\r\ndata: [DONE]\n\n';
    const out: string[] = [];
    for (let i = 0; i < whole.length; i += 3) out.push(...reader.push(whole.slice(i, i + 3)));
    out.push(...reader.end());
    expect(out).toEqual(['{"a":1}', '{"b":\n2}', "[DONE]"]);
  });

  it("reads deltas, the finish reason, usage and [DONE]", () => {
    expect(parseStreamData('{"choices":[{"delta":{"content":"Hel"},"finish_reason":null}]}')).toEqual({ delta: "Hel", finishReason: null, usage: null });
    expect(parseStreamData('{"choices":[{"delta":{},"finish_reason":"stop"}]}')).toMatchObject({ delta: "", finishReason: "stop" });
    expect(parseStreamData('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}')).toMatchObject({ usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    expect(parseStreamData("[DONE]")).toBe("done");
    expect(parseStreamData("<html>")).toBeNull();
  });
});
