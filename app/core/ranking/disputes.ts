/**
 * Which items the reviewers disagree on, and how much: the disputes queue of issue 12. Pure.
 */

/** One reviewer's judgment of an item, reduced to what a dispute is about. */
export interface DisputeVote {
  reviewer: string;
  /**
   * What the reviewer chose: a response id, "tie", or for a ranking the top tier's ids joined
   * with "=" (sorted), so two reviewers who put the same responses first agree. Null when the
   * task has no direction to compare (ratings: only their flags are compared).
   */
  choice: string | null;
  /** The flags raised, as `responseId:flag` (one per response and flag). */
  flags: readonly string[];
}

export interface Dispute {
  /**
   * How split the reviewers are, 0 (agreed) to below 1: the largest minority share among the
   * item's questions: the direction (1 − the most common choice's share) and each flag some
   * raised and others did not (the share of the smaller side). Two reviewers who split give 0.5.
   */
  split: number;
  /** The reviewers disagree on the direction. */
  direction: boolean;
  /** The `responseId:flag` keys raised by some reviewers and not by others, sorted. */
  flags: string[];
}

/**
 * The dispute of one item's judgments, or null when there is none: fewer than two judgments,
 * or every reviewer chose the same and raised the same flags.
 */
export function disputeOf(votes: readonly DisputeVote[]): Dispute | null {
  const n = votes.length;
  if (n < 2) return null;
  const choices = new Map<string, number>();
  for (const vote of votes) if (vote.choice !== null) choices.set(vote.choice, (choices.get(vote.choice) ?? 0) + 1);
  const decided = [...choices.values()].reduce((sum, count) => sum + count, 0);
  const most = Math.max(0, ...choices.values());
  const direction = choices.size > 1;
  // (n − most) / n rather than 1 − most / n: equal splits must compare equal when sorted.
  let split = direction ? (decided - most) / decided : 0;

  const raised = new Map<string, number>();
  for (const vote of votes) for (const flag of new Set(vote.flags)) raised.set(flag, (raised.get(flag) ?? 0) + 1);
  const flags: string[] = [];
  for (const [flag, count] of raised) {
    if (count === n) continue;
    flags.push(flag);
    split = Math.max(split, Math.min(count, n - count) / n);
  }
  if (!direction && flags.length === 0) return null;
  return { split, direction, flags: flags.sort() };
}

/** The choice a ranking judgment makes, for DisputeVote: its top tier, sorted and joined. */
export function rankingChoice(tiers: readonly (readonly string[])[]): string | null {
  const top = tiers[0];
  return top && top.length ? [...top].sort().join("=") : null;
}
