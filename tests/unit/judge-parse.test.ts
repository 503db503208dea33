import { describe, expect, it } from "vitest";
import { parseJudgeAnswer, responseLabels } from "../../app/core/judge/parse";

const pairwise = { task: "pairwise" as const, count: 2, flags: ["hallucination", "unsafe"], overallAspect: "overall" };
const ranking = { ...pairwise, task: "ranking" as const, count: 3 };
const rating = { ...pairwise, task: "rating" as const, count: 2 };

describe("responseLabels", () => {
  it("labels responses A, B, C…", () => {
    expect(responseLabels(3)).toEqual(["A", "B", "C"]);
  });
});

describe("parseJudgeAnswer: pairwise", () => {
  it("reads clean JSON with strength, flags and rationale", () => {
    const answer = JSON.stringify({ preferred: "b", strength: 3, flags: [{ response: "a", flag: "hallucination" }], rationale: "A invents a date." });
    expect(parseJudgeAnswer(answer, pairwise)).toEqual({
      ok: true,
      style: "json",
      verdict: { task: "pairwise", preferred: "B", strength: 3, flags: [{ response: "A", flag: "hallucination" }], rationale: "A invents a date." },
    });
  });

  it("reads JSON in a code fence among prose, the last fence that fits winning", () => {
    const answer = 'Let me think.\n```json\n{"preferred": "A"}\n```\nOn reflection:\n```\n{"preferred": "tie", "strength": 2}\n```';
    expect(parseJudgeAnswer(answer, pairwise)).toMatchObject({ ok: true, style: "fenced-json", verdict: { preferred: "tie", strength: 0 } });
  });

  it("reads a final verdict line: [[A]], [[C]] as a tie, Verdict: B; the last one counts", () => {
    expect(parseJudgeAnswer("A is better.\n\n[[A]]", pairwise)).toMatchObject({ ok: true, style: "verdict-line", verdict: { preferred: "A", strength: 1 } });
    expect(parseJudgeAnswer("Both are fine. [[C]]", pairwise)).toMatchObject({ ok: true, verdict: { preferred: "tie", strength: 0 } });
    expect(parseJudgeAnswer("At first [[A]], but then... Final verdict: **B**", pairwise)).toMatchObject({ ok: true, verdict: { preferred: "B" } });
  });

  it("refuses garbage, unknown responses and unknown flags, saying why", () => {
    expect(parseJudgeAnswer("I cannot decide.", pairwise)).toEqual({ ok: false, reason: "the answer holds no JSON object and no verdict line" });
    expect(parseJudgeAnswer('{"preferred": "D"}', pairwise)).toEqual({ ok: false, reason: 'preferred "D" is not one of A, B or "tie"' });
    expect(parseJudgeAnswer('{"preferred": "A", "flags": [{"response": "A", "flag": "rude"}]}', pairwise)).toMatchObject({ ok: false, reason: expect.stringMatching(/flag "rude" is not one of this batch's flags/) });
    expect(parseJudgeAnswer('{"preferred": "A", "strength": 7}', pairwise)).toMatchObject({ ok: false, reason: expect.stringMatching(/^strength:/) });
  });
});

describe("parseJudgeAnswer: ranking and rating", () => {
  it("reads a ranking as text or arrays, and refuses one that misses or repeats a response", () => {
    expect(parseJudgeAnswer('{"ranking": "B > A = C"}', ranking)).toMatchObject({ ok: true, verdict: { tiers: [["B"], ["A", "C"]] } });
    expect(parseJudgeAnswer('{"ranking": ["c", ["a", "b"]]}', ranking)).toMatchObject({ ok: true, verdict: { tiers: [["C"], ["A", "B"]] } });
    expect(parseJudgeAnswer('{"ranking": "A>B"}', ranking)).toMatchObject({ ok: false, reason: expect.stringMatching(/must name each of A, B, C once/) });
    expect(parseJudgeAnswer('{"ranking": "A>A>B"}', ranking).ok).toBe(false);
    // A verdict line is for pairwise only.
    expect(parseJudgeAnswer("[[A]]", ranking).ok).toBe(false);
  });

  it("reads scores per aspect or as a bare overall score, and refuses missing ones", () => {
    expect(parseJudgeAnswer('{"scores": {"A": {"overall": 4, "honesty": 5}, "B": 2}}', rating)).toMatchObject({
      ok: true,
      verdict: { scores: { A: { overall: 4, honesty: 5 }, B: { overall: 2 } } },
    });
    expect(parseJudgeAnswer('{"scores": {"A": 4}}', rating)).toEqual({ ok: false, reason: "no scores for B" });
    expect(parseJudgeAnswer('{"scores": {"A": 4, "Z": 1}}', rating)).toMatchObject({ ok: false, reason: expect.stringMatching(/"Z", which is not one of A, B/) });
  });
});
