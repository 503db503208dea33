/**
 * Quality monitoring over a dataset and over time (issue 13 point 5): per model, how often the
 * reviewers and the LLM judges flag its responses, how often it wins, by day of the response,
 * and which responses are flagged most. Everything here works on plain rows the service reads
 * (app/services/quality.server.ts); pure: no I/O.
 */
import { pairOutcomes } from "../judge/verdict";
import type { JudgmentPayload } from "../tasks/judgment";

/** Most-flagged responses the quality page lists; its download has them all. */
export const TOP_FLAGGED = 200;

/** A closed interval [low, high]. */
export type Interval = [number, number];

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal distribution. */
export const Z_95 = 1.959964;

/**
 * The Wilson score interval of a binomial proportion.
 *
 * Definition: with p̂ = successes / n and z the normal quantile (1.959964 for 95%), the interval
 * holds every p whose score test |p̂ − p| / √(p(1 − p)/n) ≤ z does not reject it:
 *
 *     (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n),
 *
 * clamped to [0, 1] against rounding (exactly 0 at 0 successes, 1 at n). Unlike the Wald interval p̂ ± z·√(p̂(1 − p̂)/n) it never
 * leaves [0, 1] and does not collapse to a point at 0 or n successes, which is what flag
 * rates of a few percent over a few dozen responses need.
 *
 * Source: E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
 * inference", Journal of the American Statistical Association 22(158):209–212; the examples
 * are Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
 * seven methods", Statistics in Medicine 17:857–872, Table I, method 3.
 *
 * Undefined (null): n = 0 (nothing observed), or counts that are not whole numbers with
 * 0 ≤ successes ≤ n.
 *
 * @param successes how many of the n were counted (e.g. flagged responses)
 * @param n how many were observed
 * @param z the normal quantile of the confidence level; 1.959964 for 95%
 * @returns [low, high] in [0, 1], or null
 * @example wilsonInterval(81, 263) // ≈ [0.2553, 0.3662]
 * @example wilsonInterval(0, 10) // ≈ [0, 0.2775]
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_95): Interval | null {
  if (!Number.isInteger(n) || !Number.isInteger(successes) || n <= 0 || successes < 0 || successes > n) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // At 0 and at n successes the bound is exactly 0 (1): write it so, not as a rounding residue.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** A share with its counts and its 95% Wilson interval; rate and interval null when n = 0. */
export interface Proportion {
  successes: number;
  n: number;
  rate: number | null;
  ci: Interval | null;
}

/**
 * successes / n with its 95% Wilson score interval ({@link wilsonInterval}).
 *
 * Undefined (rate and ci null): n = 0.
 *
 * @example proportion(5, 10) // { successes: 5, n: 10, rate: 0.5, ci: ≈ [0.2366, 0.7634] }
 */
export function proportion(successes: number, n: number): Proportion {
  return { successes, n, rate: n > 0 ? successes / n : null, ci: wilsonInterval(successes, n) };
}

/** A day as `YYYY-MM-DD` (UTC). */
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a real calendar day written `YYYY-MM-DD` (2024-02-30 is not). */
export function isDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/**
 * The day a response belongs to, in UTC: the day of its `metadata.sampled_at` (an ISO time,
 * set when Verdict sampled it), else the day of `fallbackMs` (the dataset's creation, for
 * imported responses, which carry no time of their own).
 *
 * Undefined: never; a sampled_at that is not a readable time falls back too.
 *
 * @example responseDay("2024-05-02T23:30:00-02:00", 0) // "2024-05-03"
 * @example responseDay(undefined, Date.UTC(2024, 0, 9)) // "2024-01-09"
 */
export function responseDay(sampledAt: unknown, fallbackMs: number): string {
  const ms = typeof sampledAt === "string" ? Date.parse(sampledAt) : Number.NaN;
  return new Date(Number.isFinite(ms) ? ms : fallbackMs).toISOString().slice(0, 10);
}

/** Days to keep, both ends included; an absent end is open. */
export interface DayRange {
  from?: string;
  to?: string;
}

/** Whether `day` (YYYY-MM-DD) is within `range`, both ends included. */
export function inRange(day: string, range: DayRange): boolean {
  return (range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to);
}

/** A response as quality monitoring reads it. */
export interface QualityResponse {
  id: string;
  model: string;
  /** See {@link responseDay}. */
  day: string;
}

/** One flag put on one response, with the reviewer's note (judges give none). */
export interface FlagMark {
  responseId: string;
  flag: string;
  note?: string;
}

/** One judgment or one judge verdict: the responses it looked at and the flags it put on them. */
export interface FlagObservation {
  responseIds: readonly string[];
  flags: readonly FlagMark[];
}

/** What the observations say about one response. */
export interface ResponseFlags {
  /** Observations (judgments or verdicts) that looked at it. */
  observations: number;
  /** Per flag: observations that set it, and the non-empty notes, in order. */
  flags: Map<string, { count: number; notes: string[] }>;
}

/**
 * Per response, how many observations looked at it and how many set each flag.
 *
 * Definition: a response is looked at by an observation that lists it; a flag counts once per
 * observation that sets it on the response (an observation naming it twice counts once).
 * Responses not in `responses` or outside `range` are left out; a flag on a response its
 * observation does not list is ignored.
 *
 * Undefined: never; no observation gives an empty map.
 */
export function flagsByResponse(observations: Iterable<FlagObservation>, responses: ReadonlyMap<string, QualityResponse>, range: DayRange = {}): Map<string, ResponseFlags> {
  const out = new Map<string, ResponseFlags>();
  const keep = (id: string) => {
    const response = responses.get(id);
    return response !== undefined && inRange(response.day, range);
  };
  for (const observation of observations) {
    const listed = new Set(observation.responseIds.filter(keep));
    for (const id of listed) {
      const entry = out.get(id) ?? { observations: 0, flags: new Map() };
      entry.observations += 1;
      out.set(id, entry);
    }
    const seen = new Set<string>();
    for (const mark of observation.flags) {
      if (!listed.has(mark.responseId)) continue;
      const entry = out.get(mark.responseId)!;
      const flag = entry.flags.get(mark.flag) ?? { count: 0, notes: [] };
      const key = `${mark.responseId}\u0000${mark.flag}`;
      if (!seen.has(key)) {
        seen.add(key);
        flag.count += 1;
      }
      const note = mark.note?.trim() ?? "";
      if (note) flag.notes.push(note);
      entry.flags.set(mark.flag, flag);
    }
  }
  return out;
}

/**
 * The flags to report: the configured ones in their order, then every other flag seen,
 * alphabetically, each once.
 *
 * @example flagList(["unsafe", "pii"], ["pii", "weird", "also_odd"]) // ["unsafe", "pii", "also_odd", "weird"]
 */
export function flagList(configured: Iterable<string>, seen: Iterable<string>): string[] {
  const out = [...new Set(configured)];
  const known = new Set(out);
  return [...out, ...[...new Set(seen)].filter((f) => !known.has(f)).sort()];
}

/** Flag rates of one model from one source (the reviewers, or the judges). */
export interface FlagRates {
  /** Responses of the model looked at by at least one observation. */
  judged: number;
  /** Share of those flagged with at least one flag. */
  any: Proportion;
  /** Per flag: share of those that at least one observation set the flag on. */
  flags: Record<string, Proportion>;
}

/**
 * Per model, the share of its judged responses that at least one observation flagged, for each
 * flag and for any flag, each with its 95% Wilson interval.
 *
 * Definition: for model m, n = responses of m in `range` with at least one observation
 * (`byResponse`, see {@link flagsByResponse}); for flag f, successes = those of them with f
 * set at least once. "Any" counts a response with at least one flag of any kind. A response
 * flagged by several reviewers counts once: this is a share of responses, not of judgments.
 *
 * Undefined: a model none of whose responses was judged has n = 0 and null rates.
 *
 * @returns a map from every model with a response in `range` to its rates
 */
export function flagRatesByModel(
  byResponse: ReadonlyMap<string, ResponseFlags>,
  responses: ReadonlyMap<string, QualityResponse>,
  flags: readonly string[],
  range: DayRange = {},
): Map<string, FlagRates> {
  const counts = new Map<string, { judged: number; any: number; flags: Map<string, number> }>();
  for (const response of responses.values()) {
    if (!inRange(response.day, range)) continue;
    if (!counts.has(response.model)) counts.set(response.model, { judged: 0, any: 0, flags: new Map() });
    const seen = byResponse.get(response.id);
    if (!seen || seen.observations === 0) continue;
    const c = counts.get(response.model)!;
    c.judged += 1;
    let any = false;
    for (const [flag, { count }] of seen.flags) {
      if (count === 0) continue;
      any = true;
      c.flags.set(flag, (c.flags.get(flag) ?? 0) + 1);
    }
    if (any) c.any += 1;
  }
  const out = new Map<string, FlagRates>();
  for (const [model, c] of counts) {
    out.set(model, { judged: c.judged, any: proportion(c.any, c.judged), flags: Object.fromEntries(flags.map((f) => [f, proportion(c.flags.get(f) ?? 0, c.judged)])) });
  }
  return out;
}

/** A decided comparison of two responses: `winner` was preferred to `loser`. */
export interface Decision {
  winner: string;
  loser: string;
}

/**
 * The reviewers' decided pairs: preference pairs with a strength above 0 (a tie, strength 0,
 * decides nothing and is left out).
 */
export function decidedPairs(pairs: Iterable<{ chosenId: string; rejectedId: string; strength: number }>): Decision[] {
  const out: Decision[] = [];
  for (const p of pairs) if (p.strength > 0) out.push({ winner: p.chosenId, loser: p.rejectedId });
  return out;
}

/** One ok judge verdict on an item, in one presentation. */
export interface JudgeVerdictRow {
  /** The run and the item: the two presentations of one pairwise item share it. */
  key: string;
  swapped: boolean;
  /** The item's response ids in dataset order. */
  responseIds: readonly string[];
  payload: JudgmentPayload;
  /** The batch's overall aspect, for rating verdicts. */
  overallAspect: string;
}

/**
 * The judge's decided pairs, from its verdicts through {@link pairOutcomes}.
 *
 * Definition: each (run, item) with a verdict in one presentation only gives its non-tie
 * outcomes. A pairwise item judged twice, the sides swapped the second time, gives a pair only
 * where both presentations name the same winner: an outcome that flips with the order is
 * position bias, not a preference (Zheng et al. 2023, §3.4), and is left out like a tie.
 *
 * Undefined: never; no verdict gives no pair.
 */
export function judgeDecisions(verdicts: Iterable<JudgeVerdictRow>): Decision[] {
  const byKey = new Map<string, { first?: JudgeVerdictRow; swapped?: JudgeVerdictRow }>();
  for (const v of verdicts) {
    const entry = byKey.get(v.key) ?? {};
    if (v.swapped) entry.swapped = v;
    else entry.first = v;
    byKey.set(v.key, entry);
  }
  const out: Decision[] = [];
  for (const { first, swapped } of byKey.values()) {
    const base = first ?? swapped!;
    const outcomes = pairOutcomes(base.payload, base.responseIds, base.overallAspect);
    const other = first && swapped ? pairOutcomes(swapped.payload, swapped.responseIds, swapped.overallAspect) : null;
    outcomes.forEach((p, k) => {
      if (p.outcome === "tie") return;
      if (other && other[k]?.outcome !== p.outcome) return;
      out.push(p.outcome === "a" ? { winner: p.a, loser: p.b } : { winner: p.b, loser: p.a });
    });
  }
  return out;
}

/**
 * Per model, its win rate over decided pairs, with the 95% Wilson interval.
 *
 * Definition: for model m, n = decided pairs ({@link decidedPairs}, {@link judgeDecisions}) in
 * which one response is m's and in `range`, and the other is another model's; successes =
 * those in which m's response won. Ties are not in the decided pairs; pairs of two responses
 * of one model, and pairs with a response not in `responses`, say nothing about models and
 * are left out. Each pair counts once for each side in range, so rates of two models share it.
 *
 * Undefined: a model with no decided pair is absent; see {@link proportion} for n = 0.
 */
export function winRatesByModel(decisions: Iterable<Decision>, responses: ReadonlyMap<string, QualityResponse>, range: DayRange = {}): Map<string, Proportion> {
  const counts = new Map<string, { wins: number; n: number }>();
  const add = (model: string, won: boolean) => {
    const c = counts.get(model) ?? { wins: 0, n: 0 };
    c.n += 1;
    if (won) c.wins += 1;
    counts.set(model, c);
  };
  for (const d of decisions) {
    const winner = responses.get(d.winner);
    const loser = responses.get(d.loser);
    if (!winner || !loser || winner.model === loser.model) continue;
    if (inRange(winner.day, range)) add(winner.model, true);
    if (inRange(loser.day, range)) add(loser.model, false);
  }
  return new Map([...counts].map(([model, c]) => [model, proportion(c.wins, c.n)]));
}

/** One day of the timeline: per model, the share flagged (any flag) by reviewers and by the judge. */
export interface TimelineDay {
  day: string;
  models: Record<string, { reviewers: Proportion; judge: Proportion }>;
}

/**
 * Flag rates (any flag) by day of the response, per model, from the reviewers and the judge.
 *
 * Definition: responses are put in buckets by {@link QualityResponse.day}; in each bucket and
 * for each model, the reviewers' rate is flagged / judged over the responses judged by at least
 * one reviewer, and the judge's the same over the responses in at least one ok verdict, as
 * {@link flagRatesByModel} counts them over the whole range.
 *
 * Undefined: days on which no response was judged by either are left out; a model judged only
 * by one side that day has n = 0 and a null rate for the other.
 *
 * @returns the days in order
 */
export function flagTimeline(
  reviewers: ReadonlyMap<string, ResponseFlags>,
  judge: ReadonlyMap<string, ResponseFlags>,
  responses: ReadonlyMap<string, QualityResponse>,
  range: DayRange = {},
): TimelineDay[] {
  type Counts = { judged: number; flagged: number };
  const days = new Map<string, Map<string, { reviewers: Counts; judge: Counts }>>();
  const flagged = (seen: ResponseFlags) => [...seen.flags.values()].some((f) => f.count > 0);
  const add = (side: "reviewers" | "judge", seen: ReadonlyMap<string, ResponseFlags>) => {
    for (const [id, entry] of seen) {
      const response = responses.get(id);
      if (!response || entry.observations === 0 || !inRange(response.day, range)) continue;
      const models = days.get(response.day) ?? new Map();
      days.set(response.day, models);
      const c = models.get(response.model) ?? { reviewers: { judged: 0, flagged: 0 }, judge: { judged: 0, flagged: 0 } };
      models.set(response.model, c);
      c[side].judged += 1;
      if (flagged(entry)) c[side].flagged += 1;
    }
  };
  add("reviewers", reviewers);
  add("judge", judge);
  return [...days.keys()].sort().map((day) => ({
    day,
    models: Object.fromEntries(
      [...days.get(day)!]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([model, c]) => [model, { reviewers: proportion(c.reviewers.flagged, c.reviewers.judged), judge: proportion(c.judge.flagged, c.judge.judged) }]),
    ),
  }));
}

/** A flagged response: its flags from both sides, and their total. */
export interface FlaggedResponse {
  responseId: string;
  model: string;
  day: string;
  /** Reviewer judgments that looked at it. */
  reviewerJudgments: number;
  /** Per flag, how many reviewer judgments set it, and their notes. */
  reviewerFlags: Array<{ flag: string; count: number; notes: string[] }>;
  /** Ok judge verdicts that looked at it. */
  judgeVerdicts: number;
  /** Per flag, how many verdicts set it. */
  judgeFlags: Array<{ flag: string; count: number }>;
  /** Every flag set by a reviewer or a verdict, counted once per judgment or verdict. */
  total: number;
}

/**
 * Every response in `range` flagged by a reviewer or a judge, most flags first.
 *
 * Definition: total = Σ over flags of the judgments setting it plus Σ over flags of the
 * verdicts setting it (so two reviewers flagging a response `unsafe` count 2). Ordered by total
 * (descending), then reviewer flags (descending), then day, model and response id; flags
 * within a response in the order of `flags`, others after them alphabetically.
 *
 * Undefined: never; nothing flagged gives an empty list.
 */
export function flaggedResponses(
  reviewers: ReadonlyMap<string, ResponseFlags>,
  judge: ReadonlyMap<string, ResponseFlags>,
  responses: ReadonlyMap<string, QualityResponse>,
  flags: readonly string[],
  range: DayRange = {},
): FlaggedResponse[] {
  const order = (flag: string) => {
    const i = flags.indexOf(flag);
    return i < 0 ? flags.length : i;
  };
  const byOrder = (a: { flag: string }, b: { flag: string }) => order(a.flag) - order(b.flag) || (a.flag < b.flag ? -1 : a.flag > b.flag ? 1 : 0);
  const ids = new Set([...reviewers.keys(), ...judge.keys()]);
  const out: FlaggedResponse[] = [];
  for (const id of ids) {
    const response = responses.get(id);
    if (!response || !inRange(response.day, range)) continue;
    const r = reviewers.get(id);
    const j = judge.get(id);
    const reviewerFlags = [...(r?.flags ?? new Map<string, { count: number; notes: string[] }>())]
      .filter(([, f]) => f.count > 0)
      .map(([flag, f]) => ({ flag, count: f.count, notes: [...f.notes] }))
      .sort(byOrder);
    const judgeFlags = [...(j?.flags ?? new Map<string, { count: number; notes: string[] }>())]
      .filter(([, f]) => f.count > 0)
      .map(([flag, f]) => ({ flag, count: f.count }))
      .sort(byOrder);
    const total = reviewerFlags.reduce((s, f) => s + f.count, 0) + judgeFlags.reduce((s, f) => s + f.count, 0);
    if (total === 0) continue;
    out.push({ responseId: id, model: response.model, day: response.day, reviewerJudgments: r?.observations ?? 0, reviewerFlags, judgeVerdicts: j?.observations ?? 0, judgeFlags, total });
  }
  const reviewerTotal = new Map(out.map((f) => [f, f.reviewerFlags.reduce((s, x) => s + x.count, 0)]));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort(
    (a, b) => b.total - a.total || reviewerTotal.get(b)! - reviewerTotal.get(a)! || cmp(a.day, b.day) || cmp(a.model, b.model) || cmp(a.responseId, b.responseId),
  );
}

/** Everything quality monitoring computes from a dataset's rows. */
export interface QualityInput {
  /** Every response of the dataset (out-of-range ones are needed to know a pair's other model). */
  responses: readonly QualityResponse[];
  range: DayRange;
  /** The flags of the batches' configs, in order. */
  configuredFlags: readonly string[];
  reviewerJudgments: readonly FlagObservation[];
  reviewerPairs: ReadonlyArray<{ chosenId: string; rejectedId: string; strength: number }>;
  /** Ok verdicts of the judge (or judges) reported, with their flags. */
  judgeVerdicts: ReadonlyArray<JudgeVerdictRow & FlagObservation>;
}

export interface ModelQuality {
  model: string;
  /** The model's responses in the range. */
  responses: number;
  reviewers: FlagRates;
  judge: FlagRates;
  winRate: { reviewers: Proportion; judge: Proportion };
}

export interface QualitySummary {
  flags: string[];
  models: ModelQuality[];
  timeline: TimelineDay[];
  flagged: FlaggedResponse[];
}

/**
 * Per model: flag rates by the reviewers and by the judge ({@link flagRatesByModel}), win rates
 * from the reviewers' pairs and the judge's verdicts ({@link winRatesByModel}), the timeline
 * ({@link flagTimeline}) and the flagged responses ({@link flaggedResponses}), over the
 * responses in `range`. Models in name order.
 */
export function qualitySummary(input: QualityInput): QualitySummary {
  const responses = new Map(input.responses.map((r) => [r.id, r]));
  const reviewers = flagsByResponse(input.reviewerJudgments, responses, input.range);
  const judge = flagsByResponse(input.judgeVerdicts, responses, input.range);
  const seen = [...reviewers.values(), ...judge.values()].flatMap((r) => [...r.flags.keys()]);
  const flags = flagList(input.configuredFlags, seen);
  const reviewerRates = flagRatesByModel(reviewers, responses, flags, input.range);
  const judgeRates = flagRatesByModel(judge, responses, flags, input.range);
  const reviewerWins = winRatesByModel(decidedPairs(input.reviewerPairs), responses, input.range);
  const judgeWins = winRatesByModel(judgeDecisions(input.judgeVerdicts), responses, input.range);
  const inScope = new Map<string, number>();
  for (const r of input.responses) if (inRange(r.day, input.range)) inScope.set(r.model, (inScope.get(r.model) ?? 0) + 1);
  const none = proportion(0, 0);
  const empty: FlagRates = { judged: 0, any: none, flags: Object.fromEntries(flags.map((f) => [f, none])) };
  const models = [...inScope.keys()].sort().map((model) => ({
    model,
    responses: inScope.get(model)!,
    reviewers: reviewerRates.get(model) ?? empty,
    judge: judgeRates.get(model) ?? empty,
    winRate: { reviewers: reviewerWins.get(model) ?? none, judge: judgeWins.get(model) ?? none },
  }));
  return { flags, models, timeline: flagTimeline(reviewers, judge, responses, input.range), flagged: flaggedResponses(reviewers, judge, responses, flags, input.range) };
}
