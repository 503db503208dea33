import { describe, expect, it } from "vitest";
import { parseJudgeAnswer, type JudgeVerdict } from "../../app/core/judge/parse";
import { judgeDisplayOrder, pairOutcomes, storedVerdict } from "../../app/core/judge/verdict";

const pairwise = (preferred: string, strength: 0 | 1 | 2 | 3, flags: JudgeVerdict["flags"] = []): JudgeVerdict => ({ task: "pairwise", preferred, strength, flags, rationale: "because" });

describe("judgeDisplayOrder", () => {
  it("shows the dataset's order, or for the swapped presentation the reverse, without touching the input", () => {
    const ids = ["r1", "r2"];
    expect(judgeDisplayOrder(ids, false)).toEqual(["r1", "r2"]);
    expect(judgeDisplayOrder(ids, true)).toEqual(["r2", "r1"]);
    expect(ids).toEqual(["r1", "r2"]);
    expect(judgeDisplayOrder(ids, false)).not.toBe(ids);
  });
});

describe("storedVerdict: labels back to response ids", () => {
  it("the same preferred response, whichever side it was shown on", () => {
    const straight = storedVerdict(pairwise("A", 2), judgeDisplayOrder(["r1", "r2"], false), 3);
    const swapped = storedVerdict(pairwise("B", 2), judgeDisplayOrder(["r1", "r2"], true), 3);
    expect(straight.payload).toEqual({ task: "pairwise", preferred: "r1", strength: 2, bothBad: false });
    expect(swapped.payload).toEqual(straight.payload);
    // And "A" in the swapped presentation is the other response.
    expect(storedVerdict(pairwise("A", 1), ["r2", "r1"], 3).payload).toMatchObject({ preferred: "r2" });
  });

  it("keeps a tie a tie, strength 0, on either side", () => {
    expect(storedVerdict(pairwise("tie", 0), ["r2", "r1"], 3).payload).toEqual({ task: "pairwise", preferred: "tie", strength: 0, bothBad: false });
  });

  it("caps the strength at 1 on a 3-point scale, keeps it on a 7-point one, and never stores 0 for a preference", () => {
    expect(storedVerdict(pairwise("B", 3), ["r1", "r2"], 1).payload).toMatchObject({ preferred: "r2", strength: 1 });
    expect(storedVerdict(pairwise("B", 2), ["r1", "r2"], 1).payload).toMatchObject({ strength: 1 });
    expect(storedVerdict(pairwise("B", 3), ["r1", "r2"], 3).payload).toMatchObject({ strength: 3 });
    // `{"preferred": "A", "strength": 0}` is read as strength 0; a preference is at least "slightly".
    const read = parseJudgeAnswer('{"preferred": "A", "strength": 0}', { task: "pairwise", count: 2, flags: [], overallAspect: "overall" });
    expect(read.ok && storedVerdict(read.verdict, ["r1", "r2"], 3).payload).toMatchObject({ preferred: "r1", strength: 1 });
  });

  it("maps flags through the display order and keeps a flag named twice once", () => {
    const verdict = pairwise("A", 1, [
      { response: "A", flag: "hallucination" },
      { response: "B", flag: "unsafe" },
      { response: "A", flag: "hallucination" },
      { response: "B", flag: "hallucination" },
    ]);
    expect(storedVerdict(verdict, ["r2", "r1"], 3)).toEqual({
      payload: { task: "pairwise", preferred: "r2", strength: 1, bothBad: false },
      flags: [
        { response_id: "r2", flag: "hallucination" },
        { response_id: "r1", flag: "unsafe" },
        { response_id: "r1", flag: "hallucination" },
      ],
      rationale: "because",
    });
  });

  it("maps ranking tiers and rating scores to response ids", () => {
    const order = ["r3", "r1", "r2"];
    expect(storedVerdict({ task: "ranking", tiers: [["B"], ["C", "A"]], flags: [], rationale: "" }, order, 3).payload).toEqual({ task: "ranking", tiers: [["r1"], ["r2", "r3"]] });
    const scores = { A: { overall: 2, honesty: 5 }, B: { overall: 4, honesty: 3 } };
    const stored = storedVerdict({ task: "rating", scores, flags: [], rationale: "" }, ["r2", "r1"], 3);
    expect(stored.payload).toEqual({ task: "rating", scores: { r2: { overall: 2, honesty: 5 }, r1: { overall: 4, honesty: 3 } } });
    // The stored scores are a copy: changing the verdict afterwards does not change them.
    scores.A.overall = 1;
    expect(stored.payload).toMatchObject({ scores: { r2: { overall: 2 } } });
  });
});

describe("pairOutcomes: what a judgment says about each two responses, in dataset order", () => {
  it("pairwise: a, b or tie, whatever the strength", () => {
    const ids = ["r1", "r2"];
    expect(pairOutcomes({ task: "pairwise", preferred: "r1", strength: 3, bothBad: false }, ids, "overall")).toEqual([{ a: "r1", b: "r2", outcome: "a" }]);
    expect(pairOutcomes({ task: "pairwise", preferred: "r2", strength: 1, bothBad: true }, ids, "overall")).toEqual([{ a: "r1", b: "r2", outcome: "b" }]);
    expect(pairOutcomes({ task: "pairwise", preferred: "tie", strength: 0, bothBad: false }, ids, "overall")).toEqual([{ a: "r1", b: "r2", outcome: "tie" }]);
  });

  it("the judge's swapped verdict, mapped back, gives the same canonical outcome as the straight one", () => {
    const ids = ["r1", "r2"];
    const straight = storedVerdict(pairwise("B", 2), judgeDisplayOrder(ids, false), 3).payload;
    const swapped = storedVerdict(pairwise("A", 2), judgeDisplayOrder(ids, true), 3).payload;
    expect(pairOutcomes(straight, ids, "overall")).toEqual(pairOutcomes(swapped, ids, "overall"));
    expect(pairOutcomes(swapped, ids, "overall")[0]!.outcome).toBe("b");
  });

  it("ranking: every pair, the higher tier winning and a shared tier a tie", () => {
    const ids = ["r1", "r2", "r3", "r4"];
    const payload = { task: "ranking" as const, tiers: [["r3"], ["r1", "r4"], ["r2"]] };
    expect(pairOutcomes(payload, ids, "overall")).toEqual([
      { a: "r1", b: "r2", outcome: "a" },
      { a: "r1", b: "r3", outcome: "b" },
      { a: "r1", b: "r4", outcome: "tie" },
      { a: "r2", b: "r3", outcome: "b" },
      { a: "r2", b: "r4", outcome: "b" },
      { a: "r3", b: "r4", outcome: "a" },
    ]);
  });

  it("rating: the overall aspect decides, not the others; equal or missing scores are ties", () => {
    const ids = ["r1", "r2", "r3", "r4"];
    const payload = {
      task: "rating" as const,
      scores: {
        r1: { overall: 4, honesty: 1 },
        r2: { overall: 2, honesty: 5 },
        r3: { overall: 4 },
        r4: { honesty: 5 },
      },
    };
    expect(pairOutcomes(payload, ids, "overall")).toEqual([
      { a: "r1", b: "r2", outcome: "a" },
      { a: "r1", b: "r3", outcome: "tie" },
      { a: "r1", b: "r4", outcome: "tie" },
      { a: "r2", b: "r3", outcome: "b" },
      { a: "r2", b: "r4", outcome: "tie" },
      { a: "r3", b: "r4", outcome: "tie" },
    ]);
    // Another aspect as the overall one changes the outcomes.
    expect(pairOutcomes(payload, ["r1", "r2"], "honesty")).toEqual([{ a: "r1", b: "r2", outcome: "b" }]);
    // A response with no scores at all.
    expect(pairOutcomes({ task: "rating", scores: { r1: { overall: 5 } } }, ["r1", "r2"], "overall")).toEqual([{ a: "r1", b: "r2", outcome: "tie" }]);
  });

  it("gives no pairs for a single response", () => {
    expect(pairOutcomes({ task: "ranking", tiers: [["r1"]] }, ["r1"], "overall")).toEqual([]);
  });
});
