import { defined, undefinedBecause, type Ratings, type StatisticResult } from "./result";

/** Level of measurement, which picks the difference function δ². */
export type KrippendorffMetric = "nominal" | "ordinal" | "interval" | "ratio";

/** The coincidence matrix of reliability data (Krippendorff 2011, step B.2). */
export interface CoincidenceMatrix {
  /** The distinct pairable values, ascending; they index the rows and columns below. */
  values: number[];
  /** `coincidences[c][k]` = o_ck = Σ_u (number of c–k pairs in unit u) / (m_u − 1); symmetric. */
  coincidences: number[][];
  /** n_c = Σ_k o_ck: how often each value occurs among pairable values. */
  marginals: number[];
  /** n = Σ_c n_c: the number of pairable values (values in units with at least two values). */
  total: number;
}

/**
 * The coincidence matrix of reliability data: each unit u with m_u ≥ 2 values contributes each
 * of its m_u(m_u − 1) ordered pairs of values from different raters with weight 1/(m_u − 1), so
 * every pairable value counts once in the margins. Units with fewer than two values are left
 * out. Values must be finite numbers; `null` is missing.
 *
 * Source: Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability". Annenberg
 * School for Communication Departmental Papers 43, University of Pennsylvania, section C.
 *
 * @param data units × raters, `null` = missing
 * @returns the values, the matrix o_ck, its margins n_c and the total n
 */
export function coincidenceMatrix(data: Ratings): CoincidenceMatrix {
  const units: Map<number, number>[] = [];
  const seen = new Set<number>();
  for (const row of data) {
    const counts = new Map<number, number>();
    let m = 0;
    for (const value of row) {
      if (value === null) continue;
      counts.set(value, (counts.get(value) ?? 0) + 1);
      m += 1;
    }
    if (m < 2) continue;
    units.push(counts);
    for (const value of counts.keys()) seen.add(value);
  }
  const values = [...seen].sort((a, b) => a - b);
  const index = new Map(values.map((value, i) => [value, i]));
  const coincidences = values.map(() => values.map(() => 0));
  for (const counts of units) {
    let m = 0;
    for (const count of counts.values()) m += count;
    for (const [c, nc] of counts) {
      const row = coincidences[index.get(c)!]!;
      for (const [k, nk] of counts) {
        const col = index.get(k)!;
        row[col] = row[col]! + (c === k ? nc * (nc - 1) : nc * nk) / (m - 1);
      }
    }
  }
  return withMargins(values, coincidences);
}

/** The coincidence matrix with its margins n_c and total n computed from `coincidences`. */
function withMargins(values: number[], coincidences: number[][]): CoincidenceMatrix {
  const marginals = coincidences.map((row) => row.reduce((sum, o) => sum + o, 0));
  const total = marginals.reduce((sum, n) => sum + n, 0);
  return { values, coincidences, marginals, total };
}

/**
 * The squared difference δ²(c, k) between the values at indices i and j of `values`
 * (Krippendorff 2011, section E): nominal 0/1; ordinal from the margins n_g of the values
 * between c and k, (Σ_{g=c..k} n_g − (n_c + n_k)/2)², so only the order of the values and
 * their frequencies matter, not the numbers; interval (c − k)²; ratio ((c − k)/(c + k))².
 */
function difference(metric: KrippendorffMetric, values: readonly number[], marginals: readonly number[], i: number, j: number): number {
  if (i === j) return 0;
  const c = values[i]!;
  const k = values[j]!;
  switch (metric) {
    case "nominal":
      return 1;
    case "interval":
      return (c - k) ** 2;
    case "ratio":
      return ((c - k) / (c + k)) ** 2;
    case "ordinal": {
      const lo = Math.min(i, j);
      const hi = Math.max(i, j);
      let between = 0;
      for (let g = lo; g <= hi; g++) between += marginals[g]!;
      return (between - (marginals[i]! + marginals[j]!) / 2) ** 2;
    }
  }
}

/** Why alpha is undefined because of the data's values (not finite; negative for ratio), or null. */
function invalidValues(data: Ratings, metric: KrippendorffMetric): string | null {
  for (const row of data) {
    for (const value of row) {
      if (value !== null && !Number.isFinite(value)) return "the data hold a value that is not a finite number";
      if (metric === "ratio" && value !== null && value < 0) return "the ratio metric needs non-negative values";
    }
  }
  return null;
}

/**
 * Krippendorff's alpha from a coincidence matrix (see {@link coincidenceMatrix}): the step of
 * {@link krippendorffAlpha} after the matrix is built, α = 1 − (n − 1) · Σ o_ck δ²_ck /
 * Σ n_c n_k δ²_ck, with the reason when it is undefined (no pairable value, no variation,
 * expected disagreement 0, a result that is not finite). It does not check the values: the
 * caller has (the ratio metric needs non-negative values).
 *
 * @param matrix the coincidence matrix with its margins and total
 * @param metric level of measurement
 * @returns α, or null with the reason
 * @example
 * krippendorffAlphaFromCoincidences(coincidenceMatrix([[1, 1], [2, 2], [1, 2]]), "nominal").value; // => 0.444…
 */
export function krippendorffAlphaFromCoincidences(matrix: CoincidenceMatrix, metric: KrippendorffMetric): StatisticResult {
  const { values, coincidences, marginals, total } = matrix;
  if (total < 2) return undefinedBecause("no unit has two or more values, so no value is pairable");
  if (values.length < 2) return undefinedBecause("all pairable values are equal: no variation, expected disagreement is 0");
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j++) {
      if (i === j) continue;
      const delta = difference(metric, values, marginals, i, j);
      observed += coincidences[i]![j]! * delta;
      expected += marginals[i]! * marginals[j]! * delta;
    }
  }
  if (!(expected > 0)) return undefinedBecause("expected disagreement is 0: no variation");
  const alpha = 1 - ((total - 1) * observed) / expected;
  return Number.isFinite(alpha) ? defined(alpha) : undefinedBecause("alpha is not a finite number for these data");
}

/**
 * Krippendorff's alpha with the reason when it is undefined. See {@link krippendorffAlpha}.
 */
export function krippendorffAlphaResult(data: Ratings, metric: KrippendorffMetric): StatisticResult {
  const invalid = invalidValues(data, metric);
  if (invalid !== null) return undefinedBecause(invalid);
  return krippendorffAlphaFromCoincidences(coincidenceMatrix(data), metric);
}

/** A resample of units, as the bootstrap gives it: how often each unit was drawn. */
export interface UnitResample {
  counts: ArrayLike<number>;
}


/**
 * Krippendorff's alpha of resamples of the units of `data`, for the bootstrap: returns a
 * function that, given a resample as how often each unit was drawn (`counts[u]`), gives
 * `krippendorffAlpha` of the resample's units (each unit repeated as often as it was drawn),
 * without rebuilding the resample's rows.
 *
 * How: each unit's contribution to the coincidence matrix, o_ck += (pairs of c and k) /
 * (m_u − 1), is computed once, and units with the same values (the same multiset) share it. A
 * resample's matrix is Σ over groups of (draws of the group) × contribution, and alpha is
 * computed from it by the same code as {@link krippendorffAlpha}
 * ({@link krippendorffAlphaFromCoincidences}). When every m_u − 1 is a power of two and the
 * sums stay below 2⁵³ of the finest such fraction, every contribution and partial sum is an
 * exact binary fraction, so the matrix, and alpha, are bit for bit those of
 * {@link coincidenceMatrix} on the resample's rows; otherwise they agree up to floating-point
 * rounding of the sums (a relative 1e-15 or so).
 *
 * Undefined (null): as {@link krippendorffAlpha}, for the resample: in particular whenever it
 * holds a unit with a value that is not finite (or, for ratio, negative).
 *
 * @param data units × raters, `null` = missing
 * @param metric level of measurement
 * @returns the statistic of a resample; the resample's counts are read, not kept
 * @example
 * const data = [[1, 1], [2, 2], [1, 2]];
 * const alphaOf = krippendorffAlphaResampler(data, "nominal");
 * alphaOf({ counts: [1, 1, 1] }); // => krippendorffAlpha(data, "nominal")
 */
export function krippendorffAlphaResampler(data: Ratings, metric: KrippendorffMetric): (resample: UnitResample) => number | null {
  const invalid: number[] = [];
  for (let u = 0; u < data.length; u++) if (invalidValues([data[u]!], metric) !== null) invalid.push(u);

  // Group the pairable, valid units by their multiset of values.
  const seen = new Set<number>();
  const groupKeys = new Map<string, number>();
  const groupCounts: Array<Map<number, number>> = [];
  const groupOf = new Int32Array(data.length).fill(-1);
  const invalidSet = new Set(invalid);
  for (let u = 0; u < data.length; u++) {
    if (invalidSet.has(u)) continue;
    const counts = new Map<number, number>();
    let m = 0;
    for (const value of data[u]!) {
      if (value === null) continue;
      counts.set(value, (counts.get(value) ?? 0) + 1);
      m += 1;
    }
    if (m < 2) continue;
    const key = [...counts].sort((a, b) => a[0] - b[0]).map(([value, n]) => `${value}:${n}`).join(",");
    let g = groupKeys.get(key);
    if (g === undefined) {
      g = groupCounts.length;
      groupKeys.set(key, g);
      groupCounts.push(counts);
      for (const value of counts.keys()) seen.add(value);
    }
    groupOf[u] = g;
  }
  const values = [...seen].sort((a, b) => a - b);
  const index = new Map(values.map((value, i) => [value, i]));
  const size = values.length;

  // Each group's contribution: the cells it adds to, what it adds, and the values it holds.
  const cellsOf: Int32Array[] = [];
  const addsOf: Float64Array[] = [];
  const valuesOf: Int32Array[] = [];
  for (const counts of groupCounts) {
    let m = 0;
    for (const count of counts.values()) m += count;
    const cells: number[] = [];
    const adds: number[] = [];
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) {
        cells.push(index.get(c)! * size + index.get(k)!);
        adds.push((c === k ? nc * (nc - 1) : nc * nk) / (m - 1));
      }
    }
    cellsOf.push(Int32Array.from(cells));
    addsOf.push(Float64Array.from(adds));
    valuesOf.push(Int32Array.from([...counts.keys()].map((value) => index.get(value)!)));
  }
  const groups = groupCounts.length;
  const drawn = new Float64Array(groups);
  const sums = new Float64Array(size * size);
  const present = new Uint8Array(size);
  return ({ counts }: UnitResample): number | null => {
    for (const u of invalid) if (counts[u]! > 0) return null;
    drawn.fill(0);
    for (let u = 0; u < groupOf.length; u++) {
      const g = groupOf[u]!;
      if (g >= 0) drawn[g]! += counts[u]!;
    }
    sums.fill(0);
    present.fill(0);
    for (let g = 0; g < groups; g++) {
      if (drawn[g] === 0) continue;
      for (const v of valuesOf[g]!) present[v] = 1;
      const cells = cellsOf[g]!;
      const adds = addsOf[g]!;
      const times = drawn[g]!;
      for (let e = 0; e < cells.length; e++) sums[cells[e]!]! += times * adds[e]!;
    }
    const kept: number[] = [];
    for (let v = 0; v < size; v++) if (present[v]) kept.push(v);
    const coincidences = kept.map((i) => kept.map((j) => sums[i * size + j]!));
    return krippendorffAlphaFromCoincidences(withMargins(kept.map((v) => values[v]!), coincidences), metric).value;
  };
}

/**
 * Krippendorff's alpha reliability coefficient, for any number of raters, missing data, and
 * the nominal, ordinal, interval or ratio metric.
 *
 * Definition, via the coincidence matrix o_ck (see {@link coincidenceMatrix}) with margins n_c
 * and n = Σ n_c pairable values:
 *
 *     α = 1 − D_o / D_e = 1 − (n − 1) · Σ_c Σ_k o_ck δ²_ck / Σ_c Σ_k n_c n_k δ²_ck
 *
 * where δ² is the metric's difference function:
 * - nominal: δ² = 0 if c = k, else 1;
 * - ordinal: δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², computed from the value frequencies
 *   n_g (ranks), not from the numbers themselves;
 * - interval: δ²_ck = (c − k)²;
 * - ratio: δ²_ck = ((c − k)/(c + k))² (values must be ≥ 0).
 * Units with fewer than two values contribute nothing (their values are not pairable). α = 1 is
 * perfect agreement, 0 agreement at chance level, below 0 systematic disagreement.
 *
 * Source: Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg
 * School for Communication Departmental Papers 43, University of Pennsylvania; worked example
 * in section C (4 observers × 12 units, missing data): α nominal 0.743, ordinal 0.815,
 * interval 0.849, ratio 0.797. Also Krippendorff (2004), Content Analysis, 2nd ed., ch. 11.
 *
 * Undefined (null): no unit has two values (empty data, a single rater per unit); all pairable
 * values are equal (no variation: D_e = 0); a value is not a finite number; the ratio metric
 * with a negative value.
 *
 * @param data units × raters, `null` = missing
 * @param metric level of measurement
 * @returns α, or null when undefined
 * @example
 * krippendorffAlpha([[1, 1], [2, 2], [1, 2]], "nominal"); // => 0.444…
 */
export function krippendorffAlpha(data: Ratings, metric: "nominal" | "ordinal" | "interval" | "ratio"): number | null {
  return krippendorffAlphaResult(data, metric).value;
}
