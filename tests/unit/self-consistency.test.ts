import { describe, expect, it } from "vitest";
import { repeatsOwed, selfAgreement, selfAgrees, swappedOrder } from "../../app/core/quality/self-consistency";
import type { JudgmentPayload } from "../../app/core/tasks/judgment";

const pair = (preferred: string, strength: 0 | 1 | 2 | 3 = 1): JudgmentPayload => ({ task: "pairwise", preferred, strength, bothBad: false });
const rank = (...tiers: string[][]): JudgmentPayload => ({ task: "ranking", tiers });
const rate = (overall: Record<string, number>): JudgmentPayload => ({
  task: "rating",
  scores: Object.fromEntries(Object.entries(overall).map(([id, v]) => [id, { overall: v, honesty: 5 - v }])),
});
const options = { overallAspect: "overall" };

describe("repeatsOwed", () => {
  it("is floor(share × submitted) less the repeats given, never below 0", () => {
    expect(repeatsOwed(0.5, 0, 0)).toBe(0);
    expect(repeatsOwed(0.5, 1, 0)).toBe(0); // ⌊0.5⌋ = 0
    expect(repeatsOwed(0.5, 2, 0)).toBe(1);
    expect(repeatsOwed(0.5, 5, 1)).toBe(1); // ⌊2.5⌋ − 1
    expect(repeatsOwed(0.5, 6, 3)).toBe(0);
    expect(repeatsOwed(0.5, 4, 5)).toBe(0); // more given than owed: 0, not −3
    expect(repeatsOwed(0.1, 9, 0)).toBe(0);
    expect(repeatsOwed(0.1, 10, 0)).toBe(1);
  });

  it("floors the product it means, not its floating-point neighbour", () => {
    // 0.29 × 100 is 28.999999999999996 in floating point.
    expect(repeatsOwed(0.29, 100, 0)).toBe(29);
    expect(repeatsOwed(0.3, 10, 2)).toBe(1);
  });

  it("is 0 with the feature off", () => {
    expect(repeatsOwed(0, 100, 0)).toBe(0);
    expect(repeatsOwed(Number.NaN, 100, 0)).toBe(0);
  });
});

describe("swappedOrder", () => {
  it("reverses the display order into a new array", () => {
    const order = [1, 0];
    expect(swappedOrder(order)).toEqual([0, 1]);
    expect(order).toEqual([1, 0]);
    expect(swappedOrder([2, 0, 1])).toEqual([1, 0, 2]);
    expect(swappedOrder([0])).toEqual([0]);
    expect(swappedOrder([])).toEqual([]);
  });
});

describe("selfAgrees", () => {
  it("pairwise: the same preferred response, or two ties; strength does not matter", () => {
    expect(selfAgrees(pair("a", 3), pair("a", 1), options)).toBe(true);
    expect(selfAgrees(pair("a"), pair("b"), options)).toBe(false);
    expect(selfAgrees(pair("tie", 0), pair("tie", 0), options)).toBe(true);
    expect(selfAgrees(pair("a"), pair("tie", 0), options)).toBe(false);
  });

  it("ranking: the same top tier, in any order; the lower tiers do not matter", () => {
    expect(selfAgrees(rank(["a"], ["b"], ["c"]), rank(["a"], ["c", "b"]), options)).toBe(true);
    expect(selfAgrees(rank(["a", "b"], ["c"]), rank(["b", "a"], ["c"]), options)).toBe(true);
    expect(selfAgrees(rank(["a"], ["b", "c"]), rank(["a", "b"], ["c"]), options)).toBe(false);
    expect(selfAgrees(rank(["a"], ["b"]), rank(["b"], ["a"]), options)).toBe(false);
  });

  it("rating: the same best response on the overall aspect, or both all equal", () => {
    expect(selfAgrees(rate({ a: 5, b: 3 }), rate({ a: 4, b: 2 }), options)).toBe(true);
    expect(selfAgrees(rate({ a: 5, b: 3 }), rate({ a: 3, b: 4 }), options)).toBe(false);
    expect(selfAgrees(rate({ a: 3, b: 3 }), rate({ a: 2, b: 2 }), options)).toBe(true);
    expect(selfAgrees(rate({ a: 3, b: 3 }), rate({ a: 4, b: 2 }), options)).toBe(false);
    // Only the overall aspect counts: honesty (5 − overall) would say the opposite.
    expect(selfAgrees(rate({ a: 1, b: 2 }), rate({ a: 2, b: 4 }), { overallAspect: "honesty" })).toBe(true);
  });

  it("rating: scores within the tolerance of the highest count as highest", () => {
    // Tolerance 1: first {a (5), b (4)}, repeat {a (4), b (4)}: the same top set.
    expect(selfAgrees(rate({ a: 5, b: 4, c: 1 }), rate({ a: 4, b: 4, c: 2 }), { overallAspect: "overall", tolerance: 1 })).toBe(true);
    expect(selfAgrees(rate({ a: 5, b: 4, c: 1 }), rate({ a: 4, b: 4, c: 2 }), options)).toBe(false);
  });

  it("judgments of different tasks do not agree", () => {
    expect(selfAgrees(pair("a"), rank(["a"], ["b"]), options)).toBe(false);
  });
});

describe("selfAgreement", () => {
  it("counts the agreements over the repeats", () => {
    expect(selfAgreement([true, true, false, true])).toEqual({ agreed: 3, repeated: 4, rate: 0.75 });
    expect(selfAgreement([false, false])).toEqual({ agreed: 0, repeated: 2, rate: 0 });
    expect(selfAgreement([true])).toEqual({ agreed: 1, repeated: 1, rate: 1 });
  });

  it("has no rate without repeats", () => {
    expect(selfAgreement([])).toEqual({ agreed: 0, repeated: 0, rate: null });
  });
});
