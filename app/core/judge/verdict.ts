/**
 * From a judge's answer (by labels A, B, …) to what Verdict stores and compares (by response
 * ids): the judgment payload, its flags, and the outcome it implies for each two responses.
 * Pure: no I/O.
 */
import type { JudgmentPayload } from "../tasks/judgment";
import { responseLabels, type JudgeVerdict } from "./parse";
import type { Outcome } from "./trust";

/**
 * The response ids in the order the judge sees them as A, B, C…: the dataset's order, or for
 * the swapped presentation of a pairwise item the reverse (position bias, issue 13 point 3).
 */
export function judgeDisplayOrder(responseIds: readonly string[], swapped: boolean): string[] {
  return swapped ? [...responseIds].reverse() : [...responseIds];
}

export interface StoredJudgeVerdict {
  payload: JudgmentPayload;
  flags: Array<{ response_id: string; flag: string }>;
  rationale: string;
}

/**
 * The verdict by response ids. A pairwise strength above the batch's scale is capped to it (a
 * 3-point scale knows strength 1 only); flags named twice are kept once.
 */
export function storedVerdict(verdict: JudgeVerdict, displayOrder: readonly string[], maxStrength: 1 | 3): StoredJudgeVerdict {
  const labels = responseLabels(displayOrder.length);
  const idOf = (label: string) => displayOrder[labels.indexOf(label)]!;
  const seen = new Set<string>();
  const flags: StoredJudgeVerdict["flags"] = [];
  for (const f of verdict.flags) {
    const key = `${f.response}\u0000${f.flag}`;
    if (seen.has(key)) continue;
    seen.add(key);
    flags.push({ response_id: idOf(f.response), flag: f.flag });
  }
  let payload: JudgmentPayload;
  if (verdict.task === "pairwise") {
    payload =
      verdict.preferred === "tie"
        ? { task: "pairwise", preferred: "tie", strength: 0, bothBad: false }
        : { task: "pairwise", preferred: idOf(verdict.preferred), strength: Math.max(1, Math.min(maxStrength, verdict.strength)) as 1 | 2 | 3, bothBad: false };
  } else if (verdict.task === "ranking") {
    payload = { task: "ranking", tiers: verdict.tiers.map((tier) => tier.map(idOf)) };
  } else {
    payload = { task: "rating", scores: Object.fromEntries(Object.entries(verdict.scores).map(([label, scores]) => [idOf(label), { ...scores }])) };
  }
  return { payload, flags, rationale: verdict.rationale };
}

/** Two responses of an item in dataset order (`a` before `b`), and which one a judgment prefers. */
export interface PairOutcome {
  a: string;
  b: string;
  outcome: Outcome;
}

/**
 * The outcome a judgment implies for every two responses of its item, in dataset order: the
 * preferred one for pairwise; the higher tier for ranking (same tier: tie); the higher score
 * on the overall aspect for rating (equal or missing: tie). Unlike preference pairs, ties are
 * kept: agreement on "these are equally good" counts.
 */
export function pairOutcomes(payload: JudgmentPayload, responseIds: readonly string[], overallAspect: string): PairOutcome[] {
  const out: PairOutcome[] = [];
  const rank = (id: string): number => {
    if (payload.task === "ranking") return -payload.tiers.findIndex((tier) => tier.includes(id));
    if (payload.task === "rating") return payload.scores[id]?.[overallAspect] ?? Number.NaN;
    return payload.preferred === id ? 1 : 0;
  };
  for (let i = 0; i < responseIds.length; i++) {
    for (let j = i + 1; j < responseIds.length; j++) {
      const a = responseIds[i]!;
      const b = responseIds[j]!;
      const ra = rank(a);
      const rb = rank(b);
      const outcome: Outcome = Number.isNaN(ra) || Number.isNaN(rb) || ra === rb ? "tie" : ra > rb ? "a" : "b";
      out.push({ a, b, outcome });
    }
  }
  return out;
}

/**
 * Why a judge's rating cannot be stored, or null: a score for an aspect the rubric does not
 * have, or outside the aspect's range, or not a whole number. An aspect left out is allowed:
 * only the overall aspect makes comparisons, and the rest are kept as given.
 */
export function ratingProblem(verdict: JudgeVerdict, aspects: ReadonlyArray<{ key: string; min: number; max: number }>): string | null {
  if (verdict.task !== "rating") return null;
  const byKey = new Map(aspects.map((a) => [a.key, a]));
  for (const [label, scores] of Object.entries(verdict.scores)) {
    for (const [key, value] of Object.entries(scores)) {
      const aspect = byKey.get(key);
      if (!aspect) return `response ${label}: "${key}" is not an aspect of the rubric (${aspects.map((a) => a.key).join(", ")})`;
      if (!Number.isInteger(value) || value < aspect.min || value > aspect.max) return `response ${label}: ${key} ${value} is not a whole number from ${aspect.min} to ${aspect.max}`;
    }
  }
  return null;
}
