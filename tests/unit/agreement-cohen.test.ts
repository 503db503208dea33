import { describe, expect, it } from "vitest";
import { cohenKappa, cohenKappaResult } from "../../app/core/agreement";

/** Expands a contingency table (rows: rater a's category, columns: rater b's) to two rating arrays. */
function fromTable(table: number[][], categories: number[]): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  table.forEach((row, i) =>
    row.forEach((count, j) => {
      for (let t = 0; t < count; t++) {
        a.push(categories[i]!);
        b.push(categories[j]!);
      }
    }),
  );
  return [a, b];
}

const repeat = (value: number, times: number) => new Array<number>(times).fill(value);

describe("cohenKappa: published examples", () => {
  it("Wikipedia worked example: 50 proposals, yes/no, p_o = 0.7, p_e = 0.5, κ = 0.4", () => {
    // Both yes 20, A yes B no 5, A no B yes 10, both no 15 (yes = 1, no = 0).
    const [a, b] = fromTable(
      [
        [20, 5],
        [10, 15],
      ],
      [1, 0],
    );
    expect(a).toHaveLength(50);
    expect(cohenKappa(a, b, "unweighted", [0, 1])).toBeCloseTo(0.4, 12);
  });

  it("Artstein & Poesio (2008) Table 1 (as in scikit-learn's tests): κ = 0.348, symmetric", () => {
    const a = [...repeat(0, 40), ...repeat(1, 60)];
    const b = [...repeat(0, 20), ...repeat(1, 20), ...repeat(0, 10), ...repeat(1, 50)];
    expect(cohenKappa(a, b, "unweighted", [0, 1])).toBeCloseTo(0.348, 3);
    expect(cohenKappa(b, a, "unweighted", [0, 1])).toBe(cohenKappa(a, b, "unweighted", [0, 1]));
  });

  it("Artstein & Poesio (2008) Table 4, three categories: κ = 0.8013", () => {
    const a = [...repeat(0, 46), ...repeat(1, 44), ...repeat(2, 10)];
    const b = [...repeat(0, 52), ...repeat(1, 32), ...repeat(2, 16)];
    expect(cohenKappa(a, b, "unweighted", [0, 1, 2])).toBeCloseTo(0.8013, 4);
  });

  it("weighted example from scikit-learn's cohen_kappa_score tests: 0.9315 / 0.9412 / 0.9541", () => {
    const a = [...repeat(0, 46), ...repeat(1, 44), ...repeat(2, 10)];
    const b = [...repeat(0, 50), ...repeat(1, 40), ...repeat(2, 10)];
    expect(cohenKappa(a, b, "unweighted", [0, 1, 2])).toBeCloseTo(0.9315, 4);
    expect(cohenKappa(a, b, "linear", [0, 1, 2])).toBeCloseTo(0.9412, 4);
    expect(cohenKappa(a, b, "quadratic", [0, 1, 2])).toBeCloseTo(0.9541, 4);
  });
});

describe("cohenKappa: weights over the full ordered label set", () => {
  it("hand-computed 3×3 weighted example", () => {
    // Table (a rows, b columns), categories 1, 2, 3:
    //   [4 1 0]    row sums 5 3 2, column sums 5 3 2, N = 10
    //   [1 2 0]
    //   [0 0 2]
    // Unweighted: p_o = 0.8, p_e = (25 + 9 + 4)/100 = 0.38, κ = 0.42/0.62.
    // Linear (|i − j|): observed Σ w o = 1 + 1 = 2; expected Σ w r_i c_j / N: distance 1 cells
    //   5·3 + 3·5 + 3·2 + 2·3 = 42, distance 2 cells 5·2 + 2·5 = 20 → (42 + 2 · 20)/10 = 8.2;
    //   κ = 1 − 2/8.2. Quadratic: observed 2, expected (42 + 4 · 20)/10 = 12.2; κ = 1 − 2/12.2.
    const [a, b] = fromTable(
      [
        [4, 1, 0],
        [1, 2, 0],
        [0, 0, 2],
      ],
      [1, 2, 3],
    );
    expect(cohenKappa(a, b, "unweighted", [1, 2, 3])).toBeCloseTo(0.42 / 0.62, 12);
    expect(cohenKappa(a, b, "linear", [1, 2, 3])).toBeCloseTo(1 - 2 / 8.2, 12);
    expect(cohenKappa(a, b, "quadratic", [1, 2, 3])).toBeCloseTo(1 - 2 / 12.2, 12);
  });

  it("unused categories do not change unweighted kappa but do change weighted distances", () => {
    const a = [-3, -3, 2, 3, 3, 2];
    const b = [-3, 2, 2, 3, 2, 3];
    const full = [-3, -2, -1, 0, 1, 2, 3];
    const used = [-3, 2, 3];
    expect(cohenKappa(a, b, "unweighted", full)).toBeCloseTo(cohenKappa(a, b, "unweighted", used)!, 12);
    expect(cohenKappa(a, b, "linear", full)).not.toBeCloseTo(cohenKappa(a, b, "linear", used)!, 6);
    expect(cohenKappa(a, b, "quadratic", full)).not.toBeCloseTo(cohenKappa(a, b, "quadratic", used)!, 6);
  });

  it("the order of `categories` defines the distances", () => {
    const a = [1, 2, 3, 1, 2];
    const b = [1, 3, 3, 2, 2];
    expect(cohenKappa(a, b, "linear", [1, 2, 3])).not.toBeCloseTo(cohenKappa(a, b, "linear", [2, 1, 3])!, 6);
  });

  it("is 1 for perfect agreement and −1 for perfect 2-category disagreement with balanced margins", () => {
    expect(cohenKappa([1, 2, 3], [1, 2, 3], "quadratic", [1, 2, 3])).toBe(1);
    expect(cohenKappa([0, 1, 0, 1], [1, 0, 1, 0], "unweighted", [0, 1])).toBe(-1);
  });
});

describe("cohenKappa: undefined cases", () => {
  it("is null for no data", () => {
    expect(cohenKappa([], [], "unweighted", [0, 1])).toBeNull();
  });

  it("is null when expected disagreement is 0 (no variation, all ties)", () => {
    expect(cohenKappa([0, 0, 0], [0, 0, 0], "linear", [-1, 0, 1])).toBeNull();
    expect(cohenKappaResult([0, 0, 0], [0, 0, 0], "unweighted", [-1, 0, 1]).reason).toMatch(/expected disagreement/);
    expect(cohenKappa([1, 1], [1, 1], "quadratic", [1])).toBeNull();
  });

  it("is defined (and not 1) when only one rater varies", () => {
    expect(cohenKappa([1, 1, 1, 1], [1, 0, 1, 1], "unweighted", [0, 1])).toBe(0);
  });

  it("is null, with a reason, for mismatched lengths and unknown or duplicate labels", () => {
    expect(cohenKappaResult([1, 0], [1], "unweighted", [0, 1]).reason).toMatch(/different numbers/);
    expect(cohenKappaResult([1, 5], [1, 0], "unweighted", [0, 1]).reason).toMatch(/5 is not one of the categories/);
    expect(cohenKappa([1, 0], [1, 0], "unweighted", [0, 1, 1])).toBeNull();
  });
});
