import { describe, expect, it } from "vitest";
import {
  bootstrapInterval,
  bootstrapIntervalResult,
  bootstrapIntervals,
  bootstrapIntervalsResult,
  coincidenceMatrix,
  krippendorffAlpha,
  krippendorffAlphaFromCoincidences,
  krippendorffAlphaResampler,
  krippendorffAlphaResult,
  percentAgreement,
  percentAgreementResampler,
  seededRandom,
  type Ratings,
  type Resample,
} from "../../app/core/agreement";
import { agreementWithMajority, agreementWithMajorityByColumn } from "../../app/core/agreement/reviewers";

const _ = null;
const METRICS = ["nominal", "ordinal", "interval", "ratio"] as const;

/** Krippendorff (2011) section C, units × raters: unit 6 has four values (m − 1 = 3), unit 12 one. */
const PAPER: Ratings = [
  [1, 1, _, 1],
  [2, 2, 3, 2],
  [3, 3, 3, 3],
  [3, 3, 3, 3],
  [2, 2, 2, 2],
  [1, 2, 3, 4],
  [4, 4, 4, 4],
  [1, 1, 2, 1],
  [2, 2, 2, 2],
  [_, 5, 5, 5],
  [_, _, 1, 1],
  [_, 3, _, _],
];

/** Units of `raters` raters on a 1..5 scale who mostly agree, each value missing with probability `missing`. */
function ratings(units: number, raters: number, missing: number, seed: number): Ratings {
  const r = seededRandom(seed);
  return Array.from({ length: units }, () => {
    const truth = 1 + Math.floor(r() * 5);
    return Array.from({ length: raters }, () => (r() < missing ? null : Math.min(5, Math.max(1, truth + (r() < 0.3 ? (r() < 0.5 ? -1 : 1) : 0)))));
  });
}

/** A resample with its draws: the drawn units in draw order and how often each was drawn. */
interface Drawn extends Resample {
  indices: Int32Array;
}

/** Some resamples of `units` units, drawn one by one. */
function resamples(units: number, count: number, seed: number): Drawn[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const indices = new Int32Array(units);
    const counts = new Int32Array(units);
    for (let i = 0; i < units; i++) {
      indices[i] = Math.floor(random() * units);
      counts[indices[i]!]! += 1;
    }
    return { indices, counts };
  });
}

describe("bootstrapIntervals", () => {
  const random = seededRandom(2024);
  const xs = Array.from({ length: 60 }, () => 10 + 4 * (random() - 0.5));
  const maxOf = (ix: ReadonlyArray<number>) => Math.max(...ix.map((i) => xs[i]!));
  const maxOfCounts = ({ counts }: Resample) => Math.max(...xs.filter((_, u) => counts[u]! > 0));
  const meanOf = (ix: ReadonlyArray<number>) => ix.reduce((s, i) => s + xs[i]!, 0) / ix.length;
  const meanOfCounts = ({ counts }: Resample) => xs.reduce((s, x, u) => s + x * counts[u]!, 0) / xs.length;

  it("without grouping, draws the units one by one as bootstrapInterval does", () => {
    for (const options of [{ seed: 11 }, { seed: 3, replicates: 300, level: 0.9 }, {}]) {
      const [max, mean] = bootstrapIntervals(xs.length, [maxOfCounts, meanOfCounts], options);
      expect(max).toEqual(bootstrapInterval(xs.length, maxOf, options));
      const [lower, upper] = bootstrapInterval(xs.length, meanOf, options)!;
      expect(mean![0]).toBeCloseTo(lower, 12);
      expect(mean![1]).toBeCloseTo(upper, 12);
    }
  });

  it("hands over per-unit counts of the draws bootstrapInterval makes", () => {
    const seen: number[][] = [];
    bootstrapIntervals(7, [(r) => (seen.push(Array.from(r.counts)), 0)], { replicates: 40, seed: 2 });
    const replayed: number[][] = [];
    bootstrapInterval(
      7,
      (ix) => {
        const counts = new Array<number>(7).fill(0);
        for (const i of ix) counts[i]! += 1;
        replayed.push(counts);
        return 0;
      },
      { replicates: 40, seed: 2 },
    );
    expect(seen).toEqual(replayed);
  });

  it("reports defined replicates and reasons per statistic, as bootstrapIntervalResult does", () => {
    const units = [[1, 1], [0, 0], [0, 0], [-1, 1], [1, 1], [0, 1]];
    const without = (ix: ReadonlyArray<number>) => percentAgreement(ix.map((i) => units[i]!), { ties: "without" });
    const [a, b] = bootstrapIntervalsResult(units.length, [percentAgreementResampler(units, { ties: "without" }), () => null], { seed: 8, replicates: 400 });
    expect(a).toEqual(bootstrapIntervalResult(units.length, without, { seed: 8, replicates: 400 }));
    expect(b).toMatchObject({ interval: null, defined: 0, replicates: 400 });
    expect(b!.reason).toMatch(/fewer than half/);
    expect(bootstrapIntervalsResult(0, [() => 1, () => 2], {}).map((r) => r.reason)).toEqual([
      "there are no units to resample",
      "there are no units to resample",
    ]);
    expect(bootstrapIntervals(5, [], {})).toEqual([]);
  });

  it("throws RangeError for invalid options", () => {
    expect(() => bootstrapIntervals(5, [() => 1], { level: 1 })).toThrow(RangeError);
    expect(() => bootstrapIntervals(5, [() => 1], { replicates: 0 })).toThrow(RangeError);
    expect(() => bootstrapIntervals(-1, [() => 1], {})).toThrow(RangeError);
    expect(() => bootstrapIntervals(5, [() => 1], { seed: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe("krippendorffAlphaFromCoincidences", () => {
  it("is krippendorffAlpha computed from the coincidence matrix", () => {
    for (const metric of METRICS) expect(krippendorffAlphaFromCoincidences(coincidenceMatrix(PAPER), metric)).toEqual(krippendorffAlphaResult(PAPER, metric));
    expect(krippendorffAlphaFromCoincidences(coincidenceMatrix([[1, 1], [2, 2], [1, 2]]), "nominal").value).toBeCloseTo(4 / 9, 12);
  });

  it("gives the reasons for undefined alpha", () => {
    expect(krippendorffAlphaFromCoincidences(coincidenceMatrix([]), "nominal").reason).toMatch(/pairable/);
    expect(krippendorffAlphaFromCoincidences(coincidenceMatrix([[2, 2], [2, 2]]), "interval").reason).toMatch(/no variation/);
  });
});

describe("krippendorffAlphaResampler", () => {
  /** Compares the resampler with krippendorffAlpha on the resampled rows: with Object.is, or to 12 digits. */
  function expectSameAsRebuilding(data: Ratings, count: number, seed: number, exact: boolean) {
    for (const metric of METRICS) {
      const alphaOf = krippendorffAlphaResampler(data, metric);
      for (const resample of resamples(data.length, count, seed)) {
        const rebuilt = krippendorffAlpha(Array.from(resample.indices, (i) => data[i]!), metric);
        if (exact || rebuilt === null) expect(alphaOf(resample)).toBe(rebuilt);
        else expect(alphaOf(resample)).toBeCloseTo(rebuilt, 12);
      }
    }
  }

  it("matches rebuilding the rows, digit for digit, when every unit has 2, 3 or 5 values (exact binary fractions)", () => {
    expectSameAsRebuilding(ratings(200, 3, 0.15, 1), 30, 10, true);
    expectSameAsRebuilding(ratings(150, 5, 0, 2), 20, 11, true);
  });

  it("matches rebuilding the rows up to rounding when some unit has 4 values (1/3 is not exact)", () => {
    expectSameAsRebuilding(PAPER, 200, 12, false);
    expectSameAsRebuilding(ratings(120, 6, 0.3, 3), 30, 13, false);
  });

  it("is alpha itself for the identity resample", () => {
    const identity: Resample = { counts: new Int32Array(PAPER.length).fill(1) };
    for (const metric of METRICS) expect(krippendorffAlphaResampler(PAPER, metric)(identity)).toBeCloseTo(krippendorffAlpha(PAPER, metric)!, 12);
    // The paper's published values (Krippendorff 2011), from the resampler.
    expect(krippendorffAlphaResampler(PAPER, "nominal")(identity)).toBeCloseTo(0.743, 3);
    expect(krippendorffAlphaResampler(PAPER, "interval")(identity)).toBeCloseTo(0.849, 3);
  });

  it("drops values a resample does not hold, as the rebuilt matrix does", () => {
    // Value 9 occurs in the last unit only: a resample without it has one value fewer.
    const data: Ratings = [[1, 1, 2], [2, 2, 2], [1, 2, 1], [9, 9, 1]];
    const alphaOf = krippendorffAlphaResampler(data, "ordinal");
    const resample: Resample = { counts: Int32Array.from([1, 1, 2, 0]) };
    expect(alphaOf(resample)).toBe(krippendorffAlpha([data[0]!, data[1]!, data[2]!, data[2]!], "ordinal"));
  });

  it("is null when the resample holds an invalid value, and defined when it does not", () => {
    const data: Ratings = [[1, 1], [2, 2], [1, 2], [Number.NaN, 1], [-1, 2]];
    const without: Drawn = { indices: Int32Array.from([0, 1, 2, 2, 0]), counts: Int32Array.from([2, 1, 2, 0, 0]) };
    const withNaN: Drawn = { indices: Int32Array.from([0, 1, 2, 3, 0]), counts: Int32Array.from([2, 1, 1, 1, 0]) };
    const withNegative: Drawn = { indices: Int32Array.from([0, 1, 2, 4, 0]), counts: Int32Array.from([2, 1, 1, 0, 1]) };
    const rows = (r: Drawn) => Array.from(r.indices, (i) => data[i]!);
    expect(krippendorffAlphaResampler(data, "interval")(without)).toBe(krippendorffAlpha(rows(without), "interval"));
    expect(krippendorffAlphaResampler(data, "interval")(without)).not.toBeNull();
    expect(krippendorffAlphaResampler(data, "interval")(withNaN)).toBeNull();
    expect(krippendorffAlphaResampler(data, "interval")(withNegative)).toBe(krippendorffAlpha(rows(withNegative), "interval"));
    expect(krippendorffAlphaResampler(data, "ratio")(withNegative)).toBeNull();
  });

  it("is null where alpha is: nothing pairable, no variation", () => {
    const lone: Ratings = [[1, _], [_, 2]];
    expect(krippendorffAlphaResampler(lone, "nominal")({ counts: [1, 1] })).toBeNull();
    const same: Ratings = [[3, 3], [3, 3, 3]];
    expect(krippendorffAlphaResampler(same, "interval")({ counts: [1, 1] })).toBeNull();
  });

  it("gives the same intervals as bootstrapping krippendorffAlpha on the rebuilt rows", () => {
    const data = ratings(300, 3, 0.1, 4);
    const options = { seed: 20_241_201, replicates: 100 };
    for (const metric of ["nominal", "interval"] as const) {
      const [fast] = bootstrapIntervals(data.length, [krippendorffAlphaResampler(data, metric)], options);
      expect(fast).toEqual(bootstrapInterval(data.length, (ix) => krippendorffAlpha(ix.map((i) => data[i]!), metric), options));
    }
  });
});

describe("percentAgreementResampler", () => {
  const r = seededRandom(5);
  const units = Array.from({ length: 150 }, () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => Math.floor(r() * 3) - 1));

  it("matches percentAgreement on the resampled units, to the last digit", () => {
    for (const ties of ["with", "without"] as const) {
      const agreementOf = percentAgreementResampler(units, { ties });
      for (const resample of resamples(units.length, 40, 6)) {
        expect(agreementOf(resample)).toBe(percentAgreement(Array.from(resample.indices, (i) => units[i]!), { ties }));
      }
    }
  });

  it("counts a unit drawn twice twice", () => {
    expect(percentAgreementResampler([[1, 1, -1], [0, 0]], { ties: "with" })({ counts: [2, 1] })).toBe(3 / 7);
    expect(percentAgreementResampler([[1, 1, -1], [0, 0]], { ties: "with" })({ counts: [0, 2] })).toBe(1);
  });

  it("is null when the resample has no pair to compare", () => {
    expect(percentAgreementResampler([[1], [0, 0], [1, 1]], { ties: "without" })({ counts: [2, 1, 0] })).toBeNull();
    expect(percentAgreementResampler([[1], [0, 0], [1, 1]], { ties: "with" })({ counts: [3, 0, 0] })).toBeNull();
    expect(percentAgreementResampler([], { ties: "with" })({ counts: [] })).toBeNull();
  });
});

describe("agreementWithMajorityByColumn", () => {
  /** The votes of a units × raters table, rater = column index as a string. */
  const votesOf = (data: ReadonlyArray<ReadonlyArray<number | null>>) =>
    data.flatMap((row, u) => row.flatMap((value, c) => (value === null ? [] : [{ unit: `u${u}`, rater: String(c), value }])));
  const table = [
    [1, 1, 1, 2, _], // r0: others 1,1,2 → 1 ✓
    [2, 1, 1, _, _], // r0: others 1,1 → 1 ✗
    [1, 1, _, _, _], // one other rating: skipped
    [3, 1, 2, _, _], // no unique mode
    [_, 1, 1, 1, _], // r0 did not rate it
    [0, 0, 0, 1, 1], // r0: others 0,0,1,1 tied
    [Number.NaN, Number.NaN, 1, Number.NaN, _], // NaN counts as one value among the others, but NaN !== NaN
  ];

  it("gives every column what agreementWithMajority gives that rater", () => {
    const byColumn = agreementWithMajorityByColumn(table);
    expect(byColumn).toHaveLength(5);
    byColumn.forEach((value, c) => expect(value).toBe(agreementWithMajority(votesOf(table), String(c))));
    expect(byColumn[0]).toBe(1 / 3); // rows 1 ✓, 2 ✗ and the NaN row ✗
    expect(byColumn[4]).toBe(0); // only the 0,0,0,1,1 row: others 0,0,0,1 → 0 ✗
  });

  it("matches agreementWithMajority on random tables with missing values", () => {
    const r = seededRandom(77);
    const data = Array.from({ length: 400 }, () => Array.from({ length: 6 }, () => (r() < 0.4 ? null : Math.floor(r() * 3) - 1)));
    const byColumn = agreementWithMajorityByColumn(data);
    byColumn.forEach((value, c) => expect(value).toBe(agreementWithMajority(votesOf(data), String(c))));
    expect(byColumn.some((value) => value !== null)).toBe(true);
  });

  it("takes the number of columns, for raters with no rating at all", () => {
    expect(agreementWithMajorityByColumn([[1, 1, 1]], 5)).toEqual([1, 1, 1, null, null]);
    expect(agreementWithMajorityByColumn([])).toEqual([]);
  });
});

describe("agreementWithMajorityByColumn with a transform", () => {
  it("compares the transformed ratings, as votes of the transformed values would", () => {
    const r = seededRandom(78);
    const data = Array.from({ length: 300 }, () => Array.from({ length: 5 }, () => (r() < 0.3 ? null : Math.floor(r() * 7) - 3)));
    const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
    const signs = data.map((row) => row.map((v) => (v === null ? null : sign(v))));
    expect(agreementWithMajorityByColumn(data, 5, sign)).toEqual(agreementWithMajorityByColumn(signs, 5));
    expect(agreementWithMajorityByColumn([[3, 2, -1]], 3, sign)).toEqual([null, null, 0]);
  });
});

describe("bootstrapIntervals with groups", () => {
  // Units of only a few kinds: the statistic sees the kind (group) of each drawn unit.
  const kinds = [[1, 1, 1], [1, 1, -1], [0, 0, 1], [-1, -1, -1], [1, 0]];
  const unitsOfKinds = (count: number, seed: number) => {
    const r = seededRandom(seed);
    const kindOf = Int32Array.from({ length: count }, () => Math.floor(r() * kinds.length));
    return { kindOf, units: Array.from(kindOf, (k) => kinds[k]!) };
  };
  const { kindOf, units } = unitsOfKinds(200, 31);
  const options = { seed: 4, replicates: 120 };

  it("with many groups next to the units, draws unit by unit: the intervals of the ungrouped units", () => {
    const perUnit = percentAgreementResampler(units, { ties: "with" });
    const perKind = percentAgreementResampler(kinds, { ties: "with" });
    const [ungrouped] = bootstrapIntervals(units.length, [perUnit], options);
    const [grouped] = bootstrapIntervals(units.length, [perKind], { ...options, groupOf: kindOf, groups: kinds.length });
    expect(grouped).toEqual(ungrouped);
    expect(grouped).toEqual(bootstrapInterval(units.length, (ix) => percentAgreement(ix.map((i) => units[i]!), { ties: "with" }), options));
  });

  it("with few groups, draws multinomial group counts: the same intervals up to Monte Carlo noise", () => {
    const many = unitsOfKinds(20_000, 32);
    const perUnit = percentAgreementResampler(many.units, { ties: "with" });
    const perKind = percentAgreementResampler(kinds, { ties: "with" });
    const settings = { seed: 9, replicates: 1000 };
    const [ungrouped] = bootstrapIntervals(many.units.length, [perUnit], settings);
    const [grouped] = bootstrapIntervals(many.units.length, [perKind], { ...settings, groupOf: many.kindOf, groups: kinds.length });
    const point = perUnit({ counts: new Int32Array(many.units.length).fill(1) })!;
    const width = ungrouped![1] - ungrouped![0];
    expect(width).toBeGreaterThan(0);
    // With 1000 replicates a 2.5% quantile moves by well under a tenth of the width between streams.
    expect(Math.abs(grouped![0] - ungrouped![0])).toBeLessThan(0.1 * width);
    expect(Math.abs(grouped![1] - ungrouped![1])).toBeLessThan(0.1 * width);
    expect(grouped![0]).toBeLessThan(point);
    expect(grouped![1]).toBeGreaterThan(point);
    // The grouped draws are not the ungrouped ones (else this test would not test them).
    expect(grouped).not.toEqual(ungrouped);
  });

  it("hands over group counts that sum to the units, none from an empty group", () => {
    const many = unitsOfKinds(5_000, 33);
    const groupOf = Int32Array.from(many.kindOf, (k) => (k === 2 ? 5 : k)); // group 2 empty, 5 holds kind 2
    bootstrapIntervals(
      many.units.length,
      [
        ({ counts }) => {
          expect(counts).toHaveLength(6);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(many.units.length);
          expect(counts[2]).toBe(0);
          return 0;
        },
      ],
      { seed: 1, replicates: 50, groupOf, groups: 6 },
    );
  });

  it("rejects a grouping that does not fit the units", () => {
    expect(() => bootstrapIntervals(3, [() => 1], { groupOf: [0, 1], groups: 2 })).toThrow(RangeError);
    expect(() => bootstrapIntervals(2, [() => 1], { groupOf: [0, 2], groups: 2 })).toThrow(RangeError);
    expect(() => bootstrapIntervals(2, [() => 1], { groupOf: [0, 1] })).toThrow(RangeError);
  });
});
