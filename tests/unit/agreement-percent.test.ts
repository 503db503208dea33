import { describe, expect, it } from "vitest";
import { percentAgreement, percentAgreementResult } from "../../app/core/agreement";

describe("percentAgreement", () => {
  it("pools all rater pairs across units (with ties: a tie is a category)", () => {
    // Unit 1: (1,0) (1,1) (0,1) → 1 of 3 agree; unit 2: (0,0) → 1 of 1. Pooled: 2 / 4.
    expect(percentAgreement([[1, 0, 1], [0, 0]], { ties: "with" })).toBe(0.5);
  });

  it("without ties drops every pair where either rating is a tie", () => {
    // Unit 1 keeps only (1,1); unit 2 keeps nothing → 1 / 1.
    expect(percentAgreement([[1, 0, 1], [0, 0]], { ties: "without" })).toBe(1);
    // (1,1) agree, (1,−1) twice disagree; the tie in unit 2 is dropped with its pairs.
    expect(percentAgreement([[1, 1, -1], [0, 1]], { ties: "without" })).toBeCloseTo(1 / 3, 12);
    expect(percentAgreement([[1, 1, -1], [0, 1]], { ties: "with" })).toBeCloseTo(1 / 4, 12);
  });

  it("weighs a unit by its number of pairs, not one unit one vote", () => {
    // Unit 1: 4 raters all agree → 6 of 6 pairs; unit 2: 2 raters disagree → 0 of 1. 6 / 7.
    expect(percentAgreement([[1, 1, 1, 1], [1, -1]], { ties: "with" })).toBeCloseTo(6 / 7, 12);
  });

  it("two judges: share of units on which they agree", () => {
    const units = [[1, 1], [-1, -1], [0, 1], [1, -1], [0, 0]];
    expect(percentAgreement(units, { ties: "with" })).toBeCloseTo(3 / 5, 12);
    expect(percentAgreement(units, { ties: "without" })).toBeCloseTo(2 / 3, 12);
  });

  it("is 1 for full agreement and 0 for full disagreement", () => {
    expect(percentAgreement([[1, 1], [-1, -1, -1]], { ties: "with" })).toBe(1);
    expect(percentAgreement([[1, -1], [-1, 1]], { ties: "without" })).toBe(0);
  });

  it("is null when there is no pair: empty input, one rating per unit", () => {
    expect(percentAgreement([], { ties: "with" })).toBeNull();
    expect(percentAgreement([[1], [-1], []], { ties: "with" })).toBeNull();
    expect(percentAgreementResult([[1]], { ties: "with" }).reason).toMatch(/two ratings/);
  });

  it("without ties is null when all votes are ties, with ties it is 1", () => {
    const allTies = [[0, 0], [0, 0, 0]];
    expect(percentAgreement(allTies, { ties: "with" })).toBe(1);
    expect(percentAgreement(allTies, { ties: "without" })).toBeNull();
    expect(percentAgreementResult(allTies, { ties: "without" }).reason).toMatch(/non-tie/);
  });
});
