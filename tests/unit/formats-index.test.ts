import { describe, expect, it } from "vitest";
import { detectFormat, formatBytes, IMPORT_FORMATS, missingFlatColumns, parseRecord, splitLines } from "~/core/formats";

describe("parseRecord", () => {
  it("dispatches native records", () => {
    expect(parseRecord("native", { id: "p1", prompt: "Hi", responses: [{ model: "m", text: "Hello" }] }, 4)).toEqual({
      ok: true,
      unit: {
        externalId: "p1",
        messages: [{ role: "user", content: "Hi" }],
        metadata: {},
        responses: [{ externalId: "m", model: "m", text: "Hello", params: {}, metadata: {} }],
      },
    });
  });

  it("dispatches flat records", () => {
    expect(parseRecord("flat", { prompt_id: "q", prompt: "Hi", model: "m", response: "Hello" }, 4)).toEqual({
      ok: true,
      unit: {
        externalId: "q",
        messages: [{ role: "user", content: "Hi" }],
        metadata: {},
        mergeByPromptId: true,
        responses: [{ externalId: "m", model: "m", text: "Hello", params: {}, metadata: {} }],
      },
    });
  });

  it("dispatches TRL records and numbers them by line", () => {
    expect(parseRecord("trl", { prompt: "Hi", chosen: "Hello", rejected: "Go away" }, 4)).toEqual({
      ok: true,
      unit: {
        externalId: "4",
        messages: [{ role: "user", content: "Hi" }],
        metadata: { text_prompt: true },
        responses: [
          { externalId: "chosen", model: "unknown", text: "Hello", params: {}, metadata: {} },
          { externalId: "rejected", model: "unknown", text: "Go away", params: {}, metadata: {} },
        ],
        preference: { chosen: "chosen", rejected: "rejected" },
      },
    });
  });

  it("dispatches HH-RLHF records and numbers them by line", () => {
    expect(
      parseRecord("hh-rlhf", { chosen: "\n\nHuman: Hi\n\nAssistant: Hello", rejected: "\n\nHuman: Hi\n\nAssistant: Go away" }, 8),
    ).toEqual({
      ok: true,
      unit: {
        externalId: "8",
        messages: [{ role: "user", content: "Hi" }],
        metadata: {},
        responses: [
          { externalId: "chosen", model: "unknown", text: "Hello", params: {}, metadata: {} },
          { externalId: "rejected", model: "unknown", text: "Go away", params: {}, metadata: {} },
        ],
        preference: { chosen: "chosen", rejected: "rejected" },
      },
    });
  });

  it("uses the named format's rules, not another's", () => {
    expect(parseRecord("native", { prompt: "Hi", chosen: "a", rejected: "b" }, 1)).toEqual({
      ok: false,
      errors: ["id: required"],
    });
    expect(parseRecord("hh-rlhf", { prompt: "Hi", chosen: "a", rejected: "b" }, 1)).toEqual({
      ok: false,
      errors: ['chosen: expected a transcript starting with "\\n\\nHuman:"'],
    });
  });

  it("re-exports the format helpers", () => {
    expect(IMPORT_FORMATS).toHaveLength(4);
    expect(detectFormat({ id: "p", prompt: "x" })).toBe("native");
    expect(missingFlatColumns(["prompt_id", "prompt"])).toEqual(["model", "response"]);
    expect(formatBytes(2048)).toBe("2 KiB");
    expect(typeof splitLines).toBe("function");
  });
});
