import { defined, undefinedBecause, type StatisticResult } from "./result";

/** How tie votes (the value 0) enter percent agreement. */
export interface PercentAgreementOptions {
  /**
   * - `"with"`: a tie is a category of its own; two ties agree, a tie and a preference disagree;
   * - `"without"`: every pair in which either rating is a tie is left out.
   */
  ties: "with" | "without";
}

/**
 * Pairwise percent agreement on the direction of a preference, as MT-Bench reports it,
 * with the reason when it is undefined. See {@link percentAgreement}.
 */
export function percentAgreementResult(units: ReadonlyArray<ReadonlyArray<number>>, options: PercentAgreementOptions): StatisticResult {
  let pairs = 0;
  let agreeing = 0;
  for (const ratings of units) {
    const unit = unitPairs(ratings, options);
    pairs += unit.pairs;
    agreeing += unit.agreeing;
  }
  return fromCounts(pairs, agreeing, options);
}

/** One unit's comparisons: its pairs of ratings (without ties: of non-tie ratings) and how many agree. */
function unitPairs(ratings: ReadonlyArray<number>, options: PercentAgreementOptions): { pairs: number; agreeing: number } {
  let pairs = 0;
  let agreeing = 0;
  for (let i = 0; i < ratings.length; i++) {
    for (let j = i + 1; j < ratings.length; j++) {
      const a = ratings[i]!;
      const b = ratings[j]!;
      if (options.ties === "without" && (a === 0 || b === 0)) continue;
      pairs += 1;
      if (a === b) agreeing += 1;
    }
  }
  return { pairs, agreeing };
}

/** The share from the pooled counts, or why there is none. */
function fromCounts(pairs: number, agreeing: number, options: PercentAgreementOptions): StatisticResult {
  if (pairs === 0) {
    return undefinedBecause(
      options.ties === "without" ? "no unit has two non-tie ratings to compare" : "no unit has two ratings to compare",
    );
  }
  return defined(agreeing / pairs);
}

/**
 * Percent agreement of resamples of `units`, for the bootstrap: returns a function that, given
 * how often each unit was drawn (`counts[u]`, a unit drawn twice counts twice), gives exactly
 * `percentAgreement` of the resample's units, to the last digit.
 *
 * How: each unit's pairs and agreeing pairs are counted once; a resample's counts are
 * Σ counts[u] × that unit's counts. Both are integers, so the sums are exact and do not depend
 * on the order of the units, and the share agreeing / pairs is the same division as
 * {@link percentAgreement}'s.
 *
 * Undefined (null): as {@link percentAgreement}, for the resample.
 *
 * @param units one array of ratings per unit (missing ratings simply left out)
 * @param options whether ties count as a category or are left out
 * @returns the statistic of a resample, given as per-unit draw counts (read, not kept)
 * @example
 * const units = [[1, 1, -1], [0, 0]];
 * percentAgreementResampler(units, { ties: "with" })({ counts: [2, 1] }); // => 3/7: (2 · 1 + 1) agreeing of (2 · 3 + 1) pairs
 */
export function percentAgreementResampler(
  units: ReadonlyArray<ReadonlyArray<number>>,
  options: PercentAgreementOptions,
): (resample: { counts: ArrayLike<number> }) => number | null {
  const unitPairCounts = new Float64Array(units.length);
  const unitAgreeing = new Float64Array(units.length);
  const compared: number[] = [];
  units.forEach((ratings, u) => {
    const unit = unitPairs(ratings, options);
    unitPairCounts[u] = unit.pairs;
    unitAgreeing[u] = unit.agreeing;
    if (unit.pairs > 0) compared.push(u);
  });
  const withPairs = Int32Array.from(compared);
  return ({ counts }) => {
    let pairs = 0;
    let agreeing = 0;
    for (let e = 0; e < withPairs.length; e++) {
      const u = withPairs[e]!;
      const times = counts[u]!;
      if (times === 0) continue;
      pairs += times * unitPairCounts[u]!;
      agreeing += times * unitAgreeing[u]!;
    }
    return fromCounts(pairs, agreeing, options).value;
  };
}

/**
 * Pairwise percent agreement on direction, pooled over all rater pairs of all units.
 *
 * Definition: every unit holds the ratings its raters gave, here the signs of a pairwise
 * preference (−1 = first response, 0 = tie, 1 = second response). Each unordered pair of two
 * ratings of one unit is one comparison; the statistic is
 *
 *     agreeing pairs / pairs, summed over all units,
 *
 * so a unit with m ratings weighs m(m − 1)/2 pairs. This is the probability that two distinct
 * raters, drawn at random together with a unit they both rated, agree. With `ties: "with"` a tie
 * is a category (tie = tie agrees); with `ties: "without"` pairs in which either rating is a tie
 * are dropped before counting ("w/o tie"). Values are compared with `===`, so any coding works
 * as long as a tie is 0.
 *
 * Source: Zheng et al. (2023), "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena",
 * NeurIPS Datasets and Benchmarks, §4.2 and Table 2: agreement is "the probability of randomly
 * selected individuals (but not identical) of each type agreeing on a randomly selected
 * question", reported with and without tie votes.
 *
 * Undefined (null): no unit has two ratings (empty input, one rating per unit), or, without
 * ties, no unit has two non-tie ratings.
 *
 * @param units one array of ratings per unit (missing ratings simply left out)
 * @param options whether ties count as a category or are left out
 * @returns the share of agreeing pairs in [0, 1], or null when there is no pair
 * @example
 * percentAgreement([[1, 1, -1], [0, 0]], { ties: "with" }); // => 0.5 (2 of 4 pairs)
 * percentAgreement([[1, 1, -1], [0, 0]], { ties: "without" }); // => 1/3
 */
export function percentAgreement(units: ReadonlyArray<ReadonlyArray<number>>, options: { ties: "with" | "without" }): number | null {
  return percentAgreementResult(units, options).value;
}
