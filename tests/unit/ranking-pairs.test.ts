import { describe, expect, it } from "vitest";
import { pairsOf, type DerivedPair } from "../../app/core/ranking/pairs";

/** Order-insensitive comparison: pairs sorted by chosen, then rejected. */
function sorted(pairs: DerivedPair[]): DerivedPair[] {
  return [...pairs].sort((x, y) => `${x.chosenId}>${x.rejectedId}`.localeCompare(`${y.chosenId}>${y.rejectedId}`));
}

const p = (chosenId: string, rejectedId: string, strength: 0 | 1 | 2 | 3, shownChosenFirst: boolean): DerivedPair => ({
  chosenId,
  rejectedId,
  strength,
  shownChosenFirst,
});

describe("pairsOf: pairwise", () => {
  const ids = ["a", "b"];

  it("makes one pair from the preferred response over the other, with its strength", () => {
    expect(pairsOf({ task: "pairwise", preferred: "a", strength: 3, bothBad: false }, ids, [0, 1], "overall")).toEqual([
      p("a", "b", 3, true),
    ]);
    expect(pairsOf({ task: "pairwise", preferred: "b", strength: 2, bothBad: false }, ids, [0, 1], "overall")).toEqual([
      p("b", "a", 2, false),
    ]);
  });

  it("computes shownChosenFirst from the display order, both orders", () => {
    // displayOrder [1, 0]: position 0 shows responseIds[1] = "b".
    expect(pairsOf({ task: "pairwise", preferred: "b", strength: 1, bothBad: false }, ids, [1, 0], "overall")).toEqual([
      p("b", "a", 1, true),
    ]);
    expect(pairsOf({ task: "pairwise", preferred: "a", strength: 1, bothBad: false }, ids, [1, 0], "overall")).toEqual([
      p("a", "b", 1, false),
    ]);
  });

  it("keeps dataset order with strength 0 for a tie, whatever the display order", () => {
    expect(pairsOf({ task: "pairwise", preferred: "tie", strength: 0, bothBad: false }, ids, [0, 1], "overall")).toEqual([
      p("a", "b", 0, true),
    ]);
    expect(pairsOf({ task: "pairwise", preferred: "tie", strength: 0, bothBad: true }, ids, [1, 0], "overall")).toEqual([
      p("a", "b", 0, false),
    ]);
  });

  it("uses the ids given, not fixed names", () => {
    expect(
      pairsOf({ task: "pairwise", preferred: "resp-9", strength: 1, bothBad: false }, ["resp-3", "resp-9"], [1, 0], "overall"),
    ).toEqual([p("resp-9", "resp-3", 1, true)]);
  });
});

describe("pairsOf: ranking", () => {
  it("reads displayOrder as position → index into responseIds (not its inverse)", () => {
    // [1, 2, 0]: b is shown first, then c, then a. Its inverse [2, 0, 1] would put c first, then a, then b.
    const pairs = pairsOf({ task: "ranking", tiers: [["a"], ["b"], ["c"]] }, ["a", "b", "c"], [1, 2, 0], "overall");
    expect(sorted(pairs)).toEqual([p("a", "b", 1, false), p("a", "c", 2, false), p("b", "c", 1, true)]);
  });

  it("expands 5 single-response tiers into all 10 pairs, strength = tier distance capped at 3", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const pairs = pairsOf({ task: "ranking", tiers: [["a"], ["b"], ["c"], ["d"], ["e"]] }, ids, [0, 1, 2, 3, 4], "overall");
    expect(pairs).toHaveLength(10);
    expect(sorted(pairs)).toEqual([
      p("a", "b", 1, true),
      p("a", "c", 2, true),
      p("a", "d", 3, true),
      p("a", "e", 3, true),
      p("b", "c", 1, true),
      p("b", "d", 2, true),
      p("b", "e", 3, true),
      p("c", "d", 1, true),
      p("c", "e", 2, true),
      p("d", "e", 1, true),
    ]);
  });

  it("ranks against the tier order, not the dataset order, and reverses shownChosenFirst with the display", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const pairs = pairsOf({ task: "ranking", tiers: [["e"], ["d"], ["c"], ["b"], ["a"]] }, ids, [4, 3, 2, 1, 0], "overall");
    expect(sorted(pairs)).toEqual([
      p("b", "a", 1, true),
      p("c", "a", 2, true),
      p("c", "b", 1, true),
      p("d", "a", 3, true),
      p("d", "b", 2, true),
      p("d", "c", 1, true),
      p("e", "a", 3, true),
      p("e", "b", 3, true),
      p("e", "c", 2, true),
      p("e", "d", 1, true),
    ]);
  });

  it("gives every cross-tier pair and nothing within a tier", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const pairs = pairsOf({ task: "ranking", tiers: [["a", "b"], ["c"], ["d", "e"]] }, ids, [2, 0, 4, 1, 3], "overall");
    // Shown: c, a, e, b, d.
    expect(sorted(pairs)).toEqual([
      p("a", "c", 1, false),
      p("a", "d", 2, true),
      p("a", "e", 2, true),
      p("b", "c", 1, false),
      p("b", "d", 2, true),
      p("b", "e", 2, false),
      p("c", "d", 1, true),
      p("c", "e", 1, true),
    ]);
  });

  it("gives no pair when every response shares one tier", () => {
    expect(pairsOf({ task: "ranking", tiers: [["a", "b", "c"]] }, ["a", "b", "c"], [0, 1, 2], "overall")).toEqual([]);
  });

  it("handles two tiers of two", () => {
    const pairs = pairsOf({ task: "ranking", tiers: [["b", "d"], ["a", "c"]] }, ["a", "b", "c", "d"], [0, 1, 2, 3], "overall");
    expect(sorted(pairs)).toEqual([p("b", "a", 1, false), p("b", "c", 1, true), p("d", "a", 1, false), p("d", "c", 1, false)]);
  });
});

describe("pairsOf: rating", () => {
  const ids = ["a", "b", "c"];
  const scores = (overall: number[], helpfulness: number[] = [1, 5, 3]) =>
    Object.fromEntries(ids.map((id, i) => [id, { overall: overall[i]!, helpfulness: helpfulness[i]! }]));

  it("makes one pair per two responses from the overall aspect, strength = score difference", () => {
    const pairs = pairsOf({ task: "rating", scores: scores([5, 3, 2]) }, ids, [0, 1, 2], "overall");
    expect(sorted(pairs)).toEqual([p("a", "b", 2, true), p("a", "c", 3, true), p("b", "c", 1, true)]);
  });

  it("caps the strength at 3", () => {
    const pairs = pairsOf({ task: "rating", scores: { a: { overall: 1 }, b: { overall: 5 } } }, ["a", "b"], [0, 1], "overall");
    expect(pairs).toEqual([p("b", "a", 3, false)]);
    const wide = pairsOf({ task: "rating", scores: { a: { overall: 10 }, b: { overall: 0 } } }, ["a", "b"], [1, 0], "overall");
    expect(wide).toEqual([p("a", "b", 3, false)]);
  });

  it("ignores every aspect but the overall one", () => {
    // Overall ties everything; helpfulness would give pairs if it were used.
    const pairs = pairsOf({ task: "rating", scores: scores([3, 3, 3], [1, 5, 3]) }, ids, [0, 1, 2], "overall");
    expect(sorted(pairs)).toEqual([p("a", "b", 0, true), p("a", "c", 0, true), p("b", "c", 0, true)]);
  });

  it("uses the aspect it is told is overall", () => {
    const pairs = pairsOf({ task: "rating", scores: scores([3, 3, 3], [1, 5, 3]) }, ids, [0, 1, 2], "helpfulness");
    expect(sorted(pairs)).toEqual([p("b", "a", 3, false), p("b", "c", 2, true), p("c", "a", 2, false)]);
  });

  it("gives equal scores a strength-0 pair in dataset order, whatever the display order", () => {
    const pairs = pairsOf({ task: "rating", scores: scores([4, 4, 1]) }, ids, [2, 1, 0], "overall");
    // Shown: c, b, a.
    expect(sorted(pairs)).toEqual([p("a", "b", 0, false), p("a", "c", 3, false), p("b", "c", 3, false)]);
  });

  it("keeps dataset order for ties even when the scores object lists responses in another order", () => {
    const pairs = pairsOf(
      { task: "rating", scores: { c: { overall: 2 }, b: { overall: 2 }, a: { overall: 2 } } },
      ["c", "a", "b"],
      [0, 1, 2],
      "overall",
    );
    expect(sorted(pairs)).toEqual([p("a", "b", 0, true), p("c", "a", 0, true), p("c", "b", 0, true)]);
  });

  it("computes shownChosenFirst from the display order for score pairs", () => {
    // [1, 2, 0]: shown b, c, a.
    const pairs = pairsOf({ task: "rating", scores: scores([1, 2, 3]) }, ids, [1, 2, 0], "overall");
    expect(sorted(pairs)).toEqual([p("b", "a", 1, true), p("c", "a", 2, true), p("c", "b", 1, false)]);
  });
});
