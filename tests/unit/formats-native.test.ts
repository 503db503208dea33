import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseNativeLine } from "../../app/core/formats/native";
import { assignResponseIds, describeIssues } from "../../app/core/formats/import-unit";

describe("parseNativeLine", () => {
  it("maps a prompt with messages and responses to a unit", () => {
    const result = parseNativeLine({
      id: "p1",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is 2+2?" },
      ],
      responses: [
        { id: "r-a", model: "gpt-4o", text: "4", params: { temperature: 0.7 }, metadata: { latency_ms: 120 } },
        { model: "llama-3", text: "Four." },
      ],
      metadata: { source: "math" },
    });
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "p1",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "What is 2+2?" },
        ],
        metadata: { source: "math" },
        responses: [
          { externalId: "r-a", model: "gpt-4o", text: "4", params: { temperature: 0.7 }, metadata: { latency_ms: 120 } },
          { externalId: "llama-3", model: "llama-3", text: "Four.", params: {}, metadata: {} },
        ],
      },
    });
  });

  it("turns a bare prompt string into one user message", () => {
    const result = parseNativeLine({ id: "p2", prompt: "Tell me a joke." });
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "p2",
        messages: [{ role: "user", content: "Tell me a joke." }],
        metadata: {},
        responses: [],
      },
    });
  });

  it("keeps an empty prompt string as an empty user message", () => {
    const result = parseNativeLine({ id: "p3", prompt: "" });
    expect(result.ok && result.unit.messages).toEqual([{ role: "user", content: "" }]);
  });

  it("accepts a prompt without responses (to be sampled later)", () => {
    const result = parseNativeLine({ id: "later", messages: [{ role: "user", content: "hi" }] });
    expect(result.ok).toBe(true);
    expect(result.ok && result.unit.responses).toEqual([]);
  });

  it("stringifies integer ids for prompts and responses", () => {
    const result = parseNativeLine({
      id: 42,
      prompt: "x",
      responses: [
        { id: 0, model: "m", text: "a" },
        { id: 7, model: "m", text: "b" },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.externalId).toBe("42");
    expect(result.unit.responses.map((r) => r.externalId)).toEqual(["0", "7"]);
  });

  it("numbers repeated models without ids", () => {
    const result = parseNativeLine({
      id: "p",
      prompt: "x",
      responses: [
        { model: "gpt-4o", text: "one" },
        { model: "gpt-4o", text: "two" },
        { model: "claude", text: "three" },
        { model: "gpt-4o", text: "four" },
      ],
    });
    expect(result.ok && result.unit.responses.map((r) => r.externalId)).toEqual([
      "gpt-4o",
      "gpt-4o#2",
      "claude",
      "gpt-4o#3",
    ]);
  });

  it("rejects a line with both messages and prompt", () => {
    const result = parseNativeLine({ id: "p", prompt: "x", messages: [{ role: "user", content: "y" }] });
    expect(result).toEqual({ ok: false, errors: ['messages: expected exactly one of "messages" or "prompt"'] });
  });

  it("rejects a line with neither messages nor prompt", () => {
    const result = parseNativeLine({ id: "p" });
    expect(result).toEqual({ ok: false, errors: ['messages: expected exactly one of "messages" or "prompt"'] });
  });

  it("reports a missing id as required", () => {
    const result = parseNativeLine({ prompt: "x" });
    expect(result).toEqual({ ok: false, errors: ["id: required"] });
  });

  it("rejects a non-integer or non-string id", () => {
    expect(parseNativeLine({ id: 1.5, prompt: "x" })).toEqual({
      ok: false,
      errors: ["id: expected a string or an integer"],
    });
    expect(parseNativeLine({ id: true, prompt: "x" })).toEqual({
      ok: false,
      errors: ["id: expected a string or an integer"],
    });
  });

  it("rejects an empty id string", () => {
    const result = parseNativeLine({ id: "", prompt: "x" });
    expect(result).toEqual({ ok: false, errors: ["id: must not be empty"] });
  });

  it("rejects an empty message list", () => {
    const result = parseNativeLine({ id: "p", messages: [] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toContain("messages: expected at least one message");
  });

  it("rejects an unknown role with a dotted path", () => {
    const result = parseNativeLine({ id: "p", messages: [{ role: "user", content: "a" }, { role: "bot", content: "b" }] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^messages\.1\.role: /);
  });

  it("reports every bad response field with its dotted path", () => {
    const result = parseNativeLine({
      id: "p",
      prompt: "x",
      responses: [
        { model: "ok", text: "fine" },
        { model: "", text: "t" },
      ],
    });
    expect(result).toEqual({ ok: false, errors: ["responses.1.model: must not be empty"] });
  });

  it("reports a missing response text under responses.N.text", () => {
    const result = parseNativeLine({ id: "p", prompt: "x", responses: [{ model: "m" }] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^responses\.0\.text: /);
  });

  it("rejects duplicate explicit response ids", () => {
    const result = parseNativeLine({
      id: "p",
      prompt: "x",
      responses: [
        { id: "a", model: "m1", text: "1" },
        { id: "a", model: "m2", text: "2" },
      ],
    });
    expect(result).toEqual({ ok: false, errors: ["responses: response ids must be unique within a prompt"] });
  });

  it("treats a numeric and a string id with the same text as duplicates", () => {
    const result = parseNativeLine({
      id: "p",
      prompt: "x",
      responses: [
        { id: 1, model: "m1", text: "1" },
        { id: "1", model: "m2", text: "2" },
      ],
    });
    expect(result).toEqual({ ok: false, errors: ["responses: response ids must be unique within a prompt"] });
  });

  it("gives an auto id that does not clash with an explicit id", () => {
    const result = parseNativeLine({
      id: "p",
      prompt: "x",
      responses: [
        { model: "gpt-4o", text: "auto" },
        { id: "gpt-4o", model: "other", text: "explicit" },
      ],
    });
    expect(result.ok && result.unit.responses.map((r) => r.externalId)).toEqual(["gpt-4o#2", "gpt-4o"]);
  });

  it("rejects metadata that is not an object", () => {
    const result = parseNativeLine({ id: "p", prompt: "x", metadata: ["a"] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^metadata: /);
  });

  it("rejects a value that is not an object with a line-level message", () => {
    for (const value of ["text", 3, null, [1, 2]]) {
      const result = parseNativeLine(value);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatch(/^line: /);
    }
  });
});

describe("assignResponseIds", () => {
  const base = { text: "t", params: {}, metadata: {} };

  it("uses the model name as the id", () => {
    expect(assignResponseIds([{ ...base, model: "gpt-4o" }, { ...base, model: "claude" }])).toEqual([
      { ...base, model: "gpt-4o", externalId: "gpt-4o" },
      { ...base, model: "claude", externalId: "claude" },
    ]);
  });

  it("numbers repeats from #2", () => {
    expect(
      assignResponseIds([
        { ...base, model: "m" },
        { ...base, model: "m" },
        { ...base, model: "m" },
      ]).map((r) => r.externalId),
    ).toEqual(["m", "m#2", "m#3"]);
  });

  it("keeps explicit ids and skips them when numbering", () => {
    expect(
      assignResponseIds([
        { ...base, model: "m" },
        { ...base, model: "x", externalId: "m#2" },
        { ...base, model: "m" },
        { ...base, model: "y", externalId: "custom" },
      ]).map((r) => r.externalId),
    ).toEqual(["m", "m#2", "m#3", "custom"]);
  });

  it("lets an explicit id take the model name even when it comes later", () => {
    expect(
      assignResponseIds([
        { ...base, model: "m" },
        { ...base, model: "z", externalId: "m" },
      ]).map((r) => r.externalId),
    ).toEqual(["m#2", "m"]);
  });

  it("keeps the other fields unchanged", () => {
    expect(
      assignResponseIds([{ model: "m", text: "hello", params: { top_p: 1 }, metadata: { k: "v" } }]),
    ).toEqual([{ externalId: "m", model: "m", text: "hello", params: { top_p: 1 }, metadata: { k: "v" } }]);
  });

  it("returns an empty list for no responses", () => {
    expect(assignResponseIds([])).toEqual([]);
  });
});

describe("describeIssues", () => {
  it("gives `path.dotted: message` for nested issues", () => {
    const schema = z.object({
      responses: z.array(z.object({ text: z.string({ error: "text is missing" }) })),
    });
    const parsed = schema.safeParse({ responses: [{ text: "a" }, {}] });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(describeIssues(parsed.error)).toEqual(["responses.1.text: text is missing"]);
  });

  it("uses `line` for an issue on the whole value", () => {
    const schema = z.string({ error: "not a string" });
    const parsed = schema.safeParse(5);
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(describeIssues(parsed.error)).toEqual(["line: not a string"]);
  });

  it("gives one string per issue, in order", () => {
    const schema = z.object({ a: z.string().min(2, "too short"), b: z.number({ error: "not a number" }) });
    const parsed = schema.safeParse({ a: "x", b: "y" });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(describeIssues(parsed.error)).toEqual(["a: too short", "b: not a number"]);
  });
});
