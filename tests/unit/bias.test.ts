import { describe, expect, it } from "vitest";
import { binomialTwoSidedP, firstShownTopBias, lengthBias, positionBias } from "../../app/core/ranking/bias";

/** |actual − expected| ≤ rel·|expected|. */
function expectRelative(actual: number | null, expected: number, rel: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

function binomial(n: number, k: number): bigint {
  let c = 1n;
  for (let i = 0; i < k; i++) c = (c * BigInt(n - i)) / BigInt(i + 1);
  return c;
}

/**
 * Exact reference in rational arithmetic for p = num/den: the weights a_i = C(n,i)·num^i·(den−num)^(n−i)
 * are den^n·P(X = i), and an outcome counts when a_i ≤ a_k·(1 + 10⁻⁷), i.e. 10⁷·a_i ≤ (10⁷ + 1)·a_k.
 */
function exactTwoSided(k: number, n: number, num: number, den: number): number {
  const weights = Array.from({ length: n + 1 }, (_, i) => binomial(n, i) * BigInt(num) ** BigInt(i) * BigInt(den - num) ** BigInt(n - i));
  if (k * den === n * num) return 1;
  const ak = weights[k]!;
  let sum = 0n;
  for (const a of weights) if (10_000_000n * a <= 10_000_001n * ak) sum += a;
  const total = BigInt(den) ** BigInt(n);
  return Math.min(1, Number(sum) / Number(total));
}

describe("binomialTwoSidedP", () => {
  it("matches the published scipy.stats.binomtest values", () => {
    // 7 of 10: P(X ≤ 3) + P(X ≥ 7) = 2·(1 + 10 + 45 + 120)/1024 = 352/1024.
    expect(binomialTwoSidedP(7, 10)).toBeCloseTo(0.34375, 14);
    expect(binomialTwoSidedP(3, 10)).toBeCloseTo(0.34375, 14);
    // binomtest(60, 100).pvalue = 0.05688793364098… (0.056887 truncated, 0.056888 rounded to 6 d.p.).
    expect(binomialTwoSidedP(60, 100)).toBeCloseTo(0.0568879336409808, 13);
    expect(binomialTwoSidedP(50, 100)).toBe(1);
  });

  it("is null with no trials", () => {
    expect(binomialTwoSidedP(0, 0)).toBeNull();
    expect(binomialTwoSidedP(0, 0, 0.3)).toBeNull();
  });

  it("gives the hand-computed extremes for p = 0.5", () => {
    expect(binomialTwoSidedP(0, 10)).toBeCloseTo(2 / 1024, 15);
    expect(binomialTwoSidedP(10, 10)).toBeCloseTo(2 / 1024, 15);
    expect(binomialTwoSidedP(0, 1)).toBe(1); // both outcomes are equally likely
    expect(binomialTwoSidedP(1, 1)).toBe(1);
    // 5 of 12: the outcomes with P ≤ P(5) = 792/4096 are all but 6 (924/4096): 1 − 924/4096.
    expect(binomialTwoSidedP(5, 12)).toBeCloseTo(1 - 924 / 4096, 14);
    // 1 of 3: P(1) = P(2) = 3/8 are the most likely, so every outcome counts.
    expect(binomialTwoSidedP(1, 3)).toBe(1);
  });

  it("uses the minimum-likelihood definition, not twice the smaller tail, when p ≠ 0.5", () => {
    // scipy.stats.binomtest(2, 20, 0.3).pvalue and the exact rational value agree: 0.0526279487297271…
    expect(binomialTwoSidedP(2, 20, 0.3)).toBeCloseTo(0.05262794872972712, 14);
    // Twice the lower tail would be 2·P(X ≤ 2) = 0.0709.
    expect(binomialTwoSidedP(2, 20, 0.3)).not.toBeCloseTo(0.0709, 3);
    expect(binomialTwoSidedP(9, 20, 0.3)).toBeCloseTo(0.1488145951754471, 14);
    expect(binomialTwoSidedP(6, 20, 0.3)).toBe(1); // k = np
    expect(binomialTwoSidedP(17, 40, 0.25)).toBeCloseTo(0.016257041539237238, 14);
    expect(binomialTwoSidedP(1, 30, 0.1)).toBeCloseTo(0.35918989822649855, 14);
    expect(binomialTwoSidedP(130, 1000, 0.1)).toBeCloseTo(0.0022017261448611784, 15);
  });

  it("agrees with exact rational arithmetic for every outcome of n = 60 (p = 0.5 and p = 0.3)", () => {
    for (const [num, den] of [
      [1, 2],
      [3, 10],
    ] as const) {
      for (let k = 0; k <= 60; k++) {
        expectRelative(binomialTwoSidedP(k, 60, num / den), exactTwoSided(k, 60, num, den), 1e-12);
      }
    }
  });

  it("is symmetric in k ↔ n − k when p = 0.5", () => {
    for (const k of [0, 3, 17, 49, 51]) expect(binomialTwoSidedP(k, 100)).toBe(binomialTwoSidedP(100 - k, 100));
  });

  it("is accurate and fast for a million trials", () => {
    const started = performance.now();
    // scipy.stats.binomtest(k, 1_000_000).pvalue
    expectRelative(binomialTwoSidedP(500_900, 1_000_000), 0.07201862767647761, 1e-10);
    expectRelative(binomialTwoSidedP(501_000, 1_000_000), 0.0456082998653896, 1e-10);
    expectRelative(binomialTwoSidedP(502_500, 1_000_000), 5.762541637743035e-7, 1e-10);
    expectRelative(binomialTwoSidedP(497_500, 1_000_000), 5.762541637743035e-7, 1e-10);
    expectRelative(binomialTwoSidedP(130, 1_000_000, 0.0001), 0.0036892284336664336, 1e-10);
    expect(binomialTwoSidedP(100, 1_000_000, 0.0001)).toBe(1);
    // Every outcome but the mode 500 000 counts: 1 − P(X = 500 000) = 1 − 0.000797884… (scipy: 0.99920211563866…).
    expect(binomialTwoSidedP(500_001, 1_000_000)).toBeCloseTo(0.999202115638668, 13);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("underflows to 0, never NaN, for astronomically small p-values", () => {
    expect(binomialTwoSidedP(0, 1_000_000)).toBe(0);
    expect(binomialTwoSidedP(1_000_000, 1_000_000)).toBe(0);
    // 2·2^-1000 ≈ 1.87e-301 is still representable.
    expectRelative(binomialTwoSidedP(0, 1000), 2 * 2 ** -1000, 1e-12);
  });

  it("handles the degenerate p = 0 and p = 1", () => {
    expect(binomialTwoSidedP(0, 5, 0)).toBe(1);
    expect(binomialTwoSidedP(1, 5, 0)).toBe(0);
    expect(binomialTwoSidedP(5, 5, 1)).toBe(1);
    expect(binomialTwoSidedP(4, 5, 1)).toBe(0);
  });

  it("rejects malformed input", () => {
    expect(() => binomialTwoSidedP(-1, 10)).toThrow(RangeError);
    expect(() => binomialTwoSidedP(1.5, 10)).toThrow(RangeError);
    expect(() => binomialTwoSidedP(11, 10)).toThrow(RangeError);
    expect(() => binomialTwoSidedP(1, 10, 1.2)).toThrow(RangeError);
    expect(() => binomialTwoSidedP(1, 10, Number.NaN)).toThrow(RangeError);
  });
});

describe("positionBias", () => {
  const judgments = (left: number, right: number, ties: number) => [
    ...Array.from({ length: left }, () => ({ leftPreferred: true })),
    ...Array.from({ length: right }, () => ({ leftPreferred: false })),
    ...Array.from({ length: ties }, () => ({ leftPreferred: null })),
  ];

  it("is the left share of non-tie judgments with the binomial p-value", () => {
    const result = positionBias(judgments(7, 3, 5));
    expect(result.n).toBe(10);
    expect(result.left_rate).toBeCloseTo(0.7, 15);
    expect(result.p_value).toBeCloseTo(0.34375, 14);
  });

  it("detects a strong left bias", () => {
    const result = positionBias(judgments(60, 40, 0));
    expect(result).toEqual({ left_rate: 0.6, p_value: expect.closeTo(0.0568879336409808, 13), n: 100 });
    expect(positionBias(judgments(10, 0, 2))).toEqual({ left_rate: 1, p_value: expect.closeTo(2 / 1024, 15), n: 10 });
  });

  it("is balanced with p = 1 when left and right are equal", () => {
    expect(positionBias(judgments(4, 4, 1))).toEqual({ left_rate: 0.5, p_value: 1, n: 8 });
  });

  it("is undefined with no non-tie judgment", () => {
    expect(positionBias([])).toEqual({ left_rate: null, p_value: null, n: 0 });
    expect(positionBias(judgments(0, 0, 3))).toEqual({ left_rate: null, p_value: null, n: 0 });
  });
});

describe("lengthBias", () => {
  it("is the share choosing the longer response among pairs of different length", () => {
    const result = lengthBias([
      { chosenLength: 120, rejectedLength: 80 },
      { chosenLength: 300, rejectedLength: 299 },
      { chosenLength: 50, rejectedLength: 90 },
      { chosenLength: 70, rejectedLength: 70 }, // equal: excluded
      { chosenLength: 10, rejectedLength: 0 },
    ]);
    expect(result).toEqual({ longer_rate: 0.75, n: 4 });
  });

  it("is 0 when the shorter is always chosen", () => {
    expect(lengthBias([{ chosenLength: 1, rejectedLength: 2 }])).toEqual({ longer_rate: 0, n: 1 });
  });

  it("is undefined without pairs of different length", () => {
    expect(lengthBias([])).toEqual({ longer_rate: null, n: 0 });
    expect(lengthBias([{ chosenLength: 5, rejectedLength: 5 }])).toEqual({ longer_rate: null, n: 0 });
    expect(lengthBias([{ chosenLength: Number.NaN, rejectedLength: 5 }])).toEqual({ longer_rate: null, n: 0 });
  });
});

describe("firstShownTopBias", () => {
  const judged = (count: number, responses: number, topSize: number, firstInTop: boolean) => Array.from({ length: count }, () => ({ responses, topSize, firstInTop }));

  it("tests the first-shown response's top-tier rate against t/K (scipy binomtest values)", () => {
    // 30 rankings of 4 responses with one best: chance 1/4. 15 first-shown best is far above it.
    const above = firstShownTopBias([...judged(15, 4, 1, true), ...judged(15, 4, 1, false)]);
    expect(above).toEqual({ rate: 0.5, chance_rate: 0.25, p_value: expect.closeTo(0.004713937156010549, 12), n: 30 });
    // binomtest(3, 30, 0.25).pvalue = 0.0590429666…: below chance, not significant at 5%.
    expect(firstShownTopBias([...judged(3, 4, 1, true), ...judged(27, 4, 1, false)]).p_value).toBeCloseTo(0.05904296660365635, 12);
    // Exactly at chance: p = 1.
    expect(firstShownTopBias([...judged(1, 4, 1, true), ...judged(3, 4, 1, false)]).p_value).toBe(1);
  });

  it("takes the mean chance rate when top tiers differ in size, and leaves out all-tied rankings", () => {
    // 10 with one best of 4 (1/4) and 10 with two best of 4 (1/2): p̄ = 0.375; binomtest(12, 20, 0.375) = 0.0614049…
    const mixed = firstShownTopBias([...judged(6, 4, 1, true), ...judged(4, 4, 1, false), ...judged(6, 4, 2, true), ...judged(4, 4, 2, false), ...judged(5, 4, 4, true)]);
    expect(mixed.n).toBe(20);
    expect(mixed.rate).toBe(0.6);
    expect(mixed.chance_rate).toBeCloseTo(0.375, 15);
    expect(mixed.p_value).toBeCloseTo(0.06140491005971967, 12);
  });

  it("is undefined without a ranking that separates its responses, and rejects impossible sizes", () => {
    expect(firstShownTopBias([])).toEqual({ rate: null, chance_rate: null, p_value: null, n: 0 });
    expect(firstShownTopBias(judged(3, 3, 3, true))).toEqual({ rate: null, chance_rate: null, p_value: null, n: 0 });
    expect(() => firstShownTopBias(judged(1, 3, 0, false))).toThrow(RangeError);
    expect(() => firstShownTopBias(judged(1, 3, 4, false))).toThrow(RangeError);
    expect(() => firstShownTopBias(judged(1, 1, 1, true))).toThrow(RangeError);
  });
});
