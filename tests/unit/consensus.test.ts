import { describe, expect, it } from "vitest";
import {
  adjudicatedRows,
  consensusRows,
  lowerMedian,
  type ConsensusOptions,
  type ConsensusPolicy,
  type ConsensusRow,
  type Vote,
} from "../../app/core/ranking/consensus";

const v = (reviewerId: string, chosenId: string, rejectedId: string, strength: 0 | 1 | 2 | 3): Vote => ({
  reviewerId,
  chosenId,
  rejectedId,
  strength,
});

const row = (chosenId: string, rejectedId: string, strength: 0 | 1 | 2 | 3, reviewerIds: string[], agreement: number): ConsensusRow => ({
  chosenId,
  rejectedId,
  strength,
  reviewerIds,
  agreement,
});

const opts = (policy: ConsensusPolicy, extra: Partial<ConsensusOptions> = {}): ConsensusOptions => ({
  policy,
  minAgreement: 0,
  ties: "drop",
  ...extra,
});

/** Order-insensitive comparison of rows (the grouping order is not part of the contract here). */
function sorted(rows: ConsensusRow[]): ConsensusRow[] {
  const k = (r: ConsensusRow) => `${r.chosenId}>${r.rejectedId}:${r.strength}:${r.reviewerIds.join(",")}`;
  return [...rows].map((r) => ({ ...r, reviewerIds: [...r.reviewerIds].sort() })).sort((a, b) => k(a).localeCompare(k(b)));
}

const R3 = ["r1", "r2", "r3"];
const AB = ["a", "b"];

describe("lowerMedian", () => {
  it("is the middle value for an odd count", () => {
    expect(lowerMedian([3, 2, 1])).toBe(2);
    expect(lowerMedian([1])).toBe(1);
    expect(lowerMedian([3, 3, 1])).toBe(3);
    expect(lowerMedian([1, 1, 3, 3, 2])).toBe(2);
  });

  it("is the lower of the two middle values for an even count", () => {
    expect(lowerMedian([3, 1])).toBe(1);
    expect(lowerMedian([1, 3])).toBe(1);
    expect(lowerMedian([3, 3, 2, 1])).toBe(2);
    expect(lowerMedian([0, 3])).toBe(0);
  });

  it("sorts numerically, not as strings", () => {
    expect(lowerMedian([10, 9, 2])).toBe(9);
  });

  it("is 0 for no values and leaves its input alone", () => {
    expect(lowerMedian([])).toBe(0);
    const input = [3, 1, 2];
    lowerMedian(input);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe("consensusRows: three reviewers all agreeing, strengths 3, 2, 1", () => {
  const votes = [v("r1", "a", "b", 3), v("r2", "a", "b", 2), v("r3", "a", "b", 1)];

  it("majority gives one row with the lower median strength and agreement 1", () => {
    expect(consensusRows(votes, R3, AB, opts("majority"))).toEqual([row("a", "b", 2, ["r1", "r2", "r3"], 1)]);
  });

  it("unanimous keeps it", () => {
    expect(consensusRows(votes, R3, AB, opts("unanimous"))).toEqual([row("a", "b", 2, ["r1", "r2", "r3"], 1)]);
  });

  it("all gives one row per vote, each with its own strength and agreement 1", () => {
    expect(consensusRows(votes, R3, AB, opts("all"))).toEqual([
      row("a", "b", 3, ["r1"], 1),
      row("a", "b", 2, ["r2"], 1),
      row("a", "b", 1, ["r3"], 1),
    ]);
  });

  it("an even number of agreeing reviewers takes the lower of the middle strengths", () => {
    const four = [v("r1", "a", "b", 3), v("r2", "a", "b", 3), v("r3", "a", "b", 1), v("r4", "a", "b", 2)];
    expect(consensusRows(four, ["r1", "r2", "r3", "r4"], AB, opts("majority"))).toEqual([row("a", "b", 2, ["r1", "r2", "r3", "r4"], 1)]);
  });
});

describe("consensusRows: two against one", () => {
  const votes = [v("r1", "a", "b", 3), v("r2", "a", "b", 1), v("r3", "b", "a", 2)];

  it("majority keeps the two-side with agreement 2/3 and the lower median strength", () => {
    expect(consensusRows(votes, R3, AB, opts("majority"))).toEqual([row("a", "b", 1, ["r1", "r2"], 2 / 3)]);
  });

  it("majority follows the winning side whichever side it is", () => {
    const flipped = [v("r1", "b", "a", 3), v("r2", "a", "b", 1), v("r3", "b", "a", 3)];
    expect(consensusRows(flipped, R3, AB, opts("majority"))).toEqual([row("b", "a", 3, ["r1", "r3"], 2 / 3)]);
  });

  it("unanimous drops it", () => {
    expect(consensusRows(votes, R3, AB, opts("unanimous"))).toEqual([]);
  });

  it("minAgreement 0.7 drops it; 2/3 exactly keeps it", () => {
    expect(consensusRows(votes, R3, AB, opts("majority", { minAgreement: 0.7 }))).toEqual([]);
    expect(consensusRows(votes, R3, AB, opts("majority", { minAgreement: 2 / 3 }))).toEqual([row("a", "b", 1, ["r1", "r2"], 2 / 3)]);
  });

  it("all keeps every vote with the share of its own side", () => {
    expect(consensusRows(votes, R3, AB, opts("all"))).toEqual([
      row("a", "b", 3, ["r1"], 2 / 3),
      row("a", "b", 1, ["r2"], 2 / 3),
      row("b", "a", 2, ["r3"], 1 / 3),
    ]);
  });

  it("all with minAgreement 0.5 keeps only the majority side's votes", () => {
    expect(consensusRows(votes, R3, AB, opts("all", { minAgreement: 0.5 }))).toEqual([
      row("a", "b", 3, ["r1"], 2 / 3),
      row("a", "b", 1, ["r2"], 2 / 3),
    ]);
  });
});

describe("consensusRows: ties", () => {
  // r1 stored its tie the other way round; r2 in dataset order; r3 prefers a.
  const votes = [v("r1", "b", "a", 0), v("r2", "a", "b", 0), v("r3", "a", "b", 2)];

  it("a tie majority is kept only with ties: keep", () => {
    expect(consensusRows(votes, R3, AB, opts("majority", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r1", "r2"], 2 / 3)]);
    expect(consensusRows(votes, R3, AB, opts("majority", { ties: "drop" }))).toEqual([]);
  });

  it("orients a tie row in dataset order, whatever the votes say", () => {
    expect(consensusRows(votes, R3, ["b", "a"], opts("majority", { ties: "keep" }))).toEqual([row("b", "a", 0, ["r1", "r2"], 2 / 3)]);
    const reversedVotes = [v("r1", "a", "b", 0), v("r2", "a", "b", 0), v("r3", "b", "a", 1)];
    expect(consensusRows(reversedVotes, R3, ["b", "a"], opts("majority", { ties: "keep" }))).toEqual([row("b", "a", 0, ["r1", "r2"], 2 / 3)]);
  });

  it("orients tie rows by `order` under `all` too", () => {
    expect(sorted(consensusRows(votes, R3, ["b", "a"], opts("all", { ties: "keep" })))).toEqual(
      sorted([row("b", "a", 0, ["r1"], 2 / 3), row("b", "a", 0, ["r2"], 2 / 3), row("a", "b", 2, ["r3"], 1 / 3)]),
    );
  });

  it("a strength-0 vote counts as a tie whatever its chosen id", () => {
    // Three reviewers, two "choose" a but with strength 0: that is a tie majority, not an a-majority.
    const mixed = [v("r1", "a", "b", 0), v("r2", "a", "b", 0), v("r3", "a", "b", 3)];
    expect(consensusRows(mixed, R3, AB, opts("majority", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r1", "r2"], 2 / 3)]);
    expect(consensusRows(mixed, R3, AB, opts("majority"))).toEqual([]);
  });

  it("ties: drop removes strength-0 rows under every policy", () => {
    const allTie = [v("r1", "a", "b", 0), v("r2", "b", "a", 0), v("r3", "a", "b", 0)];
    for (const policy of ["all", "majority", "unanimous"] as const) {
      expect(consensusRows(allTie, R3, AB, opts(policy, { ties: "drop" }))).toEqual([]);
      expect(consensusRows(allTie, R3, AB, opts(policy, { ties: "keep" })).length).toBeGreaterThan(0);
    }
    expect(consensusRows(allTie, R3, AB, opts("majority", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r1", "r2", "r3"], 1)]);
    expect(consensusRows(allTie, R3, AB, opts("unanimous", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r1", "r2", "r3"], 1)]);
    expect(consensusRows(allTie, R3, AB, opts("all", { ties: "keep" }))).toEqual([
      row("a", "b", 0, ["r1"], 1),
      row("a", "b", 0, ["r2"], 1),
      row("a", "b", 0, ["r3"], 1),
    ]);
  });

  it("ties: drop keeps the non-tie rows under `all`", () => {
    expect(consensusRows(votes, R3, AB, opts("all", { ties: "drop" }))).toEqual([row("a", "b", 2, ["r3"], 1 / 3)]);
  });
});

describe("consensusRows: even split", () => {
  const R4 = ["r1", "r2", "r3", "r4"];
  const votes = [v("r1", "a", "b", 2), v("r2", "a", "b", 3), v("r3", "b", "a", 1), v("r4", "b", "a", 2)];

  it("2 vs 2 gives no majority row (more than half is needed)", () => {
    expect(consensusRows(votes, R4, AB, opts("majority"))).toEqual([]);
    expect(consensusRows(votes, R4, AB, opts("unanimous"))).toEqual([]);
  });

  it("all gives every vote with agreement 1/2", () => {
    expect(consensusRows(votes, R4, AB, opts("all"))).toEqual([
      row("a", "b", 2, ["r1"], 0.5),
      row("a", "b", 3, ["r2"], 0.5),
      row("b", "a", 1, ["r3"], 0.5),
      row("b", "a", 2, ["r4"], 0.5),
    ]);
  });

  it("3 vs 1 of four is a majority with agreement 3/4", () => {
    const more = [...votes.slice(0, 3), v("r4", "a", "b", 1)];
    expect(consensusRows(more, R4, AB, opts("majority"))).toEqual([row("a", "b", 2, ["r1", "r2", "r4"], 0.75)]);
  });
});

describe("consensusRows: reviewers with no vote for a pair count as a tie", () => {
  it("dilutes a majority: 2 of 3 with one silent reviewer", () => {
    const votes = [v("r1", "a", "b", 2), v("r2", "a", "b", 1)];
    expect(consensusRows(votes, R3, AB, opts("majority"))).toEqual([row("a", "b", 1, ["r1", "r2"], 2 / 3)]);
    expect(consensusRows(votes, R3, AB, opts("unanimous"))).toEqual([]);
    // Without r3 in `reviewers`, the two are unanimous.
    expect(consensusRows(votes, ["r1", "r2"], AB, opts("unanimous"))).toEqual([row("a", "b", 1, ["r1", "r2"], 1)]);
  });

  it("two silent reviewers make a tie majority, kept with ties: keep and oriented by order", () => {
    const votes = [v("r1", "a", "b", 3)];
    expect(consensusRows(votes, R3, AB, opts("majority", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r2", "r3"], 2 / 3)]);
    expect(consensusRows(votes, R3, ["b", "a"], opts("majority", { ties: "keep" }))).toEqual([row("b", "a", 0, ["r2", "r3"], 2 / 3)]);
    expect(consensusRows(votes, R3, AB, opts("majority", { ties: "drop" }))).toEqual([]);
  });

  it("joins explicit tie votes", () => {
    const votes = [v("r1", "a", "b", 3), v("r2", "b", "a", 0)];
    expect(consensusRows(votes, R3, AB, opts("majority", { ties: "keep" }))).toEqual([row("a", "b", 0, ["r2", "r3"], 2 / 3)]);
  });

  it("under `all` the silent reviewer gives no row but counts in its side's share", () => {
    const votes = [v("r1", "a", "b", 3), v("r2", "a", "b", 0)];
    expect(consensusRows(votes, R3, AB, opts("all", { ties: "keep" }))).toEqual([row("a", "b", 3, ["r1"], 1 / 3), row("a", "b", 0, ["r2"], 2 / 3)]);
    expect(consensusRows(votes, R3, AB, opts("all", { ties: "drop" }))).toEqual([row("a", "b", 3, ["r1"], 1 / 3)]);
  });
});

describe("consensusRows: ranking items with several response pairs", () => {
  const order = ["a", "b", "c"];
  // r1: a > b > c; r2: c > b > a; r3: a > c > b. Each stores its pairs best-first.
  const votes = [
    v("r1", "a", "b", 1),
    v("r1", "a", "c", 2),
    v("r1", "b", "c", 1),
    v("r2", "c", "b", 1),
    v("r2", "c", "a", 2),
    v("r2", "b", "a", 1),
    v("r3", "a", "c", 1),
    v("r3", "a", "b", 2),
    v("r3", "c", "b", 1),
  ];

  it("majority gives one row per unordered pair, whichever way each reviewer oriented it", () => {
    expect(sorted(consensusRows(votes, R3, order, opts("majority")))).toEqual(
      sorted([row("a", "b", 1, ["r1", "r3"], 2 / 3), row("a", "c", 1, ["r1", "r3"], 2 / 3), row("c", "b", 1, ["r2", "r3"], 2 / 3)]),
    );
  });

  it("unanimous gives nothing when every pair is contested", () => {
    expect(consensusRows(votes, R3, order, opts("unanimous"))).toEqual([]);
  });

  it("unanimous keeps only the pairs everyone agrees on", () => {
    // Everyone ranks a first; b vs c is split.
    const partly = [
      v("r1", "a", "b", 1),
      v("r1", "a", "c", 2),
      v("r1", "b", "c", 1),
      v("r2", "a", "c", 1),
      v("r2", "a", "b", 2),
      v("r2", "c", "b", 1),
      v("r3", "a", "b", 3),
      v("r3", "a", "c", 3),
      v("r3", "b", "c", 2),
    ];
    expect(sorted(consensusRows(partly, R3, order, opts("unanimous")))).toEqual(
      sorted([row("a", "b", 2, ["r1", "r2", "r3"], 1), row("a", "c", 2, ["r1", "r2", "r3"], 1)]),
    );
  });

  it("all gives all nine votes with the share of their side in their own pair", () => {
    expect(sorted(consensusRows(votes, R3, order, opts("all")))).toEqual(
      sorted([
        row("a", "b", 1, ["r1"], 2 / 3),
        row("a", "c", 2, ["r1"], 2 / 3),
        row("b", "c", 1, ["r1"], 1 / 3),
        row("c", "b", 1, ["r2"], 2 / 3),
        row("c", "a", 2, ["r2"], 1 / 3),
        row("b", "a", 1, ["r2"], 1 / 3),
        row("a", "c", 1, ["r3"], 2 / 3),
        row("a", "b", 2, ["r3"], 2 / 3),
        row("c", "b", 1, ["r3"], 2 / 3),
      ]),
    );
  });

  it("a reviewer who tied two responses (one tier) counts as a tie for that pair only", () => {
    // r3 put b and c in one tier: a > {b, c}. No b/c pair from r3.
    const tiered = [
      v("r1", "a", "b", 1),
      v("r1", "a", "c", 2),
      v("r1", "b", "c", 1),
      v("r2", "a", "b", 1),
      v("r2", "a", "c", 2),
      v("r2", "b", "c", 1),
      v("r3", "a", "b", 1),
      v("r3", "a", "c", 1),
    ];
    expect(sorted(consensusRows(tiered, R3, order, opts("unanimous")))).toEqual(
      sorted([row("a", "b", 1, ["r1", "r2", "r3"], 1), row("a", "c", 2, ["r1", "r2", "r3"], 1)]),
    );
    expect(sorted(consensusRows(tiered, R3, order, opts("majority")))).toEqual(
      sorted([row("a", "b", 1, ["r1", "r2", "r3"], 1), row("a", "c", 2, ["r1", "r2", "r3"], 1), row("b", "c", 1, ["r1", "r2"], 2 / 3)]),
    );
  });
});

describe("consensusRows: edge cases", () => {
  it("no votes give no rows", () => {
    for (const policy of ["all", "majority", "unanimous"] as const) {
      expect(consensusRows([], R3, AB, opts(policy, { ties: "keep" }))).toEqual([]);
    }
  });

  it("a single reviewer is a unanimous majority of one", () => {
    const votes = [v("r1", "b", "a", 3)];
    for (const policy of ["all", "majority", "unanimous"] as const) {
      expect(consensusRows(votes, ["r1"], AB, opts(policy))).toEqual([row("b", "a", 3, ["r1"], 1)]);
    }
  });

  it("agreement stays within [0, 1] and rows never mix reviewers of two sides", () => {
    const votes = [v("r1", "a", "b", 3), v("r2", "b", "a", 1), v("r3", "a", "b", 0), v("r4", "a", "b", 2), v("r5", "a", "b", 2)];
    const reviewers = ["r1", "r2", "r3", "r4", "r5"];
    const rows = consensusRows(votes, reviewers, AB, opts("majority", { ties: "keep" }));
    expect(rows).toEqual([row("a", "b", 2, ["r1", "r4", "r5"], 0.6)]);
    for (const policy of ["all", "majority", "unanimous"] as const) {
      for (const r of consensusRows(votes, reviewers, AB, opts(policy, { ties: "keep" }))) {
        expect(r.agreement).toBeGreaterThan(0);
        expect(r.agreement).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("adjudicatedRows: an admin's verdict replaces the reviewers' consensus", () => {
  it("keeps the verdict's direction against a majority, naming the minority that agreed", () => {
    const votes = [v("r1", "a", "b", 1), v("r2", "b", "a", 3), v("r3", "b", "a", 2)];
    expect(adjudicatedRows([{ chosenId: "a", rejectedId: "b", strength: 2 }], votes, ["r1", "r2", "r3"], { ties: "drop" })).toEqual([row("a", "b", 2, ["r1"], 1 / 3)]);
  });
  it("is kept even when no reviewer agreed (min_agreement does not apply)", () => {
    const votes = [v("r1", "b", "a", 1), v("r2", "b", "a", 3)];
    expect(adjudicatedRows([{ chosenId: "a", rejectedId: "b", strength: 1 }], votes, ["r1", "r2"], { ties: "drop" })).toEqual([row("a", "b", 1, [], 0)]);
  });
  it("drops a tie verdict with ties drop, and keeps it with the tie voters with ties keep", () => {
    const votes = [v("r1", "a", "b", 0), v("r2", "b", "a", 3)];
    const tie = [{ chosenId: "a", rejectedId: "b", strength: 0 as const }];
    expect(adjudicatedRows(tie, votes, ["r1", "r2"], { ties: "drop" })).toEqual([]);
    expect(adjudicatedRows(tie, votes, ["r1", "r2"], { ties: "keep" })).toEqual([row("a", "b", 0, ["r1"], 0.5)]);
  });
  it("counts a reviewer with no pair for two responses (one tier) as agreeing with a tie verdict only", () => {
    // r2 ranked b and c in one tier: no pair between them.
    const votes = [v("r1", "b", "c", 2), v("r1", "a", "b", 1), v("r2", "a", "b", 1)];
    const verdict = [
      { chosenId: "a", rejectedId: "b", strength: 1 as const },
      { chosenId: "b", rejectedId: "c", strength: 0 as const },
    ];
    expect(adjudicatedRows(verdict, votes, ["r1", "r2"], { ties: "keep" })).toEqual([row("a", "b", 1, ["r1", "r2"], 1), row("b", "c", 0, ["r2"], 0.5)]);
  });
  it("gives agreement 0 rather than dividing by zero when nobody judged the item", () => {
    expect(adjudicatedRows([{ chosenId: "a", rejectedId: "b", strength: 3 }], [], [], { ties: "drop" })).toEqual([row("a", "b", 3, [], 0)]);
  });
});
