import { describe, expect, it } from "vitest";
import type { ConsensusRow } from "../../app/core/ranking/consensus";
import { bestResponse, isUnsolved } from "../../app/core/ranking/winner";

const row = (chosenId: string, rejectedId: string, strength: 0 | 1 | 2 | 3 = 2, reviewerIds = ["r1"]): ConsensusRow => ({ chosenId, rejectedId, strength, reviewerIds, agreement: 1 });

describe("bestResponse", () => {
  it("a pairwise item: the chosen response, with the pair's strength and reviewers", () => {
    expect(bestResponse([row("a", "b", 3, ["r1", "r2"])])).toEqual({ responseId: "a", strength: 3, reviewerIds: ["r1", "r2"] });
  });

  it("a ranking: the response that beats every other; its weakest win is its strength", () => {
    const rows = [row("a", "b", 3, ["r1"]), row("a", "c", 1, ["r2"]), row("b", "c", 2)];
    expect(bestResponse(rows)).toEqual({ responseId: "a", strength: 1, reviewerIds: ["r1", "r2"] });
  });

  it("no best response: no rows, only ties, a cycle, two unbeaten responses", () => {
    expect(bestResponse([])).toBeNull();
    expect(bestResponse([row("a", "b", 0)])).toBeNull();
    expect(bestResponse([row("a", "b"), row("b", "c"), row("c", "a")])).toBeNull();
    expect(bestResponse([row("a", "b"), row("c", "d")])).toBeNull();
  });

  it("a tie with the winner does not stop it winning (it was never rejected)", () => {
    expect(bestResponse([row("a", "b", 0), row("a", "c", 2)])?.responseId).toBe("a");
  });

  it("minStrength keeps only clear winners, and a weak loss is not filtered into a win", () => {
    expect(bestResponse([row("a", "b", 1)], 2)).toBeNull();
    expect(bestResponse([row("a", "b", 2)], 2)?.responseId).toBe("a");
    // a beat b only slightly, b beat c much: b is not the best because a's row is weak.
    expect(bestResponse([row("a", "b", 1), row("b", "c", 3)], 2)).toBeNull();
  });
});

describe("isUnsolved", () => {
  it("every response flagged or lost", () => {
    expect(isUnsolved([row("a", "b")], ["a", "b"], new Set(["a"]))).toBe(true);
    expect(isUnsolved([row("a", "b"), row("c", "a"), row("c", "b")], ["a", "b", "c"], new Set(["c"]))).toBe(true);
  });

  it("solved when some response is neither flagged nor beaten", () => {
    expect(isUnsolved([row("a", "b")], ["a", "b"], new Set())).toBe(false);
    expect(isUnsolved([row("a", "b")], ["a", "b"], new Set(["b"]))).toBe(false);
    // A tie loses nothing.
    expect(isUnsolved([row("a", "b", 0)], ["a", "b"], new Set(["a"]))).toBe(false);
  });

  it("an item nobody judged (no rows) is not known to be unsolved", () => {
    expect(isUnsolved([], ["a", "b"], new Set(["a", "b"]))).toBe(false);
  });
});
