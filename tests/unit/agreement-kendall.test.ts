import { describe, expect, it } from "vitest";
import { averageRanks, kendallW, kendallWResult } from "../../app/core/agreement";

describe("averageRanks", () => {
  it("gives tied values the mean of the ranks they span", () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([3, 1, 3, 3])).toEqual([3, 1, 3, 3]);
    expect(averageRanks([])).toEqual([]);
  });

  it("leaves mid-ranks unchanged", () => {
    expect(averageRanks([1, 2.5, 2.5, 4])).toEqual([1, 2.5, 2.5, 4]);
  });
});

describe("kendallW: textbook examples", () => {
  it("no ties: Siegel (1956) §9, 3 executives ranking 6 applicants, W = 0.16", () => {
    // R_j = 8, 14, 11, 11, 11, 8; S = 25.5; W = 12 · 25.5 / (9 · 210) = 0.1619.
    const w = kendallW([
      [1, 6, 3, 2, 5, 4],
      [1, 5, 6, 4, 2, 3],
      [6, 3, 2, 5, 4, 1],
    ]);
    expect(w).toBeCloseTo(306 / 1890, 12);
    expect(Number(w!.toFixed(2))).toBe(0.16);
  });

  it("no ties: 4 raters × 8 strawberry farms (InfluentialPoints worked example), S = 500, W = 0.744", () => {
    const w = kendallW([
      [8, 4, 2, 3, 5, 1, 6, 7],
      [7, 3, 1, 4, 5, 2, 6, 8],
      [8, 2, 5, 6, 7, 1, 4, 3],
      [8, 3, 4, 2, 5, 1, 6, 7],
    ]);
    expect(w).toBeCloseTo(500 / 672, 12);
  });

  it("with ties: the `anxiety` data of R irr / DescTools, KendallW(anxiety, correct = TRUE) = 0.5396569", () => {
    // 20 subjects rated 1..6 by 3 raters; each rater's scores are ranked with mid-ranks.
    const anxiety = [
      [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
      [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
      [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
    ];
    expect(kendallW(anxiety)).toBeCloseTo(0.5396569, 7);
  });

  it("with ties: hand-computed, the correction raises W above the uncorrected value", () => {
    // Ranks: rater 1 [1, 2.5, 2.5, 4], rater 2 [1, 2, 3, 4]; R = 2, 4.5, 5.5, 8; R̄ = 5.
    // S = 9 + 0.25 + 0.25 + 9 = 18.5; ΣT = 2³ − 2 = 6.
    // W = 12 · 18.5 / (4 · 60 − 2 · 6) = 222 / 228; uncorrected 222 / 240.
    expect(kendallW([[1, 2, 2, 4], [1, 2, 3, 4]])).toBeCloseTo(222 / 228, 12);
  });

  it("accepts scores as well as ranks: only the order within a rater matters", () => {
    expect(kendallW([[10, 20, 20, 99], [0.1, 0.2, 0.3, 0.4]])).toBeCloseTo(222 / 228, 12);
  });

  it("is 1 for identical rankings and 0 for rank sums that are all equal", () => {
    expect(kendallW([[1, 2, 3], [1, 2, 3], [1, 2, 3]])).toBe(1);
    expect(kendallW([[1, 2, 3], [3, 2, 1]])).toBe(0);
  });
});

describe("kendallW: undefined cases", () => {
  it("is null for fewer than two objects", () => {
    expect(kendallW([[1], [1]])).toBeNull();
    expect(kendallW([[], []])).toBeNull();
    expect(kendallWResult([[1], [1]]).reason).toMatch(/two objects/);
  });

  it("is null when every rater ties all objects", () => {
    expect(kendallW([[2, 2, 2], [1, 1, 1]])).toBeNull();
    expect(kendallWResult([[0, 0], [0, 0]]).reason).toMatch(/tied all objects/);
  });

  it("is defined when only some raters tie everything", () => {
    // Rater 2 ties all: R = 1 + 2, 2 + 2, 3 + 2 → S = 2; ΣT = 24; W = 24 / (4 · 24 − 2 · 24) = 0.5.
    expect(kendallW([[1, 2, 3], [5, 5, 5]])).toBeCloseTo(0.5, 12);
  });

  it("is null for empty input, a single rater, rows of different lengths, non-finite values", () => {
    expect(kendallW([])).toBeNull();
    expect(kendallWResult([[1, 2, 3]]).reason).toMatch(/two raters/);
    expect(kendallWResult([[1, 2, 3], [1, 2]]).reason).toMatch(/ranked 2 objects/);
    expect(kendallW([[1, Number.NaN], [1, 2]])).toBeNull();
  });
});
