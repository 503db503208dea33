/**
 * How far an LLM judge can be trusted against human reviewers on pairwise items, as MT-Bench
 * reports it: agreement with and without ties, judge vs. the human majority, judge vs. each
 * human vote, and the human–human baseline; plus κ, a confusion matrix and swap consistency.
 * Pure: no I/O; the only randomness is the seeded bootstrap.
 */
import { bootstrapIntervalResult } from "../agreement/bootstrap";
import { cohenKappaResult } from "../agreement/cohen-kappa";

/** Which of two responses (in canonical order) is better. */
export type Outcome = "a" | "b" | "tie";

/** One compared pair of responses: the judge's outcome and every human's. */
export interface TrustUnit {
  /** E.g. item id + response pair. */
  key: string;
  judge: Outcome;
  humans: ReadonlyArray<{ reviewer: string; outcome: Outcome }>;
}

/** A share with how many votes, pairs or units went into it; `reason` exactly when `value` is null. */
export interface TrustStatistic {
  value: number | null;
  n: number;
  reason?: string;
}

/** A {@link TrustStatistic} with its bootstrap interval (and why there is none, if so). */
export interface TrustEstimate extends TrustStatistic {
  interval: [number, number] | null;
  interval_reason?: string;
}

const OUTCOMES: ReadonlyArray<Outcome> = ["a", "b", "tie"];

/** Agreeing and compared counts of one unit, for a share pooled over units. */
type Counter = (unit: TrustUnit) => { hits: number; total: number };

function share(units: ReadonlyArray<TrustUnit>, count: Counter, empty: string): TrustStatistic {
  let hits = 0;
  let total = 0;
  for (const unit of units) {
    const c = count(unit);
    hits += c.hits;
    total += c.total;
  }
  return total === 0 ? { value: null, n: 0, reason: empty } : { value: hits / total, n: total };
}

/**
 * The human majority outcome of one unit.
 *
 * Definition: the outcome ("a", "b" or "tie") given by strictly more human votes than any
 * other outcome (a plurality; with two options and ties it need not be over half).
 *
 * Source: Zheng et al. (2023), "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena", §4.2.
 *
 * Undefined (null): no human votes; the top count is shared (one "a", one "b").
 *
 * @param humans the human votes on the unit
 * @returns the majority outcome, or null
 * @example
 * humanMajority([{ reviewer: "x", outcome: "a" }, { reviewer: "y", outcome: "a" }, { reviewer: "z", outcome: "b" }]); // => "a"
 */
export function humanMajority(humans: TrustUnit["humans"]): Outcome | null {
  const counts = OUTCOMES.map((o) => humans.filter((h) => h.outcome === o).length);
  const top = Math.max(...counts);
  if (top === 0 || counts.filter((c) => c === top).length > 1) return null;
  return OUTCOMES[counts.indexOf(top)]!;
}

const majorityCounter =
  (ties: boolean): Counter =>
  (unit) => {
    const majority = humanMajority(unit.humans);
    if (majority === null || (!ties && (majority === "tie" || unit.judge === "tie"))) return { hits: 0, total: 0 };
    return { hits: unit.judge === majority ? 1 : 0, total: 1 };
  };

/**
 * Agreement of the judge with the human majority.
 *
 * Definition: over units that have a {@link humanMajority}, the share where the judge's outcome
 * equals it; n = those units. With `ties: false`, units where the majority or the judge is
 * "tie" are left out too.
 *
 * Source: Zheng et al. (2023), §4.2 (agreement "w/ tie" and "w/o tie").
 *
 * Undefined (null): no unit has a majority (no units, no humans, only split votes), or,
 * without ties, every such unit involves a tie.
 *
 * @param units judged units
 * @param options ties: whether a tie is an outcome of its own (true) or left out (false)
 * @returns the share in [0, 1], with n units
 * @example
 * majorityAgreement([{ key: "1", judge: "a", humans: [{ reviewer: "x", outcome: "a" }] }], { ties: true }); // => { value: 1, n: 1 }
 */
export function majorityAgreement(units: ReadonlyArray<TrustUnit>, options: { ties: boolean }): TrustStatistic {
  return share(units, majorityCounter(options.ties), options.ties ? "no unit has a human majority" : "no unit has a non-tie human majority and a non-tie judge outcome");
}

const judgeHumanCounter =
  (ties: boolean, reviewer?: string): Counter =>
  (unit) => {
    let hits = 0;
    let total = 0;
    for (const h of unit.humans) {
      if (reviewer !== undefined && h.reviewer !== reviewer) continue;
      if (!ties && (h.outcome === "tie" || unit.judge === "tie")) continue;
      total += 1;
      if (h.outcome === unit.judge) hits += 1;
    }
    return { hits, total };
  };

/**
 * Judge–human agreement, MT-Bench's "agreement between GPT-4 and humans".
 *
 * Definition: over every (unit, human vote) pair, the share where the judge's outcome equals
 * the human's; n = those votes. This is the probability that the judge and a randomly drawn
 * human vote agree. With `ties: false`, votes where either side is "tie" are left out. With
 * `reviewer`, only that reviewer's votes count (per-human agreement).
 *
 * Source: Zheng et al. (2023), §4.2 and Table 2 (random baseline R = 33% with ties, 50% without).
 *
 * Undefined (null): no human votes (of that reviewer), or, without ties, none without a tie.
 *
 * @param units judged units
 * @param options ties as in {@link majorityAgreement}; reviewer to restrict to one human
 * @returns the share in [0, 1], with n votes
 * @example
 * judgeHumanAgreement([{ key: "1", judge: "a", humans: [{ reviewer: "x", outcome: "a" }, { reviewer: "y", outcome: "b" }] }], { ties: true }); // => { value: 0.5, n: 2 }
 */
export function judgeHumanAgreement(units: ReadonlyArray<TrustUnit>, options: { ties: boolean; reviewer?: string }): TrustStatistic {
  const who = options.reviewer === undefined ? "" : ` by ${options.reviewer}`;
  return share(units, judgeHumanCounter(options.ties, options.reviewer), options.ties ? `no human votes${who}` : `no non-tie human votes${who} on units with a non-tie judge outcome`);
}

const humanHumanCounter =
  (ties: boolean): Counter =>
  (unit) => {
    let hits = 0;
    let total = 0;
    const votes = unit.humans;
    for (let i = 0; i < votes.length; i++) {
      for (let j = i + 1; j < votes.length; j++) {
        const x = votes[i]!;
        const y = votes[j]!;
        if (x.reviewer === y.reviewer) continue;
        if (!ties && (x.outcome === "tie" || y.outcome === "tie")) continue;
        total += 1;
        if (x.outcome === y.outcome) hits += 1;
      }
    }
    return { hits, total };
  };

/**
 * Human–human agreement, the baseline: is the judge as good as one more reviewer?
 *
 * Definition: over every unordered pair of votes of two distinct reviewers on the same unit,
 * the share that agree; n = those pairs (a unit with m reviewers gives m(m − 1)/2). With
 * `ties: false`, pairs where either vote is "tie" are left out.
 *
 * Source: Zheng et al. (2023), §4.2 and Table 2 ("human" vs. "human" row).
 *
 * Undefined (null): no unit has votes of two distinct reviewers (without ties: two non-tie ones).
 *
 * @param units judged units (the judge is not used)
 * @param options ties as in {@link majorityAgreement}
 * @returns the share in [0, 1], with n pairs
 * @example
 * humanHumanAgreement([{ key: "1", judge: "a", humans: [{ reviewer: "x", outcome: "a" }, { reviewer: "y", outcome: "tie" }] }], { ties: true }); // => { value: 0, n: 1 }
 */
export function humanHumanAgreement(units: ReadonlyArray<TrustUnit>, options: { ties: boolean }): TrustStatistic {
  return share(units, humanHumanCounter(options.ties), options.ties ? "no unit has votes of two reviewers" : "no unit has non-tie votes of two reviewers");
}

/**
 * Cohen's κ between the judge and the human majority.
 *
 * Definition: unweighted Cohen's κ = (p_o − p_e)/(1 − p_e) over the units that have a
 * {@link humanMajority}, categories a, b, tie; n = those units. See `cohenKappaResult`.
 *
 * Source: Cohen, J. (1960), "A coefficient of agreement for nominal scales", Educational and
 * Psychological Measurement 20(1), 37–46.
 *
 * Undefined (null): no unit has a majority; the judge and the majority used one and the same
 * outcome only (expected disagreement 0).
 *
 * @param units judged units
 * @returns κ in [−1, 1], with n units
 * @example
 * majorityKappa(units); // => { value: 0.5, n: 4 } for two units a/a, one b/b, one a/b (judge/majority)
 */
export function majorityKappa(units: ReadonlyArray<TrustUnit>): TrustStatistic {
  const judge: number[] = [];
  const majority: number[] = [];
  for (const unit of units) {
    const m = humanMajority(unit.humans);
    if (m === null) continue;
    judge.push(OUTCOMES.indexOf(unit.judge));
    majority.push(OUTCOMES.indexOf(m));
  }
  if (judge.length === 0) return { value: null, n: 0, reason: "no unit has a human majority" };
  const kappa = cohenKappaResult(judge, majority, "unweighted", [0, 1, 2]);
  return kappa.value === null ? { value: null, n: judge.length, reason: kappa.reason ?? "undefined" } : { value: kappa.value, n: judge.length };
}

/** Counts of the human majority (rows) against the judge (columns), in the order of `outcomes`. */
export interface TrustConfusion {
  outcomes: ReadonlyArray<Outcome>;
  /** counts[i][j]: units whose majority is outcomes[i] and judge outcome outcomes[j]. */
  counts: number[][];
  /** Units without a human majority (no humans or a shared top count), not in `counts`. */
  no_majority: number;
}

/**
 * Confusion matrix of the human majority against the judge.
 *
 * Definition: counts[i][j] = units whose {@link humanMajority} is outcome i and whose judge
 * outcome is j, for i, j in a, b, tie; units without a majority are counted in `no_majority`.
 *
 * Source: the usual contingency table of two raters (Cohen 1960, table 1).
 *
 * Undefined: never; all counts are 0 for no units.
 *
 * @param units judged units
 * @returns the 3 × 3 counts and the units without a majority
 * @example
 * confusionMatrix([{ key: "1", judge: "b", humans: [{ reviewer: "x", outcome: "a" }] }]).counts[0]; // => [0, 1, 0]
 */
export function confusionMatrix(units: ReadonlyArray<TrustUnit>): TrustConfusion {
  const counts = OUTCOMES.map(() => OUTCOMES.map(() => 0));
  let noMajority = 0;
  for (const unit of units) {
    const m = humanMajority(unit.humans);
    if (m === null) noMajority += 1;
    else counts[OUTCOMES.indexOf(m)]![OUTCOMES.indexOf(unit.judge)]! += 1;
  }
  return { outcomes: OUTCOMES, counts, no_majority: noMajority };
}

/** Result of {@link swapConsistency}. */
export interface SwapConsistency {
  value: number | null;
  reason?: string;
  consistent: number;
  inconsistent: number;
  total: number;
  /** Inconsistent pairs that preferred the side shown first both times, or second both times. */
  position_bias: { first_shown: number; second_shown: number };
}

/**
 * Swap consistency of a judge: does its verdict survive swapping the two responses?
 *
 * Definition: each pair is one item judged twice, once in canonical order ("first": a shown
 * first) and once swapped (b shown first), both outcomes mapped back to canonical order;
 * value = consistent / total, consistent meaning equal outcomes. Of the inconsistent pairs,
 * first "a" and swapped "b" (the side shown first won both times) count as `first_shown`,
 * first "b" and swapped "a" as `second_shown`; inconsistencies involving a tie count in neither.
 *
 * Source: Zheng et al. (2023), §3.3 "Position bias" and Table 2 ("consistency",
 * "biased toward first", "biased toward second").
 *
 * Undefined (value null): no pairs.
 *
 * @param pairs the two canonical outcomes of each item
 * @returns the share consistent and the counts
 * @example
 * swapConsistency([{ first: "a", swapped: "b" }]); // => value 0, position_bias.first_shown 1
 */
export function swapConsistency(pairs: ReadonlyArray<{ first: Outcome; swapped: Outcome }>): SwapConsistency {
  let consistent = 0;
  let firstShown = 0;
  let secondShown = 0;
  for (const { first, swapped } of pairs) {
    if (first === swapped) consistent += 1;
    else if (first === "a" && swapped === "b") firstShown += 1;
    else if (first === "b" && swapped === "a") secondShown += 1;
  }
  const total = pairs.length;
  const counts = { consistent, inconsistent: total - consistent, total, position_bias: { first_shown: firstShown, second_shown: secondShown } };
  return total === 0 ? { value: null, reason: "no swapped pairs were judged", ...counts } : { value: consistent / total, ...counts };
}

/**
 * The judge outcome used for agreement, from a verdict and its swapped repeat.
 *
 * Definition: without a swapped verdict, `first`; if both agree, that outcome; if they differ,
 * "tie" (MT-Bench's conservative rule: an inconsistent verdict counts as a tie).
 *
 * Source: Zheng et al. (2023), §3.4 "Swapping positions".
 *
 * Undefined: never.
 *
 * @param first the outcome in canonical order
 * @param swapped the outcome with sides swapped, mapped back to canonical order, or null
 * @returns the outcome
 * @example
 * judgeOutcome("a", "b"); // => "tie"
 */
export function judgeOutcome(first: Outcome, swapped: Outcome | null): Outcome {
  if (swapped === null || swapped === first) return first;
  return "tie";
}

/** A statistic of the report with and without ties. */
type WithTies = { with_ties: TrustEstimate; without_ties: TrustEstimate };

/** The report of {@link judgeTrust}. */
export interface JudgeTrustReport {
  units: number;
  majority_agreement: WithTies;
  kappa: TrustEstimate;
  judge_human: WithTies;
  human_human: WithTies;
  per_human: Array<{ reviewer: string } & WithTies>;
  confusion: TrustConfusion;
}

/**
 * How far the judge can be trusted: every statistic above, each with a percentile bootstrap
 * interval.
 *
 * Definition: the values are those of {@link majorityAgreement}, {@link majorityKappa},
 * {@link judgeHumanAgreement} (pooled and per reviewer, sorted by reviewer),
 * {@link humanHumanAgreement} and {@link confusionMatrix}. Intervals resample whole units (all
 * of a unit's votes together) with `bootstrapIntervalResult`, the same seeded resamples for
 * every statistic. Nothing is rounded.
 *
 * Source: Zheng et al. (2023), §4.2; Efron & Tibshirani (1993), ch. 13.
 *
 * Undefined: per statistic as in its function (value null with reason); an interval is null
 * (with `interval_reason`) when there are no units or the statistic is undefined in over half
 * of the replicates. Throws RangeError for invalid bootstrap options.
 *
 * @param units judged units
 * @param options replicates (default 1000), seed (default 1), level (default 0.95)
 * @returns the report
 * @example
 * judgeTrust(units, { seed: 7 }).judge_human.with_ties; // => { value, n, interval: [lo, hi] }
 */
export function judgeTrust(
  units: ReadonlyArray<TrustUnit>,
  options: { replicates?: number; seed?: number; level?: number } = {},
): JudgeTrustReport {
  const boot = { replicates: options.replicates ?? 1000, seed: options.seed ?? 1, level: options.level };
  const estimate = (statistic: (sample: ReadonlyArray<TrustUnit>) => TrustStatistic): TrustEstimate => {
    const point = statistic(units);
    const b = bootstrapIntervalResult(units.length, (ix) => statistic(ix.map((i) => units[i]!)).value, boot);
    return b.interval === null ? { ...point, interval: null, interval_reason: b.reason ?? "undefined" } : { ...point, interval: b.interval };
  };
  const both = (statistic: (sample: ReadonlyArray<TrustUnit>, ties: boolean) => TrustStatistic): WithTies => ({
    with_ties: estimate((s) => statistic(s, true)),
    without_ties: estimate((s) => statistic(s, false)),
  });
  const reviewers = [...new Set(units.flatMap((u) => u.humans.map((h) => h.reviewer)))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return {
    units: units.length,
    majority_agreement: both((s, ties) => majorityAgreement(s, { ties })),
    kappa: estimate(majorityKappa),
    judge_human: both((s, ties) => judgeHumanAgreement(s, { ties })),
    human_human: both((s, ties) => humanHumanAgreement(s, { ties })),
    per_human: reviewers.map((reviewer) => ({ reviewer, ...both((s, ties) => judgeHumanAgreement(s, { ties, reviewer })) })),
    confusion: confusionMatrix(units),
  };
}
