import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  EXPORT_FORMAT_DESCRIPTIONS,
  EXPORT_FORMATS,
  JUDGMENT_FORMATS,
  PAIR_FORMATS,
  TIE_FORMATS,
  hhRlhf,
  judgments,
  openAiDpo,
  rankings,
  trlKto,
  trlKtoChat,
  trlSft,
  trlSftChat,
  prompts,
  pairTrace,
  bestTrace,
  promptTrace,
  UNPAIRED_FORMATS,
  type UnpairedFormat,
  trlPreference,
  trlPreferenceChat,
  trlReward,
  type PairFormat,
} from "../../app/core/formats/export/mappers";
import type { ExportBest, ExportJudgment, ExportPair, ExportPrompt, ExportResponse } from "../../app/core/formats/export/rows";
import type { ChatMessage } from "../../app/core/formats/messages";

/** KTO's two rows of a pair, chosen first (the file's order is unpaired.ts's business). */
function kto(p: ExportPair) {
  const { chosen, rejected } = trlKto(p);
  return [chosen, rejected];
}

/** The rows one pair becomes in a pair or KTO format, before any ordering. */
function pairLines(format: PairFormat | UnpairedFormat, p: ExportPair): unknown[] {
  if (format in UNPAIRED_FORMATS) {
    const { chosen, rejected } = UNPAIRED_FORMATS[format as UnpairedFormat](p);
    return [chosen, rejected];
  }
  return [PAIR_FORMATS[format as PairFormat](p)];
}

// ---------------------------------------------------------------------------------------------
// Fixtures. Internal ids ("int-…") differ from the dataset's external ids ("resp-…") so a test
// can tell which one a format wrote.
// ---------------------------------------------------------------------------------------------

const CHOSEN_TEXT = "Why did the chicken cross the road? To get to the other side.";
const REJECTED_TEXT = "I don't know any jokes.";

const chosen: ExportResponse = { id: "int-a", external_id: "resp-a", model: "model-a", text: CHOSEN_TEXT };
const rejected: ExportResponse = { id: "int-b", external_id: "resp-b", model: "model-b", text: REJECTED_TEXT };

function pair(overrides: Partial<ExportPair>): ExportPair {
  return {
    itemId: "item-1",
    promptId: "prompt-1",
    promptExternalId: "ext-prompt-1",
    messages: [],
    textPrompt: false,
    chosen,
    rejected,
    strength: 2,
    reviewers: ["reviewer-1", "reviewer-2"],
    agreement: 1,
    source: "judgments",
    ...overrides,
  };
}

/** Multi-turn, no system message: the brief's example. */
const multiTurn = pair({
  messages: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello" },
    { role: "user", content: "Joke?" },
  ],
});

/** Multi-turn with a system message in front. */
const withSystem = pair({
  messages: [
    { role: "system", content: "Be funny." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello" },
    { role: "user", content: "Joke?" },
  ],
  strength: 3,
});

/** One user turn. */
const singleTurn = pair({
  messages: [{ role: "user", content: "What is 2+2?" }],
  chosen: { id: "int-c", external_id: "resp-c", model: "model-c", text: "4" },
  rejected: { id: "int-d", external_id: "resp-d", model: "model-d", text: "5" },
  strength: 1,
});

/** Imported from TRL's string form: prompt and completions are plain text, kept verbatim. */
const textPrompt = pair({
  messages: [{ role: "user", content: "The capital of France is" }],
  textPrompt: true,
  chosen: { id: "int-e", external_id: "chosen", model: "unknown", text: " Paris." },
  rejected: { id: "int-f", external_id: "rejected", model: "unknown", text: " Lyon." },
  strength: 1,
  reviewers: [],
  agreement: 1,
  source: "imported",
  itemId: null,
});

/** TRL implicit-prompt string form with no common prefix: no messages at all. */
const emptyTextPrompt = pair({
  messages: [],
  textPrompt: true,
  chosen: { id: "int-g", external_id: "chosen", model: "unknown", text: "Yes" },
  rejected: { id: "int-h", external_id: "rejected", model: "unknown", text: "No" },
  strength: 1,
});

const MULTI_PROMPT = "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant:";
const SYSTEM_PROMPT = "\n\nHuman: Be funny.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant:";
const SINGLE_PROMPT = "\n\nHuman: What is 2+2?\n\nAssistant:";

const asAssistant = (content: string): ChatMessage[] => [{ role: "assistant", content }];

// ---------------------------------------------------------------------------------------------
// Shape helpers: every line of one file must have the same keys and value types.
// ---------------------------------------------------------------------------------------------

/** A deep type signature: object keys sorted; arrays by the set of their elements' signatures. */
function signature(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    const inner = [...new Set(value.map(signature))].sort();
    return `array<${inner.join("|")}>`;
  }
  if (typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${k}:${signature((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return typeof value;
}

const MESSAGE_SIG = "{content:string,role:string}";

// ---------------------------------------------------------------------------------------------

describe("trl-preference (TRL standard, explicit prompt)", () => {
  it("joins a multi-turn conversation HH-style, completions start with a space", () => {
    expect(trlPreference(multiTurn)).toEqual({
      prompt: MULTI_PROMPT,
      chosen: ` ${CHOSEN_TEXT}`,
      rejected: ` ${REJECTED_TEXT}`,
    });
  });

  it("renders a system message as a leading Human turn", () => {
    expect(trlPreference(withSystem)).toEqual({
      prompt: SYSTEM_PROMPT,
      chosen: ` ${CHOSEN_TEXT}`,
      rejected: ` ${REJECTED_TEXT}`,
    });
  });

  it("maps a single turn", () => {
    expect(trlPreference(singleTurn)).toEqual({ prompt: SINGLE_PROMPT, chosen: " 4", rejected: " 5" });
  });

  it("keeps a text prompt and its completions verbatim (no markers, no added space)", () => {
    expect(trlPreference(textPrompt)).toEqual({ prompt: "The capital of France is", chosen: " Paris.", rejected: " Lyon." });
    expect(trlPreference(emptyTextPrompt)).toEqual({ prompt: "", chosen: "Yes", rejected: "No" });
  });

  it("renders an empty non-text conversation as a bare Assistant marker", () => {
    expect(trlPreference(pair({ messages: [] }))).toEqual({ prompt: "\n\nAssistant:", chosen: ` ${CHOSEN_TEXT}`, rejected: ` ${REJECTED_TEXT}` });
  });

  it("treats the same message differently with and without textPrompt", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "Q" }];
    const a = pair({ messages, textPrompt: false, chosen: { ...chosen, text: "A" } });
    const b = pair({ messages, textPrompt: true, chosen: { ...chosen, text: "A" } });
    expect(trlPreference(a).prompt).toBe("\n\nHuman: Q\n\nAssistant:");
    expect(trlPreference(a).chosen).toBe(" A");
    expect(trlPreference(b).prompt).toBe("Q");
    expect(trlPreference(b).chosen).toBe("A");
  });
});

describe("trl-preference-chat (TRL conversational, explicit prompt)", () => {
  it("gives the conversation as prompt and one assistant message per completion", () => {
    expect(trlPreferenceChat(multiTurn)).toEqual({
      prompt: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Joke?" },
      ],
      chosen: [{ role: "assistant", content: CHOSEN_TEXT }],
      rejected: [{ role: "assistant", content: REJECTED_TEXT }],
    });
  });

  it("keeps the system message in the prompt", () => {
    expect(trlPreferenceChat(withSystem)).toEqual({
      prompt: [
        { role: "system", content: "Be funny." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Joke?" },
      ],
      chosen: [{ role: "assistant", content: CHOSEN_TEXT }],
      rejected: [{ role: "assistant", content: REJECTED_TEXT }],
    });
  });

  it("maps a single turn and a text prompt as messages", () => {
    expect(trlPreferenceChat(singleTurn)).toEqual({
      prompt: [{ role: "user", content: "What is 2+2?" }],
      chosen: [{ role: "assistant", content: "4" }],
      rejected: [{ role: "assistant", content: "5" }],
    });
    expect(trlPreferenceChat(textPrompt)).toEqual({
      prompt: [{ role: "user", content: "The capital of France is" }],
      chosen: [{ role: "assistant", content: " Paris." }],
      rejected: [{ role: "assistant", content: " Lyon." }],
    });
  });
});

describe("trl-reward (TRL implicit prompt, with margin)", () => {
  it("gives whole conversations and margin = strength", () => {
    expect(trlReward(withSystem)).toEqual({
      chosen: [
        { role: "system", content: "Be funny." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Joke?" },
        { role: "assistant", content: CHOSEN_TEXT },
      ],
      rejected: [
        { role: "system", content: "Be funny." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Joke?" },
        { role: "assistant", content: REJECTED_TEXT },
      ],
      margin: 3,
    });
  });

  it("maps a single turn and a text prompt", () => {
    expect(trlReward(singleTurn)).toEqual({
      chosen: [
        { role: "user", content: "What is 2+2?" },
        { role: "assistant", content: "4" },
      ],
      rejected: [
        { role: "user", content: "What is 2+2?" },
        { role: "assistant", content: "5" },
      ],
      margin: 1,
    });
    expect(trlReward(textPrompt)).toEqual({
      chosen: [
        { role: "user", content: "The capital of France is" },
        { role: "assistant", content: " Paris." },
      ],
      rejected: [
        { role: "user", content: "The capital of France is" },
        { role: "assistant", content: " Lyon." },
      ],
      margin: 1,
    });
  });

  it("uses each strength as the margin, and has no prompt key", () => {
    for (const strength of [0, 1, 2, 3] as const) {
      const row = trlReward(pair({ ...singleTurn, strength }));
      expect(row.margin).toBe(strength);
      expect(Object.keys(row).sort()).toEqual(["chosen", "margin", "rejected"]);
    }
  });

  it("does not mutate the pair's messages", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "Q" }];
    const p = pair({ messages });
    trlReward(p);
    trlReward(p);
    expect(messages).toEqual([{ role: "user", content: "Q" }]);
  });
});

describe("trl-kto (TRL unpaired)", () => {
  it("gives two rows: chosen labelled true, rejected labelled false, same prompt", () => {
    expect(kto(multiTurn)).toEqual([
      { prompt: MULTI_PROMPT, completion: ` ${CHOSEN_TEXT}`, label: true },
      { prompt: MULTI_PROMPT, completion: ` ${REJECTED_TEXT}`, label: false },
    ]);
  });

  it("maps a system conversation, a single turn and a text prompt", () => {
    expect(kto(withSystem)).toEqual([
      { prompt: SYSTEM_PROMPT, completion: ` ${CHOSEN_TEXT}`, label: true },
      { prompt: SYSTEM_PROMPT, completion: ` ${REJECTED_TEXT}`, label: false },
    ]);
    expect(kto(singleTurn)).toEqual([
      { prompt: SINGLE_PROMPT, completion: " 4", label: true },
      { prompt: SINGLE_PROMPT, completion: " 5", label: false },
    ]);
    expect(kto(textPrompt)).toEqual([
      { prompt: "The capital of France is", completion: " Paris.", label: true },
      { prompt: "The capital of France is", completion: " Lyon.", label: false },
    ]);
  });

  it("labels are booleans, not strings or numbers", () => {
    const [a, b] = kto(singleTurn);
    expect(typeof a!.label).toBe("boolean");
    expect(typeof b!.label).toBe("boolean");
  });
});

describe("openai-dpo", () => {
  it("nests the conversation in input.messages and one assistant message per output", () => {
    expect(openAiDpo(withSystem)).toEqual({
      input: {
        messages: [
          { role: "system", content: "Be funny." },
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "Joke?" },
        ],
      },
      preferred_output: [{ role: "assistant", content: CHOSEN_TEXT }],
      non_preferred_output: [{ role: "assistant", content: REJECTED_TEXT }],
    });
  });

  it("maps a single turn and a text prompt", () => {
    expect(openAiDpo(singleTurn)).toEqual({
      input: { messages: [{ role: "user", content: "What is 2+2?" }] },
      preferred_output: [{ role: "assistant", content: "4" }],
      non_preferred_output: [{ role: "assistant", content: "5" }],
    });
    expect(openAiDpo(textPrompt)).toEqual({
      input: { messages: [{ role: "user", content: "The capital of France is" }] },
      preferred_output: [{ role: "assistant", content: " Paris." }],
      non_preferred_output: [{ role: "assistant", content: " Lyon." }],
    });
  });

  it("has exactly the three top-level keys and input has only messages", () => {
    const row = openAiDpo(multiTurn);
    expect(Object.keys(row).sort()).toEqual(["input", "non_preferred_output", "preferred_output"]);
    expect(Object.keys(row.input)).toEqual(["messages"]);
    expect(row.preferred_output).toHaveLength(1);
    expect(row.non_preferred_output).toHaveLength(1);
  });
});

describe("hh-rlhf", () => {
  it("gives whole transcripts ending in the response", () => {
    expect(hhRlhf(multiTurn)).toEqual({
      chosen: `\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: ${CHOSEN_TEXT}`,
      rejected: `\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: ${REJECTED_TEXT}`,
    });
  });

  it("maps a system conversation and a single turn", () => {
    expect(hhRlhf(withSystem)).toEqual({
      chosen: `\n\nHuman: Be funny.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: ${CHOSEN_TEXT}`,
      rejected: `\n\nHuman: Be funny.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: ${REJECTED_TEXT}`,
    });
    expect(hhRlhf(singleTurn)).toEqual({
      chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4",
      rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5",
    });
  });

  it("renders a text prompt as one Human turn (completion text unchanged after the marker's space)", () => {
    expect(hhRlhf(textPrompt)).toEqual({
      chosen: "\n\nHuman: The capital of France is\n\nAssistant:  Paris.",
      rejected: "\n\nHuman: The capital of France is\n\nAssistant:  Lyon.",
    });
  });

  it("has only chosen and rejected", () => {
    expect(Object.keys(hhRlhf(singleTurn)).sort()).toEqual(["chosen", "rejected"]);
  });
});

describe("plain-text formats agree with HH transcripts for non-text prompts", () => {
  for (const [name, p] of [
    ["multi-turn", multiTurn],
    ["system", withSystem],
    ["single-turn", singleTurn],
  ] as const) {
    it(`trl-preference prompt + completion = hh-rlhf transcript (${name})`, () => {
      const trl = trlPreference(p);
      const hh = hhRlhf(p);
      expect(trl.prompt + trl.chosen).toBe(hh.chosen);
      expect(trl.prompt + trl.rejected).toBe(hh.rejected);
    });

    it(`trl-kto prompt + completion = hh-rlhf transcript (${name})`, () => {
      const [good, bad] = kto(p);
      const hh = hhRlhf(p);
      expect(good!.prompt + good!.completion).toBe(hh.chosen);
      expect(bad!.prompt + bad!.completion).toBe(hh.rejected);
    });
  }

  it("the prompt ends with the Assistant marker and each completion starts with one space", () => {
    const row = trlPreference(singleTurn);
    expect(row.prompt.endsWith("\n\nAssistant:")).toBe(true);
    expect(row.chosen.startsWith(" ")).toBe(true);
    expect(row.chosen.startsWith("  ")).toBe(false);
  });
});

describe("key sets and value types (one file = one schema)", () => {
  const pairs = [multiTurn, withSystem, singleTurn, textPrompt, pair({ ...singleTurn, strength: 0 })];
  const expected: Record<PairFormat | UnpairedFormat, string> = {
    "trl-preference": "{chosen:string,prompt:string,rejected:string}",
    "trl-preference-chat": `{chosen:array<${MESSAGE_SIG}>,prompt:array<${MESSAGE_SIG}>,rejected:array<${MESSAGE_SIG}>}`,
    "trl-reward": `{chosen:array<${MESSAGE_SIG}>,margin:number,rejected:array<${MESSAGE_SIG}>}`,
    "trl-kto": "{completion:string,label:boolean,prompt:string}",
    "trl-kto-chat": `{completion:array<${MESSAGE_SIG}>,label:boolean,prompt:array<${MESSAGE_SIG}>}`,
    "openai-dpo": `{input:{messages:array<${MESSAGE_SIG}>},non_preferred_output:array<${MESSAGE_SIG}>,preferred_output:array<${MESSAGE_SIG}>}`,
    "hh-rlhf": "{chosen:string,rejected:string}",
  };

  for (const format of Object.keys(expected) as Array<PairFormat | UnpairedFormat>) {
    it(`${format}: every line has the same keys and types`, () => {
      const lines = pairs.flatMap((p) => pairLines(format, p));
      const signatures = new Set(lines.map(signature));
      expect([...signatures]).toEqual([expected[format]]);
    });
  }

  it("pair lines never carry internal or reviewer ids", () => {
    for (const format of [...Object.keys(PAIR_FORMATS), ...Object.keys(UNPAIRED_FORMATS)] as Array<PairFormat | UnpairedFormat>) {
      for (const line of pairs.flatMap((p) => pairLines(format, p))) {
        const json = JSON.stringify(line);
        expect(json).not.toContain("int-");
        expect(json).not.toContain("reviewer-");
        expect(json).not.toContain("item-1");
      }
    }
  });
});

describe("pairLines", () => {
  it("gives one line per pair for every format but KTO", () => {
    expect(pairLines("trl-preference", singleTurn)).toEqual([{ prompt: SINGLE_PROMPT, chosen: " 4", rejected: " 5" }]);
    expect(pairLines("hh-rlhf", singleTurn)).toEqual([
      { chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4", rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5" },
    ]);
    expect(pairLines("trl-preference-chat", singleTurn)).toEqual([
      { prompt: [{ role: "user", content: "What is 2+2?" }], chosen: asAssistant("4"), rejected: asAssistant("5") },
    ]);
    expect(pairLines("trl-reward", singleTurn)).toEqual([
      {
        chosen: [{ role: "user", content: "What is 2+2?" }, ...asAssistant("4")],
        rejected: [{ role: "user", content: "What is 2+2?" }, ...asAssistant("5")],
        margin: 1,
      },
    ]);
    expect(pairLines("openai-dpo", singleTurn)).toEqual([
      {
        input: { messages: [{ role: "user", content: "What is 2+2?" }] },
        preferred_output: asAssistant("4"),
        non_preferred_output: asAssistant("5"),
      },
    ]);
  });

  it("gives two lines for KTO, chosen first", () => {
    expect(pairLines("trl-kto", singleTurn)).toEqual([
      { prompt: SINGLE_PROMPT, completion: " 4", label: true },
      { prompt: SINGLE_PROMPT, completion: " 5", label: false },
    ]);
  });

  it("line counts per format", () => {
    const formats = [...Object.keys(PAIR_FORMATS), ...Object.keys(UNPAIRED_FORMATS)] as Array<PairFormat | UnpairedFormat>;
    const counts = Object.fromEntries(formats.map((f) => [f, pairLines(f, multiTurn).length]));
    expect(counts).toEqual({
      "trl-preference": 1,
      "trl-preference-chat": 1,
      "trl-reward": 1,
      "trl-kto": 2,
      "trl-kto-chat": 2,
      "openai-dpo": 1,
      "hh-rlhf": 1,
    });
  });
});

describe("EXPORT_FORMATS and TIE_FORMATS", () => {
  it("lists every format of DESIGN.md §5 and issue 10, training formats first", () => {
    expect(EXPORT_FORMATS).toEqual([
      "trl-preference",
      "trl-preference-chat",
      "trl-reward",
      "trl-kto",
      "trl-kto-chat",
      "trl-sft",
      "trl-sft-chat",
      "prompts",
      "openai-dpo",
      "hh-rlhf",
      "rankings",
      "judgments",
    ]);
    expect(Object.keys(PAIR_FORMATS)).toEqual(["trl-preference", "trl-preference-chat", "trl-reward", "openai-dpo", "hh-rlhf"]);
    expect(Object.keys(UNPAIRED_FORMATS)).toEqual(["trl-kto", "trl-kto-chat"]);
    expect(Object.keys(JUDGMENT_FORMATS)).toEqual(["rankings", "judgments"]);
  });

  it("describes each format in one line naming its consumer, and the README's table says the same", () => {
    expect(Object.keys(EXPORT_FORMAT_DESCRIPTIONS)).toEqual(EXPORT_FORMATS);
    const consumer: Record<string, RegExp> = {
      "trl-preference": /^TRL DPOTrainer \(and other preference trainers\)/,
      "trl-preference-chat": /^TRL DPOTrainer \(and other preference trainers\)/,
      "trl-reward": /^TRL RewardTrainer/,
      "trl-kto": /^TRL KTOTrainer/,
      "trl-kto-chat": /^TRL KTOTrainer, conversational/,
      "trl-sft": /^TRL SFTTrainer \(prompt-completion\)/,
      "trl-sft-chat": /^TRL SFTTrainer \(prompt-completion\), conversational/,
      prompts: /^TRL GRPO, RLOO and online DPO \(prompt-only\)/,
      "openai-dpo": /^OpenAI preference fine-tuning \(DPO\)/,
      "hh-rlhf": /^Anthropic HH-RLHF format/,
      rankings: /^Raw, for analysis/,
      judgments: /^Raw, for analysis/,
    };
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const format of EXPORT_FORMATS) {
      const description = EXPORT_FORMAT_DESCRIPTIONS[format];
      expect(description).toMatch(consumer[format]!);
      expect(description).not.toContain("\n");
      expect(readme).toContain(`| \`${format}\` | ${description} |`);
    }
  });

  it("only the judgment formats can carry ties", () => {
    expect([...TIE_FORMATS]).toEqual(["rankings", "judgments"]);
    for (const f of TIE_FORMATS) expect(EXPORT_FORMATS).toContain(f);
    for (const f of Object.keys(PAIR_FORMATS)) expect(TIE_FORMATS).not.toContain(f);
  });
});

// ---------------------------------------------------------------------------------------------
// Judgment formats
// ---------------------------------------------------------------------------------------------

const CREATED = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const UPDATED = Date.UTC(2024, 0, 2, 3, 9, 0, 1);

const judgmentResponses: ExportResponse[] = [
  { id: "int-1", external_id: "resp-x", model: "model-x", text: "X text" },
  { id: "int-2", external_id: "resp-y", model: "model-y", text: "Y text" },
  { id: "int-3", external_id: "resp-z", model: "model-z", text: "Z text" },
];

const rankingJudgment: ExportJudgment = {
  judgmentId: "judg-1",
  itemId: "item-7",
  promptId: "int-prompt-7",
  promptExternalId: "ext-prompt-7",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Name a colour." },
  ],
  task: "ranking",
  responses: judgmentResponses,
  shownOrder: ["int-3", "int-1", "int-2"],
  tiers: [["int-2"], ["int-1", "int-3"]],
  payload: { task: "ranking", tiers: [["int-2"], ["int-1", "int-3"]] },
  flags: [
    { response_id: "int-3", flag: "hallucination", note: "made up" },
    { response_id: "int-1", flag: "incomplete", note: "" },
  ],
  rationale: "Y is the only one that answers.",
  reviewer: "reviewer-0123456789",
  source: "reviewer",
  durationMs: 4200,
  createdAt: CREATED,
  updatedAt: UPDATED,
};

const pairwiseTie: ExportJudgment = {
  ...rankingJudgment,
  judgmentId: "judg-2",
  task: "pairwise",
  messages: [{ role: "user", content: "Hi" }],
  responses: judgmentResponses.slice(0, 2),
  shownOrder: ["int-2", "int-1"],
  tiers: [["int-1", "int-2"]],
  payload: { task: "pairwise", preferred: "tie", strength: 0, bothBad: true },
  flags: [],
  rationale: "",
  reviewer: "reviewer-abcdefabcd",
  source: "reviewer",
  durationMs: null,
  createdAt: 0,
  updatedAt: 0,
};

const pairwiseJudgment: ExportJudgment = {
  ...pairwiseTie,
  judgmentId: "judg-3",
  shownOrder: ["int-1", "int-2"],
  tiers: [["int-2"], ["int-1"]],
  payload: { task: "pairwise", preferred: "int-2", strength: 2, bothBad: false },
  flags: [{ response_id: "int-1", flag: "pii", note: "a phone number" }],
  rationale: "Y says hello back.",
  durationMs: 1500,
  createdAt: CREATED,
  updatedAt: CREATED,
};

const ratingJudgment: ExportJudgment = {
  ...rankingJudgment,
  judgmentId: "judg-4",
  task: "rating",
  responses: judgmentResponses.slice(0, 2),
  shownOrder: ["int-1", "int-2"],
  tiers: [["int-1"], ["int-2"]],
  payload: { task: "rating", scores: { "int-1": { overall: 5, accuracy: 4 }, "int-2": { overall: 2, accuracy: 1 } } },
  flags: [],
  rationale: "",
};

/** A skipped assignment as the service reads it: no judgment, no payload, the skip time. */
const skippedAssignment: ExportJudgment = {
  ...pairwiseTie,
  judgmentId: "",
  shownOrder: ["int-2", "int-1"],
  tiers: [],
  payload: null,
  flags: [],
  rationale: "",
  durationMs: null,
  createdAt: UPDATED,
  updatedAt: UPDATED,
};

/**
 * The JSON types each key path takes over a set of rows, array elements as `key[]`: a file
 * holds one schema when every path has exactly one type. An empty list says nothing about
 * its elements, so [] and [[…]] agree.
 */
function schemaOf(rows: readonly unknown[]): Record<string, string[]> {
  const types = new Map<string, Set<string>>();
  const visit = (value: unknown, path: string) => {
    const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    if (!types.has(path)) types.set(path, new Set());
    types.get(path)!.add(type);
    if (Array.isArray(value)) for (const v of value) visit(v, `${path}[]`);
    else if (type === "object") for (const [k, v] of Object.entries(value as object)) visit(v, path ? `${path}.${k}` : k);
  };
  for (const row of rows) visit(row, "");
  return Object.fromEntries([...types].map(([path, set]) => [path, [...set].sort()]));
}

describe("rankings", () => {
  it("maps response ids to their external ids and includes the prompt id and the reviewer", () => {
    expect(rankings(rankingJudgment)).toEqual({
      prompt_id: "ext-prompt-7",
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Name a colour." },
      ],
      responses: [
        { id: "resp-x", model: "model-x", text: "X text" },
        { id: "resp-y", model: "model-y", text: "Y text" },
        { id: "resp-z", model: "model-z", text: "Z text" },
      ],
      tiers: [["resp-y"], ["resp-x", "resp-z"]],
      reviewer: "reviewer-0123456789",
      source: "reviewer",
    });
  });

  it("writes a tie as one tier", () => {
    expect(rankings(pairwiseTie)).toEqual({
      prompt_id: "ext-prompt-7",
      prompt: [{ role: "user", content: "Hi" }],
      responses: [
        { id: "resp-x", model: "model-x", text: "X text" },
        { id: "resp-y", model: "model-y", text: "Y text" },
      ],
      tiers: [["resp-x", "resp-y"]],
      reviewer: "reviewer-abcdefabcd",
      source: "reviewer",
    });
  });

  it("never writes internal ids, and refuses a tier naming a response the item does not have", () => {
    for (const j of [rankingJudgment, pairwiseTie, pairwiseJudgment, ratingJudgment]) expect(JSON.stringify(rankings(j))).not.toContain("int-");
    expect(() => rankings({ ...rankingJudgment, tiers: [["int-9"]] })).toThrow(/int-9 is not a response of item item-7/);
  });

  it("every line has the same keys and types", () => {
    const sigs = new Set([rankingJudgment, pairwiseTie, pairwiseJudgment, ratingJudgment].map((j) => signature(rankings(j))));
    expect([...sigs]).toEqual([
      `{prompt:array<${MESSAGE_SIG}>,prompt_id:string,responses:array<{id:string,model:string,text:string}>,reviewer:string,source:string,tiers:array<array<string>>}`,
    ]);
  });
});

describe("judgments", () => {
  const common = { item_id: "item-7", prompt_id: "ext-prompt-7", skipped: false };

  it("pairwise: the preferred response by its dataset id, strength, both-bad, tiers and flags", () => {
    expect(judgments(pairwiseJudgment)).toEqual({
      judgment_id: "judg-3",
      ...common,
      task: "pairwise",
      reviewer: "reviewer-abcdefabcd",
      source: "reviewer",
      responses: [
        { id: "resp-x", model: "model-x" },
        { id: "resp-y", model: "model-y" },
      ],
      shown_order: ["resp-x", "resp-y"],
      preferred: "resp-y",
      strength: 2,
      both_bad: false,
      tiers: [["resp-y"], ["resp-x"]],
      scores: [],
      flags: [{ response_id: "resp-x", flag: "pii", note: "a phone number" }],
      rationale: "Y says hello back.",
      duration_ms: 1500,
      created_at: "2024-01-02T03:04:05.678Z",
      updated_at: "2024-01-02T03:04:05.678Z",
    });
  });

  it('pairwise tie: preferred "tie", strength 0, one tier; a null duration stays null and epoch 0 is 1970', () => {
    expect(judgments(pairwiseTie)).toMatchObject({
      judgment_id: "judg-2",
      shown_order: ["resp-y", "resp-x"],
      preferred: "tie",
      strength: 0,
      both_bad: true,
      tiers: [["resp-x", "resp-y"]],
      duration_ms: null,
      created_at: "1970-01-01T00:00:00.000Z",
      updated_at: "1970-01-01T00:00:00.000Z",
    });
  });

  it("ranking: tiers best first by dataset id; the pairwise columns neutral", () => {
    expect(judgments(rankingJudgment)).toEqual({
      judgment_id: "judg-1",
      ...common,
      task: "ranking",
      reviewer: "reviewer-0123456789",
      source: "reviewer",
      responses: [
        { id: "resp-x", model: "model-x" },
        { id: "resp-y", model: "model-y" },
        { id: "resp-z", model: "model-z" },
      ],
      shown_order: ["resp-z", "resp-x", "resp-y"],
      preferred: "",
      strength: 0,
      both_bad: false,
      tiers: [["resp-y"], ["resp-x", "resp-z"]],
      scores: [],
      flags: [
        { response_id: "resp-z", flag: "hallucination", note: "made up" },
        { response_id: "resp-x", flag: "incomplete", note: "" },
      ],
      rationale: "Y is the only one that answers.",
      duration_ms: 4200,
      created_at: "2024-01-02T03:04:05.678Z",
      updated_at: "2024-01-02T03:09:00.001Z",
    });
  });

  it("rating: scores as a list of {response_id, aspect, score} in dataset and rubric order", () => {
    expect(judgments(ratingJudgment)).toEqual({
      judgment_id: "judg-4",
      ...common,
      task: "rating",
      reviewer: "reviewer-0123456789",
      source: "reviewer",
      responses: [
        { id: "resp-x", model: "model-x" },
        { id: "resp-y", model: "model-y" },
      ],
      shown_order: ["resp-x", "resp-y"],
      preferred: "",
      strength: 0,
      both_bad: false,
      tiers: [["resp-x"], ["resp-y"]],
      scores: [
        { response_id: "resp-x", aspect: "overall", score: 5 },
        { response_id: "resp-x", aspect: "accuracy", score: 4 },
        { response_id: "resp-y", aspect: "overall", score: 2 },
        { response_id: "resp-y", aspect: "accuracy", score: 1 },
      ],
      flags: [],
      rationale: "",
      duration_ms: 4200,
      created_at: "2024-01-02T03:04:05.678Z",
      updated_at: "2024-01-02T03:09:00.001Z",
    });
  });

  it("a skipped assignment: the same keys, skipped true, every answer column neutral", () => {
    expect(judgments(skippedAssignment)).toEqual({
      judgment_id: "",
      ...common,
      skipped: true,
      task: "pairwise",
      reviewer: "reviewer-abcdefabcd",
      source: "reviewer",
      responses: [
        { id: "resp-x", model: "model-x" },
        { id: "resp-y", model: "model-y" },
      ],
      shown_order: ["resp-y", "resp-x"],
      preferred: "",
      strength: 0,
      both_bad: false,
      tiers: [],
      scores: [],
      flags: [],
      rationale: "",
      duration_ms: null,
      created_at: "2024-01-02T03:09:00.001Z",
      updated_at: "2024-01-02T03:09:00.001Z",
    });
  });

  it("with_text: the prompt messages and each response's text, as the reviewer read them", () => {
    const row = judgments(pairwiseJudgment, { withText: true });
    expect(row.prompt).toEqual([{ role: "user", content: "Hi" }]);
    expect(row.responses).toEqual([
      { id: "resp-x", model: "model-x", text: "X text" },
      { id: "resp-y", model: "model-y", text: "Y text" },
    ]);
    expect(judgments(skippedAssignment, { withText: true }).prompt).toEqual([{ role: "user", content: "Hi" }]);
    expect(Object.keys(row)).toEqual([...Object.keys(judgments(pairwiseJudgment)).slice(0, 7), "prompt", ...Object.keys(judgments(pairwiseJudgment)).slice(7)]);
  });

  const all = [pairwiseJudgment, pairwiseTie, rankingJudgment, ratingJudgment, skippedAssignment];

  for (const withText of [false, true]) {
    it(`every key has one JSON type on every row of every task, skipped included; only duration_ms may be null${withText ? " (with_text)" : ""}`, () => {
      const rows = all.map((j) => judgments(j, { withText }));
      const keys = Object.keys(rows[0]!);
      for (const row of rows) expect(Object.keys(row)).toEqual(keys);
      const schema = schemaOf(rows);
      expect(schema.duration_ms).toEqual(["null", "number"]);
      for (const [path, types] of Object.entries(schema)) if (path !== "duration_ms") expect([path, types]).toEqual([path, [types[0]]]);
      expect(schema).toMatchObject({
        judgment_id: ["string"],
        skipped: ["boolean"],
        preferred: ["string"],
        strength: ["number"],
        both_bad: ["boolean"],
        tiers: ["array"],
        "tiers[]": ["array"],
        "tiers[][]": ["string"],
        "scores[].response_id": ["string"],
        "scores[].aspect": ["string"],
        "scores[].score": ["number"],
        "shown_order[]": ["string"],
      });
      expect("payload" in rows[0]!).toBe(false);
      expect("prompt" in rows[0]!).toBe(withText);
    });
  }

  it("never writes an internal response id, and no response text unless asked", () => {
    for (const j of all) {
      const json = JSON.stringify(judgments(j));
      expect(json).not.toContain("int-");
      expect(json).not.toContain("X text");
      expect(JSON.stringify(judgments(j, { withText: true }))).not.toContain("int-");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Formats of issue 10: conversational KTO, SFT (best response), prompt-only, --with-ids.
// ---------------------------------------------------------------------------------------------

function best(p: ExportPair): ExportBest {
  return { itemId: p.itemId, promptId: p.promptId, promptExternalId: p.promptExternalId, messages: p.messages, textPrompt: p.textPrompt, response: p.chosen, strength: p.strength, reviewers: p.reviewers };
}
const promptOf = (p: ExportPair): ExportPrompt => ({ promptId: p.promptId, promptExternalId: p.promptExternalId, messages: p.messages, textPrompt: p.textPrompt });

describe("trl-kto-chat", () => {
  it("keeps the prompt's messages (system and earlier turns) and makes each completion one assistant turn", () => {
    expect(trlKtoChat(withSystem)).toEqual({
      chosen: { prompt: withSystem.messages, completion: asAssistant(CHOSEN_TEXT), label: true },
      rejected: { prompt: withSystem.messages, completion: asAssistant(REJECTED_TEXT), label: false },
    });
    expect(trlKtoChat(multiTurn).chosen.prompt).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "Joke?" },
    ]);
  });

  it("a TRL string-form prompt becomes one user turn, its completion verbatim", () => {
    expect(trlKtoChat(textPrompt).chosen).toEqual({ prompt: [{ role: "user", content: "The capital of France is" }], completion: asAssistant(" Paris."), label: true });
  });
});

describe("trl-sft and trl-sft-chat (prompt-completion)", () => {
  it("plain text: the HH-style prompt and the best response after a space, so prompt + completion is the transcript", () => {
    expect(trlSft(best(singleTurn))).toEqual({ prompt: SINGLE_PROMPT, completion: " 4" });
    const row = trlSft(best(withSystem));
    expect(row.prompt).toBe("\n\nHuman: Be funny.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant:");
    expect(row.prompt + row.completion).toBe(hhRlhf(withSystem).chosen);
  });

  it("a TRL string-form prompt comes back verbatim with its completion", () => {
    expect(trlSft(best(textPrompt))).toEqual({ prompt: "The capital of France is", completion: " Paris." });
  });

  it("conversational: messages and one assistant turn", () => {
    expect(trlSftChat(best(multiTurn))).toEqual({ prompt: multiTurn.messages, completion: asAssistant(CHOSEN_TEXT) });
    expect(trlSftChat(best(withSystem)).prompt[0]).toEqual({ role: "system", content: "Be funny." });
  });
});

describe("prompts (prompt-only)", () => {
  it("the prompt's messages only: system, multi-turn and string form alike", () => {
    expect(prompts(promptOf(withSystem))).toEqual({ prompt: withSystem.messages });
    expect(prompts(promptOf(multiTurn))).toEqual({ prompt: multiTurn.messages });
    expect(prompts(promptOf(textPrompt))).toEqual({ prompt: [{ role: "user", content: "The capital of France is" }] });
  });
});

describe("--with-ids columns", () => {
  it("pair rows: the dataset's prompt id, both models, strength, pseudonymous reviewers, batch", () => {
    expect(pairTrace(singleTurn, "batch-1")).toEqual({
      prompt_id: "ext-prompt-1",
      chosen_model: "model-c",
      rejected_model: "model-d",
      strength: 1,
      reviewers: ["reviewer-1", "reviewer-2"],
      batch_id: "batch-1",
    });
    expect(pairTrace(textPrompt, "batch-1").reviewers).toEqual([]);
  });

  it("SFT rows name the best response's model; prompt rows the prompt", () => {
    expect(bestTrace(best(singleTurn), "b")).toEqual({ prompt_id: "ext-prompt-1", model: "model-c", strength: 1, reviewers: ["reviewer-1", "reviewer-2"], batch_id: "b" });
    expect(promptTrace(promptOf(singleTurn), "b")).toEqual({ prompt_id: "ext-prompt-1", batch_id: "b" });
  });

  it("never carry internal ids", () => {
    for (const json of [pairTrace(singleTurn, "b"), bestTrace(best(singleTurn), "b"), promptTrace(promptOf(singleTurn), "b")].map((x) => JSON.stringify(x))) {
      expect(json).not.toContain("int-");
      expect(json).not.toContain("item-1");
      expect(json).not.toContain('"prompt-1"');
    }
  });
});
