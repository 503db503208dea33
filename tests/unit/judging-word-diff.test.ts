import { describe, expect, it } from "vitest";
import { diffSide, MAX_CELLS, similarity, tokenize, wordDiff, wordOverlap, type DiffOp } from "../../app/components/judging/word-diff";

/** Each side rebuilt from the operations must be the original text, exactly. */
function expectRoundTrip(a: string, b: string, ops: DiffOp[]) {
  expect(ops.map((op) => (op.kind === "insert" ? "" : op.a)).join("")).toBe(a);
  expect(ops.map((op) => (op.kind === "delete" ? "" : op.b)).join("")).toBe(b);
  expect(diffSide(ops, "a").map((s) => s.text).join("")).toBe(a);
  expect(diffSide(ops, "b").map((s) => s.text).join("")).toBe(b);
}

const changed = (ops: DiffOp[], side: "a" | "b") =>
  diffSide(ops, side)
    .filter((s) => s.changed)
    .map((s) => s.text);

describe("tokenize", () => {
  it("keeps whitespace with the word before it, and leading whitespace alone", () => {
    expect(tokenize("  a  b\nc")).toEqual([
      { word: "", text: "  " },
      { word: "a", text: "a  " },
      { word: "b", text: "b\n" },
      { word: "c", text: "c" },
    ]);
    expect(tokenize("")).toEqual([]);
  });
});

describe("wordDiff", () => {
  it("reports identical texts as one equal run", () => {
    const ops = wordDiff("the cat sat", "the cat sat");
    expect(ops).toEqual([{ kind: "equal", a: "the cat sat", b: "the cat sat" }]);
    expect(similarity(ops)).toBe(1);
  });

  it("finds a replaced word in the middle", () => {
    const a = "The quick brown fox jumps over the lazy dog.";
    const b = "The quick red fox jumps over the lazy dog.";
    const ops = wordDiff(a, b);
    expectRoundTrip(a, b, ops);
    expect(changed(ops, "a")).toEqual(["brown"]);
    expect(changed(ops, "b")).toEqual(["red"]);
    expect(similarity(ops)).toBeCloseTo(16 / 18);
  });

  it("finds insertions and deletions at the ends and in between", () => {
    const a = "alpha beta gamma delta";
    const b = "zero alpha gamma delta epsilon";
    const ops = wordDiff(a, b);
    expectRoundTrip(a, b, ops);
    expect(changed(ops, "a")).toEqual(["beta"]);
    expect(changed(ops, "b")).toEqual(["zero", "epsilon"]);
  });

  it("finds the longest common subsequence, not a greedy match", () => {
    const a = "a b c d e f";
    const b = "x c d e f a";
    const ops = wordDiff(a, b);
    expectRoundTrip(a, b, ops);
    const common = ops.filter((o) => o.kind === "equal").map((o) => (o.kind === "equal" ? o.a : "")).join("");
    expect(common.trim().split(/\s+/)).toEqual(["c", "d", "e", "f"]);
  });

  it("ignores whitespace differences but keeps each side's own spacing", () => {
    const a = "one  two\nthree";
    const b = "one two three";
    const ops = wordDiff(a, b);
    expect(ops.every((o) => o.kind === "equal")).toBe(true);
    expectRoundTrip(a, b, ops);
  });

  it("handles empty sides", () => {
    expect(wordDiff("", "")).toEqual([]);
    expect(wordDiff("", "new words")).toEqual([{ kind: "insert", b: "new words" }]);
    expect(wordDiff("old words", "")).toEqual([{ kind: "delete", a: "old words" }]);
    expect(similarity(wordDiff("", "x"))).toBe(0);
    expect(similarity([])).toBe(1);
  });

  it("merges adjacent operations of one kind", () => {
    const ops = wordDiff("a b c", "x y z");
    expect(ops).toEqual([
      { kind: "delete", a: "a b c" },
      { kind: "insert", b: "x y z" },
    ]);
  });

  it("diffs a few thousand words quickly", () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${i % 97}`);
    const a = words.join(" ");
    const b = words.map((w, i) => (i % 50 === 0 ? "CHANGED" : w)).join(" ");
    const started = performance.now();
    const ops = wordDiff(a, b);
    expect(performance.now() - started).toBeLessThan(3000);
    expectRoundTrip(a, b, ops);
    expect(changed(ops, "b").every((t) => t === "CHANGED")).toBe(true);
    expect(changed(ops, "b")).toHaveLength(60);
  });

  it("falls back to one deletion and one insertion past MAX_CELLS", () => {
    const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 10;
    const a = Array.from({ length: n }, (_, i) => `a${i}`).join(" ");
    const b = Array.from({ length: n }, (_, i) => `b${i}`).join(" ");
    const ops = wordDiff(`same ${a} end`, `same ${b} end`);
    expect(ops.map((o) => o.kind)).toEqual(["equal", "delete", "insert", "equal"]);
    expectRoundTrip(`same ${a} end`, `same ${b} end`, ops);
  });
});

describe("wordOverlap", () => {
  it("is 1 for the same words in any order and 0 for disjoint texts", () => {
    expect(wordOverlap("a b c", "c b a")).toBe(1);
    expect(wordOverlap("a b", "c d")).toBe(0);
    expect(wordOverlap("", "")).toBe(1);
    expect(wordOverlap("a a b", "a b b")).toBeCloseTo(4 / 6);
  });
});
