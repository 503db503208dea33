import { describe, expect, it } from "vitest";
import { disputeOf, rankingChoice, type DisputeVote } from "~/core/ranking/disputes";

const vote = (reviewer: string, choice: string | null, flags: string[] = []): DisputeVote => ({ reviewer, choice, flags });

describe("disputeOf", () => {
  it("is null for one judgment, or for reviewers who agree on the direction and the flags", () => {
    expect(disputeOf([vote("a", "r1")])).toBeNull();
    expect(disputeOf([vote("a", "r1", ["r2:unsafe"]), vote("b", "r1", ["r2:unsafe"]), vote("c", "r1", ["r2:unsafe"])])).toBeNull();
  });

  it("measures a direction split as the minority's share", () => {
    expect(disputeOf([vote("a", "r1"), vote("b", "r2")])).toEqual({ split: 0.5, direction: true, flags: [] });
    expect(disputeOf([vote("a", "r1"), vote("b", "r1"), vote("c", "tie")])?.split).toBeCloseTo(1 / 3, 12);
    // Three ways: the most common choice has 2 of 4.
    expect(disputeOf([vote("a", "r1"), vote("b", "r1"), vote("c", "r2"), vote("d", "tie")])?.split).toBe(0.5);
  });

  it("counts a flag some raised and others did not, by the smaller side", () => {
    expect(disputeOf([vote("a", "r1", ["r2:hallucination"]), vote("b", "r1"), vote("c", "r1")])).toEqual({ split: 1 / 3, direction: false, flags: ["r2:hallucination"] });
    // The larger of the direction's and the flags' splits.
    const both = disputeOf([vote("a", "r1", ["r1:unsafe"]), vote("b", "r2", ["r1:unsafe"]), vote("c", "r1"), vote("d", "r1")]);
    expect(both).toEqual({ split: 0.5, direction: true, flags: ["r1:unsafe"] });
  });

  it("compares only flags when the task has no direction (ratings)", () => {
    expect(disputeOf([vote("a", null), vote("b", null)])).toBeNull();
    expect(disputeOf([vote("a", null, ["r1:refusal"]), vote("b", null)])).toEqual({ split: 0.5, direction: false, flags: ["r1:refusal"] });
  });
});

describe("rankingChoice", () => {
  it("is the top tier, so reviewers with the same first responses agree whatever their order", () => {
    expect(rankingChoice([["r2", "r1"], ["r3"]])).toBe("r1=r2");
    expect(rankingChoice([["r1", "r2"]])).toBe("r1=r2");
    expect(rankingChoice([["r3"], ["r1", "r2"]])).toBe("r3");
    expect(rankingChoice([])).toBeNull();
  });
});
