import { describe, expect, it } from "vitest";
import {
  BEST_FORMATS,
  bestTrace,
  EXPORT_FORMATS,
  JUDGMENT_FORMATS,
  PAIR_FORMATS,
  pairTrace,
  PROMPT_FORMATS,
  promptTrace,
  UNPAIRED_FORMATS,
  type BestFormat,
  type ExportFormat,
  type JudgmentFormat,
  type PairFormat,
  type UnpairedFormat,
} from "../../app/core/formats/export/mappers";
import type { ExportJudgment, ExportPair } from "../../app/core/formats/export/rows";
import { approximateBytes, csvCell, csvRecord, neutralizeFormula, rowValues, TABULAR_COLUMNS, tabularColumns } from "../../app/core/formats/export/tabular";

const pair: ExportPair = {
  itemId: "item-1",
  promptId: "p1",
  promptExternalId: "q1",
  messages: [{ role: "user", content: "Add 1 and 2" }],
  textPrompt: false,
  chosen: { id: "int-a", external_id: "a", model: "alpha", text: "=HYPERLINK(\"http://evil.example\",\"click\")" },
  rejected: { id: "int-b", external_id: "b", model: "beta", text: "+1" },
  strength: 2,
  reviewers: ["reviewer-1"],
  agreement: 1,
  source: "judgments",
};

const judgment: ExportJudgment = {
  judgmentId: "j1",
  itemId: "item-1",
  promptId: "p1",
  promptExternalId: "q1",
  messages: pair.messages,
  task: "pairwise",
  responses: [pair.chosen, pair.rejected],
  shownOrder: ["int-b", "int-a"],
  tiers: [["int-a"], ["int-b"]],
  payload: { task: "pairwise", preferred: "int-a", strength: 2, bothBad: false },
  flags: [],
  rationale: "-2 points for the other",
  reviewer: "reviewer-1",
  source: "reviewer",
  durationMs: null,
  createdAt: 0,
  updatedAt: 0,
};

describe("formula neutralising (OWASP CSV injection)", () => {
  it("prefixes a single quote to cells that start with = + - @ tab or carriage return", () => {
    expect(neutralizeFormula('=HYPERLINK("http://evil.example","click")')).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(neutralizeFormula("+1")).toBe("'+1");
    expect(neutralizeFormula("-2")).toBe("'-2");
    expect(neutralizeFormula("@SUM(A1:A9)")).toBe("'@SUM(A1:A9)");
    expect(neutralizeFormula("\t=1")).toBe("'\t=1");
    expect(neutralizeFormula("\r=1")).toBe("'\r=1");
  });

  it("leaves every other cell as it is", () => {
    for (const value of ["", "plain", "1+1", "a=b", " =1", "'quoted", "{\"a\":1}"]) expect(neutralizeFormula(value)).toBe(value);
  });
});

describe("cells", () => {
  it("JSON-encodes nested values into one cell and writes scalars as JSON does", () => {
    expect(csvCell({ name: "prompt", kind: "json" }, [{ role: "user", content: "=1+1" }])).toBe('[{"role":"user","content":"=1+1"}]');
    expect(csvCell({ name: "margin", kind: "integer" }, 3)).toBe("3");
    expect(csvCell({ name: "label", kind: "boolean" }, false)).toBe("false");
    expect(csvCell({ name: "duration_ms", kind: "integer", nullable: true }, null)).toBe("");
  });

  it("numbers in number columns are not escaped: only text can be a formula", () => {
    expect(csvCell({ name: "margin", kind: "integer" }, -2)).toBe("-2");
    expect(csvCell({ name: "chosen", kind: "text" }, "-2")).toBe("'-2");
  });

  it("a pair format's row becomes its columns in order, formula text escaped", () => {
    const row = PAIR_FORMATS["trl-preference"](pair);
    expect(TABULAR_COLUMNS["trl-preference"].map((c) => c.name)).toEqual(["prompt", "chosen", "rejected"]);
    expect(csvRecord(TABULAR_COLUMNS["trl-preference"], row)).toEqual(["\n\nHuman: Add 1 and 2\n\nAssistant:", ` =HYPERLINK("http://evil.example","click")`, " +1"]);
    const textPrompt = PAIR_FORMATS["trl-preference"]({ ...pair, textPrompt: true, messages: [{ role: "user", content: "@SUM(A1)" }] });
    expect(csvRecord(TABULAR_COLUMNS["trl-preference"], textPrompt)).toEqual(["'@SUM(A1)", `'=HYPERLINK("http://evil.example","click")`, "'+1"]);
  });

  it("refuses a row with a key the column list lacks, or a value of the wrong kind", () => {
    expect(() => rowValues(TABULAR_COLUMNS["hh-rlhf"], { chosen: "a", rejected: "b", extra: 1 })).toThrow(/"extra"/);
    expect(() => rowValues(TABULAR_COLUMNS["trl-reward"], { chosen: [], rejected: [], margin: "2" })).toThrow(/margin.*integer/);
    expect(() => rowValues(TABULAR_COLUMNS["hh-rlhf"], { chosen: "a" })).toThrow(/rejected/);
  });

  it("approximates a value's size from its strings", () => {
    expect(approximateBytes("abcd")).toBe(4);
    expect(approximateBytes([{ role: "user", content: "hello" }])).toBeGreaterThanOrEqual(5 + 4 + 7 + 4);
  });
});

/** Every row a format's mappers write for the fixtures, with and without the options that add keys. */
function rowsOf(format: ExportFormat, withIds: boolean, withText: boolean): Array<Record<string, unknown>> {
  const trace = <T>(row: T, extra: object) => ({ ...row, ...(withIds ? extra : {}) }) as Record<string, unknown>;
  if (format in PAIR_FORMATS) return [trace(PAIR_FORMATS[format as PairFormat](pair), pairTrace(pair, "b1"))];
  if (format in UNPAIRED_FORMATS) {
    const { chosen, rejected } = UNPAIRED_FORMATS[format as UnpairedFormat](pair);
    return [trace(chosen, pairTrace(pair, "b1")), trace(rejected, pairTrace(pair, "b1"))];
  }
  const best = { ...pair, response: pair.chosen, strength: 2, reviewers: ["reviewer-1"] };
  if (format in BEST_FORMATS) return [trace(BEST_FORMATS[format as BestFormat](best), bestTrace(best, "b1"))];
  if (format in PROMPT_FORMATS) return [trace(PROMPT_FORMATS.prompts(pair), promptTrace(pair, "b1"))];
  return [JUDGMENT_FORMATS[format as JudgmentFormat](judgment, { withText }) as Record<string, unknown>];
}

describe("the column lists match the mappers", () => {
  it("every format has columns, and they are exactly the keys its rows carry, under every option that adds keys", () => {
    expect(Object.keys(TABULAR_COLUMNS).sort()).toEqual([...EXPORT_FORMATS].sort());
    for (const format of EXPORT_FORMATS) {
      for (const withIds of [false, true]) {
        for (const withText of [false, true]) {
          const columns = tabularColumns(format, { withIds: withIds && !(format in JUDGMENT_FORMATS), withText });
          for (const row of rowsOf(format, withIds && !(format in JUDGMENT_FORMATS), withText)) {
            expect(Object.keys(row), `${format} ids=${withIds} text=${withText}`).toEqual(columns.map((c) => c.name));
            expect(() => rowValues(columns, row)).not.toThrow();
          }
        }
      }
    }
  });
});
