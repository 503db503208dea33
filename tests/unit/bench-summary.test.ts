import { describe, expect, it } from "vitest";
import { percentile, summarize } from "../bench/stats";

describe("the benchmarks' summarize", () => {
  it("gives nearest-rank percentiles and the maximum", () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(summarize(samples)).toEqual({ n: 10, p50: 5, p95: 10, p99: 10, max: 10 });
    expect(percentile(samples, 10)).toBe(1);
    expect(summarize([])).toMatchObject({ n: 0, p50: Number.NaN, max: Number.NaN });
  });

  it("summarizes the two million samples of a 600 s soak (a spread into Math.max overflowed the stack)", () => {
    const samples = Array.from({ length: 2_000_000 }, (_, i) => (i * 7919) % 2_000_000);
    expect(summarize(samples)).toEqual({ n: 2_000_000, p50: 999_999, p95: 1_899_999, p99: 1_979_999, max: 1_999_999 });
  });
});
