import { describe, expect, it } from "vitest";
import { goldAnswerOfItem, goldAnswerSchema, goldCorrect, goldDue, goldStanding, pausedReason } from "../../app/core/quality/gold";
import type { JudgmentPayload } from "../../app/core/tasks/judgment";

const pairwise = (preferred: string): JudgmentPayload => ({ task: "pairwise", preferred, strength: 2, bothBad: false });
const options = { tolerance: 0, overallAspect: "overall" };

describe("goldAnswerSchema", () => {
  it("takes best, scores or both", () => {
    expect(goldAnswerSchema.parse({ best: "a" })).toEqual({ best: "a" });
    expect(goldAnswerSchema.parse({ scores: { a: 4 } })).toEqual({ scores: { a: 4 } });
    expect(goldAnswerSchema.parse({ best: "tie", scores: { a: 1, b: 1 } })).toEqual({ best: "tie", scores: { a: 1, b: 1 } });
  });

  it("refuses an empty answer, unknown keys and scores that are not numbers, saying why", () => {
    expect(goldAnswerSchema.safeParse({}).error?.issues[0]?.message).toMatch(/needs best .* or scores/);
    expect(goldAnswerSchema.safeParse({ scores: {} }).success).toBe(false);
    expect(goldAnswerSchema.safeParse({ best: "a", value: 1 }).success).toBe(false);
    expect(goldAnswerSchema.safeParse({ scores: { a: "4" } }).error?.issues[0]?.message).toBe("each score must be a number");
    expect(goldAnswerSchema.safeParse({ best: "" }).error?.issues[0]?.message).toMatch(/best must name a response id/);
  });
});

describe("goldAnswerOfItem", () => {
  it("keeps a best response the item holds, and drops one it does not", () => {
    expect(goldAnswerOfItem({ best: "b" }, ["a", "b"], "pairwise")).toEqual({ best: "b" });
    expect(goldAnswerOfItem({ best: "c" }, ["a", "b"], "pairwise")).toBeNull();
  });

  it("takes a tie for pairwise items only", () => {
    expect(goldAnswerOfItem({ best: "tie" }, ["a", "b"], "pairwise")).toEqual({ best: "tie" });
    expect(goldAnswerOfItem({ best: "tie" }, ["a", "b", "c"], "ranking")).toBeNull();
  });

  it("restricts scores to the item when they cover it, else falls back to best", () => {
    expect(goldAnswerOfItem({ scores: { a: 1, b: 3, c: 5 } }, ["a", "b"], "pairwise")).toEqual({ scores: { a: 1, b: 3 } });
    expect(goldAnswerOfItem({ scores: { a: 1 }, best: "a" }, ["a", "b"], "pairwise")).toEqual({ best: "a" });
    expect(goldAnswerOfItem({ scores: { a: 1 } }, ["a", "b"], "rating")).toBeNull();
  });
});

describe("goldCorrect", () => {
  it("pairwise: the preferred response is the best one, a tie only for a tie", () => {
    expect(goldCorrect({ best: "a" }, pairwise("a"), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, pairwise("b"), options)).toBe(false);
    expect(goldCorrect({ best: "a" }, pairwise("tie"), options)).toBe(false);
    expect(goldCorrect({ best: "tie" }, pairwise("tie"), options)).toBe(true);
  });

  it("pairwise with scores: the higher-scored response, a tie within the tolerance", () => {
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, pairwise("a"), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, pairwise("b"), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pairwise("tie"), { ...options, tolerance: 1 })).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pairwise("a"), { ...options, tolerance: 1 })).toBe(false);
  });

  it("ranking: the top tier is exactly the best response, or the highest-scored set", () => {
    expect(goldCorrect({ best: "a" }, { task: "ranking", tiers: [["a"], ["b", "c"]] }, options)).toBe(true);
    expect(goldCorrect({ best: "a" }, { task: "ranking", tiers: [["a", "b"], ["c"]] }, options)).toBe(false);
    expect(goldCorrect({ best: "a" }, { task: "ranking", tiers: [["c"], ["a"]] }, options)).toBe(false);
    expect(goldCorrect({ scores: { a: 5, b: 5, c: 1 } }, { task: "ranking", tiers: [["b", "a"], ["c"]] }, options)).toBe(true);
  });

  it("rating: every overall score within the tolerance, or a single highest that is the best", () => {
    const rating = (a: number, b: number): JudgmentPayload => ({ task: "rating", scores: { a: { overall: a, honesty: 1 }, b: { overall: b, honesty: 5 } } });
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rating(5, 2), { ...options, tolerance: 1 })).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rating(5, 2), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, { task: "rating", scores: { a: { overall: 4 } } }, options)).toBe(false);
    expect(goldCorrect({ best: "a" }, rating(5, 2), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, rating(4, 4), options)).toBe(false);
  });
});

describe("goldDue", () => {
  it("hands a gold item at every 1/rate-th item", () => {
    expect(goldDue(0.1, 8, 0)).toBe(false);
    expect(goldDue(0.1, 9, 0)).toBe(true);
    expect(goldDue(0.1, 10, 1)).toBe(false);
    expect(goldDue(0.1, 19, 1)).toBe(true);
  });

  it("alternates at 0.5, never at 0, and catches up when gold ran short", () => {
    expect([0, 1, 2, 3].map((served) => goldDue(0.5, served, Math.floor(served / 2)))).toEqual([false, true, false, true]);
    expect(goldDue(0, 100, 0)).toBe(false);
    expect(goldDue(0.25, 20, 0)).toBe(true);
  });
});

describe("goldStanding", () => {
  it("never pauses before the minimum number of gold items", () => {
    expect(goldStanding([false, false], { threshold: 0.7, minItems: 3 })).toEqual({ answered: 2, correct: 0, accuracy: 0, paused: false });
    expect(goldStanding([], { threshold: 0.7, minItems: 3 })).toEqual({ answered: 0, correct: 0, accuracy: null, paused: false });
  });

  it("pauses below the threshold, not at it", () => {
    expect(goldStanding([true, false, false], { threshold: 0.7, minItems: 3 }).paused).toBe(true);
    expect(goldStanding([true, true, true, true, true, true, true, false, false, false], { threshold: 0.7, minItems: 3 })).toMatchObject({ accuracy: 0.7, paused: false });
  });
});

describe("pausedReason", () => {
  it("names the reviewer's figures and the threshold", () => {
    expect(pausedReason({ answered: 5, correct: 2 }, 0.7)).toBe(
      "You are paused in this batch: you answered 2 of 5 check items as expected (40%), below the batch's 70%. An admin can look at your answers and resume you.",
    );
  });
});
