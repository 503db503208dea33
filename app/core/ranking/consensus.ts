/**
 * Consensus policies for exports (DESIGN.md §5): how the reviewers' pairs on one item become
 * export rows. Pure: the caller groups votes by item.
 */
export type ConsensusPolicy = "all" | "majority" | "unanimous";

/** One reviewer's pair on an item, as stored in preference_pairs. */
export interface Vote {
  reviewerId: string;
  chosenId: string;
  rejectedId: string;
  strength: 0 | 1 | 2 | 3;
}

export interface ConsensusRow {
  chosenId: string;
  rejectedId: string;
  strength: 0 | 1 | 2 | 3;
  /** Reviewers on the winning side. */
  reviewerIds: string[];
  /** Share of the item's reviewers on the winning side. */
  agreement: number;
}

export interface ConsensusOptions {
  policy: ConsensusPolicy;
  /** Keep rows whose agreement is at least this share (0 keeps all). */
  minAgreement: number;
  /** Keep ties (strength 0) or drop them. */
  ties: "keep" | "drop";
}

/**
 * The median of the winning side's strengths; for an even count the lower of the two middle
 * values, so a consensus never claims a stronger preference than half its reviewers gave.
 */
export function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/**
 * Rows for one item. `reviewers` is everyone who judged the item: a reviewer with no pair for
 * two of its responses put them in one tier (a ranking tie), and counts as a tie vote.
 * `order` gives the item's responses in dataset order, which orients ties.
 *
 * - all: every reviewer's pair is a row; its agreement is the share of reviewers who agree with it;
 * - majority: one row per response pair where more than half of the reviewers agree on the
 *   direction (or on a tie); strength is the lower median of that side;
 * - unanimous: as majority, but every reviewer must agree.
 */
export function consensusRows(votes: readonly Vote[], reviewers: readonly string[], order: readonly string[], options: ConsensusOptions): ConsensusRow[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  const key = (a: string, b: string) => ((rank.get(a) ?? 0) <= (rank.get(b) ?? 0) ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const groups = new Map<string, Vote[]>();
  for (const vote of votes) {
    const k = key(vote.chosenId, vote.rejectedId);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = []));
    group.push(vote);
  }
  const n = Math.max(reviewers.length, 1);
  const rows: ConsensusRow[] = [];
  for (const [k, group] of groups) {
    const [first, second] = k.split("\u0000") as [string, string];
    const voted = new Set(group.map((v) => v.reviewerId));
    const implicitTies = reviewers.filter((r) => !voted.has(r));
    const sides = new Map<string, { chosenId: string; rejectedId: string; votes: Array<{ reviewerId: string; strength: 0 | 1 | 2 | 3 }> }>();
    const sideOf = (v: { chosenId: string; rejectedId: string; strength: number }) => (v.strength === 0 ? "tie" : v.chosenId);
    for (const v of group) {
      const side = sideOf(v);
      let entry = sides.get(side);
      const oriented = side === "tie" ? { chosenId: first, rejectedId: second } : { chosenId: v.chosenId, rejectedId: v.rejectedId };
      if (!entry) sides.set(side, (entry = { ...oriented, votes: [] }));
      entry.votes.push({ reviewerId: v.reviewerId, strength: v.strength });
    }
    if (implicitTies.length) {
      let entry = sides.get("tie");
      if (!entry) sides.set("tie", (entry = { chosenId: first, rejectedId: second, votes: [] }));
      for (const r of implicitTies) entry.votes.push({ reviewerId: r, strength: 0 });
    }
    if (options.policy === "all") {
      for (const v of group) {
        const side = sides.get(sideOf(v))!;
        rows.push({ chosenId: side.chosenId, rejectedId: side.rejectedId, strength: v.strength, reviewerIds: [v.reviewerId], agreement: side.votes.length / n });
      }
    } else {
      for (const side of sides.values()) {
        const count = side.votes.length;
        const wins = options.policy === "unanimous" ? count === n : count * 2 > n;
        if (!wins) continue;
        rows.push({
          chosenId: side.chosenId,
          rejectedId: side.rejectedId,
          strength: lowerMedian(side.votes.map((v) => v.strength)) as 0 | 1 | 2 | 3,
          reviewerIds: side.votes.map((v) => v.reviewerId),
          agreement: count / n,
        });
      }
    }
  }
  return rows.filter((row) => row.agreement >= options.minAgreement && (options.ties === "keep" || row.strength > 0));
}

/** A pair of an admin's verdict (pairsOf on the adjudicated judgment). */
export interface VerdictPair {
  chosenId: string;
  rejectedId: string;
  strength: 0 | 1 | 2 | 3;
}

/**
 * Rows for an item an admin adjudicated: the verdict's pairs replace the reviewers' consensus
 * under every policy, since settling a split is what the verdict is for. Each row names the
 * reviewers who had voted the verdict's way on that pair (a reviewer with no pair for two
 * responses put them in one tier and counts as a tie vote, as in {@link consensusRows}), and
 * `agreement` is their share of the item's reviewers, so a reader still sees how split the item
 * was. `minAgreement` does not apply (a verdict overruling a minority is the point); `ties` does.
 *
 * @example adjudicatedRows([{ chosenId: "a", rejectedId: "b", strength: 2 }], [{ reviewerId: "r1", chosenId: "a", rejectedId: "b", strength: 1 }, { reviewerId: "r2", chosenId: "b", rejectedId: "a", strength: 3 }], ["r1", "r2"], { ties: "drop" })
 * // [{ chosenId: "a", rejectedId: "b", strength: 2, reviewerIds: ["r1"], agreement: 0.5 }]
 */
export function adjudicatedRows(verdict: readonly VerdictPair[], votes: readonly Vote[], reviewers: readonly string[], options: Pick<ConsensusOptions, "ties">): ConsensusRow[] {
  const n = Math.max(reviewers.length, 1);
  const rows: ConsensusRow[] = [];
  for (const pair of verdict) {
    if (options.ties === "drop" && pair.strength === 0) continue;
    const same = (v: Vote) => (v.chosenId === pair.chosenId && v.rejectedId === pair.rejectedId) || (v.chosenId === pair.rejectedId && v.rejectedId === pair.chosenId);
    const onPair = new Map(votes.filter(same).map((v) => [v.reviewerId, v]));
    const reviewerIds = reviewers.filter((r) => {
      const vote = onPair.get(r);
      if (!vote) return pair.strength === 0;
      return pair.strength === 0 ? vote.strength === 0 : vote.strength > 0 && vote.chosenId === pair.chosenId;
    });
    rows.push({ chosenId: pair.chosenId, rejectedId: pair.rejectedId, strength: pair.strength, reviewerIds, agreement: reviewerIds.length / n });
  }
  return rows;
}
