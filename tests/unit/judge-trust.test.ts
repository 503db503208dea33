import { describe, it, expect } from "vitest";
import {
  confusionMatrix,
  humanHumanAgreement,
  humanMajority,
  judgeHumanAgreement,
  judgeOutcome,
  judgeTrust,
  majorityAgreement,
  majorityKappa,
  swapConsistency,
  type Outcome,
  type TrustUnit,
} from "../../app/core/judge/trust";

const unit = (key: string, judge: Outcome, votes: Array<[string, Outcome]>): TrustUnit => ({
  key,
  judge,
  humans: votes.map(([reviewer, outcome]) => ({ reviewer, outcome })),
});

// The worked example used throughout (judge | human votes → majority):
//   u1: a   | x:a y:a z:b → a
//   u2: b   | x:a         → a
//   u3: tie | x:tie y:tie → tie
//   u4: a   | x:a y:b     → none (split)
//   u5: tie | z:b         → b
//   u6: b   | (no humans) → none
const units: TrustUnit[] = [
  unit("u1", "a", [["x", "a"], ["y", "a"], ["z", "b"]]),
  unit("u2", "b", [["x", "a"]]),
  unit("u3", "tie", [["x", "tie"], ["y", "tie"]]),
  unit("u4", "a", [["x", "a"], ["y", "b"]]),
  unit("u5", "tie", [["z", "b"]]),
  unit("u6", "b", []),
];

describe("humanMajority", () => {
  it("is the most frequent outcome, a plurality among three", () => {
    expect(humanMajority(units[0]!.humans)).toBe("a");
    expect(humanMajority(units[2]!.humans)).toBe("tie");
    // a 2, b 1, tie 1 → a, though not over half.
    expect(humanMajority(unit("p", "a", [["w", "a"], ["x", "b"], ["y", "tie"], ["z", "a"]]).humans)).toBe("a");
  });

  it("is null with no humans or a shared top count", () => {
    expect(humanMajority([])).toBeNull();
    expect(humanMajority(units[3]!.humans)).toBeNull();
    expect(humanMajority(unit("p", "a", [["x", "a"], ["y", "b"], ["z", "tie"]]).humans)).toBeNull();
  });
});

describe("majorityAgreement", () => {
  it("with ties: units with a majority, tie a category of its own", () => {
    // u1 hit, u2 miss, u3 hit (tie = tie), u5 miss; u4, u6 have no majority → 2 / 4.
    expect(majorityAgreement(units, { ties: true })).toEqual({ value: 0.5, n: 4 });
  });

  it("without ties: also drops units where the majority or the judge is a tie", () => {
    // u3 (both tie) and u5 (judge tie) drop out: u1 hit, u2 miss → 1 / 2.
    expect(majorityAgreement(units, { ties: false })).toEqual({ value: 0.5, n: 2 });
    // A tie hit counts with ties only: 1 / 1 with, undefined without.
    const tieOnly = [units[2]!];
    expect(majorityAgreement(tieOnly, { ties: true }).value).toBe(1);
    expect(majorityAgreement(tieOnly, { ties: false })).toMatchObject({ value: null, n: 0, reason: expect.stringMatching(/non-tie/) });
  });

  it("is undefined for no units, no humans, or no majority", () => {
    expect(majorityAgreement([], { ties: true })).toMatchObject({ value: null, n: 0, reason: expect.any(String) });
    expect(majorityAgreement([units[5]!], { ties: true }).value).toBeNull();
    expect(majorityAgreement([units[3]!], { ties: true }).reason).toMatch(/majority/);
  });
});

describe("judgeHumanAgreement", () => {
  it("with ties: every (unit, vote) pair", () => {
    // Hits: u1 2 of 3, u2 0 of 1, u3 2 of 2, u4 1 of 2, u5 0 of 1 → 5 / 9.
    const r = judgeHumanAgreement(units, { ties: true });
    expect(r.n).toBe(9);
    expect(r.value).toBeCloseTo(5 / 9, 12);
  });

  it("without ties: drops votes where the judge or the human says tie", () => {
    // u3 and u5 drop (judge tie): u1 2 of 3, u2 0 of 1, u4 1 of 2 → 3 / 6.
    expect(judgeHumanAgreement(units, { ties: false })).toEqual({ value: 0.5, n: 6 });
    // A human tie against a judge preference: a miss with ties, dropped without.
    const humanTie = [unit("t", "a", [["x", "tie"], ["y", "a"]])];
    expect(judgeHumanAgreement(humanTie, { ties: true })).toEqual({ value: 0.5, n: 2 });
    expect(judgeHumanAgreement(humanTie, { ties: false })).toEqual({ value: 1, n: 1 });
  });

  it("per reviewer: only that reviewer's votes", () => {
    // x: u1 hit, u2 miss, u3 hit, u4 hit → 3 / 4; without ties u3 drops → 2 / 3.
    expect(judgeHumanAgreement(units, { ties: true, reviewer: "x" })).toEqual({ value: 0.75, n: 4 });
    expect(judgeHumanAgreement(units, { ties: false, reviewer: "x" }).value).toBeCloseTo(2 / 3, 12);
    // y: u1 hit, u3 hit, u4 miss → 2 / 3; without: u1 hit, u4 miss → 1 / 2.
    expect(judgeHumanAgreement(units, { ties: true, reviewer: "y" }).value).toBeCloseTo(2 / 3, 12);
    expect(judgeHumanAgreement(units, { ties: false, reviewer: "y" })).toEqual({ value: 0.5, n: 2 });
    // z: u1 miss, u5 miss → 0 / 2; without: u1 only → 0 / 1.
    expect(judgeHumanAgreement(units, { ties: true, reviewer: "z" })).toEqual({ value: 0, n: 2 });
    expect(judgeHumanAgreement(units, { ties: false, reviewer: "z" })).toEqual({ value: 0, n: 1 });
  });

  it("is undefined with no votes", () => {
    expect(judgeHumanAgreement([], { ties: true })).toMatchObject({ value: null, n: 0, reason: expect.any(String) });
    expect(judgeHumanAgreement([units[5]!], { ties: true }).value).toBeNull();
    expect(judgeHumanAgreement(units, { ties: true, reviewer: "nobody" }).reason).toMatch(/nobody/);
    expect(judgeHumanAgreement([units[2]!], { ties: false }).value).toBeNull();
  });
});

describe("humanHumanAgreement", () => {
  it("pools unordered pairs of distinct reviewers per unit", () => {
    // u1: (x,y) a=a, (x,z) a≠b, (y,z) a≠b → 1 of 3; u3: tie=tie → 1 of 1; u4: a≠b → 0 of 1. 2 / 5.
    expect(humanHumanAgreement(units, { ties: true })).toEqual({ value: 0.4, n: 5 });
    // Without ties u3 drops: 1 / 4.
    expect(humanHumanAgreement(units, { ties: false })).toEqual({ value: 0.25, n: 4 });
  });

  it("is undefined without two distinct reviewers on a unit", () => {
    expect(humanHumanAgreement([], { ties: true }).value).toBeNull();
    expect(humanHumanAgreement([units[1]!, units[4]!, units[5]!], { ties: true }).reason).toMatch(/two reviewers/);
    // The same reviewer twice on one unit is not a pair.
    expect(humanHumanAgreement([unit("d", "a", [["x", "a"], ["x", "a"]])], { ties: true }).value).toBeNull();
    expect(humanHumanAgreement([units[2]!], { ties: false }).value).toBeNull();
  });
});

/** Units with one human each, from a 3×3 table: rows the human (= majority), columns the judge. */
function fromTable(table: number[][]): TrustUnit[] {
  const outcomes: Outcome[] = ["a", "b", "tie"];
  const out: TrustUnit[] = [];
  table.forEach((row, i) =>
    row.forEach((count, j) => {
      for (let t = 0; t < count; t++) out.push(unit(`${i}${j}${t}`, outcomes[j]!, [["h", outcomes[i]!]]));
    }),
  );
  return out;
}

// Majority a: judge a 5, b 1, tie 1; majority b: 1, 5, 1; majority tie: 1, 1, 4. N = 20.
const table = [
  [5, 1, 1],
  [1, 5, 1],
  [1, 1, 4],
];

describe("majorityKappa", () => {
  it("matches a hand-computed 3×3 table", () => {
    // p_o = 14/20 = 0.7; margins rows 7, 7, 6, columns 7, 7, 6 → p_e = (49 + 49 + 36)/400 = 0.335;
    // κ = (0.7 − 0.335)/(1 − 0.335) = 0.365/0.665 = 73/133.
    const withSplit = [...fromTable(table), units[3]!, units[5]!];
    const r = majorityKappa(withSplit);
    expect(r.n).toBe(20);
    expect(r.value).toBeCloseTo(73 / 133, 12);
  });

  it("matches the doc example: a/a twice, b/b, a/b → 0.5", () => {
    // p_o = 3/4; judge margins a 3/4, b 1/4; majority a 1/2, b 1/2 → p_e = 1/2; κ = 0.25/0.5.
    const r = majorityKappa(fromTable([[2, 0, 0], [1, 1, 0], [0, 0, 0]]));
    expect(r).toEqual({ value: 0.5, n: 4 });
  });

  it("is undefined with no majority or a single shared category", () => {
    expect(majorityKappa([])).toMatchObject({ value: null, n: 0 });
    expect(majorityKappa([units[3]!, units[5]!]).reason).toMatch(/majority/);
    expect(majorityKappa(fromTable([[3, 0, 0], [0, 0, 0], [0, 0, 0]]))).toMatchObject({ value: null, n: 3, reason: expect.stringMatching(/expected disagreement/) });
  });
});

describe("confusionMatrix", () => {
  it("counts majority (rows) against judge (columns), and units without a majority", () => {
    // u1 a/a, u2 a→b, u3 tie/tie, u5 b→tie; u4, u6 no majority.
    expect(confusionMatrix(units)).toEqual({
      outcomes: ["a", "b", "tie"],
      counts: [
        [1, 1, 0],
        [0, 0, 1],
        [0, 0, 1],
      ],
      no_majority: 2,
    });
    expect(confusionMatrix(fromTable(table)).counts).toEqual(table);
    expect(confusionMatrix([])).toMatchObject({ counts: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], no_majority: 0 });
  });
});

describe("swapConsistency", () => {
  it("an always-left judge is never consistent, all its inconsistencies favour the first shown", () => {
    // Canonical run: a shown first → "a"; swapped run: b shown first → "b".
    const r = swapConsistency(Array.from({ length: 5 }, () => ({ first: "a" as const, swapped: "b" as const })));
    expect(r).toEqual({ value: 0, consistent: 0, inconsistent: 5, total: 5, position_bias: { first_shown: 5, second_shown: 0 } });
    const right = swapConsistency([{ first: "b", swapped: "a" }]);
    expect(right.position_bias).toEqual({ first_shown: 0, second_shown: 1 });
  });

  it("counts consistent pairs and sorts inconsistencies by side", () => {
    // Consistent: a/a, b/b, tie/tie → 3 of 6; a/b first shown, b/a second shown, tie/a neither.
    const r = swapConsistency([
      { first: "a", swapped: "a" },
      { first: "b", swapped: "b" },
      { first: "a", swapped: "b" },
      { first: "b", swapped: "a" },
      { first: "tie", swapped: "a" },
      { first: "tie", swapped: "tie" },
    ]);
    expect(r).toEqual({ value: 0.5, consistent: 3, inconsistent: 3, total: 6, position_bias: { first_shown: 1, second_shown: 1 } });
  });

  it("is undefined with no pairs", () => {
    expect(swapConsistency([])).toMatchObject({ value: null, total: 0, reason: expect.any(String) });
  });
});

describe("judgeOutcome", () => {
  it("uses the first verdict alone, the agreed verdict, or tie when inconsistent", () => {
    expect(judgeOutcome("a", null)).toBe("a");
    expect(judgeOutcome("tie", null)).toBe("tie");
    expect(judgeOutcome("b", "b")).toBe("b");
    expect(judgeOutcome("a", "b")).toBe("tie");
    expect(judgeOutcome("tie", "a")).toBe("tie");
  });
});

/** A small seeded PRNG for the tests (xorshift32), independent of the library's. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** 400 units, one human each (reviewers r0..r3 in turn); the judge matches the human with probability 0.8. */
function synthetic(): TrustUnit[] {
  const random = xorshift(2024);
  const outcomes: Outcome[] = ["a", "b", "tie"];
  return Array.from({ length: 400 }, (_, i) => {
    const human = outcomes[Math.floor(random() * 3)]!;
    const others = outcomes.filter((o) => o !== human);
    const judge = random() < 0.8 ? human : others[Math.floor(random() * 2)]!;
    return unit(`s${i}`, judge, [[`r${i % 4}`, human]]);
  });
}

describe("judgeTrust", () => {
  it("reports each statistic's value as its function gives it, per_human sorted by reviewer", () => {
    const named = units.map((u) => ({ ...u, humans: u.humans.map((h) => ({ ...h, reviewer: { x: "zoe", y: "amy", z: "max" }[h.reviewer]! })) }));
    const r = judgeTrust(named, { replicates: 200 });
    expect(r.units).toBe(6);
    expect(r.majority_agreement.with_ties).toMatchObject({ value: 0.5, n: 4 });
    expect(r.majority_agreement.without_ties).toMatchObject({ value: 0.5, n: 2 });
    expect(r.judge_human.with_ties.value).toBeCloseTo(5 / 9, 12);
    expect(r.judge_human.without_ties).toMatchObject({ value: 0.5, n: 6 });
    expect(r.human_human.with_ties).toMatchObject({ value: 0.4, n: 5 });
    expect(r.human_human.without_ties).toMatchObject({ value: 0.25, n: 4 });
    expect(r.kappa).toMatchObject(majorityKappa(named));
    expect(r.per_human.map((p) => p.reviewer)).toEqual(["amy", "max", "zoe"]);
    expect(r.per_human[2]!.with_ties).toMatchObject({ value: 0.75, n: 4 });
    expect(r.confusion).toEqual(confusionMatrix(named));
  });

  it("gives bootstrap intervals that contain the value and are reproducible with the same seed", () => {
    const data = synthetic();
    const a = judgeTrust(data, { seed: 42, replicates: 300 });
    const b = judgeTrust(data, { seed: 42, replicates: 300 });
    const c = judgeTrust(data, { seed: 43, replicates: 300 });
    expect(a).toEqual(b);
    expect(c.judge_human.with_ties.interval).not.toEqual(a.judge_human.with_ties.interval);
    for (const s of [a.judge_human.with_ties, a.judge_human.without_ties, a.majority_agreement.with_ties, a.kappa, ...a.per_human.map((p) => p.with_ties)]) {
      expect(s.interval).not.toBeNull();
      const [lo, hi] = s.interval!;
      expect(lo).toBeLessThanOrEqual(s.value!);
      expect(hi).toBeGreaterThanOrEqual(s.value!);
    }
  });

  it("recovers a known agreement of 0.8 inside its interval (400 synthetic units)", () => {
    const r = judgeTrust(synthetic());
    const jh = r.judge_human.with_ties;
    expect(jh.n).toBe(400);
    expect(Math.abs(jh.value! - 0.8)).toBeLessThan(0.05); // sd ≈ √(0.8 · 0.2 / 400) = 0.02
    expect(jh.interval![0]).toBeLessThan(0.8);
    expect(jh.interval![1]).toBeGreaterThan(0.8);
    // One human per unit: the majority is that human, so both agreements coincide; no human pairs.
    expect(r.majority_agreement.with_ties.value).toBe(jh.value);
    expect(r.human_human.with_ties).toMatchObject({ value: null, n: 0, interval: null });
    expect(r.per_human.map((p) => p.reviewer)).toEqual(["r0", "r1", "r2", "r3"]);
    expect(r.per_human.reduce((s, p) => s + p.with_ties.n, 0)).toBe(400);
  });

  it("is undefined everywhere for no units, with reasons", () => {
    const r = judgeTrust([]);
    expect(r.units).toBe(0);
    expect(r.per_human).toEqual([]);
    for (const s of [r.majority_agreement.with_ties, r.judge_human.without_ties, r.human_human.with_ties, r.kappa]) {
      expect(s).toMatchObject({ value: null, n: 0, interval: null, reason: expect.any(String), interval_reason: expect.stringMatching(/no units/) });
    }
    expect(r.confusion.no_majority).toBe(0);
  });
});
