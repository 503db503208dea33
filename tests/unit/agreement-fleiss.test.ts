import { describe, expect, it } from "vitest";
import { fleissKappa, fleissKappaResult, fleissKappaUndefinedReason } from "../../app/core/agreement";

/** Fleiss (1971) / Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories. */
const WIKIPEDIA = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

describe("fleissKappa", () => {
  it("reproduces the worked example: P̄ = 0.378, P̄_e = 0.213, κ ≈ 0.210", () => {
    expect(fleissKappaUndefinedReason(WIKIPEDIA)).toBeNull();
    const kappa = fleissKappa(WIKIPEDIA)!;
    expect(Number(kappa.toFixed(3))).toBe(0.21);
    // The example's intermediate values: P̄ = Σ P_i / 10 = 0.378022, P̄_e = Σ p_j² = 0.212755.
    expect(kappa).toBeCloseTo((0.378021978 - 0.212755102) / (1 - 0.212755102), 8);
  });

  it("hand-computed: P_i = 1, 1, 0 → P̄ = 2/3, P̄_e = 1/2, κ = 1/3", () => {
    expect(fleissKappa([[2, 0], [0, 2], [1, 1]])).toBeCloseTo(1 / 3, 12);
  });

  it("is 1 for unanimous units with variation across units", () => {
    expect(fleissKappa([[3, 0, 0], [0, 3, 0], [0, 0, 3]])).toBe(1);
  });

  it("equals Scott's pi / Cohen-style kappa with pooled margins for two raters", () => {
    // Two raters, 4 units: agree, agree, disagree, agree. Pooled p = (5/8, 3/8), P̄ = 3/4.
    const pe = (5 / 8) ** 2 + (3 / 8) ** 2;
    expect(fleissKappa([[2, 0], [2, 0], [1, 1], [0, 2]])).toBeCloseTo((0.75 - pe) / (1 - pe), 12);
  });

  it("is null with a reason when units have different numbers of ratings", () => {
    const uneven = [[2, 1], [1, 1]];
    expect(fleissKappa(uneven)).toBeNull();
    expect(fleissKappaUndefinedReason(uneven)).toMatch(/different numbers of ratings/);
    expect(fleissKappaResult(uneven).reason).toBe(fleissKappaUndefinedReason(uneven));
  });

  it("is null for no variation (all ratings in one category, e.g. all ties)", () => {
    expect(fleissKappa([[0, 3, 0], [0, 3, 0]])).toBeNull();
    expect(fleissKappaUndefinedReason([[0, 3, 0], [0, 3, 0]])).toMatch(/one category/);
  });

  it("is null for empty input, a single rater per unit, and malformed counts", () => {
    expect(fleissKappaUndefinedReason([])).toMatch(/no units/);
    expect(fleissKappaUndefinedReason([[], []])).toMatch(/no categories/);
    expect(fleissKappaUndefinedReason([[1, 0], [0, 1]])).toMatch(/at least two ratings/);
    expect(fleissKappaUndefinedReason([[1, 1], [2]])).toMatch(/categories/);
    expect(fleissKappaUndefinedReason([[1.5, 0.5], [1, 1]])).toMatch(/non-negative integer/);
    expect(fleissKappaUndefinedReason([[3, -1], [1, 1]])).toMatch(/non-negative integer/);
    for (const counts of [[], [[1, 0], [0, 1]], [[3, -1], [1, 1]]]) expect(fleissKappa(counts)).toBeNull();
  });
});
