import type { ConsensusRow } from "./consensus";

/**
 * The best response of one item under a consensus (the `trl-sft` exports): the response that is
 * chosen in at least one consensus row and rejected in none, i.e. it beats or ties every
 * response it was compared with and beats at least one. `null` when no response qualifies
 * (no rows, only ties, or a cycle such as A > B > C > A) or when more than one would (possible
 * only when the rows compare disjoint responses), because then the reviewers did not name one.
 *
 * `minStrength` keeps only clear winners: every row the winner wins must have at least this
 * strength (1 slightly, 2 clearly, 3 much better); otherwise `null`. Weaker rows are not
 * dropped before choosing, so a response that lost slightly never becomes the winner by the
 * filter removing the row it lost.
 */
export function bestResponse(rows: readonly ConsensusRow[], minStrength = 0): { responseId: string; strength: number; reviewerIds: string[] } | null {
  const rejected = new Set<string>();
  const wins = new Map<string, ConsensusRow[]>();
  for (const row of rows) {
    if (row.strength === 0) continue;
    rejected.add(row.rejectedId);
    const list = wins.get(row.chosenId);
    if (list) list.push(row);
    else wins.set(row.chosenId, [row]);
  }
  const winners = [...wins.keys()].filter((id) => !rejected.has(id));
  if (winners.length !== 1) return null;
  const responseId = winners[0]!;
  const won = wins.get(responseId)!;
  const strength = Math.min(...won.map((r) => r.strength));
  if (strength < minStrength) return null;
  const reviewerIds = [...new Set(won.flatMap((r) => r.reviewerIds))];
  return { responseId, strength, reviewerIds };
}

/**
 * Whether an item is unsolved (the `prompts --only-unsolved` export): every one of its
 * responses was flagged or lost a consensus comparison, so none is fit to learn from. An item
 * without rows (nobody judged it, or nobody agreed) is not known to be unsolved.
 */
export function isUnsolved(rows: readonly ConsensusRow[], responseIds: readonly string[], flagged: ReadonlySet<string>): boolean {
  if (rows.length === 0) return false;
  const lost = new Set(rows.filter((r) => r.strength > 0).map((r) => r.rejectedId));
  return responseIds.every((id) => flagged.has(id) || lost.has(id));
}
