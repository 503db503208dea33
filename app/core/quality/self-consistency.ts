/**
 * Self-consistency (issue 12): a share of a reviewer's judged items is shown to them again later
 * with the sides swapped, and their answer compared with their first one (decisions.md §29).
 * Pure: no I/O; the only import is a type.
 */
import type { JudgmentPayload } from "../tasks/judgment";

/**
 * Repeats a reviewer is owed.
 *
 * Definition: max(0, ⌊share × submittedReviews⌋ − repeatsGiven): the repeats their submitted
 * reviews earn at the configured share, less those already handed out (in any state). A tiny
 * epsilon (1e-9) is added before flooring so that a product such as 0.29 × 100 =
 * 28.999999999999996 counts as the 29 it means.
 *
 * Undefined: never; a share ≤ 0 (or not a finite number) owes 0.
 *
 * @example repeatsOwed(0.5, 4, 1) // 1
 * @example repeatsOwed(0.1, 9, 0) // 0
 */
export function repeatsOwed(share: number, submittedReviews: number, repeatsGiven: number): number {
  if (!Number.isFinite(share) || share <= 0 || submittedReviews <= 0) return 0;
  return Math.max(0, Math.floor(share * submittedReviews + 1e-9) - repeatsGiven);
}

/**
 * The display order of a repeat.
 *
 * Definition: the original display order reversed (a new array), so the response shown first is
 * shown last: for pairwise, left and right swap; for ranking and rating, every response moves to
 * the mirrored place.
 *
 * Undefined: never; an order of zero or one response stays as it is.
 *
 * @example swappedOrder([1, 0]) // [0, 1]
 * @example swappedOrder([2, 0, 1]) // [1, 0, 2]
 */
export function swappedOrder(order: readonly number[]): number[] {
  return [...order].reverse();
}

/** The responses whose overall score is within `tolerance` of the judgment's highest; those without one are left out. */
function topRated(scores: Record<string, Record<string, number>>, aspect: string, tolerance: number): Set<string> {
  const overall = Object.entries(scores).flatMap(([id, s]) => (typeof s[aspect] === "number" ? [[id, s[aspect]] as const] : []));
  if (overall.length === 0) return new Set();
  const best = Math.max(...overall.map(([, v]) => v));
  return new Set(overall.filter(([, v]) => v >= best - tolerance).map(([id]) => id));
}

function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((id) => y.has(id));
}

/**
 * Whether a reviewer's repeat judgment agrees with their first judgment of the item.
 *
 * Definition, by task (responses are compared by id, so the swapped display order does not
 * matter):
 * - pairwise: the same preferred response, or both "tie" (strength and "both bad" are ignored);
 * - ranking: the same set of responses in the top tier;
 * - rating: the same set of responses with the highest score on `overallAspect`, where a
 *   response within `tolerance` points (default 0) of the highest counts as highest too. A
 *   single best response must be the same one; two judgments whose scores are all equal agree.
 *   Responses without a score on the aspect are left out.
 *
 * Undefined: never; judgments of two different tasks do not agree (false).
 *
 * @example selfAgrees({ task: "pairwise", preferred: "a", strength: 2, bothBad: false },
 *   { task: "pairwise", preferred: "a", strength: 1, bothBad: false }, { overallAspect: "overall" }) // true
 * @example selfAgrees({ task: "ranking", tiers: [["a"], ["b", "c"]] },
 *   { task: "ranking", tiers: [["a", "b"], ["c"]] }, { overallAspect: "overall" }) // false
 */
export function selfAgrees(first: JudgmentPayload, repeat: JudgmentPayload, options: { overallAspect: string; tolerance?: number }): boolean {
  if (first.task === "pairwise" && repeat.task === "pairwise") return first.preferred === repeat.preferred;
  if (first.task === "ranking" && repeat.task === "ranking") return sameSet(first.tiers[0] ?? [], repeat.tiers[0] ?? []);
  if (first.task === "rating" && repeat.task === "rating") {
    const tolerance = Math.max(0, options.tolerance ?? 0);
    return sameSet(topRated(first.scores, options.overallAspect, tolerance), topRated(repeat.scores, options.overallAspect, tolerance));
  }
  return false;
}

/**
 * Self-agreement rate.
 *
 * Definition: over a reviewer's repeated items (one outcome each, true when the repeat agreed
 * with the first judgment, see {@link selfAgrees}), `agreed` is the number of agreements,
 * `repeated` the number of outcomes and `rate` = agreed / repeated.
 *
 * Source: intra-rater (test–retest) reliability as raw percent agreement.
 *
 * Undefined: `rate` is null when nothing was repeated.
 *
 * @example selfAgreement([true, true, false, true]) // { agreed: 3, repeated: 4, rate: 0.75 }
 * @example selfAgreement([]) // { agreed: 0, repeated: 0, rate: null }
 */
export function selfAgreement(outcomes: readonly boolean[]): { agreed: number; repeated: number; rate: number | null } {
  const agreed = outcomes.filter(Boolean).length;
  return { agreed, repeated: outcomes.length, rate: outcomes.length === 0 ? null : agreed / outcomes.length };
}
