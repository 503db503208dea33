import { describe, expect, it } from "vitest";
import { binomialSample, multinomialSample, seededRandom } from "../../app/core/agreement/sampling";

/** The Binomial(n, p) probability mass function, from log-gamma-free products (n small). */
function binomialPmf(n: number, p: number): number[] {
  const pmf: number[] = [];
  let choose = 1;
  for (let k = 0; k <= n; k++) {
    pmf.push(choose * p ** k * (1 - p) ** (n - k));
    choose = (choose * (n - k)) / (k + 1);
  }
  return pmf;
}

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: number[], probabilities: number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((sum, o, k) => {
    const e = total * probabilities[k]!;
    return e === 0 ? sum : sum + (o - e) ** 2 / e;
  }, 0);
}

/** Mean and (unbiased) variance of `draws` Binomial(n, p) variates from one seeded stream. */
function moments(n: number, p: number, draws: number, seed: number): { mean: number; variance: number } {
  const random = seededRandom(seed);
  const xs = Array.from({ length: draws }, () => binomialSample(n, p, random));
  const mean = xs.reduce((a, b) => a + b, 0) / draws;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (draws - 1);
  return { mean, variance };
}

// Upper 0.1% points of the chi-square distribution (scipy.stats.chi2.ppf(0.999, df)).
const CHI2_999 = { 5: 20.515, 10: 29.588, 20: 45.315 } as const;

describe("binomialSample", () => {
  it("has the Binomial(n, p) distribution for small n (inversion), on both sides of p = 1/2", () => {
    for (const [n, p, df] of [[10, 0.3, 10], [10, 0.8, 10], [5, 0.5, 5], [20, 0.05, 20]] as const) {
      const random = seededRandom(n * 100 + p * 10);
      const observed = new Array<number>(n + 1).fill(0);
      for (let i = 0; i < 50_000; i++) observed[binomialSample(n, p, random)]! += 1;
      expect(chiSquare(observed, binomialPmf(n, p))).toBeLessThan(CHI2_999[df]);
    }
  });

  it("has the Binomial(n, p) distribution just above the inversion limit (one split)", () => {
    // n = 100: the first split draws a Beta(51, 50) order statistic, then inverts.
    const n = 100;
    const p = 0.42;
    const pmf = binomialPmf(n, p);
    const random = seededRandom(7);
    const observed = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < 50_000; i++) observed[binomialSample(n, p, random)]! += 1;
    // Pool the tails below 30 and above 55 (tiny expected counts) into the end bins.
    const lo = 30;
    const hi = 55;
    const pool = (xs: number[]) => [xs.slice(0, lo + 1).reduce((a, b) => a + b, 0), ...xs.slice(lo + 1, hi), xs.slice(hi).reduce((a, b) => a + b, 0)];
    // 26 bins, 25 degrees of freedom: the 0.1% point is 52.62.
    expect(chiSquare(pool(observed), pool(pmf))).toBeLessThan(52.62);
  });

  it("has mean n·p and variance n·p·(1 − p) for large n (order-statistic splitting)", () => {
    for (const [n, p] of [[100_000, 0.37], [1_000_000, 1e-5], [65, 0.5], [300_000, 0.999]] as const) {
      const draws = 4000;
      const { mean, variance } = moments(n, p, draws, n % 97);
      const sd = Math.sqrt(n * p * (1 - p));
      // The sample mean is within 4.5 standard errors; the variance within 10%.
      expect(Math.abs(mean - n * p)).toBeLessThan((4.5 * sd) / Math.sqrt(draws));
      expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.9);
      expect(variance / (n * p * (1 - p))).toBeLessThan(1.1);
    }
  });

  it("gives 0 or n at the ends and integers in 0..n in between", () => {
    const random = seededRandom(3);
    expect(binomialSample(0, 0.5, random)).toBe(0);
    expect(binomialSample(50, 0, random)).toBe(0);
    expect(binomialSample(50, -1, random)).toBe(0);
    expect(binomialSample(50, 1, random)).toBe(50);
    expect(binomialSample(500_000, 2, random)).toBe(500_000);
    for (let i = 0; i < 200; i++) {
      const k = binomialSample(1000, 0.999, random);
      expect(Number.isInteger(k) && k >= 0 && k <= 1000).toBe(true);
    }
  });

  it("is reproducible for a seed", () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => binomialSample(10_000, 0.3, random));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it("rejects a trial count that is not a non-negative integer, and a NaN probability", () => {
    const random = seededRandom(1);
    expect(() => binomialSample(-1, 0.5, random)).toThrow(RangeError);
    expect(() => binomialSample(2.5, 0.5, random)).toThrow(RangeError);
    expect(() => binomialSample(10, Number.NaN, random)).toThrow(RangeError);
  });
});

describe("multinomialSample", () => {
  it("gives counts that sum to the draws, none in an empty group", () => {
    const random = seededRandom(11);
    const counts = new Int32Array(4);
    for (let i = 0; i < 500; i++) {
      multinomialSample(1000, [3, 0, 5, 2], random, counts);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(counts[1]).toBe(0);
    }
    expect(Array.from(multinomialSample(0, [1, 2], random, new Int32Array(2)))).toEqual([0, 0]);
    expect(Array.from(multinomialSample(7, [0, 4, 0], random, new Int32Array(3)))).toEqual([0, 7, 0]);
  });

  it("has the distribution of counting single draws: each count is Binomial(draws, size / members)", () => {
    // Groups of 5, 3 and 2 members, 10 draws: counts[0] ~ Bin(10, 0.5), counts[2] ~ Bin(10, 0.2).
    const random = seededRandom(12);
    const first = new Array<number>(11).fill(0);
    const last = new Array<number>(11).fill(0);
    const counts = new Int32Array(3);
    for (let i = 0; i < 50_000; i++) {
      multinomialSample(10, [5, 3, 2], random, counts);
      first[counts[0]!]! += 1;
      last[counts[2]!]! += 1;
    }
    expect(chiSquare(first, binomialPmf(10, 0.5))).toBeLessThan(CHI2_999[10]);
    expect(chiSquare(last, binomialPmf(10, 0.2))).toBeLessThan(CHI2_999[10]);
  });

  it("has the multinomial covariance −draws · pᵢ · pⱼ between two groups", () => {
    const random = seededRandom(13);
    const counts = new Int32Array(3);
    const reps = 20_000;
    const draws = 100_000;
    let sx = 0;
    let sy = 0;
    let sxy = 0;
    for (let i = 0; i < reps; i++) {
      multinomialSample(draws, [50, 30, 20], random, counts);
      sx += counts[0]!;
      sy += counts[1]!;
      sxy += counts[0]! * counts[1]!;
    }
    const covariance = sxy / reps - (sx / reps) * (sy / reps);
    const expected = -draws * 0.5 * 0.3;
    expect(covariance / expected).toBeGreaterThan(0.9);
    expect(covariance / expected).toBeLessThan(1.1);
  });

  it("rejects invalid sizes and draws from an empty population", () => {
    const random = seededRandom(1);
    expect(() => multinomialSample(3, [1, -1], random, new Int32Array(2))).toThrow(RangeError);
    expect(() => multinomialSample(3, [1, Number.NaN], random, new Int32Array(2))).toThrow(RangeError);
    expect(() => multinomialSample(3, [0, 0], random, new Int32Array(2))).toThrow(RangeError);
  });
});
