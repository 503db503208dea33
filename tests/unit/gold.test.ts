import { describe, expect, it } from "vitest";
import { goldAnswerOfItem, goldAnswerResponses, goldAnswerSchema, goldCorrect, goldDue, goldStanding, pausedReason } from "../../app/core/quality/gold";
import type { JudgmentPayload } from "../../app/core/tasks/judgment";

const pair = (preferred: string, strength: 0 | 1 | 2 | 3 = 2, bothBad = false): JudgmentPayload => ({ task: "pairwise", preferred, strength, bothBad });
const rank = (...tiers: string[][]): JudgmentPayload => ({ task: "ranking", tiers });
/** A rating judgment: `overall` as given, `honesty` the opposite (5 − overall). */
const rate = (overall: Record<string, number>): JudgmentPayload => ({
  task: "rating",
  scores: Object.fromEntries(Object.entries(overall).map(([id, v]) => [id, { overall: v, honesty: 5 - v }])),
});
const options = { tolerance: 0, overallAspect: "overall" };
const tol = (tolerance: number) => ({ ...options, tolerance });

const EMPTY_MESSAGE = 'a gold answer needs best (a response id or "tie") or scores ({responseId: score})';

describe("goldAnswerSchema", () => {
  it("accepts best, scores, or both, and returns them unchanged", () => {
    expect(goldAnswerSchema.parse({ best: "r1" })).toEqual({ best: "r1" });
    expect(goldAnswerSchema.parse({ best: "tie" })).toEqual({ best: "tie" });
    expect(goldAnswerSchema.parse({ scores: { a: 4, b: 2.5, c: -1 } })).toEqual({ scores: { a: 4, b: 2.5, c: -1 } });
    expect(goldAnswerSchema.parse({ best: "a", scores: { a: 5, b: 1 } })).toEqual({ best: "a", scores: { a: 5, b: 1 } });
  });

  it("rejects an empty answer, and empty scores without best, with the refinement's message", () => {
    const empty = goldAnswerSchema.safeParse({});
    expect(empty.success).toBe(false);
    expect(empty.error?.issues).toHaveLength(1);
    expect(empty.error?.issues[0]?.message).toBe(EMPTY_MESSAGE);

    const emptyScores = goldAnswerSchema.safeParse({ scores: {} });
    expect(emptyScores.success).toBe(false);
    expect(emptyScores.error?.issues[0]?.message).toBe(EMPTY_MESSAGE);
  });

  it("rejects unknown keys, naming them", () => {
    const result = goldAnswerSchema.safeParse({ best: "a", value: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["value"] });
    expect(result.error?.issues[0]?.message).toContain("value");
  });

  it("rejects scores that are not (finite) numbers with its own message, at the score's path", () => {
    const result = goldAnswerSchema.safeParse({ scores: { a: 1, b: "4" } });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.message).toBe("each score must be a number");
    expect(result.error?.issues[0]?.path).toEqual(["scores", "b"]);
    expect(goldAnswerSchema.safeParse({ scores: { a: null } }).error?.issues[0]?.message).toBe("each score must be a number");
    expect(goldAnswerSchema.safeParse({ scores: { a: Number.NaN } }).error?.issues[0]?.message).toBe("each score must be a number");
    expect(goldAnswerSchema.safeParse({ scores: { a: Number.POSITIVE_INFINITY } }).error?.issues[0]?.message).toBe("each score must be a number");
  });

  it("rejects an empty best with its own message", () => {
    const result = goldAnswerSchema.safeParse({ best: "" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('best must name a response id or be "tie"');
    expect(result.error?.issues[0]?.path).toEqual(["best"]);
  });
});

describe("goldAnswerOfItem", () => {
  it("keeps a best response the item holds, for every task", () => {
    expect(goldAnswerOfItem({ best: "b" }, ["a", "b"], "pairwise")).toEqual({ best: "b" });
    expect(goldAnswerOfItem({ best: "c" }, ["a", "b", "c"], "ranking")).toEqual({ best: "c" });
    expect(goldAnswerOfItem({ best: "a" }, ["a", "b", "c"], "rating")).toEqual({ best: "a" });
  });

  it("drops a best response outside the item (a pairwise item of two of the prompt's K responses)", () => {
    expect(goldAnswerOfItem({ best: "r3" }, ["r1", "r2"], "pairwise")).toBeNull();
    expect(goldAnswerOfItem({ best: "r3" }, ["r1", "r2"], "ranking")).toBeNull();
    expect(goldAnswerOfItem({ best: "r3" }, ["r1", "r2"], "rating")).toBeNull();
  });

  it("takes a tie for pairwise items only", () => {
    expect(goldAnswerOfItem({ best: "tie" }, ["a", "b"], "pairwise")).toEqual({ best: "tie" });
    expect(goldAnswerOfItem({ best: "tie" }, ["a", "b", "c"], "ranking")).toBeNull();
    expect(goldAnswerOfItem({ best: "tie" }, ["a", "b"], "rating")).toBeNull();
  });

  it("restricts scores that cover the item to the item's responses, and drops best then", () => {
    expect(goldAnswerOfItem({ scores: { a: 1, b: 3, c: 5 } }, ["a", "b"], "pairwise")).toEqual({ scores: { a: 1, b: 3 } });
    expect(goldAnswerOfItem({ scores: { a: 1, b: 3, c: 5 } }, ["c", "a"], "rating")).toEqual({ scores: { c: 5, a: 1 } });
    expect(goldAnswerOfItem({ best: "c", scores: { a: 1, b: 3, c: 5 } }, ["a", "b"], "pairwise")).toEqual({ scores: { a: 1, b: 3 } });
    // A score of 0 still covers its response.
    expect(goldAnswerOfItem({ scores: { a: 0, b: 2 } }, ["a", "b"], "ranking")).toEqual({ scores: { a: 0, b: 2 } });
  });

  it("falls back to best when the scores do not cover the item, else null", () => {
    expect(goldAnswerOfItem({ scores: { a: 1 }, best: "a" }, ["a", "b"], "pairwise")).toEqual({ best: "a" });
    expect(goldAnswerOfItem({ scores: { a: 1 }, best: "tie" }, ["a", "b"], "pairwise")).toEqual({ best: "tie" });
    expect(goldAnswerOfItem({ scores: { a: 1 }, best: "tie" }, ["a", "b"], "ranking")).toBeNull();
    expect(goldAnswerOfItem({ scores: { a: 1, c: 2 }, best: "c" }, ["a", "b"], "pairwise")).toBeNull();
    expect(goldAnswerOfItem({ scores: { a: 1 } }, ["a", "b"], "rating")).toBeNull();
  });
});

describe("goldCorrect: pairwise", () => {
  it("with best: the preferred response is best; strength and both-bad do not matter", () => {
    expect(goldCorrect({ best: "a" }, pair("a"), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, pair("a", 3, true), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, pair("b"), options)).toBe(false);
    expect(goldCorrect({ best: "b" }, pair("b", 1), options)).toBe(true);
  });

  it("with best: a tie is correct only for a tie answer", () => {
    expect(goldCorrect({ best: "a" }, pair("tie", 0), options)).toBe(false);
    expect(goldCorrect({ best: "tie" }, pair("tie", 0), options)).toBe(true);
    expect(goldCorrect({ best: "tie" }, pair("a"), options)).toBe(false);
  });

  it("with scores: the higher-scored response, whichever order the scores come in", () => {
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, pair("a"), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, pair("b"), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, pair("tie", 0), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 2, b: 4 } }, pair("b"), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 2, b: 4 } }, pair("a"), options)).toBe(false);
  });

  it("with scores: equal scores, or scores within the tolerance, expect a tie", () => {
    expect(goldCorrect({ scores: { a: 3, b: 3 } }, pair("tie", 0), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 3, b: 3 } }, pair("a"), options)).toBe(false);
    // |4 − 3| = 1 ≤ 1: a tie; the higher one is then wrong.
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pair("tie", 0), tol(1))).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pair("a"), tol(1))).toBe(false);
    // |4 − 3| = 1 > 0.5: a direction again.
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pair("a"), tol(0.5))).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pair("tie", 0), tol(0.5))).toBe(false);
  });

  it("with scores: a negative tolerance counts as 0", () => {
    expect(goldCorrect({ scores: { a: 3, b: 3 } }, pair("tie", 0), tol(-1))).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 3 } }, pair("a"), tol(-1))).toBe(true);
  });

  it("scores take precedence over best", () => {
    expect(goldCorrect({ best: "a", scores: { a: 1, b: 4 } }, pair("b"), options)).toBe(true);
    expect(goldCorrect({ best: "a", scores: { a: 1, b: 4 } }, pair("a"), options)).toBe(false);
  });

  it("scores not restricted to the two responses (not passed through goldAnswerOfItem) are never matched", () => {
    expect(goldCorrect({ scores: { a: 5, b: 2, c: 1 } }, pair("a"), options)).toBe(false);
  });
});

describe("goldCorrect: ranking", () => {
  it("with best: the top tier is exactly best", () => {
    expect(goldCorrect({ best: "a" }, rank(["a"], ["b", "c"]), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, rank(["a"], ["b"], ["c"]), options)).toBe(true);
    expect(goldCorrect({ best: "a" }, rank(["c"], ["a"], ["b"]), options)).toBe(false);
    expect(goldCorrect({ best: "a" }, rank(), options)).toBe(false);
  });

  it("with best: best tied with another in the top tier is wrong", () => {
    expect(goldCorrect({ best: "a" }, rank(["a", "b"], ["c"]), options)).toBe(false);
    expect(goldCorrect({ best: "a" }, rank(["b", "a"], ["c"]), options)).toBe(false);
    expect(goldCorrect({ best: "a" }, rank(["a", "b", "c"]), options)).toBe(false);
  });

  it("with scores: the top tier is exactly the set of highest-scored responses, in any order", () => {
    expect(goldCorrect({ scores: { a: 5, b: 4, c: 1 } }, rank(["a"], ["b"], ["c"]), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 5, b: 4, c: 1 } }, rank(["a", "b"], ["c"]), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 5, b: 5, c: 1 } }, rank(["b", "a"], ["c"]), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 5, b: 5, c: 1 } }, rank(["a"], ["b"], ["c"]), options)).toBe(false); // b missing
    expect(goldCorrect({ scores: { a: 5, b: 5, c: 1 } }, rank(["a", "b", "c"]), options)).toBe(false); // c extra
    expect(goldCorrect({ scores: { a: 5, b: 5, c: 1 } }, rank(), options)).toBe(false);
  });

  it("with scores: the tolerance does not widen the top set (unlike pairwise)", () => {
    expect(goldCorrect({ scores: { a: 5, b: 4.5, c: 1 } }, rank(["a"], ["b"], ["c"]), tol(1))).toBe(true);
    expect(goldCorrect({ scores: { a: 5, b: 4.5, c: 1 } }, rank(["a", "b"], ["c"]), tol(1))).toBe(false);
  });
});

describe("goldCorrect: rating", () => {
  it("with scores: every overall score within the tolerance (inclusive) of its expected score", () => {
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 4, b: 2 }), options)).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 5, b: 2 }), tol(1))).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 3, b: 3 }), tol(1))).toBe(true);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 5, b: 2 }), options)).toBe(false);
    // |6 − 4| = 2 > 1, although b is exact.
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 6, b: 2 }), tol(1))).toBe(false);
    expect(goldCorrect({ scores: { a: 3.5, b: 2 } }, rate({ a: 4, b: 2 }), tol(0.5))).toBe(true);
  });

  it("with scores: only the overall aspect counts", () => {
    // rate() gives honesty = 5 − overall: overall {4, 2}, honesty {1, 3}.
    expect(goldCorrect({ scores: { a: 1, b: 3 } }, rate({ a: 4, b: 2 }), { tolerance: 0, overallAspect: "honesty" })).toBe(true);
    expect(goldCorrect({ scores: { a: 1, b: 3 } }, rate({ a: 4, b: 2 }), options)).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, rate({ a: 4, b: 2 }), { tolerance: 0, overallAspect: "honesty" })).toBe(false);
  });

  it("with scores: a response missing, or missing the overall aspect, is incorrect", () => {
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, { task: "rating", scores: { a: { overall: 4 } } }, tol(10))).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, { task: "rating", scores: { a: { overall: 4 }, b: { honesty: 2 } } }, tol(10))).toBe(false);
    expect(goldCorrect({ scores: { a: 4, b: 2 } }, { task: "rating", scores: {} }, tol(10))).toBe(false);
  });

  it("with best: the reviewer's single highest overall score is best's", () => {
    expect(goldCorrect({ best: "a" }, rate({ a: 5, b: 2 }), options)).toBe(true);
    expect(goldCorrect({ best: "b" }, rate({ a: 5, b: 2 }), options)).toBe(false);
    expect(goldCorrect({ best: "c" }, rate({ a: 1, b: 2, c: 3 }), options)).toBe(true);
    // Honesty (5 − overall) puts b on top.
    expect(goldCorrect({ best: "b" }, rate({ a: 5, b: 2 }), { tolerance: 0, overallAspect: "honesty" })).toBe(true);
    expect(goldCorrect({ best: "a" }, rate({ a: 5, b: 2 }), { tolerance: 0, overallAspect: "honesty" })).toBe(false);
  });

  it("with best: a shared highest score is wrong, even when best shares it", () => {
    expect(goldCorrect({ best: "a" }, rate({ a: 4, b: 4 }), options)).toBe(false);
    expect(goldCorrect({ best: "a" }, rate({ a: 5, b: 5, c: 1 }), options)).toBe(false);
    expect(goldCorrect({ best: "c" }, rate({ a: 5, b: 5, c: 1 }), options)).toBe(false);
  });

  it("with best: the tolerance does not make a near-highest score shared", () => {
    expect(goldCorrect({ best: "a" }, rate({ a: 5, b: 4 }), tol(1))).toBe(true);
  });

  it("scores take precedence over best", () => {
    expect(goldCorrect({ best: "b", scores: { a: 5, b: 2 } }, rate({ a: 5, b: 2 }), options)).toBe(true);
    expect(goldCorrect({ best: "a", scores: { a: 1, b: 1 } }, rate({ a: 5, b: 2 }), options)).toBe(false);
  });
});

describe("goldDue", () => {
  it("rate 0.1: the 10th item (served = 9) with no gold yet is gold", () => {
    expect(goldDue(0.1, 0, 0)).toBe(false);
    expect(goldDue(0.1, 8, 0)).toBe(false);
    expect(goldDue(0.1, 9, 0)).toBe(true);
    expect(goldDue(0.1, 9, 1)).toBe(false);
  });

  it("rate 0.1: not at served = 10 with one gold, due again at served = 19", () => {
    expect(goldDue(0.1, 10, 1)).toBe(false);
    expect(goldDue(0.1, 18, 1)).toBe(false);
    expect(goldDue(0.1, 19, 1)).toBe(true);
    expect(goldDue(0.1, 19, 2)).toBe(false);
  });

  it("rate 0.1 over a stream of 30: gold at items 10, 20 and 30", () => {
    const goldAt: number[] = [];
    for (let served = 0; served < 30; served++) if (goldDue(0.1, served, goldAt.length)) goldAt.push(served + 1);
    expect(goldAt).toEqual([10, 20, 30]);
  });

  it("rate 0.5 alternates: every second item is gold", () => {
    const stream: boolean[] = [];
    for (let served = 0; served < 6; served++) stream.push(goldDue(0.5, served, stream.filter(Boolean).length));
    expect(stream).toEqual([false, true, false, true, false, true]);
  });

  it("catches up when gold ran short", () => {
    // ⌊0.25 × 21⌋ = 5 gold owed, none served.
    expect(goldDue(0.25, 20, 0)).toBe(true);
    expect(goldDue(0.25, 20, 4)).toBe(true);
    expect(goldDue(0.25, 20, 5)).toBe(false);
  });

  it("floors the product it means, not its floating-point neighbour", () => {
    // 0.29 × 100 is 28.999999999999996 and 0.57 × 100 is 56.99999999999999 in floating point.
    expect(goldDue(0.29, 99, 28)).toBe(true);
    expect(goldDue(0.29, 99, 29)).toBe(false);
    expect(goldDue(0.57, 99, 56)).toBe(true);
    expect(goldDue(0.3, 9, 2)).toBe(true);
    expect(goldDue(0.3, 9, 3)).toBe(false);
  });

  it("is never due at rate 0, a negative rate or a non-finite rate", () => {
    expect(goldDue(0, 0, 0)).toBe(false);
    expect(goldDue(0, 100, 0)).toBe(false);
    expect(goldDue(-0.5, 100, 0)).toBe(false);
    expect(goldDue(Number.NaN, 100, 0)).toBe(false);
    expect(goldDue(Number.POSITIVE_INFINITY, 100, 0)).toBe(false);
  });

  it("rate 1: every item is gold", () => {
    expect(goldDue(1, 0, 0)).toBe(true);
    expect(goldDue(1, 5, 5)).toBe(true);
    expect(goldDue(1, 5, 6)).toBe(false);
  });
});

describe("goldStanding", () => {
  const opts = { threshold: 0.7, minItems: 3 };

  it("counts answered and correct, with accuracy correct / answered", () => {
    expect(goldStanding([true, false, true, true], opts)).toEqual({ answered: 4, correct: 3, accuracy: 0.75, paused: false });
    expect(goldStanding([true, false, false], opts)).toEqual({ answered: 3, correct: 1, accuracy: 1 / 3, paused: true });
  });

  it("has a null accuracy and no pause with no gold answered", () => {
    expect(goldStanding([], opts)).toEqual({ answered: 0, correct: 0, accuracy: null, paused: false });
    expect(goldStanding([], { threshold: 0.7, minItems: 0 })).toEqual({ answered: 0, correct: 0, accuracy: null, paused: false });
  });

  it("never pauses below minItems, and pauses from minItems on", () => {
    expect(goldStanding([false, false], opts)).toEqual({ answered: 2, correct: 0, accuracy: 0, paused: false });
    expect(goldStanding([false], { threshold: 1, minItems: 2 }).paused).toBe(false);
    expect(goldStanding([false, false, false], opts).paused).toBe(true);
  });

  it("pauses below the threshold, not at it", () => {
    const sevenOfTen = [true, true, true, true, true, true, true, false, false, false];
    expect(goldStanding(sevenOfTen, opts)).toEqual({ answered: 10, correct: 7, accuracy: 0.7, paused: false });
    const sixOfTen = [true, true, true, true, true, true, false, false, false, false];
    expect(goldStanding(sixOfTen, opts)).toEqual({ answered: 10, correct: 6, accuracy: 0.6, paused: true });
    expect(goldStanding([true, true, true, false], { threshold: 0.75, minItems: 4 }).paused).toBe(false);
    expect(goldStanding([true, true, false], { threshold: 0.75, minItems: 3 }).paused).toBe(true);
  });

  it("never pauses at threshold 0, and pauses on any miss at threshold 1", () => {
    expect(goldStanding([false, false, false], { threshold: 0, minItems: 3 }).paused).toBe(false);
    expect(goldStanding([true, true, true, false], { threshold: 1, minItems: 3 }).paused).toBe(true);
    expect(goldStanding([true, true, true], { threshold: 1, minItems: 3 }).paused).toBe(false);
  });
});

describe("pausedReason", () => {
  it("names the reviewer's counts, their percentage and the threshold's", () => {
    expect(pausedReason({ answered: 5, correct: 2 }, 0.7)).toBe(
      "You are paused in this batch: you answered 2 of 5 check items as expected (40%), below the batch's 70%. An admin can look at your answers and resume you.",
    );
  });

  it("rounds the reviewer's share down and the threshold to the nearest, so a share below never reads as equal", () => {
    const twoOfThree = pausedReason({ answered: 3, correct: 2 }, 0.75);
    expect(twoOfThree).toContain("2 of 3");
    expect(twoOfThree).toContain("(66%)");
    expect(twoOfThree).toContain("below the batch's 75%");
    // 139 of 200 is 69.5%: rounded it would read "70%, below the batch's 70%".
    expect(pausedReason({ answered: 200, correct: 139 }, 0.7)).toContain("(69%), below the batch's 70%");
    const oneOfEight = pausedReason({ answered: 8, correct: 1 }, 0.333);
    expect(oneOfEight).toContain("(12%)");
    expect(oneOfEight).toContain("below the batch's 33%");
    // An exact share stays exact (0.7 × 100 is 70.00000000000001 in floating point, 0.29 × 100 is 28.999…).
    expect(pausedReason({ answered: 100, correct: 29 }, 0.3)).toContain("(29%)");
  });
});

describe("goldCorrect: a rating missing a response's overall score", () => {
  it("is incorrect against a best answer too", () => {
    expect(goldCorrect({ best: "a" }, { task: "rating", scores: { a: { overall: 3 }, b: { honesty: 5 } } }, { tolerance: 0, overallAspect: "overall" })).toBe(false);
    expect(goldCorrect({ best: "a" }, { task: "rating", scores: { a: { overall: 3 }, b: { overall: 1 } } }, { tolerance: 0, overallAspect: "overall" })).toBe(true);
  });
});

describe("goldAnswerResponses", () => {
  it("names best unless it is a tie, and every scored response, once each", () => {
    expect(goldAnswerResponses({ best: "a", scores: { a: 1, b: 2 } })).toEqual(["a", "b"]);
    expect(goldAnswerResponses({ best: "tie" })).toEqual([]);
  });
});
