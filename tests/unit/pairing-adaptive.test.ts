import { describe, expect, it } from "vitest";
import { chooseAdaptivePairs, fitToCapacity, modelPairs, normalCdf, normalQuantile, orderConfidence } from "../../app/core/pairing/adaptive";
import type { Battle } from "../../app/core/ranking/bradley-terry";

/** `wins` battles won by a, `losses` won by b, `ties` ties. */
const games = (a: string, b: string, wins: number, losses: number, ties = 0): Battle[] => [
  ...Array.from({ length: wins }, (): Battle => ({ a, b, winner: "a" })),
  ...Array.from({ length: losses }, (): Battle => ({ a, b, winner: "b" })),
  ...Array.from({ length: ties }, (): Battle => ({ a, b, winner: "tie" })),
];

const given = (allocation: ReturnType<typeof chooseAdaptivePairs>, a: string, b: string) =>
  allocation.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a))?.comparisons;

const total = (allocation: ReturnType<typeof chooseAdaptivePairs>) => allocation.reduce((sum, p) => sum + p.comparisons, 0);

describe("normal approximation helpers", () => {
  it("Φ and Φ⁻¹ give the textbook 95% figures", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe("orderConfidence: neighbouring models ordered with 95% confidence", () => {
  it("80–20 over 100 battles orders the winner first, with the Wald standard error of Bradley–Terry", () => {
    const battles = games("x", "y", 80, 20);
    const right = orderConfidence(["x", "y"], battles);
    expect(right.ordered).toBe(true);
    const [pair] = right.pairs;
    expect(pair!.difference).toBeCloseTo(400 * Math.log10(4), 1); // 240.8 rating points
    // se = 400 / (ln 10 · √(n·p·(1 − p))) = 400 / (2.3026 · 4) = 43.4 (the ridge takes off a hair)
    expect(pair!.standardError).toBeGreaterThan(43);
    expect(pair!.standardError).toBeLessThan(43.5);
    expect(pair!.interval[0]).toBeCloseTo(pair!.difference - 1.959964 * pair!.standardError, 4);
    expect(orderConfidence(["y", "x"], battles).ordered).toBe(false);
  });

  it("51–49 orders nothing, and models that never met are never confident", () => {
    expect(orderConfidence(["x", "y"], games("x", "y", 51, 49)).ordered).toBe(false);
    const apart = [...games("x", "y", 90, 10), ...games("z", "w", 90, 10)];
    const result = orderConfidence(["x", "y", "z", "w"], apart);
    expect(result.pairs.map((p) => p.confident)).toEqual([true, false, true]);
    expect(result.ordered).toBe(false);
  });

  it("a chain of clear wins orders every neighbour even without direct battles between far models", () => {
    const chain = [...games("a", "b", 85, 15), ...games("b", "c", 85, 15), ...games("c", "d", 85, 15)];
    expect(orderConfidence(["a", "b", "c", "d"], chain).ordered).toBe(true);
    expect(orderConfidence(["a", "c", "b", "d"], chain).ordered).toBe(false);
  });
});

describe("chooseAdaptivePairs: where the next round's comparisons go", () => {
  const models = ["a", "b", "c", "d", "e", "f", "g", "h"];

  it("spreads evenly over every pair when no model has been compared yet", () => {
    const even = chooseAdaptivePairs(models, [], 56);
    expect(even).toHaveLength(28);
    expect(even.every((p) => p.comparisons === 2)).toBe(true);
    const uneven = chooseAdaptivePairs(models, [], 30);
    expect(total(uneven)).toBe(30);
    expect(uneven.every((p) => p.comparisons === 1 || p.comparisons === 2)).toBe(true);
  });

  it("gives two close models more of the round than a pair with a clear winner", () => {
    // x ≫ y by far, y ≈ z: the order of y and z is the leaderboard's doubt.
    const battles = [...games("x", "y", 45, 5), ...games("y", "z", 26, 24), ...games("x", "z", 46, 4)];
    const round = chooseAdaptivePairs(["x", "y", "z"], battles, 40);
    expect(total(round)).toBe(40);
    expect(given(round, "y", "z")!).toBeGreaterThan(given(round, "x", "y")! + 10);
    expect(given(round, "y", "z")!).toBeGreaterThan(given(round, "x", "z")! + 10);
  });

  it("explores: a pair that never met gets comparisons even when the rest is settled", () => {
    const battles = [...games("x", "y", 90, 10), ...games("y", "z", 90, 10)];
    const round = chooseAdaptivePairs(["x", "y", "z"], battles, 20, { exploration: 0.1 });
    expect(given(round, "x", "z")!).toBeGreaterThanOrEqual(2);
  });

  it("is deterministic under a seed, and sums to the round size", () => {
    const battles = [...games("a", "b", 10, 9, 2), ...games("c", "d", 5, 5), ...games("e", "h", 3, 1), ...games("b", "c", 7, 4)];
    const one = chooseAdaptivePairs(models, battles, 50, { seed: 9 });
    expect(chooseAdaptivePairs(models, battles, 50, { seed: 9 })).toEqual(one);
    expect(total(one)).toBe(50);
    expect(total(chooseAdaptivePairs(models, [], 7, { seed: 3 }))).toBe(7);
    const spreads = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(chooseAdaptivePairs(models, [], 7, { seed }))));
    expect(spreads.size).toBeGreaterThan(1);
  });

  it("keeps to the available pairs", () => {
    const battles = [...games("x", "y", 45, 5), ...games("y", "z", 26, 24), ...games("x", "z", 46, 4)];
    const available = [{ a: "x", b: "y" }, { a: "x", b: "z" }];
    const round = chooseAdaptivePairs(["x", "y", "z"], battles, 10, { available });
    expect(round.map((p) => `${p.a}-${p.b}`)).toEqual(["x-y", "x-z"]);
    expect(total(round)).toBe(10);
  });

  it("refuses a round size that is not a whole number", () => {
    expect(() => chooseAdaptivePairs(models, [], 2.5)).toThrow(RangeError);
    expect(modelPairs(["p", "q", "r"])).toEqual([{ a: "p", b: "q" }, { a: "p", b: "r" }, { a: "q", b: "r" }]);
  });
});

describe("fitToCapacity: a round cut to the prompts each pair has left", () => {
  it("moves what a pair cannot take to pairs with room, and stops when none has any", () => {
    const round = [
      { a: "x", b: "y", comparisons: 6 },
      { a: "x", b: "z", comparisons: 1 },
      { a: "y", b: "z", comparisons: 3 },
    ];
    expect(fitToCapacity(round, [2, 10, 10]).map((p) => p.comparisons)).toEqual([2, 3, 5]);
    expect(fitToCapacity(round, [2, 1, 1]).map((p) => p.comparisons)).toEqual([2, 1, 1]);
    expect(fitToCapacity(round, [9, 9, 9])).toEqual(round);
  });
});
