import { describe, expect, it } from "vitest";
import { FLAT_COLUMNS, missingFlatColumns, parseFlatRow } from "../../app/core/formats/flat";

describe("parseFlatRow", () => {
  it("maps a row to a one-response unit merged by prompt id", () => {
    const result = parseFlatRow({ prompt_id: "q1", prompt: "Capital of France?", model: "gpt-4o", response: "Paris." });
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "q1",
        messages: [{ role: "user", content: "Capital of France?" }],
        metadata: {},
        mergeByPromptId: true,
        responses: [{ externalId: "gpt-4o", model: "gpt-4o", text: "Paris.", params: {}, metadata: {} }],
      },
    });
  });

  it("uses response_id as the response's id when given", () => {
    const result = parseFlatRow({ prompt_id: "q1", prompt: "p", model: "gpt-4o", response: "r", response_id: "sample-2" });
    expect(result.ok && result.unit.responses).toEqual([
      { externalId: "sample-2", model: "gpt-4o", text: "r", params: {}, metadata: {} },
    ]);
  });

  it("falls back to the model name when response_id is a blank CSV cell", () => {
    const result = parseFlatRow({ prompt_id: "q1", prompt: "p", model: "llama", response: "r", response_id: "" });
    expect(result.ok && result.unit.responses[0]!.externalId).toBe("llama");
  });

  it("falls back to the model name when response_id is null", () => {
    const result = parseFlatRow({ prompt_id: "q1", prompt: "p", model: "llama", response: "r", response_id: null });
    expect(result.ok && result.unit.responses[0]!.externalId).toBe("llama");
  });

  it("stringifies numeric prompt ids, models and response ids", () => {
    const result = parseFlatRow({ prompt_id: 17, prompt: "p", model: 3, response: "r", response_id: 2 });
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "17",
        messages: [{ role: "user", content: "p" }],
        metadata: {},
        mergeByPromptId: true,
        responses: [{ externalId: "2", model: "3", text: "r", params: {}, metadata: {} }],
      },
    });
  });

  it("keeps other columns as the response's metadata, not the prompt's", () => {
    const result = parseFlatRow({
      prompt_id: "q",
      prompt: "p",
      model: "m",
      response: "r",
      response_id: "x",
      latency_ms: "340",
      split: "test",
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.metadata).toEqual({});
    expect(result.unit.responses[0]!.metadata).toEqual({ latency_ms: "340", split: "test" });
  });

  it("accepts an empty prompt and an empty response", () => {
    const result = parseFlatRow({ prompt_id: "q", prompt: "", model: "m", response: "" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.messages).toEqual([{ role: "user", content: "" }]);
    expect(result.unit.responses[0]!.text).toBe("");
  });

  it("rejects an empty prompt_id", () => {
    expect(parseFlatRow({ prompt_id: "", prompt: "p", model: "m", response: "r" })).toEqual({
      ok: false,
      errors: ["prompt_id: must not be empty"],
    });
  });

  it("rejects an empty model", () => {
    expect(parseFlatRow({ prompt_id: "q", prompt: "p", model: "", response: "r" })).toEqual({
      ok: false,
      errors: ["model: must not be empty"],
    });
  });

  it("reports each missing field by name", () => {
    const result = parseFlatRow({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.split(":")[0])).toEqual(["prompt_id", "prompt", "model", "response"]);
  });

  it("rejects a non-string prompt", () => {
    const result = parseFlatRow({ prompt_id: "q", prompt: 5, model: "m", response: "r" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^prompt: /);
  });
});

describe("missingFlatColumns", () => {
  it("lists the required columns", () => {
    expect([...FLAT_COLUMNS]).toEqual(["prompt_id", "prompt", "model", "response"]);
  });

  it("returns nothing for a complete header, whatever the order and extras", () => {
    expect(missingFlatColumns(["response", "model", "extra", "prompt", "prompt_id"])).toEqual([]);
  });

  it("returns the missing columns in the canonical order", () => {
    expect(missingFlatColumns(["model", "prompt"])).toEqual(["prompt_id", "response"]);
  });

  it("returns every column for an empty header", () => {
    expect(missingFlatColumns([])).toEqual(["prompt_id", "prompt", "model", "response"]);
  });

  it("matches names exactly (case and spaces matter)", () => {
    expect(missingFlatColumns(["Prompt_ID", "prompt ", "model", "response"])).toEqual(["prompt_id", "prompt"]);
  });
});
