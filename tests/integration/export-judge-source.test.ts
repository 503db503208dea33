import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { streamExport, parseExportOptions, exportJudgeRun } = await import("~/services/exports.server");
const { exportFileDownload, streamExportFile } = await import("~/services/export-files.server");
const { ServiceError } = await import("~/services/errors.server");

const sqlite = () => connection().sqlite;
afterAll(() => closeConnection());

/** Which response (by external id) each reviewer prefers on each prompt, with the strength. */
const HUMANS: Record<string, Record<string, ["a" | "b", 1 | 2 | 3]>> = {
  q0: { h1: ["a", 2], h2: ["b", 2] },
  q1: { h1: ["a", 2], h2: ["a", 2] },
  q2: { h1: ["b", 2], h2: ["b", 2] },
  q3: { h1: ["a", 1], h2: ["a", 1] },
};

let batchId = "";
let otherBatchId = "";
let otherRunId = "";
const itemOf: Record<string, { id: string; a: string; b: string }> = {};

async function exportText(batch: string, options: Record<string, unknown>): Promise<string> {
  let text = "";
  for await (const chunk of streamExport(batch, options)) text += Buffer.from(chunk).toString("utf8");
  return text;
}
const rowsOf = async (options: Record<string, unknown>, batch = batchId) =>
  (await exportText(batch, options))
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let runAt = 1_000;
function insertRun(id: string, batch: string, model: string, hash: string) {
  runAt += 1_000;
  sqlite()
    .prepare(
      `INSERT INTO judge_runs (id, batch_id, model, template_name, template, template_hash, options, status, created_at, updated_at)
       VALUES (?, ?, ?, 'default', 'template text', ?, '{}', 'done', ?, ?)`,
    )
    .run(id, batch, model, hash, runAt, runAt);
}

/** A pairwise verdict of `run` on prompt `q`: the preferred response by external id (or "tie"), shown swapped or not. */
function insertVerdict(run: string, q: string, swapped: boolean, preferred: "a" | "b" | "tie" | "failed", strength = 0, flags: Array<{ response: "a" | "b"; flag: string }> = []) {
  const item = itemOf[q]!;
  const order = swapped ? [item.b, item.a] : [item.a, item.b];
  const payload =
    preferred === "failed"
      ? null
      : preferred === "tie"
        ? { task: "pairwise", preferred: "tie", strength: 0, bothBad: false }
        : { task: "pairwise", preferred: item[preferred], strength, bothBad: false };
  sqlite()
    .prepare(
      `INSERT INTO judge_verdicts (run_id, item_id, swapped, display_order, status, payload, flags, rationale, raw, reason, attempts, latency_ms, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, 1, 250, ?)`,
    )
    .run(
      run,
      item.id,
      swapped ? 1 : 0,
      JSON.stringify(order),
      payload ? "ok" : "failed",
      payload ? JSON.stringify(payload) : null,
      JSON.stringify(flags.map((f) => ({ response_id: item[f.response], flag: f.flag }))),
      payload ? `judge on ${q}` : "",
      payload ? null : "unreadable",
      runAt,
    );
}

const defaultBefore: Record<string, string> = {};
const DEFAULT_EXPORTS: Array<Record<string, unknown>> = [
  { format: "trl-preference", with_ids: true },
  { format: "judgments", ties: "keep" },
  { format: "rankings" },
  { format: "trl-sft" },
];

beforeAll(async () => {
  const file = join(dir, "judge-source.jsonl");
  writeFileSync(
    file,
    Object.keys(HUMANS)
      .map((q) => JSON.stringify({ id: q, prompt: `Question ${q}`, responses: [{ id: "a", model: "alpha", text: `alpha on ${q}` }, { id: "b", model: "beta", text: `beta on ${q}` }] }))
      .join("\n"),
  );
  await importFile(file, { dataset: "judged" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["h1", "h2"]) insert.run(`u-${name}`, name, name);
  batchId = createBatch({ dataset: "judged", name: "judge-source", task: "pairwise", overlap: 2, reviewers: ["h1", "h2"], config: {} }).id;
  otherBatchId = createBatch({ dataset: "judged", name: "no-judge", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
  const items = sqlite()
    .prepare("SELECT i.id, i.response_ids, p.external_id FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.batch_id = ?")
    .all(batchId) as Array<{ id: string; response_ids: string; external_id: string }>;
  const byExternal = new Map(
    (sqlite().prepare("SELECT r.id, r.external_id, r.prompt_id FROM responses r").all() as Array<{ id: string; external_id: string; prompt_id: string }>).map((r) => [r.id, r.external_id]),
  );
  for (const item of items) {
    const ids = JSON.parse(item.response_ids) as string[];
    itemOf[item.external_id] = { id: item.id, a: ids.find((id) => byExternal.get(id) === "a")!, b: ids.find((id) => byExternal.get(id) === "b")! };
  }
  let client = 0;
  for (const name of ["h1", "h2"]) {
    for (;;) {
      const view: AssignmentView | null = nextAssignment(batchId, `u-${name}`);
      if (!view) break;
      const q = /Question (q\d)/.exec(JSON.stringify(view))![1]!;
      const [side, strength] = HUMANS[q]![name]!;
      const preferred = view.responses.find((r) => r.external_id === side)!.id;
      submitJudgment(view.id, `u-${name}`, { client_id: `c${++client}`, preferred, strength, duration_ms: 5000 });
    }
  }
  // The default exports, before any judge run exists: they must not change when runs appear.
  for (const options of DEFAULT_EXPORTS) defaultBefore[JSON.stringify(options)] = await exportText(batchId, options);

  insertRun("run-old", batchId, "judge-old", "hash-old");
  insertVerdict("run-old", "q0", false, "a", 2);
  insertVerdict("run-old", "q0", true, "a", 2);
  insertRun("run-new", batchId, "judge-new", "hash-new");
  insertVerdict("run-new", "q0", false, "b", 3);
  insertVerdict("run-new", "q0", true, "b", 1);
  insertVerdict("run-new", "q1", false, "a", 2);
  insertVerdict("run-new", "q1", true, "b", 2);
  insertVerdict("run-new", "q2", false, "a", 2, [{ response: "a", flag: "hallucination" }]);
  insertVerdict("run-new", "q2", true, "failed");
  // A run of another batch (same dataset), to be refused by id.
  otherRunId = "run-elsewhere";
  const thirdBatch = createBatch({ dataset: "judged", name: "elsewhere", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
  insertRun(otherRunId, thirdBatch, "judge-x", "hash-x");
});

const pairsBrief = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ prompt_id: r.prompt_id, chosen: r.chosen_model, strength: r.strength, reviewers: r.reviewers }));

describe("judged_by human (the default)", () => {
  it("gives the same bytes as before any judge run existed", async () => {
    for (const options of DEFAULT_EXPORTS) expect(await exportText(batchId, options)).toBe(defaultBefore[JSON.stringify(options)]);
    for (const options of DEFAULT_EXPORTS) expect(await exportText(batchId, { ...options, judged_by: "human" })).toBe(defaultBefore[JSON.stringify(options)]);
  });

  it("reads only the reviewers: the split item gives no majority row", async () => {
    const rows = await rowsOf({ format: "trl-preference", with_ids: true });
    expect(rows.map((r) => r.prompt_id)).toEqual(["q1", "q2", "q3"]);
  });
});

describe("judged_by llm-judge", () => {
  it("takes each item's preference from the latest run, only where both presentations agree, with the smaller strength", async () => {
    const rows = await rowsOf({ format: "trl-preference", with_ids: true, judged_by: "llm-judge" });
    // q0: b both times (3 and 1) → b, strength 1; q1: a then b → a tie, dropped; q2: one readable verdict → a, 2; q3: not judged.
    expect(pairsBrief(rows)).toEqual([
      { prompt_id: "q0", chosen: "beta", strength: 1, reviewers: ["llm-judge"] },
      { prompt_id: "q2", chosen: "alpha", strength: 2, reviewers: ["llm-judge"] },
    ]);
    expect(rows[0]).toMatchObject({ prompt: "\n\nHuman: Question q0\n\nAssistant:", chosen: " beta on q0", rejected: " alpha on q0" });
  });

  it("reads another run with judge_run", async () => {
    const rows = await rowsOf({ format: "trl-preference", with_ids: true, judged_by: "llm-judge", judge_run: "run-old" });
    expect(pairsBrief(rows)).toEqual([{ prompt_id: "q0", chosen: "alpha", strength: 2, reviewers: ["llm-judge"] }]);
  });

  it("leaves out pairs whose chosen response the judge flagged with an excluded flag", async () => {
    const rows = await rowsOf({ format: "trl-preference", with_ids: true, judged_by: "llm-judge", exclude_flags: "hallucination" });
    expect(rows.map((r) => r.prompt_id)).toEqual(["q0"]);
  });

  it("feeds the other pair formats and the SFT formats the same way", async () => {
    const kto = await rowsOf({ format: "trl-kto", judged_by: "llm-judge" });
    expect(kto).toHaveLength(4);
    const dpo = await rowsOf({ format: "openai-dpo", judged_by: "llm-judge" });
    expect(dpo.map((r) => (r.preferred_output as Array<{ content: string }>)[0]!.content)).toEqual(["beta on q0", "alpha on q2"]);
    // SFT counts any flag of the judge: q2's best response was flagged, so only q0 gives a line.
    const sft = await rowsOf({ format: "trl-sft", judged_by: "llm-judge", with_ids: true });
    expect(sft.map((r) => [r.prompt_id, r.model])).toEqual([["q0", "beta"]]);
  });

  it("writes the judge's verdicts as judgments rows with source llm-judge, the judge's model, template hash and swapped", async () => {
    const rows = await rowsOf({ format: "judgments", judged_by: "llm-judge" });
    expect(rows.map((r) => [r.prompt_id, r.source, r.reviewer, r.judge_model, r.template_hash, r.swapped, r.preferred, r.strength])).toEqual([
      ["q0", "llm-judge", "llm-judge", "judge-new", "hash-new", false, "b", 3],
      ["q0", "llm-judge", "llm-judge", "judge-new", "hash-new", true, "b", 1],
      ["q1", "llm-judge", "llm-judge", "judge-new", "hash-new", false, "a", 2],
      ["q1", "llm-judge", "llm-judge", "judge-new", "hash-new", true, "b", 2],
      ["q2", "llm-judge", "llm-judge", "judge-new", "hash-new", false, "a", 2],
    ]);
    expect(rows[1]).toMatchObject({ shown_order: ["b", "a"], duration_ms: 250, rationale: "judge on q0", judgment_id: `run-new:${itemOf.q0!.id}:1`, skipped: false });
    expect(rows[4]!.flags).toEqual([{ response_id: "a", flag: "hallucination", note: "" }]);
    const rankings = await rowsOf({ format: "rankings", judged_by: "llm-judge" });
    expect(rankings.map((r) => [r.source, r.tiers])).toEqual([
      ["llm-judge", [["b"], ["a"]]],
      ["llm-judge", [["b"], ["a"]]],
      ["llm-judge", [["a"], ["b"]]],
      ["llm-judge", [["b"], ["a"]]],
      ["llm-judge", [["a"], ["b"]]],
    ]);
  });

  it("writes the judge columns in tabular files", async () => {
    let text = "";
    for await (const chunk of streamExportFile(batchId, { format: "judgments", judged_by: "llm-judge", include_context: true, file_format: "csv" })) text += Buffer.from(chunk).toString("utf8");
    const [header, first] = text.split("\r\n");
    expect(header!.split(",").slice(-5)).toEqual(["judge_model", "template_hash", "swapped", "reference", "context"]);
    expect(first).toContain("judge-new,hash-new,false,,");
  });

  it("records the run it read", async () => {
    await exportText(batchId, { format: "trl-preference", judged_by: "llm-judge" });
    const row = sqlite().prepare("SELECT options FROM exports WHERE batch_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1").get(batchId) as { options: string };
    expect(JSON.parse(row.options)).toMatchObject({ judged_by: "llm-judge", judge_run: "run-new" });
  });
});

describe("judged_by both", () => {
  it("counts the judge as one more reviewer in the consensus", async () => {
    const rows = await rowsOf({ format: "trl-preference", with_ids: true, judged_by: "both" });
    // q0: h1 a, h2 b, judge b → b by 2 of 3, lower median of 2 and 1; q1: a a, judge tie → a by 2 of 3;
    // q2: b b, judge a → b by 2 of 3; q3: a a, no judge verdict → a by 2 of 2.
    expect(rows.map((r) => [r.prompt_id, r.chosen_model, r.strength, (r.reviewers as string[]).length, (r.reviewers as string[]).includes("llm-judge")])).toEqual([
      ["q0", "beta", 1, 2, true],
      ["q1", "alpha", 2, 2, false],
      ["q2", "beta", 2, 2, false],
      ["q3", "alpha", 1, 2, false],
    ]);
    const unanimous = await rowsOf({ format: "trl-preference", with_ids: true, judged_by: "both", consensus: "unanimous" });
    expect(unanimous.map((r) => r.prompt_id)).toEqual(["q3"]);
  });

  it("writes each item's judge rows after its reviewers' rows in the judgments format", async () => {
    const rows = await rowsOf({ format: "judgments", judged_by: "both" });
    expect(rows.map((r) => [r.prompt_id, r.source, r.swapped])).toEqual([
      ["q0", "reviewer", false],
      ["q0", "reviewer", false],
      ["q0", "llm-judge", false],
      ["q0", "llm-judge", true],
      ["q1", "reviewer", false],
      ["q1", "reviewer", false],
      ["q1", "llm-judge", false],
      ["q1", "llm-judge", true],
      ["q2", "reviewer", false],
      ["q2", "reviewer", false],
      ["q2", "llm-judge", false],
      ["q3", "reviewer", false],
      ["q3", "reviewer", false],
    ]);
    expect(rows[0]).toMatchObject({ judge_model: "", template_hash: "" });
    expect(new Set(rows.map((r) => Object.keys(r).join(","))).size).toBe(1);
  });
});

describe("refusals", () => {
  it("refuses a batch without a judge run with a field message", () => {
    const error = errorOf(() => exportJudgeRun(otherBatchId, { format: "judgments", judged_by: "llm-judge" }));
    expect(error.code).toBe("invalid");
    expect(error.details).toMatchObject({ fields: { judged_by: "the batch has no judge run yet" } });
    expect(() => exportFileDownload(otherBatchId, { format: "trl-preference", judged_by: "both" })).toThrow(ServiceError);
  });

  it("refuses a judge run of another batch as not found", () => {
    const error = errorOf(() => exportJudgeRun(batchId, { format: "judgments", judged_by: "llm-judge", judge_run: otherRunId }));
    expect(error.code).toBe("not_found");
    expect(errorOf(() => exportFileDownload(batchId, { format: "judgments", judged_by: "llm-judge", judge_run: "nope" })).code).toBe("not_found");
  });

  it("refuses judge_run without a judge to read, and an unknown judged_by", () => {
    const error = errorOf(() => parseExportOptions({ format: "judgments", judge_run: "run-new" }));
    expect(error.details).toMatchObject({ fields: { judge_run: "applies with judged by llm-judge or both" } });
    expect(errorOf(() => parseExportOptions({ format: "judgments", judged_by: "robot" })).code).toBe("invalid");
  });
});

describe("the CLI", () => {
  it("exports with --judged-by and --judge-run, and refuses a bad choice before writing", async () => {
    const run = await runCli(["export", "--batch", batchId, "--format", "trl-preference", "--judged-by", "llm-judge", "--judge-run", "run-old", "--with-ids"]);
    expect(run.status, run.stderr).toBe(0);
    expect(pairsBrief(run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>))).toEqual([
      { prompt_id: "q0", chosen: "alpha", strength: 2, reviewers: ["llm-judge"] },
    ]);
    const out = join(dir, "refused.jsonl");
    const none = await runCli(["export", "--batch", otherBatchId, "--format", "judgments", "--judged-by", "llm-judge", "--out", out, "--json"]);
    expect(none.status).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { code: "invalid", details: { fields: { judged_by: "the batch has no judge run yet" } } } });
    expect(existsSync(out)).toBe(false);
    const bad = await runCli(["export", "--batch", batchId, "--format", "judgments", "--judged-by", "robot"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("judged_by");
  });
});
