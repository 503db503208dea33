/**
 * Judge bias statistics for pairwise judgments (DESIGN.md §4): position bias (share choosing
 * the response shown on the left, with an exact binomial test) and length bias (share choosing
 * the longer response). Pure: no I/O, no imports.
 */

/** ln(2π). */
const LN_2PI = 1.8378770664093456;

/**
 * The error of Stirling's approximation to ln(n!) for n = 0 … 15:
 * `δ(n) = ln(n!) − (n + ½)·ln(n) + n − ln(√(2π))` (δ(0) is a placeholder, never used),
 * rounded to double precision from 40-digit mpmath values.
 */
const STIRLING_ERROR_SMALL = [
  0, 0.08106146679532726, 0.0413406959554093, 0.02767792568499834,
  0.020790672103765093, 0.016644691189821193, 0.013876128823070748,
  0.01189670994589177, 0.010411265261972096, 0.009255462182712733,
  0.00833056343336287, 0.007573675487951841, 0.00694284010720953,
  0.006408994188004207, 0.0059513701127588475, 0.005554733551962801,
];

/**
 * δ(n) = ln(n!) − (n + ½)·ln(n) + n − ln(√(2π)) for a whole number n ≥ 1: a table up to 15,
 * then the asymptotic series 1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷) + 1/(1188n⁹),
 * truncated as in Loader (2000) / R's `stirlerr`.
 */
function stirlingError(n: number): number {
  if (n <= 15) return STIRLING_ERROR_SMALL[n] ?? 0;
  const S0 = 1 / 12;
  const S1 = 1 / 360;
  const S2 = 1 / 1260;
  const S3 = 1 / 1680;
  const S4 = 1 / 1188;
  const nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/**
 * The deviance term bd0(x, μ) = x·ln(x/μ) + μ − x, computed without cancellation when x ≈ μ
 * (Loader 2000, as R's `bd0`).
 */
function deviance(x: number, mu: number): number {
  if (Math.abs(x - mu) < 0.1 * (x + mu)) {
    let v = (x - mu) / (x + mu);
    let s = (x - mu) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
  }
  return x * Math.log(x / mu) + mu - x;
}

/**
 * ln P(X = k) for X ~ Binomial(n, p), 0 < p < 1, 0 ≤ k ≤ n, by Loader's saddle-point
 * expansion (C. Loader, "Fast and Accurate Computation of Binomial Probabilities", 2000; the
 * algorithm of R's `dbinom`), accurate to near machine precision for n in the millions.
 */
function logBinomialPmf(k: number, n: number, p: number): number {
  const q = 1 - p;
  if (k === 0) return p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q);
  if (k === n) return q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p);
  const lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q);
  const lf = LN_2PI + Math.log(k) + Math.log1p(-k / n);
  return lc - 0.5 * lf;
}

/**
 * Σ exp(ln P(X = i) − ref) for i = from, from + step, … while i stays in [0, n], where the
 * terms shrink monotonically in the direction of `step`; stops once a term no longer changes
 * the sum.
 */
function tailSum(from: number, step: 1 | -1, n: number, p: number, ref: number): number {
  let sum = 0;
  for (let i = from; i >= 0 && i <= n; i += step) {
    const term = Math.exp(logBinomialPmf(i, n, p) - ref);
    sum += term;
    if (term <= sum * 1e-20) break;
  }
  return sum;
}

function assertCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
}

/**
 * The exact two-sided binomial test p-value.
 *
 * Definition: for X ~ Binomial(n, p) and observed k, the p-value is the total probability of
 * the outcomes at most as likely as the observed one,
 * `Σ { P(X = i) : P(X = i) ≤ P(X = k)·(1 + 10⁻⁷) }`, capped at 1, and exactly 1 when k = n·p.
 * The relative tolerance 10⁻⁷ (so that outcomes as likely as k up to rounding count as "as
 * likely") is scipy's. This is the "minimum likelihood" two-sided p-value of
 * `scipy.stats.binomtest(k, n, p, alternative="two-sided")` and R's `binom.test`, not twice the
 * smaller tail (the two differ when p ≠ 0.5).
 *
 * Computation: probabilities in log space by Loader's saddle-point algorithm; the tail on the
 * far side of the mode is located by binary search (the pmf is unimodal) and both tails are
 * summed outward until terms become negligible, so n = 10⁶ takes a few thousand terms.
 *
 * Source: C. Loader (2000), "Fast and Accurate Computation of Binomial Probabilities";
 * scipy.stats.binomtest (SciPy 1.7+).
 *
 * Undefined: null when trials = 0. Probabilities below the smallest double underflow to 0.
 *
 * @param successes k, a whole number 0 ≤ k ≤ trials
 * @param trials n, a whole number ≥ 0
 * @param p hypothesised success probability, 0 ≤ p ≤ 1 (default 0.5)
 * @returns the p-value in [0, 1], or null when trials = 0
 * @throws {RangeError} when successes or trials is not a whole number ≥ 0, successes > trials,
 *   or p is outside [0, 1]
 * @example binomialTwoSidedP(7, 10) // 0.34375
 */
export function binomialTwoSidedP(successes: number, trials: number, p = 0.5): number | null {
  assertCount("successes", successes);
  assertCount("trials", trials);
  if (successes > trials) throw new RangeError(`successes (${successes}) must not exceed trials (${trials})`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (trials === 0) return null;
  const n = trials;
  const k = successes;
  // Degenerate distributions: all mass on 0 (p = 0) or on n (p = 1).
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  const expected = n * p;
  if (k === expected) return 1;
  const ref = logBinomialPmf(k, n, p);
  const threshold = ref + Math.log1p(1e-7);
  let sum: number;
  if (k < expected) {
    // Upper tail: the smallest i ≥ ⌈np⌉ with P(X = i) ≤ P(X = k)(1 + 1e-7); none if P(X = n) is larger.
    let lo = Math.ceil(expected);
    let hi = n;
    let start = n + 1;
    if (logBinomialPmf(hi, n, p) <= threshold) {
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (logBinomialPmf(mid, n, p) <= threshold) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
    }
    sum = tailSum(k, -1, n, p, ref) + (start <= n ? tailSum(start, 1, n, p, ref) : 0);
  } else {
    // Lower tail: the largest i ≤ ⌊np⌋ with P(X = i) ≤ P(X = k)(1 + 1e-7); none if P(X = 0) is larger.
    let lo = 0;
    let hi = Math.floor(expected);
    let end = -1;
    if (logBinomialPmf(lo, n, p) <= threshold) {
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (logBinomialPmf(mid, n, p) <= threshold) lo = mid;
        else hi = mid - 1;
      }
      end = lo;
    }
    sum = tailSum(k, 1, n, p, ref) + (end >= 0 ? tailSum(end, -1, n, p, ref) : 0);
  }
  return Math.min(1, Math.exp(ref + Math.log(sum)));
}

/**
 * Position bias of pairwise judgments.
 *
 * Definition: among the judgments that are not ties, the share that preferred the response
 * shown on the left, `left_rate = #left / n`, with the exact two-sided binomial test of
 * `left_rate = 0.5` (see {@link binomialTwoSidedP}). A judgment with `leftPreferred: null` is a
 * tie and is excluded from both the count and the test.
 *
 * Source: Zheng et al. (2023), "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena" §3.3
 * (position bias); the test is the exact binomial test.
 *
 * Undefined: `left_rate` and `p_value` are null when there is no non-tie judgment (n = 0).
 *
 * @returns `n`, the number of non-tie judgments; `left_rate` in [0, 1]; `p_value` in [0, 1]
 * @example positionBias([{ leftPreferred: true }, { leftPreferred: false }, { leftPreferred: null }])
 * // { left_rate: 0.5, p_value: 1, n: 2 }
 */
export function positionBias(judgments: ReadonlyArray<{ leftPreferred: boolean | null }>): {
  left_rate: number | null;
  p_value: number | null;
  n: number;
} {
  let n = 0;
  let left = 0;
  for (const judgment of judgments) {
    if (judgment.leftPreferred === null) continue;
    n++;
    if (judgment.leftPreferred) left++;
  }
  return positionBiasFromCounts(left, n);
}

/**
 * Position bias from counts: {@link positionBias} of `n` non-tie judgments of which `left`
 * preferred the response shown on the left, for callers that count them as they read them.
 *
 * Definition: `left_rate = left / n` with the exact two-sided binomial test of 0.5
 * ({@link binomialTwoSidedP}).
 *
 * Undefined: `left_rate` and `p_value` are null when n = 0.
 *
 * @throws {RangeError} when left or n is not a whole number ≥ 0, or left > n
 * @example positionBiasFromCounts(1, 2) // { left_rate: 0.5, p_value: 1, n: 2 }
 */
export function positionBiasFromCounts(left: number, n: number): { left_rate: number | null; p_value: number | null; n: number } {
  assertCount("left", left);
  assertCount("n", n);
  if (left > n) throw new RangeError(`left (${left}) must not exceed n (${n})`);
  if (n === 0) return { left_rate: null, p_value: null, n };
  return { left_rate: left / n, p_value: binomialTwoSidedP(left, n, 0.5), n };
}

/**
 * Length bias of pairwise judgments.
 *
 * Definition: among the (non-tie) pairs whose two responses differ in length, the share in
 * which the chosen response is the longer one, `longer_rate = #(chosen > rejected) / n`. Pairs
 * of equal length (and pairs with a NaN length) are excluded; ties should not be passed (a tie has no chosen side). Length
 * is whatever the caller measures (characters, tokens), the same unit on both sides.
 *
 * Source: Zheng et al. (2023), "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena" §3.3
 * (verbosity bias); Singhal et al. (2023), "A Long Way to Go: Investigating Length
 * Correlations in RLHF".
 *
 * Undefined: `longer_rate` is null when no pair has responses of different lengths (n = 0).
 *
 * @returns `n`, the number of pairs of different lengths; `longer_rate` in [0, 1]
 * @example lengthBias([{ chosenLength: 10, rejectedLength: 5 }, { chosenLength: 3, rejectedLength: 3 }])
 * // { longer_rate: 1, n: 1 }
 */
export function lengthBias(judgments: ReadonlyArray<{ chosenLength: number; rejectedLength: number }>): {
  longer_rate: number | null;
  n: number;
} {
  let n = 0;
  let longer = 0;
  for (const { chosenLength, rejectedLength } of judgments) {
    if (chosenLength === rejectedLength || Number.isNaN(chosenLength) || Number.isNaN(rejectedLength)) continue;
    n++;
    if (chosenLength > rejectedLength) longer++;
  }
  return lengthBiasFromCounts(longer, n);
}

/**
 * Length bias from counts: {@link lengthBias} of `n` pairs of different lengths of which the
 * chosen response is the longer one in `longer`.
 *
 * Definition: `longer_rate = longer / n`.
 *
 * Undefined: `longer_rate` is null when n = 0.
 *
 * @throws {RangeError} when longer or n is not a whole number ≥ 0, or longer > n
 * @example lengthBiasFromCounts(1, 1) // { longer_rate: 1, n: 1 }
 */
export function lengthBiasFromCounts(longer: number, n: number): { longer_rate: number | null; n: number } {
  assertCount("longer", longer);
  assertCount("n", n);
  if (longer > n) throw new RangeError(`longer (${longer}) must not exceed n (${n})`);
  return { longer_rate: n === 0 ? null : longer / n, n };
}

/**
 * Position bias of ranking judgments: how often the response shown first lands in the top
 * tier, against the rate chance alone would give.
 *
 * Definition: judgment j shows K_j responses and puts t_j of them in its top tier. With no
 * position effect, which responses fill the top tier does not depend on where they were shown
 * (the display order is a random permutation, independent of the responses), so the first-shown
 * response is in the top tier with probability p_j = t_j / K_j. Over the n judgments with
 * 1 ≤ t_j < K_j (a judgment that puts every response in one tier says nothing about position
 * and is left out, as ties are for pairwise position bias), the statistic is
 *
 *     rate = #(first shown in the top tier) / n,   chance_rate = p̄ = Σ p_j / n,
 *
 * with the exact two-sided binomial test of the count against Binomial(n, p̄)
 * ({@link binomialTwoSidedP}). When every judgment has the same t/K (the usual case: the same
 * number of responses per item and one best response) the count is exactly Binomial(n, p̄)
 * under the null and the test is exact. Otherwise the count is Poisson-binomial with mean n·p̄
 * and a smaller variance than Binomial(n, p̄) (Hoeffding 1956), so the test is conservative:
 * its p-value is, if anything, too large. `rate > chance_rate` means the first-shown response
 * wins more often than chance.
 *
 * Source: W. Hoeffding (1956), "On the distribution of the number of successes in independent
 * trials", Ann. Math. Statist. 27(3), 713–721; position bias as in Zheng et al. (2023) §3.3,
 * carried over from pairs to tiers.
 *
 * Undefined: `rate`, `chance_rate` and `p_value` are null when no judgment qualifies (n = 0).
 *
 * @param judgments per judgment: responses shown (K), the size of its top tier (t) and whether
 *   the response shown first is in it
 * @throws {RangeError} when a judgment's sizes are not whole numbers with 1 ≤ t ≤ K, or K < 2
 * @example firstShownTopBias([{ responses: 3, topSize: 1, firstInTop: true }, { responses: 3, topSize: 1, firstInTop: false }])
 * // { rate: 0.5, chance_rate: 0.333…, p_value: 1, n: 2 } (one success is as likely as none)
 */
export function firstShownTopBias(judgments: ReadonlyArray<{ responses: number; topSize: number; firstInTop: boolean }>): {
  rate: number | null;
  chance_rate: number | null;
  p_value: number | null;
  n: number;
} {
  let n = 0;
  let inTop = 0;
  let chance = 0;
  for (const { responses, topSize, firstInTop } of judgments) {
    if (!Number.isInteger(responses) || !Number.isInteger(topSize) || responses < 2 || topSize < 1 || topSize > responses) {
      throw new RangeError(`a judgment needs whole numbers with 1 ≤ top tier size ≤ responses and 2 ≤ responses, got ${topSize} of ${responses}`);
    }
    if (topSize === responses) continue;
    n++;
    if (firstInTop) inTop++;
    chance += topSize / responses;
  }
  if (n === 0) return { rate: null, chance_rate: null, p_value: null, n };
  const chanceRate = chance / n;
  return { rate: inTop / n, chance_rate: chanceRate, p_value: binomialTwoSidedP(inTop, n, chanceRate), n };
}
