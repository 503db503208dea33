import { describe, expect, it } from "vitest";
import { parseTrlLine, preferenceUnit, UNKNOWN_MODEL } from "../../app/core/formats/trl";

const responses = (chosen: string, rejected: string) => [
  { externalId: "chosen", model: "unknown", text: chosen, params: {}, metadata: {} },
  { externalId: "rejected", model: "unknown", text: rejected, params: {}, metadata: {} },
];
const preference = { chosen: "chosen", rejected: "rejected" };
const MIXED = "line: prompt, chosen and rejected must be all strings or all message lists";

describe("parseTrlLine: explicit prompt", () => {
  it("maps string prompt/chosen/rejected to a prompt with the pair", () => {
    const result = parseTrlLine({ prompt: "What color is the sky?", chosen: "Blue.", rejected: "Green." }, 7);
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "7",
        messages: [{ role: "user", content: "What color is the sky?" }],
        // A string prompt is marked as plain text, so exports give it back verbatim.
        metadata: { text_prompt: true },
        responses: responses("Blue.", "Green."),
        preference,
      },
    });
  });

  it("uses the line's id (string or integer) over the line number", () => {
    const a = parseTrlLine({ id: "pair-1", prompt: "q", chosen: "a", rejected: "b" }, 3);
    expect(a.ok && a.unit.externalId).toBe("pair-1");
    const b = parseTrlLine({ id: 12, prompt: "q", chosen: "a", rejected: "b" }, 3);
    expect(b.ok && b.unit.externalId).toBe("12");
  });

  it("keeps extra keys as prompt metadata, but not id/prompt/chosen/rejected", () => {
    const result = parseTrlLine({ id: "x", prompt: "q", chosen: "a", rejected: "b", source: "web", score: 3 }, 1);
    expect(result.ok && result.unit.metadata).toEqual({ source: "web", score: 3, text_prompt: true });
  });

  it("maps a message-list prompt with one assistant message per side", () => {
    const result = parseTrlLine(
      {
        prompt: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "2+2?" },
        ],
        chosen: [{ role: "assistant", content: "4" }],
        rejected: [{ role: "assistant", content: "5" }],
      },
      2,
    );
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "2",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "2+2?" },
        ],
        metadata: {},
        responses: responses("4", "5"),
        preference,
      },
    });
  });

  it("rejects a chosen completion of two assistant messages", () => {
    const result = parseTrlLine(
      {
        prompt: [{ role: "user", content: "hi" }],
        chosen: [
          { role: "assistant", content: "a" },
          { role: "assistant", content: "b" },
        ],
        rejected: [{ role: "assistant", content: "c" }],
      },
      1,
    );
    expect(result).toEqual({
      ok: false,
      errors: ["chosen: expected exactly one assistant message after the prompt, got 2"],
    });
  });

  it("rejects a completion that is a single user message", () => {
    const result = parseTrlLine(
      {
        prompt: [{ role: "user", content: "hi" }],
        chosen: [{ role: "assistant", content: "a" }],
        rejected: [{ role: "user", content: "not an answer" }],
      },
      1,
    );
    expect(result).toEqual({
      ok: false,
      errors: ["rejected: expected exactly one assistant message after the prompt, got 1"],
    });
  });

  it("reports both sides when both completions are wrong", () => {
    const result = parseTrlLine(
      {
        prompt: [{ role: "user", content: "hi" }],
        chosen: [],
        rejected: [
          { role: "assistant", content: "a" },
          { role: "user", content: "b" },
          { role: "assistant", content: "c" },
        ],
      },
      1,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        "chosen: expected exactly one assistant message after the prompt, got 0",
        "rejected: expected exactly one assistant message after the prompt, got 3",
      ],
    });
  });
});

describe("parseTrlLine: implicit prompt, strings (TRL extract_prompt)", () => {
  it("moves the space before the split point to the completions", () => {
    const result = parseTrlLine({ chosen: "The sky is blue.", rejected: "The sky is green." }, 4);
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "4",
        messages: [{ role: "user", content: "The sky is" }],
        metadata: { text_prompt: true, trl_implicit_prompt: true },
        responses: responses(" blue.", " green."),
        preference,
      },
    });
  });

  it("splits mid-word when the strings diverge inside a word", () => {
    const result = parseTrlLine({ chosen: "cats", rejected: "cars" }, 1);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.messages).toEqual([{ role: "user", content: "ca" }]);
    expect(result.unit.responses.map((r) => r.text)).toEqual(["ts", "rs"]);
  });

  it("moves only one space when several precede the split point", () => {
    const result = parseTrlLine({ chosen: "x  a", rejected: "x  b" }, 1);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.messages).toEqual([{ role: "user", content: "x " }]);
    expect(result.unit.responses.map((r) => r.text)).toEqual([" a", " b"]);
  });

  it("gives no prompt messages when the strings share no start", () => {
    const result = parseTrlLine({ chosen: "yes", rejected: "no" }, 1);
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "1",
        messages: [],
        metadata: { text_prompt: true, trl_implicit_prompt: true },
        responses: responses("yes", "no"),
        preference,
      },
    });
  });

  it("gives no prompt messages when the only shared start is a space", () => {
    const result = parseTrlLine({ chosen: " a", rejected: " b" }, 1);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.messages).toEqual([]);
    expect(result.unit.responses.map((r) => r.text)).toEqual([" a", " b"]);
  });

  it("keeps extra keys beside the implicit-prompt marker", () => {
    const result = parseTrlLine({ chosen: "Hi there", rejected: "Hi you", lang: "en" }, 1);
    expect(result.ok && result.unit.metadata).toEqual({ lang: "en", text_prompt: true, trl_implicit_prompt: true });
  });
});

describe("parseTrlLine: implicit prompt, message lists", () => {
  it("takes the common messages as the prompt", () => {
    const result = parseTrlLine(
      {
        chosen: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!" },
        ],
        rejected: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Go away." },
        ],
      },
      9,
    );
    expect(result).toEqual({
      ok: true,
      unit: {
        externalId: "9",
        messages: [{ role: "user", content: "Hi" }],
        metadata: {},
        responses: responses("Hello!", "Go away."),
        preference,
      },
    });
  });

  it("keeps a shared multi-turn conversation as the prompt", () => {
    const shared = [
      { role: "user", content: "Name a fruit." },
      { role: "assistant", content: "Apple." },
      { role: "user", content: "Another?" },
    ];
    const result = parseTrlLine(
      {
        chosen: [...shared, { role: "assistant", content: "Pear." }],
        rejected: [...shared, { role: "assistant", content: "Carrot." }],
      },
      1,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.messages).toEqual([
      { role: "user", content: "Name a fruit." },
      { role: "assistant", content: "Apple." },
      { role: "user", content: "Another?" },
    ]);
    expect(result.unit.responses.map((r) => r.text)).toEqual(["Pear.", "Carrot."]);
  });

  it("compares role as well as content when finding the common start", () => {
    const result = parseTrlLine(
      {
        chosen: [
          { role: "user", content: "same" },
          { role: "assistant", content: "A" },
        ],
        rejected: [
          { role: "system", content: "same" },
          { role: "assistant", content: "B" },
        ],
      },
      1,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        "chosen: expected exactly one assistant message after the prompt, got 2",
        "rejected: expected exactly one assistant message after the prompt, got 2",
      ],
    });
  });

  it("rejects a pair that diverges before the final assistant turn", () => {
    const result = parseTrlLine(
      {
        chosen: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "Bye" },
          { role: "assistant", content: "Bye!" },
        ],
        rejected: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "What?" },
        ],
      },
      1,
    );
    expect(result).toEqual({
      ok: false,
      errors: ["chosen: expected exactly one assistant message after the prompt, got 3"],
    });
  });

  it("rejects identical conversations (no completion left)", () => {
    const same = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
    ];
    const result = parseTrlLine({ chosen: same, rejected: same }, 1);
    expect(result).toEqual({
      ok: false,
      errors: [
        "chosen: expected exactly one assistant message after the prompt, got 0",
        "rejected: expected exactly one assistant message after the prompt, got 0",
      ],
    });
  });
});

describe("parseTrlLine: mixed and invalid lines", () => {
  it("rejects string chosen with list rejected", () => {
    const result = parseTrlLine({ chosen: "a", rejected: [{ role: "assistant", content: "b" }] }, 1);
    expect(result).toEqual({ ok: false, errors: [MIXED] });
  });

  it("rejects a string prompt with list completions", () => {
    const result = parseTrlLine(
      {
        prompt: "q",
        chosen: [{ role: "assistant", content: "a" }],
        rejected: [{ role: "assistant", content: "b" }],
      },
      1,
    );
    expect(result).toEqual({ ok: false, errors: [MIXED] });
  });

  it("rejects a list prompt with string completions", () => {
    const result = parseTrlLine({ prompt: [{ role: "user", content: "q" }], chosen: "a", rejected: "b" }, 1);
    expect(result).toEqual({ ok: false, errors: [MIXED] });
  });

  it("reports missing chosen and rejected by field", () => {
    const result = parseTrlLine({ prompt: "q" }, 1);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.split(":")[0])).toEqual(["chosen", "rejected"]);
  });

  it("rejects a bad message role in a list", () => {
    const result = parseTrlLine(
      { chosen: [{ role: "bot", content: "a" }], rejected: [{ role: "assistant", content: "b" }] },
      1,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^chosen: /);
  });

  it("rejects an empty id", () => {
    const result = parseTrlLine({ id: "", prompt: "q", chosen: "a", rejected: "b" }, 1);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^id: /);
  });
});

describe("preferenceUnit", () => {
  it("builds chosen/rejected responses of the unknown model with chosen preferred", () => {
    expect(UNKNOWN_MODEL).toBe("unknown");
    expect(preferenceUnit("p", [{ role: "user", content: "q" }], { k: 1 }, "good", "bad")).toEqual({
      externalId: "p",
      messages: [{ role: "user", content: "q" }],
      metadata: { k: 1 },
      responses: [
        { externalId: "chosen", model: "unknown", text: "good", params: {}, metadata: {} },
        { externalId: "rejected", model: "unknown", text: "bad", params: {}, metadata: {} },
      ],
      preference: { chosen: "chosen", rejected: "rejected" },
    });
  });
});
