import { describe, expect, it } from "vitest";
import {
  bootstrapInterval,
  bootstrapIntervalResult,
  krippendorffAlpha,
  percentAgreement,
  quantileSorted,
  seededRandom,
  type Ratings,
} from "../../app/core/agreement";

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("seededRandom", () => {
  it("is reproducible for a seed and differs between seeds", () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it("yields numbers in [0, 1), roughly uniform", () => {
    const random = seededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => random());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 1);
    const deciles = new Array<number>(10).fill(0);
    for (const x of xs) deciles[Math.floor(x * 10)]! += 1;
    for (const count of deciles) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });
});

describe("quantileSorted (Hyndman & Fan type 7)", () => {
  it("interpolates between order statistics like R's quantile() and NumPy's percentile()", () => {
    const xs = [1, 2, 3, 4];
    expect(quantileSorted(xs, 0)).toBe(1);
    expect(quantileSorted(xs, 1)).toBe(4);
    expect(quantileSorted(xs, 0.5)).toBe(2.5);
    expect(quantileSorted(xs, 0.025)).toBeCloseTo(1.075, 12);
    expect(quantileSorted([5], 0.3)).toBe(5);
  });
});

describe("bootstrapInterval", () => {
  const random = seededRandom(2024);
  const xs = Array.from({ length: 60 }, () => 10 + 4 * (random() - 0.5));
  const meanOf = (ix: ReadonlyArray<number>) => mean(ix.map((i) => xs[i]!));

  it("is reproducible for a given seed", () => {
    const a = bootstrapInterval(xs.length, meanOf, { seed: 11 });
    const b = bootstrapInterval(xs.length, meanOf, { seed: 11 });
    expect(a).toEqual(b);
    expect(bootstrapInterval(xs.length, meanOf, { seed: 12 })).not.toEqual(a);
    // The default seed is fixed too.
    expect(bootstrapInterval(xs.length, meanOf, {})).toEqual(bootstrapInterval(xs.length, meanOf, {}));
  });

  it("contains the point estimate and has about the normal-theory width for a mean", () => {
    const [lo, hi] = bootstrapInterval(xs.length, meanOf, { seed: 3, replicates: 2000 })!;
    const estimate = mean(xs);
    expect(lo).toBeLessThan(estimate);
    expect(hi).toBeGreaterThan(estimate);
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - estimate) ** 2, 0) / (xs.length - 1));
    const normalWidth = 2 * 1.96 * (sd / Math.sqrt(xs.length));
    expect(hi - lo).toBeGreaterThan(0.8 * normalWidth);
    expect(hi - lo).toBeLessThan(1.2 * normalWidth);
  });

  it("a higher level gives a wider interval (same seed, same replicates)", () => {
    const [lo90, hi90] = bootstrapInterval(xs.length, meanOf, { seed: 5, level: 0.9 })!;
    const [lo99, hi99] = bootstrapInterval(xs.length, meanOf, { seed: 5, level: 0.99 })!;
    expect(lo99).toBeLessThanOrEqual(lo90);
    expect(hi99).toBeGreaterThanOrEqual(hi90);
  });

  it("resamples whole units: an interval for Krippendorff's alpha contains the estimate", () => {
    const r = seededRandom(99);
    // 80 units, 3 raters who mostly agree on a 1..5 scale, some missing values.
    const data: Ratings = Array.from({ length: 80 }, () => {
      const truth = 1 + Math.floor(r() * 5);
      return [0, 1, 2].map(() => (r() < 0.1 ? null : Math.min(5, Math.max(1, truth + (r() < 0.25 ? (r() < 0.5 ? -1 : 1) : 0)))));
    });
    const estimate = krippendorffAlpha(data, "interval")!;
    const interval = bootstrapInterval(data.length, (ix) => krippendorffAlpha(ix.map((i) => data[i]!), "interval"), { seed: 1, replicates: 500 });
    expect(interval).not.toBeNull();
    const [lo, hi] = interval!;
    expect(lo).toBeLessThan(estimate);
    expect(hi).toBeGreaterThan(estimate);
    expect(hi).toBeLessThanOrEqual(1);
  });

  it("ignores replicates where the statistic is null", () => {
    // Percent agreement without ties is null on a resample holding only tie units.
    const units = [[1, 1], [0, 0], [0, 0], [-1, 1], [1, 1], [0, 1]];
    const result = bootstrapIntervalResult(units.length, (ix) => percentAgreement(ix.map((i) => units[i]!), { ties: "without" }), {
      seed: 8,
      replicates: 400,
    });
    expect(result.interval).not.toBeNull();
    expect(result.defined).toBeLessThanOrEqual(400);
    expect(result.defined).toBeGreaterThan(200);
  });

  it("is null when fewer than half of the replicates are defined", () => {
    let call = 0;
    // Defined on exactly every third replicate.
    const sometimes = () => (call++ % 3 === 0 ? 1 : null);
    const result = bootstrapIntervalResult(10, sometimes, { replicates: 300 });
    expect(result).toMatchObject({ interval: null, defined: 100, replicates: 300 });
    expect(result.reason).toMatch(/fewer than half/);
    expect(bootstrapInterval(10, () => null, {})).toBeNull();
    expect(bootstrapInterval(10, () => Number.NaN, { replicates: 10 })).toBeNull();
  });

  it("exactly half defined is enough", () => {
    let call = 0;
    expect(bootstrapInterval(10, () => (call++ % 2 === 0 ? 0.5 : null), { replicates: 100 })).toEqual([0.5, 0.5]);
  });

  it("is null for no units, and gives [v, v] for a constant statistic", () => {
    expect(bootstrapInterval(0, () => 1, {})).toBeNull();
    expect(bootstrapInterval(5, () => 0.25, { replicates: 50 })).toEqual([0.25, 0.25]);
  });

  it("passes `units` indices in range to the statistic, with repeats", () => {
    const seen: number[][] = [];
    bootstrapInterval(4, (ix) => (seen.push([...ix]), 0), { replicates: 50, seed: 2 });
    expect(seen).toHaveLength(50);
    for (const ix of seen) {
      expect(ix).toHaveLength(4);
      for (const i of ix) expect(Number.isInteger(i) && i >= 0 && i < 4).toBe(true);
    }
    expect(seen.some((ix) => new Set(ix).size < 4)).toBe(true);
  });

  it("throws RangeError for invalid options", () => {
    expect(() => bootstrapInterval(5, () => 1, { level: 1 })).toThrow(RangeError);
    expect(() => bootstrapInterval(5, () => 1, { level: 0 })).toThrow(RangeError);
    expect(() => bootstrapInterval(5, () => 1, { replicates: 0 })).toThrow(RangeError);
    expect(() => bootstrapInterval(5, () => 1, { replicates: 2.5 })).toThrow(RangeError);
    expect(() => bootstrapInterval(-1, () => 1, {})).toThrow(RangeError);
    expect(() => bootstrapInterval(5, () => 1, { seed: Number.NaN })).toThrow(RangeError);
  });
});
