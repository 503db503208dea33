import { describe, expect, it } from "vitest";
import { MISSING_STRATUM, randomFor, randomPairs, selectPrompts, shuffledIndices, stratumOf, type PromptCandidate } from "../../app/core/pairing/selection";

const prompts = (n: number, stratum?: (i: number) => string): PromptCandidate[] =>
  Array.from({ length: n }, (_, i) => ({ id: `p${String(i).padStart(3, "0")}`, stratum: stratum?.(i) }));

describe("randomPairs: K pairs of a prompt's responses", () => {
  it("gives K distinct pairs, each in dataset order, listed as all-pairs lists them", () => {
    const pairs = randomPairs(5, 4, randomFor(7, "p1"));
    expect(pairs).toHaveLength(4);
    expect(new Set(pairs.map((p) => p.join("-"))).size).toBe(4);
    for (const [i, j] of pairs) expect(i).toBeLessThan(j);
    expect([...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1])).toEqual(pairs);
  });

  it("gives every pair when the prompt has fewer than K, and none for one response", () => {
    expect(randomPairs(3, 10, randomFor(1, "p"))).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(randomPairs(1, 2, randomFor(1, "p"))).toEqual([]);
  });

  it("the same seed and prompt give the same pairs; another seed or prompt others", () => {
    const draw = (seed: number, prompt: string) => JSON.stringify(randomPairs(9, 3, randomFor(seed, prompt)));
    expect(draw(42, "p1")).toBe(draw(42, "p1"));
    const others = [draw(43, "p1"), draw(44, "p1"), draw(42, "p2"), draw(42, "p3")];
    expect(others.some((o) => o !== draw(42, "p1"))).toBe(true);
    expect(new Set([draw(1, "p1"), draw(2, "p1"), draw(3, "p1"), draw(4, "p1")]).size).toBeGreaterThan(1);
  });

  it("draws every pair about equally often (no pair favoured by the shuffle)", () => {
    const counts = new Map<string, number>();
    for (let p = 0; p < 6000; p++) for (const pair of randomPairs(4, 1, randomFor(5, `p${p}`))) counts.set(pair.join("-"), (counts.get(pair.join("-")) ?? 0) + 1);
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(120);
  });
});

describe("selectPrompts: --sample N", () => {
  it("draws N prompts, keeps the dataset order and is reproducible by seed", () => {
    const all = prompts(100);
    const a = selectPrompts(all, { sample: 10, stratified: false, seed: 1 });
    expect(a.ids).toHaveLength(10);
    expect([...a.ids].sort()).toEqual(a.ids);
    expect(selectPrompts(all, { sample: 10, stratified: false, seed: 1 }).ids).toEqual(a.ids);
    expect(selectPrompts(all, { sample: 10, stratified: false, seed: 2 }).ids).not.toEqual(a.ids);
    expect(a.available).toBe(100);
  });

  it("takes every prompt when N is at least the prompts available", () => {
    expect(selectPrompts(prompts(5), { sample: 50, stratified: false, seed: 1 }).ids).toEqual(prompts(5).map((p) => p.id));
  });

  it("refuses N below 1", () => {
    expect(() => selectPrompts(prompts(5), { sample: 0, stratified: false, seed: 1 })).toThrow(RangeError);
  });
});

describe("selectPrompts: --stratify FIELD", () => {
  const topics = ["math", "code", "chat"];
  // 30 math, 20 code, 10 chat, 5 without the field.
  const all = [...prompts(60, (i) => topics[i < 30 ? 0 : i < 50 ? 1 : 2]!), ...prompts(5).map((p) => ({ id: `x${p.id}`, stratum: MISSING_STRATUM }))];
  const taken = (ids: string[]) => {
    const of = new Map(all.map((c) => [c.id, c.stratum]));
    const counts: Record<string, number> = {};
    for (const id of ids) counts[of.get(id)!] = (counts[of.get(id)!] ?? 0) + 1;
    return counts;
  };

  it("without a sample takes the smallest stratum's count from each, prompts without the field a stratum of their own", () => {
    const s = selectPrompts(all, { stratified: true, seed: 3 });
    expect(taken(s.ids)).toEqual({ math: 5, code: 5, chat: 5, [MISSING_STRATUM]: 5 });
    expect(s.strata.map((x) => x.value)).toEqual(["chat", "code", "math", MISSING_STRATUM]);
  });

  it("splits N equally, the remainder to the first strata in sorted order, capped by what a stratum has", () => {
    expect(taken(selectPrompts(all, { sample: 14, stratified: true, seed: 3 }).ids)).toEqual({ chat: 4, code: 4, math: 3, [MISSING_STRATUM]: 3 });
    const capped = selectPrompts(all, { sample: 40, stratified: true, seed: 3 });
    expect(taken(capped.ids)).toEqual({ chat: 10, code: 10, math: 10, [MISSING_STRATUM]: 5 });
    expect(capped.strata.find((s) => s.value === MISSING_STRATUM)).toEqual({ value: MISSING_STRATUM, available: 5, wanted: 10, taken: 5 });
  });

  it("is reproducible by seed and differs with another", () => {
    const a = selectPrompts(all, { sample: 12, stratified: true, seed: 9 }).ids;
    expect(selectPrompts(all, { sample: 12, stratified: true, seed: 9 }).ids).toEqual(a);
    expect(selectPrompts(all, { sample: 12, stratified: true, seed: 10 }).ids).not.toEqual(a);
  });

  it("names strata by text, other values by their JSON, null and absent as missing", () => {
    expect([stratumOf("math"), stratumOf(3), stratumOf(true), stratumOf(["a"]), stratumOf(null), stratumOf(undefined)]).toEqual([
      "math",
      "3",
      "true",
      '["a"]',
      MISSING_STRATUM,
      MISSING_STRATUM,
    ]);
  });
});

describe("shuffledIndices", () => {
  it("gives k distinct indices below n", () => {
    const picked = shuffledIndices(10, 4, randomFor(1, "x"));
    expect(new Set(picked).size).toBe(4);
    for (const i of picked) expect(i).toBeLessThan(10);
    expect(shuffledIndices(3, 0, randomFor(1, "x"))).toEqual([]);
  });
});
