import type { JudgmentPayload } from "../tasks/judgment";

/** One normalized preference: chosen over rejected with a strength (0 = tie, 1..3). */
export interface DerivedPair {
  chosenId: string;
  rejectedId: string;
  strength: 0 | 1 | 2 | 3;
  /** Whether the chosen response was shown before (left of / above) the rejected one. */
  shownChosenFirst: boolean;
}

const cap = (n: number): 1 | 2 | 3 => Math.min(3, Math.max(1, n)) as 1 | 2 | 3;

/**
 * The preference pairs a judgment implies (DESIGN.md §3):
 * - pairwise: one pair; a tie keeps the dataset's order (first response as "chosen") with strength 0;
 * - ranking: every (higher tier, lower tier) pair, strength = tier distance capped at 3;
 *   responses in one tier are tied and give no pair;
 * - rating: one pair per two responses from the overall aspect: strength = score difference
 *   capped at 3, or a tie (strength 0, dataset order) for equal scores.
 *
 * `responseIds` are the item's responses in dataset order; `displayOrder` the permutation of
 * their indices the reviewer saw.
 */
export function pairsOf(
  payload: JudgmentPayload,
  responseIds: readonly string[],
  displayOrder: readonly number[],
  overallAspect: string,
): DerivedPair[] {
  const shownAt = new Map<string, number>();
  displayOrder.forEach((index, position) => shownAt.set(responseIds[index]!, position));
  const pair = (chosenId: string, rejectedId: string, strength: 0 | 1 | 2 | 3): DerivedPair => ({
    chosenId,
    rejectedId,
    strength,
    shownChosenFirst: (shownAt.get(chosenId) ?? 0) < (shownAt.get(rejectedId) ?? 0),
  });
  const datasetOrder = (a: string, b: string) => (responseIds.indexOf(a) <= responseIds.indexOf(b) ? [a, b] : [b, a]) as [string, string];

  if (payload.task === "pairwise") {
    const [first, second] = responseIds as [string, string];
    if (payload.preferred === "tie") return [pair(first, second, 0)];
    const other = payload.preferred === first ? second : first;
    return [pair(payload.preferred, other, payload.strength)];
  }
  if (payload.task === "ranking") {
    const out: DerivedPair[] = [];
    payload.tiers.forEach((higher, i) => {
      payload.tiers.slice(i + 1).forEach((lower, offset) => {
        for (const a of higher) for (const b of lower) out.push(pair(a, b, cap(offset + 1)));
      });
    });
    return out;
  }
  const out: DerivedPair[] = [];
  for (let i = 0; i < responseIds.length; i++) {
    for (let j = i + 1; j < responseIds.length; j++) {
      const a = responseIds[i]!;
      const b = responseIds[j]!;
      const diff = (payload.scores[a]?.[overallAspect] ?? 0) - (payload.scores[b]?.[overallAspect] ?? 0);
      if (diff === 0) {
        const [x, y] = datasetOrder(a, b);
        out.push(pair(x, y, 0));
      } else if (diff > 0) out.push(pair(a, b, cap(diff)));
      else out.push(pair(b, a, cap(-diff)));
    }
  }
  return out;
}
