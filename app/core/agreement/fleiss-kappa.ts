import { defined, undefinedBecause, type StatisticResult } from "./result";

/**
 * Why Fleiss' kappa is undefined for these counts, or null when it is defined. Reasons: no
 * units; no categories; rows of different lengths; a count that is not a non-negative integer;
 * units with different numbers of ratings; fewer than two ratings per unit; every rating in one
 * category (chance agreement P̄_e = 1).
 *
 * @param counts counts[i][j] = number of raters who put unit i in category j
 * @returns the reason, or null when {@link fleissKappa} is defined
 */
export function fleissKappaUndefinedReason(counts: ReadonlyArray<ReadonlyArray<number>>): string | null {
  const first = counts[0];
  if (first === undefined) return "there are no units";
  if (first.length === 0) return "there are no categories";
  let raters: number | null = null;
  const used = new Set<number>();
  for (let i = 0; i < counts.length; i++) {
    const row = counts[i]!;
    if (row.length !== first.length) return `unit ${i + 1} has ${row.length} categories, unit 1 has ${first.length}`;
    let total = 0;
    for (let j = 0; j < row.length; j++) {
      const count = row[j]!;
      if (!Number.isInteger(count) || count < 0) return `unit ${i + 1} has a count that is not a non-negative integer (${count})`;
      if (count > 0) used.add(j);
      total += count;
    }
    if (raters === null) raters = total;
    else if (total !== raters) {
      return `units have different numbers of ratings (unit 1 has ${raters}, unit ${i + 1} has ${total}); Fleiss' kappa needs the same number for every unit`;
    }
  }
  if (raters! < 2) return "every unit needs at least two ratings";
  if (used.size < 2) return "every rating is in one category: no variation, chance agreement is 1";
  return null;
}

/** Fleiss' kappa with the reason when it is undefined. See {@link fleissKappa}. */
export function fleissKappaResult(counts: ReadonlyArray<ReadonlyArray<number>>): StatisticResult {
  const reason = fleissKappaUndefinedReason(counts);
  if (reason !== null) return undefinedBecause(reason);
  const units = counts.length;
  const categories = counts[0]!.length;
  const raters = counts[0]!.reduce((sum, c) => sum + c, 0);
  const columnTotals = new Array<number>(categories).fill(0);
  let agreementSum = 0;
  for (const row of counts) {
    let squares = 0;
    for (let j = 0; j < row.length; j++) {
      const count = row[j]!;
      columnTotals[j]! += count;
      squares += count * count;
    }
    agreementSum += (squares - raters) / (raters * (raters - 1));
  }
  const observed = agreementSum / units;
  const chance = columnTotals.reduce((sum, total) => sum + (total / (units * raters)) ** 2, 0);
  return defined((observed - chance) / (1 - chance));
}

/**
 * Fleiss' kappa for a fixed number of raters per unit (not necessarily the same raters).
 *
 * Definition: N units, n ratings per unit, k categories, n_ij raters putting unit i in j.
 *
 *     p_j = Σ_i n_ij / (N n)                        share of all ratings in category j
 *     P_i = (Σ_j n_ij² − n) / (n (n − 1))           agreement among the rater pairs of unit i
 *     P̄ = Σ_i P_i / N,  P̄_e = Σ_j p_j²
 *     κ = (P̄ − P̄_e) / (1 − P̄_e)
 *
 * Source: Fleiss, J. L. (1971). "Measuring nominal scale agreement among many raters",
 * Psychological Bulletin 76(5), 378–382; the 10 subjects × 14 raters × 5 categories example
 * (κ ≈ 0.210) is the one reproduced on Wikipedia's "Fleiss' kappa" page.
 *
 * Undefined (null): see {@link fleissKappaUndefinedReason}, which gives the reason; in
 * particular when units have different numbers of ratings, and when every rating is in one
 * category.
 *
 * @param counts counts[i][j] = number of raters who put unit i in category j
 * @returns κ, or null when undefined
 * @example
 * fleissKappa([[2, 0], [0, 2], [1, 1]]); // => 0.333…
 */
export function fleissKappa(counts: ReadonlyArray<ReadonlyArray<number>>): number | null {
  return fleissKappaResult(counts).value;
}
