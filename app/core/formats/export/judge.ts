import type { VerdictPair } from "../../ranking/consensus";
import { pairsOf } from "../../ranking/pairs";
import type { JudgmentPayload } from "../../tasks/judgment";

/**
 * An LLM judge's verdicts as an export reads them (`judged_by: llm-judge | both`). Pure: no I/O.
 *
 * The judge stands in the consensus as one more reviewer, under this name; its verdicts on an
 * item (a pairwise item is judged twice, the second time with the sides swapped) become one
 * vote per two responses.
 */
export const JUDGE_REVIEWER = "llm-judge";

/** One readable verdict of a judge run about an item: the payload by response ids, and the order shown. */
export interface JudgeVerdictInput {
  payload: JudgmentPayload;
  /** Response ids in the order the judge saw them as A, B, C… */
  displayOrder: readonly string[];
}

/**
 * The judge's pairs on one item, from all its readable verdicts there. Each verdict's pairs are
 * derived as a reviewer's are (`pairsOf`: a ranking's tiers, a rating's overall scores). With one
 * verdict those are the pairs. With more (the swapped repeat of a pairwise item), a pair keeps its
 * direction only when every verdict prefers the same response, with the smallest of their
 * strengths; otherwise it is a tie (strength 0, in dataset order), as MT-Bench counts an
 * inconsistent verdict, so that position bias never becomes a preference. Pairs come in the
 * order of the first verdict's pairs, then any others in the order they first appear.
 *
 * @param verdicts the item's readable verdicts (empty: no pairs)
 * @param responseIds the item's responses in dataset order
 * @param overallAspect the batch's overall rubric aspect (rating)
 */
export function judgePairs(verdicts: readonly JudgeVerdictInput[], responseIds: readonly string[], overallAspect: string): VerdictPair[] {
  if (verdicts.length === 0) return [];
  const rank = new Map(responseIds.map((id, i) => [id, i]));
  const derived = verdicts.map((v) =>
    pairsOf(
      v.payload,
      responseIds,
      v.displayOrder.map((id) => rank.get(id) ?? 0),
      overallAspect,
    ),
  );
  if (derived.length === 1) return derived[0]!.map(({ chosenId, rejectedId, strength }) => ({ chosenId, rejectedId, strength }));
  const inOrder = (a: string, b: string): [string, string] => ((rank.get(a) ?? 0) <= (rank.get(b) ?? 0) ? [a, b] : [b, a]);
  const groups = new Map<string, { first: string; second: string; votes: Array<{ chosenId: string; strength: 0 | 1 | 2 | 3 }> }>();
  for (const pairs of derived) {
    for (const p of pairs) {
      const [first, second] = inOrder(p.chosenId, p.rejectedId);
      const key = `${first}\u0000${second}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { first, second, votes: [] }));
      group.votes.push({ chosenId: p.chosenId, strength: p.strength });
    }
  }
  const out: VerdictPair[] = [];
  for (const { first, second, votes } of groups.values()) {
    // A verdict with no pair for the two responses put them in one ranking tier: a tie.
    const agreed = votes.length === verdicts.length && votes.every((v) => v.strength > 0 && v.chosenId === votes[0]!.chosenId);
    if (!agreed) {
      out.push({ chosenId: first, rejectedId: second, strength: 0 });
      continue;
    }
    const chosenId = votes[0]!.chosenId;
    const strength = Math.min(...votes.map((v) => v.strength)) as 1 | 2 | 3;
    out.push({ chosenId, rejectedId: chosenId === first ? second : first, strength });
  }
  return out;
}

/**
 * The responses a judge flagged on an item, over all its verdicts there: with `only` given, the
 * flags among them; with `only` null, every flag.
 */
export function judgeFlagged(flags: ReadonlyArray<ReadonlyArray<{ response_id: string; flag: string }>>, only: readonly string[] | null): Set<string> {
  const wanted = only === null ? null : new Set(only);
  const out = new Set<string>();
  for (const list of flags) for (const f of list) if (wanted === null || wanted.has(f.flag)) out.add(f.response_id);
  return out;
}
