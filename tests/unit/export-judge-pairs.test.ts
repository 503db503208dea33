import { describe, expect, it } from "vitest";
import { datasetCard } from "../../app/core/formats/export/card";
import { JUDGE_REVIEWER, judgeFlagged, judgePairs } from "../../app/core/formats/export/judge";
import { judgments, sourcesColumns } from "../../app/core/formats/export/mappers";
import type { ExportJudgment } from "../../app/core/formats/export/rows";
import { rowValues, tabularColumns, TABULAR_COLUMNS } from "../../app/core/formats/export/tabular";
import type { JudgmentPayload } from "../../app/core/tasks/judgment";

const pairwise = (preferred: string, strength: 0 | 1 | 2 | 3): JudgmentPayload =>
  preferred === "tie" ? { task: "pairwise", preferred: "tie", strength: 0, bothBad: false } : { task: "pairwise", preferred, strength: strength as 1 | 2 | 3, bothBad: false };
const ORDER = ["a", "b"];
const first = (payload: JudgmentPayload) => ({ payload, displayOrder: ["a", "b"] });
const swapped = (payload: JudgmentPayload) => ({ payload, displayOrder: ["b", "a"] });

describe("judgePairs", () => {
  it("takes a single verdict's pair as it is", () => {
    expect(judgePairs([first(pairwise("b", 2))], ORDER, "overall")).toEqual([{ chosenId: "b", rejectedId: "a", strength: 2 }]);
  });

  it("keeps a pairwise preference both presentations agree on, with the smaller strength", () => {
    expect(judgePairs([first(pairwise("b", 3)), swapped(pairwise("b", 1))], ORDER, "overall")).toEqual([{ chosenId: "b", rejectedId: "a", strength: 1 }]);
  });

  it("makes presentations that disagree a tie in dataset order (position bias is no preference)", () => {
    expect(judgePairs([first(pairwise("a", 2)), swapped(pairwise("b", 2))], ORDER, "overall")).toEqual([{ chosenId: "a", rejectedId: "b", strength: 0 }]);
    expect(judgePairs([first(pairwise("b", 2)), swapped(pairwise("tie", 0))], ORDER, "overall")).toEqual([{ chosenId: "a", rejectedId: "b", strength: 0 }]);
  });

  it("gives a tie for a tie verdict and nothing without verdicts", () => {
    expect(judgePairs([first(pairwise("tie", 0))], ORDER, "overall")).toEqual([{ chosenId: "a", rejectedId: "b", strength: 0 }]);
    expect(judgePairs([], ORDER, "overall")).toEqual([]);
  });

  it("expands a ranking and a rating as pairsOf does", () => {
    const ranking: JudgmentPayload = { task: "ranking", tiers: [["c"], ["a", "b"]] };
    expect(judgePairs([{ payload: ranking, displayOrder: ["a", "b", "c"] }], ["a", "b", "c"], "overall")).toEqual([
      { chosenId: "c", rejectedId: "a", strength: 1 },
      { chosenId: "c", rejectedId: "b", strength: 1 },
    ]);
    const rating: JudgmentPayload = { task: "rating", scores: { a: { overall: 5 }, b: { overall: 2 }, c: { overall: 5 } } };
    expect(judgePairs([{ payload: rating, displayOrder: ["a", "b", "c"] }], ["a", "b", "c"], "overall")).toEqual([
      { chosenId: "a", rejectedId: "b", strength: 3 },
      { chosenId: "a", rejectedId: "c", strength: 0 },
      { chosenId: "c", rejectedId: "b", strength: 3 },
    ]);
  });

  it("counts a pair missing from one of two rankings (one tier there) as a disagreement", () => {
    const one: JudgmentPayload = { task: "ranking", tiers: [["a"], ["b"]] };
    const other: JudgmentPayload = { task: "ranking", tiers: [["a", "b"]] };
    expect(judgePairs([{ payload: one, displayOrder: ORDER }, { payload: other, displayOrder: ORDER }], ORDER, "overall")).toEqual([{ chosenId: "a", rejectedId: "b", strength: 0 }]);
  });
});

describe("judgeFlagged", () => {
  const flags = [[{ response_id: "a", flag: "unsafe" }], [{ response_id: "b", flag: "hallucination" }]];
  it("collects the flagged responses over the verdicts, optionally of some flags only", () => {
    expect([...judgeFlagged(flags, null)].sort()).toEqual(["a", "b"]);
    expect([...judgeFlagged(flags, ["hallucination"])]).toEqual(["b"]);
    expect([...judgeFlagged(flags, ["pii"])]).toEqual([]);
  });
});

const judgment = (extra: Partial<ExportJudgment> = {}): ExportJudgment => ({
  judgmentId: "j1",
  itemId: "i1",
  promptId: "p1",
  promptExternalId: "ext-1",
  messages: [{ role: "user", content: "Q" }],
  task: "pairwise",
  responses: [
    { id: "a", external_id: "ra", model: "m-a", text: "A" },
    { id: "b", external_id: "rb", model: "m-b", text: "B" },
  ],
  shownOrder: ["b", "a"],
  tiers: [["b"], ["a"]],
  payload: { task: "pairwise", preferred: "b", strength: 2, bothBad: false },
  flags: [],
  rationale: "",
  reviewer: JUDGE_REVIEWER,
  source: "llm-judge",
  judge: { model: "judge-m", templateHash: "abc", swapped: true },
  durationMs: 12,
  createdAt: 0,
  updatedAt: 0,
  ...extra,
});

describe("judgments rows and columns for judge verdicts and sources", () => {
  it("adds judge_model, template_hash and swapped only when asked, neutral on a reviewer's row", () => {
    expect(judgments(judgment(), { withText: false })).not.toHaveProperty("judge_model");
    const row = judgments(judgment(), { withText: false, judgeColumns: true });
    expect(row).toMatchObject({ source: "llm-judge", reviewer: "llm-judge", judge_model: "judge-m", template_hash: "abc", swapped: true, shown_order: ["rb", "ra"] });
    const human = judgments(judgment({ source: "reviewer", judge: undefined, reviewer: "reviewer-x" }), { withText: false, judgeColumns: true });
    expect(human).toMatchObject({ judge_model: "", template_hash: "", swapped: false });
  });

  it("lists the judge and source columns so tabular files take the rows", () => {
    const columns = tabularColumns("judgments", { withIds: false, withText: true, judgeColumns: true, includeContext: true });
    expect(columns.map((c) => c.name).slice(-5)).toEqual(["judge_model", "template_hash", "swapped", "reference", "context"]);
    const row = { ...judgments(judgment(), { withText: true, judgeColumns: true }), ...sourcesColumns({ sources: { reference: null, context: [{ title: "T", text: "x" }] } }) };
    expect(() => rowValues(columns, row)).not.toThrow();
    expect(rowValues(columns, row).slice(-2)).toEqual([null, [{ title: "T", text: "x" }]]);
  });

  it("appends reference and context to every format, after the trace columns", () => {
    for (const format of Object.keys(TABULAR_COLUMNS) as Array<keyof typeof TABULAR_COLUMNS>) {
      const names = tabularColumns(format, { withIds: true, withText: false, includeContext: true }).map((c) => c.name);
      expect(names.slice(-2)).toEqual(["reference", "context"]);
      expect(tabularColumns(format, { withIds: false, withText: false })).toEqual(TABULAR_COLUMNS[format]);
    }
  });

  it("sourcesColumns gives nulls for a prompt without sources", () => {
    expect(sourcesColumns({})).toEqual({ reference: null, context: null });
    expect(sourcesColumns({ sources: { reference: "r", context: null } })).toEqual({ reference: "r", context: null });
  });
});

describe("the dataset card of a judge export", () => {
  const card = (judgedBy: string) =>
    datasetCard({
      title: "t",
      dataFile: "f.jsonl",
      format: "trl-preference",
      rows: 1,
      sha256: "0",
      createdAt: new Date(0),
      options: { format: "trl-preference", judged_by: judgedBy },
      batch: { id: "b", name: "n", task: "pairwise", overlap: 1, dataset: "d", items: 1, judgments: 1, reviewers: 1 },
    });
  it("says whose judgments the rows come from, in the text and the tags", () => {
    expect(card("human")).toContain("Human preference data exported by Verdict");
    expect(card("llm-judge")).toContain("Preference data from an LLM judge's verdicts (no human judgments) exported by Verdict");
    expect(card("llm-judge")).not.toContain("- human-feedback");
    expect(card("both")).toContain("- human-feedback\n- llm-as-a-judge");
  });
});
