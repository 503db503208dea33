import { defined, undefinedBecause, type StatisticResult } from "./result";

/** Disagreement weights of Cohen's kappa, by distance between category indices. */
export type KappaWeights = "unweighted" | "linear" | "quadratic";

/**
 * The disagreement weight of categories at indices i and j: unweighted 0/1, linear |i − j|,
 * quadratic (i − j)². Scaling by 1/(k − 1) or 1/(k − 1)², as some texts do, cancels in kappa.
 */
function weight(weights: KappaWeights, i: number, j: number): number {
  if (weights === "unweighted") return i === j ? 0 : 1;
  const d = Math.abs(i - j);
  return weights === "linear" ? d : d * d;
}

/** Cohen's kappa with the reason when it is undefined. See {@link cohenKappa}. */
export function cohenKappaResult(
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>,
  weights: KappaWeights,
  categories: ReadonlyArray<number>,
): StatisticResult {
  if (a.length !== b.length) return undefinedBecause(`the two raters have different numbers of ratings (${a.length} and ${b.length})`);
  if (a.length === 0) return undefinedBecause("no item was rated by both raters");
  const index = new Map<number, number>();
  for (const category of categories) {
    if (index.has(category)) return undefinedBecause(`category ${category} is listed twice`);
    index.set(category, index.size);
  }
  const k = index.size;
  const table = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const rows = new Array<number>(k).fill(0);
  const cols = new Array<number>(k).fill(0);
  for (let item = 0; item < a.length; item++) {
    const i = index.get(a[item]!);
    const j = index.get(b[item]!);
    if (i === undefined || j === undefined) {
      return undefinedBecause(`rating ${i === undefined ? a[item] : b[item]} is not one of the categories`);
    }
    table[i]![j]! += 1;
    rows[i]! += 1;
    cols[j]! += 1;
  }
  // In counts: κ = 1 − N Σ w_ij o_ij / Σ w_ij r_i c_j, exact in integers for integer weights.
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weight(weights, i, j);
      if (w === 0) continue;
      observed += w * table[i]![j]!;
      expected += w * rows[i]! * cols[j]!;
    }
  }
  if (expected === 0) return undefinedBecause("expected disagreement is 0: both raters used one and the same category only");
  return defined(1 - (a.length * observed) / expected);
}

/**
 * Cohen's kappa for two raters, unweighted or with linear or quadratic disagreement weights,
 * over the full ordered label set.
 *
 * Definition: with p_ij the share of items rater a put in category i and rater b in category j,
 * p_i· and p_·j the margins, and disagreement weights w_ij,
 *
 *     κ_w = 1 − Σ w_ij p_ij / Σ w_ij p_i· p_·j
 *
 * (observed over chance-expected disagreement). Categories are indexed by their position in
 * `categories` (e.g. −3..3), so unused categories between used ones still count in the
 * distance: unweighted w_ij = [i ≠ j] (Cohen's original κ = (p_o − p_e)/(1 − p_e)), linear
 * w_ij = |i − j| (Cicchetti–Allison), quadratic w_ij = (i − j)² (Fleiss–Cohen).
 *
 * Sources: Cohen, J. (1960). "A coefficient of agreement for nominal scales", Educational and
 * Psychological Measurement 20(1), 37–46; Cohen, J. (1968). "Weighted kappa", Psychological
 * Bulletin 70(4), 213–220; Fleiss, Levin & Paik (2003), Statistical Methods for Rates and
 * Proportions, 3rd ed., §18.
 *
 * Undefined (null): no items; the two arrays differ in length; a rating is not one of
 * `categories` (or a category is listed twice); expected disagreement is 0 (both raters used a
 * single, same category, or `categories` has one entry).
 *
 * @param a rater a's ratings, one per item
 * @param b rater b's ratings of the same items, in the same order
 * @param weights unweighted, linear or quadratic
 * @param categories the full ordered label set
 * @returns κ in [−1, 1], or null when undefined
 * @example
 * cohenKappa([1, 1, 0, 0], [1, 0, 0, 0], "unweighted", [0, 1]); // => 0.5
 */
export function cohenKappa(
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>,
  weights: "unweighted" | "linear" | "quadratic",
  categories: ReadonlyArray<number>,
): number | null {
  return cohenKappaResult(a, b, weights, categories).value;
}
