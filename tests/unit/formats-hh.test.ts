import { describe, expect, it } from "vitest";
import { parseTranscript, renderTranscript, splitTranscripts } from "../../app/core/formats/hh-transcript";
import { parseHhLine } from "../../app/core/formats/hh-rlhf";

const NOT_A_TRANSCRIPT = 'expected a transcript starting with "\\n\\nHuman:"';
const NO_SHARED = "shares no conversation with chosen that ends before an Assistant turn";
const NOT_EXACT = "cannot be rebuilt exactly from turns (a marker without the space after it)";

describe("parseTranscript", () => {
  it("parses human and assistant turns", () => {
    expect(parseTranscript("\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?")).toEqual([
      { role: "user", content: "Hi there" },
      { role: "assistant", content: "Hello! How can I help?" },
    ]);
  });

  it("returns null when the text does not start with a marker", () => {
    expect(parseTranscript("Hi")).toBeNull();
    expect(parseTranscript("")).toBeNull();
    expect(parseTranscript(" \n\nHuman: Hi")).toBeNull();
    expect(parseTranscript("Human: Hi\n\nAssistant: Hello")).toBeNull();
  });

  it("drops exactly one space after a marker", () => {
    expect(parseTranscript("\n\nHuman:Hi")).toEqual([{ role: "user", content: "Hi" }]);
    expect(parseTranscript("\n\nHuman:  Hi")).toEqual([{ role: "user", content: " Hi" }]);
  });

  it("keeps an empty final turn and single newlines inside a turn", () => {
    expect(parseTranscript("\n\nHuman: line one\nline two\n\nAssistant:")).toEqual([
      { role: "user", content: "line one\nline two" },
      { role: "assistant", content: "" },
    ]);
  });

  it("does not treat other speaker names as markers", () => {
    expect(parseTranscript("\n\nHuman: Hi\n\nSystem: ignore")).toEqual([
      { role: "user", content: "Hi\n\nSystem: ignore" },
    ]);
  });
});

describe("renderTranscript", () => {
  it("renders turns with a space after each marker", () => {
    expect(
      renderTranscript([
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Bye" },
      ]),
    ).toBe("\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye");
  });

  it("renders nothing for no messages", () => {
    expect(renderTranscript([])).toBe("");
  });

  it("renders a system message with the Human marker", () => {
    expect(renderTranscript([{ role: "system", content: "Be kind." }])).toBe("\n\nHuman: Be kind.");
  });
});

describe("splitTranscripts", () => {
  it("splits a single-turn pair", () => {
    const chosen = "\n\nHuman: What is the capital of France?\n\nAssistant: Paris.";
    const rejected = "\n\nHuman: What is the capital of France?\n\nAssistant: I don't know.";
    expect(splitTranscripts(chosen, rejected)).toEqual({
      ok: true,
      conversation: [{ role: "user", content: "What is the capital of France?" }],
      chosen: "Paris.",
      rejected: "I don't know.",
    });
  });

  it("keeps a shared multi-turn conversation and splits at the last assistant turn", () => {
    const shared = "\n\nHuman: Hi\n\nAssistant: Hello, how can I help?\n\nHuman: Tell me a joke.";
    const result = splitTranscripts(
      shared + "\n\nAssistant: Why did the chicken cross the road?",
      shared + "\n\nAssistant: No.",
    );
    expect(result).toEqual({
      ok: true,
      conversation: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello, how can I help?" },
        { role: "user", content: "Tell me a joke." },
      ],
      chosen: "Why did the chicken cross the road?",
      rejected: "No.",
    });
  });

  it("keeps the whole different tails when the pair diverges before the final turn", () => {
    const chosen = "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Joke?\n\nAssistant: Knock knock.";
    const rejected = "\n\nHuman: Hi\n\nAssistant: Go away.\n\nHuman: Rude.\n\nAssistant: Yes.";
    expect(splitTranscripts(chosen, rejected)).toEqual({
      ok: true,
      conversation: [{ role: "user", content: "Hi" }],
      chosen: "Hello!\n\nHuman: Joke?\n\nAssistant: Knock knock.",
      rejected: "Go away.\n\nHuman: Rude.\n\nAssistant: Yes.",
    });
  });

  it("does not split at a later boundary at the same offset when the text before it differs", () => {
    // "Hello!" and "Hi yo!" have the same length, so the second Assistant markers line up.
    const chosen = "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Joke?\n\nAssistant: A";
    const rejected = "\n\nHuman: Hi\n\nAssistant: Hi yo!\n\nHuman: Joke?\n\nAssistant: B";
    expect(splitTranscripts(chosen, rejected)).toEqual({
      ok: true,
      conversation: [{ role: "user", content: "Hi" }],
      chosen: "Hello!\n\nHuman: Joke?\n\nAssistant: A",
      rejected: "Hi yo!\n\nHuman: Joke?\n\nAssistant: B",
    });
  });

  it("lets one side continue past the shared final answer", () => {
    const shared = "\n\nHuman: Hi";
    const result = splitTranscripts(
      shared + "\n\nAssistant: Hello",
      shared + "\n\nAssistant: Hello\n\nHuman: And?\n\nAssistant: That's all.",
    );
    expect(result).toEqual({
      ok: true,
      conversation: [{ role: "user", content: "Hi" }],
      chosen: "Hello",
      rejected: "Hello\n\nHuman: And?\n\nAssistant: That's all.",
    });
  });

  it("keeps a second space and trailing whitespace of the answers", () => {
    const result = splitTranscripts("\n\nHuman: Hi\n\nAssistant:  Indented\n", "\n\nHuman: Hi\n\nAssistant: Plain ");
    expect(result).toEqual({
      ok: true,
      conversation: [{ role: "user", content: "Hi" }],
      chosen: " Indented\n",
      rejected: "Plain ",
    });
  });

  it("guarantees renderTranscript(conversation) + Assistant marker + answer is the original, byte for byte", () => {
    const pairs: Array<[string, string]> = [
      ["\n\nHuman: Hi\n\nAssistant: A", "\n\nHuman: Hi\n\nAssistant: B"],
      ["\n\nHuman:  two spaces\n\nAssistant: A", "\n\nHuman:  two spaces\n\nAssistant: B"],
      [
        "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Joke?\n\nAssistant: Knock knock.",
        "\n\nHuman: Hi\n\nAssistant: Go away.\n\nHuman: Rude.\n\nAssistant: Yes.",
      ],
      [
        "\n\nHuman: a\nb\n\nAssistant: c\n\nHuman: d\n\nAssistant: e\r\n",
        "\n\nHuman: a\nb\n\nAssistant: c\n\nHuman: d\n\nAssistant: \u00e9\u{1F600}",
      ],
    ];
    for (const [chosen, rejected] of pairs) {
      const split = splitTranscripts(chosen, rejected);
      expect(split.ok, JSON.stringify([chosen, rejected])).toBe(true);
      if (!split.ok) continue;
      expect(renderTranscript(split.conversation) + "\n\nAssistant: " + split.chosen).toBe(chosen);
      expect(renderTranscript(split.conversation) + "\n\nAssistant: " + split.rejected).toBe(rejected);
    }
  });

  it("rejects a final Assistant marker without its space on the chosen side", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant:A", "\n\nHuman: Hi\n\nAssistant: B")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_EXACT,
    });
  });

  it("rejects a final Assistant marker without its space on the rejected side", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant: A", "\n\nHuman: Hi\n\nAssistant:B")).toEqual({
      ok: false,
      field: "rejected",
      reason: NOT_EXACT,
    });
  });

  it("rejects an empty final answer written without the space after the marker", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant:", "\n\nHuman: Hi\n\nAssistant: x")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_EXACT,
    });
  });

  it("rejects a shared conversation with a marker missing its space", () => {
    expect(splitTranscripts("\n\nHuman:Hi\n\nAssistant: A", "\n\nHuman:Hi\n\nAssistant: B")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_EXACT,
    });
  });

  it("rejects a pair sharing no assistant boundary (different first questions)", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant: A", "\n\nHuman: Hello\n\nAssistant: B")).toEqual({
      ok: false,
      field: "rejected",
      reason: NO_SHARED,
    });
  });

  it("rejects a pair whose Assistant markers line up but whose questions differ", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant: A", "\n\nHuman: Yo\n\nAssistant: A")).toEqual({
      ok: false,
      field: "rejected",
      reason: NO_SHARED,
    });
  });

  it("rejects a rejected transcript without any Assistant turn", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant: A", "\n\nHuman: Hi")).toEqual({
      ok: false,
      field: "rejected",
      reason: NO_SHARED,
    });
  });

  it("rejects a chosen transcript not starting with \\n\\nHuman:", () => {
    expect(splitTranscripts("Human: Hi\n\nAssistant: A", "\n\nHuman: Hi\n\nAssistant: B")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_A_TRANSCRIPT,
    });
    expect(splitTranscripts("", "\n\nHuman: Hi\n\nAssistant: B")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_A_TRANSCRIPT,
    });
  });

  it("rejects a rejected transcript not starting with \\n\\nHuman:", () => {
    expect(splitTranscripts("\n\nHuman: Hi\n\nAssistant: A", "Hi\n\nHuman: Hi\n\nAssistant: B")).toEqual({
      ok: false,
      field: "rejected",
      reason: NOT_A_TRANSCRIPT,
    });
  });

  it("rejects transcripts that start with an Assistant turn instead of a Human turn", () => {
    const chosen = "\n\nAssistant: Hi\n\nHuman: Question?\n\nAssistant: A";
    const rejected = "\n\nAssistant: Hi\n\nHuman: Question?\n\nAssistant: B";
    expect(splitTranscripts(chosen, rejected)).toEqual({ ok: false, field: "chosen", reason: NOT_A_TRANSCRIPT });
  });

  it("rejects a single-turn pair that starts with an Assistant turn as not starting with \\n\\nHuman:", () => {
    expect(splitTranscripts("\n\nAssistant: A", "\n\nAssistant: B")).toEqual({
      ok: false,
      field: "chosen",
      reason: NOT_A_TRANSCRIPT,
    });
  });
});

describe("parseHhLine", () => {
  const chosen = "\n\nHuman: Is water wet?\n\nAssistant: Yes, in the everyday sense.";
  const rejected = "\n\nHuman: Is water wet?\n\nAssistant: Maybe.";

  it("maps a line to a prompt numbered by line with the pair", () => {
    expect(parseHhLine({ chosen, rejected }, 12)).toEqual({
      ok: true,
      unit: {
        externalId: "12",
        messages: [{ role: "user", content: "Is water wet?" }],
        metadata: {},
        responses: [
          { externalId: "chosen", model: "unknown", text: "Yes, in the everyday sense.", params: {}, metadata: {} },
          { externalId: "rejected", model: "unknown", text: "Maybe.", params: {}, metadata: {} },
        ],
        preference: { chosen: "chosen", rejected: "rejected" },
      },
    });
  });

  it("uses the line's id and keeps extra keys as metadata", () => {
    const result = parseHhLine({ id: 5, chosen, rejected, subset: "helpful-base" }, 12);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.unit.externalId).toBe("5");
    expect(result.unit.metadata).toEqual({ subset: "helpful-base" });
  });

  it("reports a split failure as `field: reason`", () => {
    expect(parseHhLine({ chosen, rejected: "\n\nHuman: Other?\n\nAssistant: No." }, 1)).toEqual({
      ok: false,
      errors: [`rejected: ${NO_SHARED}`],
    });
    expect(parseHhLine({ chosen: "no markers", rejected }, 1)).toEqual({
      ok: false,
      errors: ['chosen: expected a transcript starting with "\\n\\nHuman:"'],
    });
  });

  it("reports missing or non-string fields by name", () => {
    const result = parseHhLine({ chosen: 3 }, 1);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.split(":")[0])).toEqual(["chosen", "rejected"]);
  });
});
