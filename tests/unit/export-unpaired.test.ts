import { describe, expect, it } from "vitest";
import { arrangeUnpaired, UNPAIRED_BLOCK_PAIRS, unpairedRows } from "../../app/core/formats/export/unpaired";
import { seededRandom } from "../../app/core/agreement/sampling";

interface Row {
  prompt: string;
  label: boolean;
  n: number;
}

/** Pairs as an export stores them: grouped by item, `perPrompt` pairs for each of `prompts` prompts. */
function pairs(prompts: number, perPrompt: (i: number) => number): Array<{ prompt: string; n: number }> {
  const out: Array<{ prompt: string; n: number }> = [];
  for (let p = 0; p < prompts; p++) for (let k = 0; k < perPrompt(p); k++) out.push({ prompt: `p${p}`, n: out.length });
  return out;
}

const rowsOf = (pair: { prompt: string; n: number }) => ({
  chosen: { prompt: pair.prompt, label: true, n: pair.n },
  rejected: { prompt: pair.prompt, label: false, n: pair.n },
});

function adjacentSamePrompt(rows: readonly Row[]): number {
  let count = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i]!.prompt === rows[i - 1]!.prompt) count++;
  return count;
}

describe("unpaired (KTO) row order", () => {
  it("with one pair per prompt it is TRL's unpair_preference_dataset layout: every chosen row, then every rejected one, per block", () => {
    const rows = [...unpairedRows(pairs(5, () => 1), rowsOf, (r) => r.prompt)];
    expect(rows.map((r) => `${r.prompt}:${r.label}`)).toEqual([
      "p0:true", "p1:true", "p2:true", "p3:true", "p4:true",
      "p0:false", "p1:false", "p2:false", "p3:false", "p4:false",
    ]);
  });

  it("adjacent rows never share a prompt when items give several pairs (rankings, all-pairs)", () => {
    const random = seededRandom(7);
    // 1 to 10 pairs per prompt, as a ranking of up to 5 responses gives.
    const counts = Array.from({ length: 700 }, () => 1 + Math.floor(random() * 10));
    const input = pairs(counts.length, (i) => counts[i]!);
    expect(input.length).toBeGreaterThan(2 * UNPAIRED_BLOCK_PAIRS);
    const rows = [...unpairedRows(input, rowsOf, (r) => r.prompt)];
    expect(rows).toHaveLength(2 * input.length);
    expect(adjacentSamePrompt(rows)).toBe(0);
    // Nothing lost or repeated: every pair's chosen and rejected row once.
    expect(new Set(rows.map((r) => `${r.n}:${r.label}`)).size).toBe(rows.length);
  });

  it("the naive layout it replaces puts every pair's two rows side by side", () => {
    const naive = pairs(50, () => 1).flatMap((p) => [rowsOf(p).chosen, rowsOf(p).rejected]);
    expect(adjacentSamePrompt(naive)).toBe(50);
  });

  it("does not repeat the previous block's last prompt at a block boundary", () => {
    const rows = arrangeUnpaired(
      [
        { prompt: "a", label: true, n: 0 },
        { prompt: "b", label: true, n: 1 },
        { prompt: "a", label: false, n: 0 },
        { prompt: "b", label: false, n: 1 },
      ],
      (r) => r.prompt,
      "a",
    );
    expect(rows[0]!.prompt).toBe("b");
    expect(adjacentSamePrompt(rows)).toBe(0);
  });

  it("keeps each prompt's rows in their block order (chosen rows before rejected ones)", () => {
    const rows = [...unpairedRows(pairs(3, () => 3), rowsOf, (r) => r.prompt)];
    for (const prompt of ["p0", "p1", "p2"]) {
      const own = rows.filter((r) => r.prompt === prompt).map((r) => r.label);
      expect(own).toEqual([true, true, true, false, false, false]);
    }
    expect(adjacentSamePrompt(rows)).toBe(0);
  });

  it("when one prompt holds more than half the rows, leaves only the adjacency that cannot be avoided", () => {
    // 6 pairs of p0 (12 rows) and 1 of p1 (2 rows): at most 3 rows of p0 can be separated.
    const rows = [...unpairedRows([...pairs(1, () => 6), { prompt: "p1", n: 6 }], rowsOf, (r) => r.prompt)];
    expect(rows).toHaveLength(14);
    expect(adjacentSamePrompt(rows)).toBe(12 - 2 - 1);
  });

  it("is deterministic", () => {
    const input = pairs(300, (i) => 1 + (i % 4));
    const once = [...unpairedRows(input, rowsOf, (r) => r.prompt)];
    const twice = [...unpairedRows(input, rowsOf, (r) => r.prompt)];
    expect(twice).toEqual(once);
  });
});
