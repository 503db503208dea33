import { describe, expect, it } from "vitest";
import { coincidenceMatrix, krippendorffAlpha, krippendorffAlphaResult, type Ratings } from "../../app/core/agreement";

const _ = null;
/**
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: "Nominal data,
 * any number of observers, missing data". Published as observers (rows) × units (columns);
 * transposed here to units × raters.
 */
const OBSERVERS = {
  A: [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  B: [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  C: [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  D: [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
};
const PAPER: Ratings = OBSERVERS.A.map((_value, unit) => [OBSERVERS.A[unit]!, OBSERVERS.B[unit]!, OBSERVERS.C[unit]!, OBSERVERS.D[unit]!]);

describe("krippendorffAlpha: Krippendorff (2011) section C example", () => {
  it.each([
    ["nominal", 0.743],
    ["ordinal", 0.815],
    ["interval", 0.849],
    ["ratio", 0.797],
  ] as const)("%s alpha = %f", (metric, published) => {
    const alpha = krippendorffAlpha(PAPER, metric);
    expect(alpha).not.toBeNull();
    expect(Number(alpha!.toFixed(3))).toBe(published);
  });

  it("builds the coincidence matrix from the 11 pairable units (unit 12 has one value)", () => {
    const m = coincidenceMatrix(PAPER);
    expect(m.values).toEqual([1, 2, 3, 4, 5]);
    // Pairable values: 3 + 4 × 8 + 3 + 2 = 40; the lone value of unit 12 is left out.
    expect(m.total).toBeCloseTo(40, 12);
    // Margins n_c: how often each value occurs among the pairable values.
    expect(m.marginals.map((n) => Number(n.toFixed(9)))).toEqual([9, 13, 10, 5, 3]);
    for (let c = 0; c < 5; c++) for (let k = 0; k < 5; k++) expect(m.coincidences[c]![k]).toBeCloseTo(m.coincidences[k]![c]!, 12);
    // Unit 6 (values 1, 2, 3, 4, each once, m_u = 4) adds 1/3 to each off-diagonal cell it touches:
    // o_14 comes only from it.
    expect(m.coincidences[0]![3]).toBeCloseTo(1 / 3, 12);
  });

  it("does not depend on the order of raters within a unit or of the units", () => {
    const shuffled = [...PAPER].reverse().map((row) => [...row].reverse());
    for (const metric of ["nominal", "ordinal", "interval", "ratio"] as const) {
      expect(krippendorffAlpha(shuffled, metric)).toBeCloseTo(krippendorffAlpha(PAPER, metric)!, 12);
    }
  });
});

describe("krippendorffAlpha: definitions", () => {
  it("is 1 for perfect agreement with variation across units", () => {
    expect(krippendorffAlpha([[1, 1, 1], [2, 2, _], [3, 3, 3]], "nominal")).toBe(1);
    expect(krippendorffAlpha([[1, 1, 1], [2, 2, _], [3, 3, 3]], "interval")).toBe(1);
  });

  it("nominal: hand-computed two-value case", () => {
    // o_11 = 2, o_22 = 2, o_12 = o_21 = 1; n_1 = n_2 = 3, n = 6.
    // α = 1 − (n − 1) Σ o δ / Σ n_c n_k δ = 1 − 5 · 2 / 18 = 4/9.
    expect(krippendorffAlpha([[1, 1], [2, 2], [1, 2]], "nominal")).toBeCloseTo(4 / 9, 12);
  });

  it("ordinal uses the value frequencies, not the numbers: a monotone recoding keeps it", () => {
    const recoded = PAPER.map((row) => row.map((v) => (v === null ? null : [0, 10, 11, 40, 41, 1000][v]!)));
    expect(krippendorffAlpha(recoded, "ordinal")).toBeCloseTo(krippendorffAlpha(PAPER, "ordinal")!, 12);
    // The interval metric does depend on the numbers.
    expect(krippendorffAlpha(recoded, "interval")).not.toBeCloseTo(krippendorffAlpha(PAPER, "interval")!, 3);
  });

  it("interval alpha is invariant under an affine recoding; ratio under scaling", () => {
    const affine = PAPER.map((row) => row.map((v) => (v === null ? null : 3 * v - 7)));
    expect(krippendorffAlpha(affine, "interval")).toBeCloseTo(krippendorffAlpha(PAPER, "interval")!, 12);
    const scaled = PAPER.map((row) => row.map((v) => (v === null ? null : 2.5 * v)));
    expect(krippendorffAlpha(scaled, "ratio")).toBeCloseTo(krippendorffAlpha(PAPER, "ratio")!, 12);
  });

  it("can be negative for systematic disagreement", () => {
    expect(krippendorffAlpha([[1, 2], [2, 1], [1, 2], [2, 1]], "nominal")!).toBeLessThan(0);
  });

  it("handles signed direction values (−1/0/1) with the interval metric", () => {
    const value = krippendorffAlpha([[1, 1, 0], [-1, -1, -1], [0, 1, 1], [1, -1, _]], "interval");
    expect(value).not.toBeNull();
    expect(Number.isFinite(value!)).toBe(true);
  });
});

describe("krippendorffAlpha: undefined cases", () => {
  it("is null for empty input", () => {
    expect(krippendorffAlpha([], "nominal")).toBeNull();
    expect(krippendorffAlpha([[], [_, _]], "interval")).toBeNull();
  });

  it("is null with a single rater per item: nothing is pairable", () => {
    const single = [[1, _, _], [_, 2, _], [_, _, 3]];
    for (const metric of ["nominal", "ordinal", "interval", "ratio"] as const) expect(krippendorffAlpha(single, metric)).toBeNull();
    expect(krippendorffAlphaResult(single, "nominal").reason).toMatch(/pairable/);
  });

  it("is null when there is no variation (expected disagreement 0), even with full agreement", () => {
    const constant = [[2, 2, 2], [2, 2, _], [2, _, 2]];
    for (const metric of ["nominal", "ordinal", "interval", "ratio"] as const) expect(krippendorffAlpha(constant, metric)).toBeNull();
    expect(krippendorffAlphaResult(constant, "interval").reason).toMatch(/no variation/);
  });

  it("all ties (every rating 0) is no variation", () => {
    expect(krippendorffAlpha([[0, 0], [0, 0, 0]], "nominal")).toBeNull();
  });

  it("ignores the lone value of a unit: variation only there does not count", () => {
    // The 9 sits in a unit with one value; every pairable value is 1.
    expect(krippendorffAlpha([[1, 1], [9, _], [1, 1]], "nominal")).toBeNull();
  });

  it("ratio metric needs non-negative values; non-finite values are rejected", () => {
    expect(krippendorffAlphaResult([[-1, 1], [1, 1]], "ratio")).toEqual({ value: null, reason: expect.stringMatching(/non-negative/) });
    expect(krippendorffAlpha([[Number.NaN, 1], [1, 2]], "nominal")).toBeNull();
  });

  it("ratio metric accepts 0 next to positive values", () => {
    const value = krippendorffAlpha([[0, 0], [2, 2], [0, 2]], "ratio");
    // δ²(0, 2) = 1, so this is the nominal case: 4/9.
    expect(value).toBeCloseTo(4 / 9, 12);
  });
});
