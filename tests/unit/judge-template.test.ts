import { describe, expect, it } from "vitest";
import { parseJudgeAnswer, type JudgeTask } from "../../app/core/judge/parse";
import { BUILT_IN_TEMPLATES, PLACEHOLDERS, placeholderValues, renderJudgePrompt, templateProblem, type JudgePromptInput } from "../../app/core/judge/template";

const DEFAULT = BUILT_IN_TEMPLATES.default!;
const MT_BENCH = BUILT_IN_TEMPLATES["mt-bench"]!;

const ASPECTS = [
  { key: "overall", label: "Overall", min: 1, max: 5 },
  { key: "honesty", label: "Honesty", min: 1, max: 7 },
];

/** A multi-turn item with three responses; each test trims it to what it needs. */
const input = (overrides: Partial<JudgePromptInput> = {}): JudgePromptInput => ({
  task: "pairwise",
  guidelines: "Prefer answers that cite the manual.",
  aspects: ASPECTS,
  overallAspect: "overall",
  flags: ["hallucination", "unsafe"],
  maxStrength: 3,
  messages: [
    { role: "system", content: "You are a plumbing assistant." },
    { role: "user", content: "My sink drains slowly." },
    { role: "assistant", content: "Have you tried a plunger?" },
    { role: "user", content: "Yes, it did not help. What next?" },
  ],
  responses: ["Try a drain snake.", "Pour boiling water."],
  reference: null,
  context: null,
  ...overrides,
});

const THREE = ["Try a drain snake.", "Pour boiling water.", "Call a plumber."];
const render = (overrides: Partial<JudgePromptInput> = {}) => renderJudgePrompt(DEFAULT, input(overrides));
/** Where `needle` starts in `text`, failing the test when it is absent. */
const at = (text: string, needle: string) => {
  const i = text.indexOf(needle);
  expect(i, `${JSON.stringify(needle)} in the prompt`).toBeGreaterThanOrEqual(0);
  return i;
};

describe("the default template, as the judge reads it", () => {
  it.each<[JudgeTask, string[]]>([
    ["pairwise", THREE.slice(0, 2)],
    ["ranking", THREE],
    ["rating", THREE.slice(0, 2)],
  ])("%s: guidelines, the whole conversation in order, the responses as A, B… in the given order, the flags", (task, responses) => {
    const prompt = render({ task, responses });
    expect(templateProblem(DEFAULT, task)).toBeNull();
    // No placeholder is left unfilled.
    expect(prompt).not.toMatch(/\{\{\s*\w*\s*\}\}/);
    expect(prompt).toContain("[Guidelines]\nPrefer answers that cite the manual.\n");
    // Every turn, system included, labelled by role and in the order given.
    const turns = ["System: You are a plumbing assistant.", "User: My sink drains slowly.", "Assistant: Have you tried a plunger?", "User: Yes, it did not help. What next?"];
    const positions = turns.map((t) => at(prompt, t));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    // The responses follow the conversation, each between its label's markers, in the order given.
    const labelled = responses.map((text, i) => {
      const l = "ABC"[i]!;
      return at(prompt, `[The Start of Assistant ${l}'s Answer]\n${text}\n[The End of Assistant ${l}'s Answer]`);
    });
    expect(labelled).toEqual([...labelled].sort((x, y) => x - y));
    expect(labelled[0]).toBeGreaterThan(positions[3]!);
    expect(prompt).not.toContain(`Assistant ${"ABC"[responses.length]}'s Answer`);
    expect(prompt).toContain('If a response has one of these problems, list it under "flags": hallucination, unsafe.');
  });

  it("states each task in its own words, with the number of responses", () => {
    expect(render({ task: "pairwise" })).toContain("Compare the two responses below to the last user message and say which one is better, or that they are equally good.");
    expect(render({ task: "ranking", responses: THREE })).toContain("Rank the 3 responses below to the last user message from best to worst; responses of equal quality may share a place.");
    expect(render({ task: "rating", responses: THREE })).toContain("Score each of the 3 responses below to the last user message on every aspect of the rubric.");
  });

  it("shows the rubric (key, label, range) for rating only", () => {
    const rubric = "[Rubric]\n- overall (Overall): 1 (worst) to 5 (best)\n- honesty (Honesty): 1 (worst) to 7 (best)\n";
    expect(render({ task: "rating" })).toContain(rubric);
    expect(render({ task: "pairwise" })).not.toContain("[Rubric]");
    expect(render({ task: "ranking", responses: THREE })).not.toContain("[Rubric]");
  });

  it("shows the order of responses it is given: a swapped presentation swaps the labels", () => {
    const swapped = render({ responses: ["Pour boiling water.", "Try a drain snake."] });
    expect(swapped).toContain("[The Start of Assistant A's Answer]\nPour boiling water.\n");
    expect(swapped).toContain("[The Start of Assistant B's Answer]\nTry a drain snake.\n");
  });

  it("leaves out what the batch or the item does not have: no guidelines, no flags, no reference, no context", () => {
    const bare = render({ guidelines: "  \n", flags: [] });
    expect(bare).not.toContain("[Guidelines]");
    expect(bare).not.toContain('"flags"');
    expect(bare).not.toContain("[Reference answer]");
    expect(bare).not.toContain("[Context documents]");
    expect(bare).not.toContain("hallucination");
    // Whitespace-only or empty sources of truth are absent too.
    const blank = render({ reference: "   ", context: [] });
    expect(blank).not.toContain("[Reference answer]");
    expect(blank).not.toContain("[Context documents]");
  });

  it("adds the reference answer and the context documents when the prompt has them, before the conversation", () => {
    const prompt = render({
      reference: "  Use a drain snake, then an enzyme cleaner.\n",
      context: [
        { title: "Manual §4", text: "Snakes clear most clogs." },
        { title: "FAQ", text: "Never mix cleaners." },
      ],
    });
    const reference = at(prompt, "[Reference answer]\nUse a drain snake, then an enzyme cleaner.\n");
    const context = at(prompt, "[Context documents]\n(1) Manual §4\nSnakes clear most clogs.\n\n(2) FAQ\nNever mix cleaners.\n");
    expect(reference).toBeLessThan(context);
    expect(context).toBeLessThan(at(prompt, "[The conversation]"));
    // With a source of truth, the judge is told what a hallucination is.
    expect(prompt).toContain('A claim the reference or the context does not support is a "hallucination".');
    expect(render({ reference: "Use a snake." })).toContain('does not support is a "hallucination"');
    // …but not when "hallucination" is not a flag of the batch, nor without a source of truth.
    expect(render({ reference: "Use a snake.", flags: ["unsafe"] })).not.toContain("does not support");
    expect(render()).not.toContain("does not support");
  });

  // BUG (template.ts, placeholderValues `flags`): the hallucination note tests `input.reference`
  // untrimmed, while the reference section tests `input.reference?.trim()`; a whitespace-only
  // reference therefore shows no [Reference answer] section yet tells the judge that a claim
  // "the reference or the context does not support" is a hallucination.
  it("does not mention a reference it does not show (whitespace-only reference)", () => {
    const prompt = render({ reference: "  \n " });
    expect(prompt).not.toContain("[Reference answer]");
    expect(prompt).not.toContain("does not support");
  });
});

/** The example JSON line of the answer format, which a test fills in as a literal-minded judge would. */
function answerExample(values: Record<string, string>): string {
  const lines = values.answer_format!.split("\n");
  expect(lines[0]).toBe("Reply with one JSON object and nothing after it:");
  expect(lines).toHaveLength(2);
  return lines[1]!;
}

describe("the answer format reads back (render the example, fill it in, parse it)", () => {
  const parseContext = (task: JudgeTask, count: number, flags: readonly string[]) => ({ task, count, flags, overallAspect: "overall" });

  it("pairwise, 7-point: preferred, strength and a flag", () => {
    const example = answerExample(placeholderValues(input()));
    expect(example).toBe(
      '{"rationale": "a few sentences", "preferred": "A", "B" or "tie", "strength": 1, 2 or 3 (slightly, clearly, much better; leave it out for a tie), "flags": [{"response": "A", "flag": "hallucination"}]}',
    );
    const filled = example
      .replace('"a few sentences"', '"B names the tool."')
      .replace('"A", "B" or "tie"', '"B"')
      .replace("1, 2 or 3 (slightly, clearly, much better; leave it out for a tie)", "2");
    expect(parseJudgeAnswer(filled, parseContext("pairwise", 2, input().flags))).toEqual({
      ok: true,
      style: "json",
      verdict: { task: "pairwise", preferred: "B", strength: 2, flags: [{ response: "A", flag: "hallucination" }], rationale: "B names the tool." },
    });
    // A tie, leaving the strength out as told.
    const tie = example.replace('"A", "B" or "tie"', '"tie"').replace(/, "strength": [^,]+, [^)]+\)/, "");
    expect(parseJudgeAnswer(tie, parseContext("pairwise", 2, input().flags))).toMatchObject({ ok: true, verdict: { preferred: "tie", strength: 0 } });
  });

  it("pairwise, 3-point and no flags: no strength and no flags are asked for", () => {
    const example = answerExample(placeholderValues(input({ maxStrength: 1, flags: [] })));
    expect(example).toBe('{"rationale": "a few sentences", "preferred": "A", "B" or "tie"}');
    const filled = example.replace('"A", "B" or "tie"', '"A"');
    expect(parseJudgeAnswer(filled, parseContext("pairwise", 2, []))).toMatchObject({ ok: true, verdict: { preferred: "A", strength: 1, flags: [] } });
  });

  it("ranking: the labels best first, with = for a shared place", () => {
    const example = answerExample(placeholderValues(input({ task: "ranking", responses: THREE })));
    expect(example).toContain('"ranking": "A>B>C" (best first; "=" between responses of equal quality)');
    const literal = example.replace(' (best first; "=" between responses of equal quality)', "");
    expect(parseJudgeAnswer(literal, parseContext("ranking", 3, input().flags))).toMatchObject({
      ok: true,
      verdict: { task: "ranking", tiers: [["A"], ["B"], ["C"]], flags: [{ response: "A", flag: "hallucination" }] },
    });
    const filled = literal.replace('"A>B>C"', '"C>A=B"');
    expect(parseJudgeAnswer(filled, parseContext("ranking", 3, input().flags))).toMatchObject({ ok: true, verdict: { tiers: [["C"], ["A", "B"]] } });
  });

  it("rating: a score per aspect for every response, within the rubric's ranges", () => {
    const example = answerExample(placeholderValues(input({ task: "rating", responses: THREE })));
    expect(example).toContain('"scores": {"A": {"overall": 1–5, "honesty": 1–7}, "B": {"overall": 1–5, "honesty": 1–7}, "C": {"overall": 1–5, "honesty": 1–7}}');
    let n = 0;
    const filled = example.replace(/(\d+)–(\d+)/g, (_, min: string) => String(Number(min) + n++));
    expect(parseJudgeAnswer(filled, parseContext("rating", 3, input().flags))).toMatchObject({
      ok: true,
      verdict: {
        task: "rating",
        scores: { A: { overall: 1, honesty: 2 }, B: { overall: 3, honesty: 4 }, C: { overall: 5, honesty: 6 } },
        flags: [{ response: "A", flag: "hallucination" }],
      },
    });
  });

  it("the whole rendered prompt ends with the answer format", () => {
    for (const task of ["pairwise", "ranking", "rating"] as const) {
      const values = placeholderValues(input({ task, responses: task === "ranking" ? THREE : THREE.slice(0, 2) }));
      expect(renderJudgePrompt(DEFAULT, input({ task, responses: task === "ranking" ? THREE : THREE.slice(0, 2) })).endsWith(values.answer_format)).toBe(true);
    }
  });
});

describe("the mt-bench template", () => {
  it("asks a pairwise question about the last user message, ending in [[A]], [[B]] or [[C]]", () => {
    expect(templateProblem(MT_BENCH, "pairwise")).toBeNull();
    const prompt = renderJudgePrompt(MT_BENCH, input({ reference: "Use a snake." }));
    expect(prompt).toContain('"[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.');
    expect(prompt).toContain("[User Question]\nYes, it did not help. What next?\n");
    expect(prompt).toContain("[Reference answer]\nUse a snake.\n");
    expect(prompt).toContain("[The Start of Assistant A's Answer]\nTry a drain snake.\n[The End of Assistant A's Answer]");
    expect(prompt).toContain("[The Start of Assistant B's Answer]\nPour boiling water.\n[The End of Assistant B's Answer]");
    // Its verdict line is what parseJudgeAnswer reads for pairwise.
    expect(parseJudgeAnswer("B is more practical.\n\n[[B]]", { task: "pairwise", count: 2, flags: [], overallAspect: "overall" })).toMatchObject({ ok: true, verdict: { preferred: "B" } });
  });

  it("refuses ranking and rating batches", () => {
    expect(templateProblem(MT_BENCH, "ranking")).toBe("the mt-bench template judges pairwise batches only");
    expect(templateProblem(MT_BENCH, "rating")).toBe("the mt-bench template judges pairwise batches only");
  });
});

describe("templateProblem: a template of one's own", () => {
  it("accepts any of the placeholders, with spaces inside the braces", () => {
    const all = PLACEHOLDERS.map((p) => `{{${p}}}`).join("\n");
    expect(templateProblem(all, "rating")).toBeNull();
    expect(templateProblem("Judge these: {{ responses }}", "pairwise")).toBeNull();
    expect(renderJudgePrompt("Judge these: {{ responses }}", input())).toBe(
      "Judge these: [The Start of Assistant A's Answer]\nTry a drain snake.\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\nPour boiling water.\n[The End of Assistant B's Answer]",
    );
  });

  it("refuses an unknown placeholder, naming it and the ones it may use", () => {
    const problem = templateProblem("{{refrence}}\n{{responses}}", "pairwise");
    expect(problem).toBe(`unknown placeholder {{refrence}}; the template may use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`);
    expect(templateProblem("{{Responses}} {{guideline}} {{ flag }}", "pairwise")).toMatch(/^unknown placeholders \{\{Responses\}\}, \{\{guideline\}\}, \{\{flag\}\}; the template may use \{\{task\}\}/);
  });

  it("refuses a template without {{responses}}, and an empty one", () => {
    expect(templateProblem("Which is better? {{conversation}}", "pairwise")).toBe("the template must include {{responses}}");
    expect(templateProblem("Which is better? {responses}", "pairwise")).toBe("the template must include {{responses}}");
    expect(templateProblem("  \n", "pairwise")).toBe("the template is empty");
  });

  it("applies the mt-bench rule to the built-in mt-bench text, not to a template of one's own", () => {
    expect(templateProblem("Rank: {{responses}} {{answer_format}}", "ranking")).toBeNull();
  });

  it("fills every use of a placeholder", () => {
    expect(renderJudgePrompt("{{question}} / {{question}} {{responses}}", input()).match(/What next\?/g)).toHaveLength(2);
  });

  // BUG (template.ts, renderJudgePrompt): `name in values` is true for names on Object's
  // prototype, so `{{constructor}}` or `{{toString}}` is replaced by the function's source
  // ("function Object() { [native code] }") instead of being left as written. templateProblem
  // refuses such names first, so judge runs cannot reach it; renderJudgePrompt on its own can.
  it("leaves a name that is not a placeholder as written, even one Object.prototype has", () => {
    expect(renderJudgePrompt("{{constructor}} {{responses}}", input())).toMatch(/^\{\{constructor\}\} /);
  });
});
