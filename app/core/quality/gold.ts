/**
 * Gold (check) items (issue 12, decisions.md §28): items whose expected answer an admin knows,
 * mixed into every reviewer's stream to measure how careful they are. Pure: no I/O.
 */
import { z } from "zod";
import type { JudgmentPayload } from "../tasks/judgment";

/**
 * A gold answer as stored on a prompt or an item (`gold_answer`): the best response (its id) or
 * "tie", and/or each response's expected score on the batch's overall aspect.
 */
export const goldAnswerSchema = z
  .object({
    best: z.string().min(1, { error: "best must name a response id or be \"tie\"" }).optional(),
    scores: z.record(z.string(), z.number({ error: "each score must be a number" })).optional(),
  })
  .strict()
  .refine((a) => a.best !== undefined || (a.scores !== undefined && Object.keys(a.scores).length > 0), {
    error: "a gold answer needs best (a response id or \"tie\") or scores ({responseId: score})",
  });

export type GoldAnswer = z.infer<typeof goldAnswerSchema>;

/** The response ids an answer names (`best` unless "tie", and the keys of `scores`), each once. */
export function goldAnswerResponses(answer: GoldAnswer): string[] {
  return [...new Set([...(answer.best !== undefined && answer.best !== "tie" ? [answer.best] : []), ...Object.keys(answer.scores ?? {})])];
}

/**
 * The gold answer that applies to one item, or null when the answer says nothing about it.
 *
 * Definition: with `scores` covering every response of the item, the scores restricted to the
 * item; otherwise `best` when it is "tie" (pairwise only) or one of the item's responses.
 * A prompt's answer naming a response outside a pairwise item (an item of two of its K
 * responses) does not apply to that item.
 *
 * @example goldAnswerOfItem({ best: "r2" }, ["r1", "r2"], "pairwise") // { best: "r2" }
 * @example goldAnswerOfItem({ best: "r3" }, ["r1", "r2"], "pairwise") // null
 */
export function goldAnswerOfItem(answer: GoldAnswer, responseIds: readonly string[], task: "pairwise" | "ranking" | "rating"): GoldAnswer | null {
  if (answer.scores && responseIds.every((id) => typeof answer.scores![id] === "number")) {
    return { scores: Object.fromEntries(responseIds.map((id) => [id, answer.scores![id]!])) };
  }
  if (answer.best === "tie") return task === "pairwise" ? { best: "tie" } : null;
  if (answer.best !== undefined && responseIds.includes(answer.best)) return { best: answer.best };
  return null;
}

/** The ids whose score is within `tolerance` of the highest. */
function topOf(scores: Record<string, number>, tolerance: number): Set<string> {
  const values = Object.values(scores);
  if (values.length === 0) return new Set();
  const best = Math.max(...values);
  return new Set(Object.entries(scores).filter(([, v]) => v >= best - tolerance).map(([id]) => id));
}

function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((id) => y.has(id));
}

/**
 * Whether a reviewer's judgment of a gold item is correct.
 *
 * Definition, by task (issue 12 point 4):
 * - pairwise: the direction matches. With `best`, the preferred response is `best` (a tie is
 *   correct only for a "tie" answer). With `scores`, the preferred response is the higher-scored
 *   one, and a tie is expected when the two scores are within `tolerance`.
 * - ranking: the top response matches: the top tier is exactly `best`, or, with `scores`, the set
 *   of highest-scored responses.
 * - rating: with `scores`, every response's score on `overallAspect` is within `tolerance` points
 *   of its expected score; with `best`, the reviewer's single highest score (on `overallAspect`)
 *   is `best`'s.
 *
 * Undefined: never; a judgment of another task, or one missing a score, is incorrect (false).
 *
 * @example goldCorrect({ best: "a" }, { task: "pairwise", preferred: "a", strength: 1, bothBad: false }, { tolerance: 0, overallAspect: "overall" }) // true
 * @example goldCorrect({ scores: { a: 4, b: 2 } }, { task: "rating", scores: { a: { overall: 5 }, b: { overall: 2 } } }, { tolerance: 1, overallAspect: "overall" }) // true
 */
export function goldCorrect(answer: GoldAnswer, payload: JudgmentPayload, options: { tolerance: number; overallAspect: string }): boolean {
  const tolerance = Math.max(0, options.tolerance);
  if (payload.task === "pairwise") {
    if (answer.scores) {
      const entries = Object.entries(answer.scores);
      if (entries.length !== 2) return false;
      const [[a, sa], [b, sb]] = entries as [[string, number], [string, number]];
      const expected = Math.abs(sa - sb) <= tolerance ? "tie" : sa > sb ? a : b;
      return payload.preferred === expected;
    }
    return payload.preferred === answer.best;
  }
  if (payload.task === "ranking") {
    const top = payload.tiers[0] ?? [];
    if (answer.scores) return sameSet(top, topOf(answer.scores, 0));
    return top.length === 1 && top[0] === answer.best;
  }
  const given: Record<string, number> = {};
  for (const [id, s] of Object.entries(payload.scores)) if (typeof s[options.overallAspect] === "number") given[id] = s[options.overallAspect]!;
  if (answer.scores) {
    return Object.entries(answer.scores).every(([id, expected]) => typeof given[id] === "number" && Math.abs(given[id]! - expected) <= tolerance);
  }
  // Every response needs its overall score: a judgment missing one is incorrect.
  if (Object.keys(payload.scores).some((id) => typeof given[id] !== "number")) return false;
  const top = topOf(given, 0);
  return top.size === 1 && answer.best !== undefined && top.has(answer.best);
}

/**
 * Whether the next item handed to a reviewer should be a gold item.
 *
 * Definition: true when goldServed < ⌊rate × (served + 1)⌋, where served counts every item
 * already handed to them in the batch (gold included): the gold items make up `rate` of the
 * stream, the first one arriving at item ⌈1 / rate⌉ (an epsilon of 1e-9 keeps 0.1 × 10 from
 * flooring to 0).
 *
 * Undefined: never; a rate ≤ 0 is never due.
 *
 * @example goldDue(0.1, 9, 0) // true (the 10th item)
 * @example goldDue(0.1, 10, 1) // false
 */
export function goldDue(rate: number, served: number, goldServed: number): boolean {
  if (!Number.isFinite(rate) || rate <= 0) return false;
  return goldServed < Math.floor(rate * (served + 1) + 1e-9);
}

/**
 * Gold accuracy and whether it pauses the reviewer.
 *
 * Definition: accuracy = correct / answered over the reviewer's judged gold items (null when none);
 * the reviewer is paused when answered ≥ minItems and accuracy < threshold.
 *
 * Source: gold-standard ("honeypot") questions for annotator quality control (Oleson et al.
 * 2011, "Programmatic Gold").
 *
 * @example goldStanding([true, false, false], { threshold: 0.7, minItems: 3 }) // { answered: 3, correct: 1, accuracy: 0.333…, paused: true }
 */
export function goldStanding(
  outcomes: readonly boolean[],
  options: { threshold: number; minItems: number },
): { answered: number; correct: number; accuracy: number | null; paused: boolean } {
  const answered = outcomes.length;
  const correct = outcomes.filter(Boolean).length;
  const accuracy = answered === 0 ? null : correct / answered;
  return { answered, correct, accuracy, paused: accuracy !== null && answered >= options.minItems && accuracy < options.threshold };
}

/** The message a paused reviewer sees, naming their figures and the batch's threshold. */
export function pausedReason(standing: { answered: number; correct: number }, threshold: number): string {
  // The reviewer's share rounded down, so it never reads as equal to the threshold it is below.
  const percent = (x: number, round: (n: number) => number) => `${round(x * 100 + 1e-9)}%`;
  return (
    `You are paused in this batch: you answered ${standing.correct} of ${standing.answered} check items as expected ` +
    `(${percent(standing.correct / Math.max(1, standing.answered), Math.floor)}), below the batch's ${percent(threshold, Math.round)}. ` +
    `An admin can look at your answers and resume you.`
  );
}
