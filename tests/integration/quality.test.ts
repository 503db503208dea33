import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { browseDataset } = await import("~/services/dataset-browse.server");
const { qualityReport, qualityDownload, qualityDownloadRows } = await import("~/services/quality.server");

const sqlite = () => connection().sqlite;
const NOTE = '<img src=x onerror="window.__xss=1"> invented a date';
const FORMULA = '=HYPERLINK("http://evil.example","click")';

/**
 * Four prompts, alpha ("a") and beta ("b") on each, gamma on p4 only. p1, p2 sampled on
 * 2024-03-01, p3 on 2024-03-02; p4's responses were imported (dated by the dataset).
 */
const ROWS = [1, 2, 3, 4].map((i) => {
  const meta = i === 4 ? {} : { metadata: { sampled_at: i === 3 ? "2024-03-02T09:00:00Z" : "2024-03-01T12:00:00Z" } };
  return {
    id: `p${i}`,
    prompt: `Question ${i}`,
    responses: [
      { id: "a", model: "alpha", text: `alpha answer ${i}`, ...meta },
      { id: "b", model: "beta", text: i === 4 ? FORMULA : `beta answer ${i}`, ...meta },
      ...(i === 4 ? [{ id: "g", model: "gamma", text: "gamma answer 4" }] : []),
    ],
  };
});

type Decision = { preferred: "a" | "b" | "tie"; flags?: Array<{ on: "a" | "b"; flag: string; note?: string }> };
/** What each reviewer answers per prompt. */
const ANSWERS: Record<string, Record<string, Decision>> = {
  h1: {
    p1: { preferred: "b", flags: [{ on: "a", flag: "hallucination", note: NOTE }] },
    p2: { preferred: "b", flags: [{ on: "a", flag: "hallucination" }, { on: "a", flag: "pii" }] },
    p3: { preferred: "tie" },
    p4: { preferred: "a", flags: [{ on: "b", flag: "unsafe" }] },
  },
  h2: {
    p1: { preferred: "b", flags: [{ on: "a", flag: "hallucination" }] },
    p2: { preferred: "a" },
    p3: { preferred: "b", flags: [{ on: "b", flag: "refusal" }] },
    p4: { preferred: "a" },
  },
};

let batchId = "";
let emptyBatchId = "";
/** Response id by `prompt/external id`, item id by prompt. */
const responseId = new Map<string, string>();
const itemOf = new Map<string, string>();

beforeAll(async () => {
  writeFileSync(join(dir, "q.jsonl"), ROWS.map((r) => JSON.stringify(r)).join("\n"));
  await importFile(join(dir, "q.jsonl"), { dataset: "q" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)");
  for (const name of ["h1", "h2"]) insert.run(`u-${name}`, name, name, "reviewer");
  batchId = createBatch({ dataset: "q", name: "quality", task: "pairwise", overlap: 2, reviewers: ["h1", "h2"], pairing: "first-two", config: {} }).id;
  emptyBatchId = createBatch({ dataset: "q", name: "untouched", task: "pairwise", overlap: 1, reviewers: ["h1"], pairing: "first-two", config: {} }).id;
  for (const r of sqlite().prepare<[], { id: string; ext: string; prompt: string }>("SELECT r.id, r.external_id AS ext, p.external_id AS prompt FROM responses r JOIN prompts p ON p.id = r.prompt_id").all()) {
    responseId.set(`${r.prompt}/${r.ext}`, r.id);
  }
  for (const i of sqlite().prepare<[string], { id: string; prompt: string }>("SELECT i.id, p.external_id AS prompt FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.batch_id = ?").all(batchId)) {
    itemOf.set(i.prompt, i.id);
  }
  let client = 0;
  for (const name of ["h1", "h2"]) {
    for (;;) {
      const view = nextAssignment(batchId, `u-${name}`);
      if (!view) break;
      const prompt = view.prompt.external_id;
      const answer = ANSWERS[name]![prompt]!;
      const id = (ext: string) => view.responses.find((r) => r.external_id === ext)!.id;
      submitJudgment(view.id, `u-${name}`, {
        client_id: `c${++client}`,
        preferred: answer.preferred === "tie" ? "tie" : id(answer.preferred),
        ...(answer.preferred === "tie" ? {} : { strength: 2 }),
        flags: (answer.flags ?? []).map((f) => ({ response_id: id(f.on), flag: f.flag, note: f.note })),
      });
    }
  }
  // An admin's adjudication with a flag: not a reviewer judgment, so it counts nowhere.
  const item = itemOf.get("p3")!;
  sqlite()
    .prepare("INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at, kind) VALUES ('adj1', ?, ?, 'u-h1', 'submitted', '[0,1]', 0, 0, 'adjudication')")
    .run(item, batchId);
  sqlite()
    .prepare(
      "INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, client_id, created_at, updated_at, source) VALUES ('jadj', 'adj1', ?, 'u-h1', ?, 'cadj', 0, 0, 'adjudicated')",
    )
    .run(item, JSON.stringify({ task: "pairwise", preferred: responseId.get("p3/a"), strength: 1, bothBad: false }));
  sqlite().prepare("INSERT INTO judgment_flags (judgment_id, response_id, flag, note) VALUES ('jadj', ?, 'pii', 'not a reviewer')").run(responseId.get("p3/a"));

  // Judge runs: judge-x judges every item both ways round, judge-y judges p1 once.
  const run = sqlite().prepare(
    "INSERT INTO judge_runs (id, batch_id, model, template_name, template, template_hash, options, status, created_at, updated_at) VALUES (?, ?, ?, 'default', 't', 'h', '{}', 'done', 0, 0)",
  );
  run.run("run-x", batchId, "judge-x");
  run.run("run-y", batchId, "judge-y");
  const verdict = sqlite().prepare(
    "INSERT INTO judge_verdicts (run_id, item_id, swapped, display_order, status, payload, flags, attempts, created_at) VALUES (?, ?, ?, '[]', ?, ?, ?, 1, 0)",
  );
  const add = (runId: string, prompt: string, swapped: 0 | 1, preferred: "a" | "b" | null, flags: Array<[on: "a" | "b", flag: string]> = []) =>
    verdict.run(
      runId,
      itemOf.get(prompt)!,
      swapped,
      preferred === null ? "failed" : "ok",
      preferred === null ? null : JSON.stringify({ task: "pairwise", preferred: responseId.get(`${prompt}/${preferred}`), strength: 2, bothBad: false }),
      JSON.stringify(flags.map(([on, flag]) => ({ response_id: responseId.get(`${prompt}/${on}`), flag }))),
    );
  add("run-x", "p1", 0, "b", [["a", "hallucination"]]);
  add("run-x", "p1", 1, "b", [["a", "hallucination"]]);
  add("run-x", "p2", 0, "b"); // the two presentations disagree: no decided pair
  add("run-x", "p2", 1, "a");
  add("run-x", "p3", 0, "a", [["b", "off_topic"]]);
  add("run-x", "p3", 1, "a");
  add("run-x", "p4", 0, null, [["a", "pii"]]); // failed: neither judged nor flagged
  add("run-x", "p4", 1, "a", [["b", "unsafe"]]);
  add("run-y", "p1", 0, "a", [["a", "made_up"]]);
});
afterAll(() => closeConnection());

const model = (report: ReturnType<typeof qualityReport>, name: string) => report.models.find((m) => m.model === name)!;

describe("quality monitoring of a dataset", () => {
  it("gives the reviewers' flag rates per model as counted by hand, with Wilson intervals", () => {
    const report = qualityReport("q");
    expect(report.models.map((m) => [m.model, m.responses])).toEqual([
      ["alpha", 4],
      ["beta", 4],
      ["gamma", 1],
    ]);
    // The default flags in order, then made_up (seen from judge-y only).
    expect(report.flags).toEqual(["hallucination", "unsafe", "refusal", "incomplete", "off_topic", "pii", "made_up"]);
    expect(report.totals).toEqual({ responses: 9, reviewer_judgments: 8, judge_verdicts: 8 });
    const alpha = model(report, "alpha").reviewers;
    expect(alpha.judged).toBe(4);
    // a@p1 (hallucination by both) and a@p2 (hallucination, pii); the adjudication's pii on a@p3 does not count.
    expect(alpha.any).toMatchObject({ successes: 2, n: 4, rate: 0.5 });
    expect(alpha.any.ci![0]).toBeCloseTo(0.15, 3);
    expect(alpha.any.ci![1]).toBeCloseTo(0.85, 3);
    expect(alpha.flags.hallucination).toMatchObject({ successes: 2, n: 4 });
    expect(alpha.flags.pii).toMatchObject({ successes: 1, n: 4, rate: 0.25 });
    expect(alpha.flags.unsafe).toMatchObject({ successes: 0, n: 4, rate: 0 });
    expect(alpha.flags.unsafe!.ci![0]).toBe(0);
    expect(alpha.flags.unsafe!.ci![1]).toBeCloseTo(0.4899, 4);
    const beta = model(report, "beta").reviewers;
    expect(beta).toMatchObject({ judged: 4, any: { successes: 2, n: 4 }, flags: { refusal: { successes: 1 }, unsafe: { successes: 1 }, hallucination: { successes: 0 } } });
    expect(model(report, "gamma").reviewers).toMatchObject({ judged: 0, any: { rate: null, ci: null } });
  });

  it("gives the judges' flag rates from ok verdicts, for all judges and for one", () => {
    const all = qualityReport("q");
    expect(all.judges).toEqual(["judge-x", "judge-y"]);
    // alpha: judged in p1–p4 (p4 through its swapped verdict); flagged only on p1.
    expect(model(all, "alpha").judge).toMatchObject({ judged: 4, any: { successes: 1, n: 4 }, flags: { hallucination: { successes: 1 }, made_up: { successes: 1 }, pii: { successes: 0 } } });
    expect(model(all, "beta").judge).toMatchObject({ judged: 4, any: { successes: 2, n: 4 }, flags: { off_topic: { successes: 1 }, unsafe: { successes: 1 } } });
    const x = qualityReport("q", { judge: "judge-x" });
    expect(x.flags).not.toContain("made_up");
    expect(model(x, "alpha").judge).toMatchObject({ judged: 4, any: { successes: 1, n: 4 } });
    expect(x.totals.judge_verdicts).toBe(7);
    const y = qualityReport("q", { judge: "judge-y" });
    expect(model(y, "alpha").judge).toMatchObject({ judged: 1, any: { successes: 1, n: 1 }, flags: { made_up: { successes: 1 } } });
    expect(model(y, "beta").judge).toMatchObject({ judged: 1, any: { successes: 0, n: 1 } });
  });

  it("gives win rates from the reviewers' decided pairs and the judge's agreeing verdicts", () => {
    const report = qualityReport("q");
    // Reviewers: 7 decided pairs (h1's tie on p3 left out); alpha won h1·p4, h2·p2, h2·p4.
    expect(model(report, "alpha").winRate.reviewers).toMatchObject({ successes: 3, n: 7 });
    expect(model(report, "beta").winRate.reviewers).toMatchObject({ successes: 4, n: 7 });
    expect(model(report, "alpha").winRate.reviewers.rate).toBeCloseTo(3 / 7, 12);
    // Judge: judge-x p1 beta, p2 left out (the sides disagree), p3 alpha, p4 alpha (one ok presentation); judge-y p1 alpha.
    expect(model(report, "alpha").winRate.judge).toMatchObject({ successes: 3, n: 4 });
    expect(model(report, "beta").winRate.judge).toMatchObject({ successes: 1, n: 4 });
    expect(model(qualityReport("q", { judge: "judge-x" }), "alpha").winRate.judge).toMatchObject({ successes: 2, n: 3 });
    expect(model(report, "gamma").winRate.reviewers).toMatchObject({ n: 0, rate: null });
  });

  it("limits everything to the responses dated in the range", () => {
    const report = qualityReport("q", { from: "2024-03-01", to: "2024-03-01" });
    expect(report.models.map((m) => [m.model, m.responses])).toEqual([
      ["alpha", 2],
      ["beta", 2],
    ]);
    expect(model(report, "alpha").reviewers).toMatchObject({ judged: 2, any: { successes: 2, n: 2 }, flags: { hallucination: { successes: 2 } } });
    expect(model(report, "beta").reviewers).toMatchObject({ judged: 2, any: { successes: 0, n: 2 } });
    // p1: beta ×2 (h1, h2); p2: beta (h1), alpha (h2).
    expect(model(report, "alpha").winRate.reviewers).toMatchObject({ successes: 1, n: 4 });
    expect(model(report, "beta").winRate.reviewers).toMatchObject({ successes: 3, n: 4 });
    expect(report.flagged.map((r) => r.prompt_external_id)).toEqual(["p1", "p2"]);
    expect(report.timeline.map((d) => d.day)).toEqual(["2024-03-01"]);
  });

  it("buckets the flag rates by the response's day, imported responses on the dataset's day", () => {
    const created = sqlite().prepare<[], { created_at: number }>("SELECT created_at FROM datasets WHERE name = 'q'").get()!.created_at;
    const importDay = new Date(created).toISOString().slice(0, 10);
    const report = qualityReport("q");
    expect(report.timeline.map((d) => d.day)).toEqual(["2024-03-01", "2024-03-02", importDay]);
    expect(report.timeline[0]!.models.alpha).toMatchObject({ reviewers: { successes: 2, n: 2 }, judge: { successes: 1, n: 2 } });
    expect(report.timeline[1]!.models.beta).toMatchObject({ reviewers: { successes: 1, n: 1 }, judge: { successes: 1, n: 1 } });
    expect(report.timeline[2]!.models.beta).toMatchObject({ reviewers: { successes: 1, n: 1 }, judge: { successes: 1, n: 1 } });
    expect(report.timeline[2]!.models.gamma).toBeUndefined();
    expect(qualityReport("q", { from: importDay }).timeline.map((d) => d.day)).toEqual([importDay]);
  });

  it("lists the most-flagged responses with flags, notes and a link that opens their prompt", () => {
    const report = qualityReport("q");
    expect(report.flagged_total).toBe(4);
    expect(report.flagged.map((r) => [r.prompt_external_id, r.model, r.reviewer_total, r.judge_total, r.total])).toEqual([
      ["p1", "alpha", 2, 3, 5],
      ["p2", "alpha", 2, 0, 2],
      ["p3", "beta", 1, 1, 2],
      ["p4", "beta", 1, 1, 2],
    ]);
    const [p1] = report.flagged;
    expect(p1!.reviewer_flags).toEqual([{ flag: "hallucination", count: 2, notes: [NOTE] }]);
    expect(p1!.judge_flags).toEqual([
      { flag: "hallucination", count: 2 },
      { flag: "made_up", count: 1 },
    ]);
    expect(p1).toMatchObject({ reviewer_judgments: 2, judge_verdicts: 3, date: "2024-03-01", response_external_id: "a" });
    // The link opens the dataset page at the prompt, alone on its page.
    for (const row of report.flagged) {
      const url = new URL(row.prompt_link, "http://x");
      expect(url.pathname).toBe("/admin/datasets/q");
      const page = browseDataset("q", Object.fromEntries(url.searchParams));
      expect(page.prompts.map((p) => p.external_id)).toEqual([row.prompt_external_id]);
    }
    expect(report.flagged[0]!.prompt_link).toBe("/admin/datasets/q?limit=1");
    expect(report.flagged[1]!.prompt_link).toBe("/admin/datasets/q?after=p1&limit=1");
  });

  it("scopes to one batch and refuses bad filters", () => {
    const empty = qualityReport("q", { batch: emptyBatchId });
    expect(empty.totals).toMatchObject({ reviewer_judgments: 0, judge_verdicts: 0 });
    expect(empty.judges).toEqual([]);
    expect(model(empty, "alpha").reviewers.judged).toBe(0);
    expect(empty.flagged).toEqual([]);
    expect(qualityReport("q", { batch: batchId }).totals.reviewer_judgments).toBe(8);
    expect(qualityReport("q", { from: "", to: " ", batch: "" }).query).toEqual({});
    expect(errorOf(() => qualityReport("q", { from: "2024-02-30" })).details).toMatchObject({ fields: { from: expect.stringMatching(/not a date/) } });
    expect(errorOf(() => qualityReport("q", { from: "2024-03-02", to: "2024-03-01" })).details).toMatchObject({ fields: { to: "the end is before the start" } });
    expect(errorOf(() => qualityReport("q", { batch: "nope" })).code).toBe("invalid");
    expect(errorOf(() => qualityReport("q", { judge: "nobody" })).code).toBe("invalid");
    expect(errorOf(() => qualityReport("missing")).code).toBe("not_found");
  });
});

describe("the quality download", () => {
  it("writes every flagged response as CSV, formula cells escaped, with a file name", async () => {
    const response = qualityDownload("q", { format: "csv" });
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="q-quality.csv"');
    const text = await response.text();
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(4);
    expect(Object.keys(records[0]!)).toEqual([
      "prompt_external_id",
      "response_external_id",
      "response_id",
      "model",
      "date",
      "reviewer_judgments",
      "reviewer_flags",
      "reviewer_total",
      "judge_verdicts",
      "judge_flags",
      "judge_total",
      "total",
      "text",
    ]);
    expect(records.map((r) => [r.prompt_external_id, r.model, r.total])).toEqual([
      ["p1", "alpha", "5"],
      ["p2", "alpha", "2"],
      ["p3", "beta", "2"],
      ["p4", "beta", "2"],
    ]);
    expect(JSON.parse(records[0]!.reviewer_flags!)).toEqual([{ flag: "hallucination", count: 2, notes: [NOTE] }]);
    expect(JSON.parse(records[0]!.judge_flags!)).toEqual([
      { flag: "hallucination", count: 2 },
      { flag: "made_up", count: 1 },
    ]);
    expect(records[0]!.text).toBe("alpha answer 1");
    // A spreadsheet reads it as text.
    expect(records[3]!.text).toBe(`'${FORMULA}`);
  });

  it("writes JSONL with the same filters and names the range", async () => {
    const response = qualityDownload("q", { format: "jsonl", from: "2024-03-01", to: "2024-03-02", judge: "judge-x" });
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="q-quality-2024-03-01-2024-03-02.jsonl"');
    const lines = (await response.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.prompt_external_id, l.total])).toEqual([
      ["p1", 4], // judge-y's made_up is not in judge-x's view
      ["p2", 2],
      ["p3", 2],
    ]);
    expect(lines[0]).toMatchObject({ model: "alpha", date: "2024-03-01", reviewer_judgments: 2, judge_verdicts: 2, text: "alpha answer 1" });
    expect(qualityDownloadRows("q", { from: "2024-03-02", to: "2024-03-02" })).toHaveLength(1);
    expect(errorOf(() => qualityDownload("q", { format: "xlsx" })).details).toMatchObject({ fields: { format: "use csv or jsonl" } });
  });

  it("has every flagged response, not only the page's 200", async () => {
    const base = sqlite().prepare<[], { n: number }>("SELECT count(*) AS n FROM judgment_flags").get()!.n;
    // 250 more flagged responses in another dataset, each on a prompt of its own.
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify({ id: `x${String(i).padStart(3, "0")}`, prompt: `Extra ${i}`, responses: [{ id: "a", model: "alpha", text: "x" }, { id: "b", model: "beta", text: "y" }] }));
    writeFileSync(join(dir, "extra.jsonl"), lines.join("\n"));
    {
      await importFile(join(dir, "extra.jsonl"), { dataset: "many" });
      const id = createBatch({ dataset: "many", name: "many", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
      let n = 0;
      for (;;) {
        const view = nextAssignment(id, "u-h1");
        if (!view) break;
        const a = view.responses.find((r) => r.external_id === "a")!.id;
        submitJudgment(view.id, "u-h1", { client_id: `many${++n}`, preferred: a, strength: 1, flags: [{ response_id: a, flag: "incomplete" }] });
      }
      expect(sqlite().prepare<[], { n: number }>("SELECT count(*) AS n FROM judgment_flags").get()!.n).toBe(base + 250);
      const report = qualityReport("many");
      expect(report.flagged).toHaveLength(200);
      expect(report.flagged_total).toBe(250);
      expect(model(report, "alpha").reviewers.flags.incomplete).toMatchObject({ successes: 250, n: 250, rate: 1 });
      expect(qualityDownloadRows("many")).toHaveLength(250);
    }
  });
});
