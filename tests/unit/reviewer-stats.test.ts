import { describe, expect, it } from "vitest";
import { agreementWithMajority, median, rate } from "../../app/core/agreement/reviewers";

/** Votes from `unit: { rater: value }` tables. */
function votes(table: Record<string, Record<string, number>>) {
  return Object.entries(table).flatMap(([unit, row]) => Object.entries(row).map(([rater, value]) => ({ unit, rater, value })));
}

describe("agreementWithMajority", () => {
  const table = votes({
    u1: { r: 1, s: 1, t: 1, v: 2 }, // others 1,1,2 → majority 1: agrees
    u2: { r: 2, s: 1, t: 1 }, // others 1,1 → 1: disagrees
    u3: { r: 1, s: 1 }, // one other rating: skipped
    u4: { r: 3, s: 1, t: 2 }, // others 1,2: no unique mode, skipped
    u5: { s: 1, t: 1, v: 1 }, // r did not rate it
    u6: { r: 0, s: 0, t: 0, v: 1, w: 1 }, // others 0,0,1,1: tied, skipped (with r counted, 0 would win)
    u8: { r: 5, s: 5, t: 4, v: 4, w: 4 }, // others 5,4,4,4 → 4: disagrees
    u9: { r: 1, s: 1, t: 2, v: 2 }, // others 1,2,2 → 2: disagrees (with r counted it would be a tie)
  });

  it("is the share of agreements with the leave-one-out majority", () => {
    // Compared: u1 (agree), u2, u8, u9 (disagree) → 1/4.
    expect(agreementWithMajority(table, "r")).toBe(0.25);
  });

  it("computes each rater's own leave-one-out majority", () => {
    // s: u1 others 1,1,2 → 1 ✓; u2 others 2,1 tie; u4 others 3,2 tie; u5 others 1,1 ✓; u6 others 0,0,1,1 tie;
    // u8 others 5,4,4,4 → 4 ✗ (s gave 5); u9 others 1,2,2 → 2 ✗. → 2/4.
    expect(agreementWithMajority(table, "s")).toBe(0.5);
    // v: u1 others 1,1,1 → 1 ✗; u5 others 1,1 → 1 ✓; u6 others 0,0,0,1 → 0 ✗; u8 others 5,5,4,4 tie; u9 others 1,1,2 → 1 ✗ → 1/4.
    expect(agreementWithMajority(table, "v")).toBe(0.25);
  });

  it("uses each rater's last vote on a unit", () => {
    const withRepeats = [
      ...table,
      // r changes from 7 to 9; the others say 9, 9 → agrees: 2/5.
      { unit: "u10", rater: "r", value: 7 },
      { unit: "u10", rater: "s", value: 9 },
      { unit: "u10", rater: "t", value: 9 },
      { unit: "u10", rater: "r", value: 9 },
      // s changes from 2 to 1, so the others are 1, 2 (a tie) and u11 is skipped; counting both of
      // s's votes would make 2 the majority and r (1) disagree.
      { unit: "u11", rater: "r", value: 1 },
      { unit: "u11", rater: "s", value: 2 },
      { unit: "u11", rater: "t", value: 2 },
      { unit: "u11", rater: "s", value: 1 },
    ];
    expect(agreementWithMajority(withRepeats, "r")).toBe(0.4);
  });

  it("is null when no unit qualifies", () => {
    expect(agreementWithMajority([], "r")).toBeNull();
    expect(agreementWithMajority(table, "nobody")).toBeNull();
    expect(agreementWithMajority(votes({ u3: { r: 1, s: 1 }, u4: { r: 3, s: 1, t: 2 } }), "r")).toBeNull();
  });

  it("is 1 and 0 at the extremes", () => {
    expect(agreementWithMajority(votes({ a: { r: 2, s: 2, t: 2 }, b: { r: 0, s: 0, t: 1, v: 0 } }), "r")).toBe(1);
    expect(agreementWithMajority(votes({ a: { r: 1, s: 2, t: 2 } }), "r")).toBe(0);
  });
});

describe("median", () => {
  it("is the middle value, or the mean of the two middle values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(median([12.5, 30, 8, 41])).toBe(21.25); // 8, 12.5 | 30, 41 → (12.5 + 30)/2
    expect(median([100, -1, 7, -1])).toBe(3); // −1, −1 | 7, 100 → (−1 + 7)/2
    expect(median([2, 2, 2, 9])).toBe(2);
  });

  it("sorts numerically, not as strings, and leaves the input alone", () => {
    const values = [10, 9, 100, 1];
    expect(median(values)).toBe(9.5); // 1, 9 | 10, 100
    expect(values).toEqual([10, 9, 100, 1]);
  });

  it("handles huge and infinite values without NaN", () => {
    expect(median([1e308, 1.7e308])).toBe(1.35e308); // the sum would overflow
    expect(median([Infinity, Infinity])).toBe(Infinity);
    expect(median([-Infinity, 1, 2, Infinity])).toBe(1.5);
    expect(median([-Infinity, Infinity])).toBeNull();
  });

  it("is null for no values or a NaN", () => {
    expect(median([])).toBeNull();
    expect(median([1, Number.NaN, 3])).toBeNull();
  });
});

describe("rate", () => {
  it("is count / total", () => {
    expect(rate(3, 12)).toBe(0.25);
    expect(rate(0, 5)).toBe(0);
    expect(rate(5, 5)).toBe(1);
    expect(rate(1, 3)).toBeCloseTo(1 / 3, 15);
  });

  it("is null when total is 0", () => {
    expect(rate(0, 0)).toBeNull();
  });

  it("rejects impossible counts", () => {
    expect(() => rate(-1, 5)).toThrow(RangeError);
    expect(() => rate(6, 5)).toThrow(RangeError);
    expect(() => rate(Number.NaN, 5)).toThrow(RangeError);
    expect(() => rate(1, Infinity)).toThrow(RangeError);
  });
});
