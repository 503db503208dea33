import { describe, expect, it } from "vitest";
import { detectFormat, IMPORT_FORMATS } from "../../app/core/formats/detect";

describe("detectFormat", () => {
  it("names the four import formats", () => {
    expect([...IMPORT_FORMATS]).toEqual(["native", "flat", "trl", "hh-rlhf"]);
  });

  it("detects flat rows from prompt_id and response", () => {
    expect(detectFormat({ prompt_id: "q1", prompt: "p", model: "m", response: "r" })).toBe("flat");
    expect(detectFormat({ prompt_id: 1, response: "r" })).toBe("flat");
  });

  it("needs both prompt_id and response for flat", () => {
    expect(detectFormat({ prompt_id: "q1", prompt: "p", model: "m" })).toBeNull();
    expect(detectFormat({ response: "r", prompt: "p", model: "m" })).toBeNull();
  });

  it("detects HH-RLHF from transcripts without a prompt", () => {
    expect(
      detectFormat({ chosen: "\n\nHuman: Hi\n\nAssistant: A", rejected: "\n\nHuman: Hi\n\nAssistant: B" }),
    ).toBe("hh-rlhf");
  });

  it("detects TRL when chosen/rejected come with a prompt, even if they look like transcripts", () => {
    expect(detectFormat({ prompt: "Hi", chosen: "A", rejected: "B" })).toBe("trl");
    expect(
      detectFormat({ prompt: "x", chosen: "\n\nHuman: Hi\n\nAssistant: A", rejected: "\n\nHuman: Hi\n\nAssistant: B" }),
    ).toBe("trl");
  });

  it("detects TRL for implicit-prompt strings that are not transcripts", () => {
    expect(detectFormat({ chosen: "The sky is blue.", rejected: "The sky is green." })).toBe("trl");
    expect(detectFormat({ chosen: "Human: Hi", rejected: "Human: Yo" })).toBe("trl");
  });

  it("detects TRL for message lists", () => {
    expect(
      detectFormat({
        chosen: [{ role: "user", content: "Hi" }, { role: "assistant", content: "A" }],
        rejected: [{ role: "user", content: "Hi" }, { role: "assistant", content: "B" }],
      }),
    ).toBe("trl");
  });

  it("needs both chosen and rejected for a preference format", () => {
    expect(detectFormat({ chosen: "\n\nHuman: Hi\n\nAssistant: A" })).toBeNull();
    expect(detectFormat({ rejected: "B", prompt: "x" })).toBeNull();
  });

  it("detects native from id with messages or prompt", () => {
    expect(detectFormat({ id: "p1", messages: [{ role: "user", content: "Hi" }] })).toBe("native");
    expect(detectFormat({ id: 3, prompt: "Hi", responses: [] })).toBe("native");
  });

  it("prefers flat, then preference formats, then native", () => {
    expect(detectFormat({ prompt_id: "q", response: "r", chosen: "a", rejected: "b" })).toBe("flat");
    expect(detectFormat({ id: "x", prompt: "p", chosen: "a", rejected: "b" })).toBe("trl");
  });

  it("returns null for objects it does not recognise", () => {
    expect(detectFormat({})).toBeNull();
    expect(detectFormat({ prompt: "no id" })).toBeNull();
    expect(detectFormat({ id: "no prompt" })).toBeNull();
    expect(detectFormat({ text: "hello", label: 1 })).toBeNull();
  });

  it("returns null for values that are not objects", () => {
    for (const value of [null, undefined, "text", 42, true, [], [{ id: "p", prompt: "x" }]]) {
      expect(detectFormat(value)).toBeNull();
    }
  });
});
