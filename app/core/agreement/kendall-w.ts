import { defined, undefinedBecause, type StatisticResult } from "./result";

/**
 * Ranks of `values`, ascending from 1, with tied values given the average of the ranks they
 * span (mid-ranks, "fractional ranking"): [10, 20, 20, 30] → [1, 2.5, 2.5, 4]. Ranking
 * mid-ranks again gives them back unchanged.
 */
export function averageRanks(values: ReadonlyArray<number>): number[] {
  const order = values.map((value, i) => ({ value, i })).sort((x, y) => x.value - y.value);
  const ranks = new Array<number>(values.length).fill(0);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && order[end]!.value === order[start]!.value) end += 1;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let t = start; t < end; t++) ranks[order[t]!.i] = rank;
    start = end;
  }
  return ranks;
}

/** Kendall's W with the reason when it is undefined. See {@link kendallW}. */
export function kendallWResult(rankings: ReadonlyArray<ReadonlyArray<number>>): StatisticResult {
  const m = rankings.length;
  if (m < 2) return undefinedBecause(m === 0 ? "there are no rankings" : "concordance needs at least two raters");
  const n = rankings[0]!.length;
  for (const [r, row] of rankings.entries()) {
    if (row.length !== n) return undefinedBecause(`rater ${r + 1} ranked ${row.length} objects, rater 1 ranked ${n}`);
    if (row.some((value) => !Number.isFinite(value))) return undefinedBecause(`rater ${r + 1} has a rank that is not a finite number`);
  }
  if (n < 2) return undefinedBecause("concordance needs at least two objects to rank");
  const sums = new Array<number>(n).fill(0);
  let ties = 0;
  for (const row of rankings) {
    const ranks = averageRanks(row);
    ranks.forEach((rank, j) => (sums[j]! += rank));
    const groups = new Map<number, number>();
    for (const rank of ranks) groups.set(rank, (groups.get(rank) ?? 0) + 1);
    for (const t of groups.values()) ties += t ** 3 - t;
  }
  const mean = (m * (n + 1)) / 2;
  const s = sums.reduce((acc, sum) => acc + (sum - mean) ** 2, 0);
  const denominator = m * m * (n ** 3 - n) - m * ties;
  if (!(denominator > 0)) return undefinedBecause("every rater tied all objects: no variation");
  return defined((12 * s) / denominator);
}

/**
 * Kendall's coefficient of concordance W for m raters ranking the same n objects, with the
 * correction for ties.
 *
 * Definition: each rater's row is turned into ranks 1..n, tied objects getting the average
 * of the ranks they span (rows may hold ranks or scores; re-ranking proper ranks changes
 * nothing). With R_j the sum of the ranks of object j and R̄ = m(n + 1)/2,
 *
 *     S = Σ_j (R_j − R̄)²
 *     W = 12 S / (m² (n³ − n) − m Σ T),   T = Σ (t³ − t) per rater over its groups of t ties
 *
 * W = 1 when all raters give the same ranking, 0 when the rank sums are all equal. Without
 * ties ΣT = 0 and W = 12 S / (m² (n³ − n)).
 *
 * Sources: Kendall, M. G. & Babington Smith, B. (1939). "The problem of m rankings", Annals of
 * Mathematical Statistics 10(3), 275–287; Kendall, M. G. (1948), Rank Correlation Methods,
 * ch. 6; Siegel, S. & Castellan, N. J. (1988), Nonparametric Statistics for the Behavioral
 * Sciences, 2nd ed., §9.4 (tie correction as written above).
 *
 * Undefined (null): fewer than two raters (concordance with oneself is not agreement); fewer
 * than two objects; rows of different lengths; a non-finite value; every rater tied all
 * objects (the denominator is 0).
 *
 * @param rankings m rows (raters) × n columns (objects)
 * @returns W in [0, 1], or null when undefined
 * @example
 * kendallW([[1, 2, 3], [1, 2, 3]]); // => 1
 */
export function kendallW(rankings: ReadonlyArray<ReadonlyArray<number>>): number | null {
  return kendallWResult(rankings).value;
}
