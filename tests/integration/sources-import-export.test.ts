import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { FIXTURES, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile, ImportRejected } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { streamExport } = await import("~/services/exports.server");

const sqlite = () => connection().sqlite;
afterAll(() => closeConnection());

type PromptRow = { external_id: string; messages: string; reference: string | null; context: string | null };
const promptsOf = (dataset: string): Record<string, { messages: unknown; reference: string | null; context: unknown }> =>
  Object.fromEntries(
    (
      sqlite()
        .prepare("SELECT p.external_id, p.messages, p.reference, p.context FROM prompts p JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? ORDER BY p.rowid")
        .all(dataset) as PromptRow[]
    ).map((p) => [p.external_id, { messages: JSON.parse(p.messages), reference: p.reference, context: p.context === null ? null : JSON.parse(p.context) }]),
  );
const lines = (text: string) => text.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const count = (table: string) => (sqlite().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Judges every item of the batch as reviewer `name`, preferring the response with external id "a". */
function judgeAll(batchId: string, name: string) {
  let client = 0;
  for (;;) {
    const view: AssignmentView | null = nextAssignment(batchId, `u-${name}`);
    if (!view) break;
    const preferred = view.responses.find((r) => r.external_id === "a" || r.external_id === "alpha")!.id;
    submitJudgment(view.id, `u-${name}`, { client_id: `${batchId}-${name}-${++client}`, preferred, strength: 2, duration_ms: 4000 });
  }
}

const ATLAS = [
  { title: "Atlas <b>p. 12</b>", text: "France: capital Paris. <script>alert(1)</script>" },
  { title: "Document 2", text: "Lyon is the third-largest city." },
];

beforeAll(() => {
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-h1', 'h1', 'h1', 'reviewer', 'x', 0)").run();
});

describe("importing sources of truth", () => {
  it("stores a native file's reference and context, multi-turn prompts and markup verbatim (real CLI)", async () => {
    const run = await runCli(["import", join(FIXTURES, "sources.jsonl"), "--dataset", "src-native", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ prompts: 3, responses: 6 });
    const prompts = promptsOf("src-native");
    expect(prompts.s1).toEqual({
      messages: [
        { role: "system", content: "Answer from the atlas." },
        { role: "user", content: "Which city is the capital of France?" },
        { role: "assistant", content: "Do you mean today?" },
        { role: "user", content: "Yes, today." },
      ],
      reference: "Paris has been the capital of France since 987.",
      context: ATLAS,
    });
    expect(prompts.s2!.context).toEqual([
      { title: "Document 1", text: "Note one: green tea." },
      { title: "Document 2", text: "Note two: black tea." },
    ]);
    expect(prompts.s3).toMatchObject({ reference: null, context: null });
  });

  it("stores a CSV's reference and context columns; a later row of a prompt may give them, or repeat them", async () => {
    const summary = await importFile(join(FIXTURES, "sources.csv"), { dataset: "src-csv" });
    expect(summary).toMatchObject({ format: "flat", prompts: 3, responses: 6 });
    const prompts = promptsOf("src-csv");
    expect(prompts.c1).toMatchObject({ reference: "Four (2+2=4).", context: [{ title: "Arithmetic", text: "2+2=4" }] });
    expect(prompts.c2).toMatchObject({ reference: null, context: [{ title: "Context", text: 'Plain context with "quotes", commas\nand a second line <script>alert(1)</script>' }] });
    expect(prompts.c3).toMatchObject({
      reference: "A primary colour, e.g. red.",
      context: [
        { title: "Document 1", text: "Red, yellow and blue are primary." },
        { title: "Document 2", text: "Green is not." },
      ],
    });
    // Reference and context are the prompt's, not kept as response metadata.
    const metadata = sqlite().prepare("SELECT r.metadata FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.external_id = 'c1'").all() as Array<{ metadata: string }>;
    expect(metadata.map((m) => JSON.parse(m.metadata))).toEqual([{}, {}]);
  });

  it("refuses a CSV whose rows of one prompt give different sources", async () => {
    const file = join(dir, "conflict.csv");
    writeFileSync(file, "prompt_id,prompt,model,response,reference\nk1,Q,alpha,A,first\nk1,Q,beta,B,second\n");
    const error = await importFile(file, { dataset: "src-conflict" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportRejected);
    expect((error as InstanceType<typeof ImportRejected>).lines).toEqual(['line 3: reference: differs from the reference given for prompt_id "k1" on an earlier line']);
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'src-conflict'").get()).toEqual({ n: 0 });
  });

  it("rejects bad lines with a message per line and writes nothing (real CLI)", async () => {
    const before = { prompts: count("prompts"), datasets: count("datasets") };
    const run = await runCli(["import", join(FIXTURES, "sources-bad.jsonl"), "--dataset", "src-bad"]);
    expect(run.status).toBe(1);
    for (const line of [
      "line 2: context.0.text: required",
      'line 3: context: expected a list of documents (strings or {"title", "text"} objects)',
      'line 4: context.0: unknown key "content" (a document has "title" and "text")',
      "line 5: reference: expected a string",
      'line 6: context.1: expected a string or an object {"title", "text"}',
    ]) {
      expect(run.stderr).toContain(line);
    }
    expect(run.stderr).not.toContain("line 1:");
    expect({ prompts: count("prompts"), datasets: count("datasets") }).toEqual(before);
  });

  it("rejects a file over the limits, nothing written", async () => {
    const file = join(dir, "limits.jsonl");
    writeFileSync(
      file,
      [
        { id: "ok", prompt: "Q" },
        { id: "long", prompt: "Q", reference: "r".repeat(100_001) },
        { id: "many", prompt: "Q", context: Array.from({ length: 21 }, (_, i) => `doc ${i}`) },
        { id: "big", prompt: "Q", context: [{ title: "T", text: "t".repeat(100_001) }] },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    const error = await importFile(file, { dataset: "src-limits" }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof ImportRejected>).lines).toEqual([
      "line 2: reference: at most 100,000 characters",
      "line 3: context: at most 20 documents, got 21",
      "line 4: context.0.text: at most 100,000 characters",
    ]);
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'src-limits'").get()).toEqual({ n: 0 });
  });

  it("updates the sources on an upsert, and clears them when the line no longer has them", async () => {
    const file = join(dir, "upsert.jsonl");
    writeFileSync(file, JSON.stringify({ id: "u1", prompt: "Q", reference: "old", context: ["old doc"] }));
    await importFile(file, { dataset: "src-upsert" });
    writeFileSync(file, JSON.stringify({ id: "u1", prompt: "Q", reference: "new", context: [{ title: "New", text: "new doc" }] }));
    await importFile(file, { dataset: "src-upsert", upsert: true });
    expect(promptsOf("src-upsert").u1).toMatchObject({ reference: "new", context: [{ title: "New", text: "new doc" }] });
    writeFileSync(file, JSON.stringify({ id: "u1", prompt: "Q" }));
    await importFile(file, { dataset: "src-upsert", upsert: true });
    expect(promptsOf("src-upsert").u1).toMatchObject({ reference: null, context: null });
  });
});

describe("exporting sources of truth", () => {
  let batchId = "";
  let csvBatchId = "";
  beforeAll(() => {
    batchId = createBatch({ dataset: "src-native", name: "sources", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
    csvBatchId = createBatch({ dataset: "src-csv", name: "sources-csv", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
    judgeAll(batchId, "h1");
    judgeAll(csvBatchId, "h1");
  });

  const cli = async (args: string[]) => {
    const run = await runCli(["export", ...args]);
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };

  it("leaves the rows as they were without --include-context", async () => {
    const rows = lines(await cli(["--batch", batchId, "--format", "trl-preference-chat"]));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(Object.keys(row)).toEqual(["prompt", "chosen", "rejected"]);
  });

  it("adds reference and context to every row with --include-context, null where a prompt has none", async () => {
    const rows = lines(await cli(["--batch", batchId, "--format", "trl-preference-chat", "--include-context", "--with-ids"]));
    expect(rows.map((r) => Object.keys(r).slice(-2))).toEqual([
      ["reference", "context"],
      ["reference", "context"],
      ["reference", "context"],
    ]);
    const byPrompt = Object.fromEntries(rows.map((r) => [r.prompt_id as string, r]));
    expect(byPrompt.s1).toMatchObject({ reference: "Paris has been the capital of France since 987.", context: ATLAS, chosen: [{ role: "assistant", content: "Paris." }] });
    expect((byPrompt.s1!.prompt as unknown[]).length).toBe(4);
    expect(byPrompt.s2).toMatchObject({ reference: null, context: [{ title: "Document 1", text: "Note one: green tea." }, { title: "Document 2", text: "Note two: black tea." }] });
    expect(byPrompt.s3).toMatchObject({ reference: null, context: null });
  });

  const exported = async (options: Record<string, unknown>) => {
    let text = "";
    for await (const chunk of streamExport(batchId, options)) text += Buffer.from(chunk).toString("utf8");
    return text;
  };

  it("refuses them for openai-dpo, whose file schema has no place for them, with the field", async () => {
    const error = await exported({ format: "openai-dpo", include_context: true }).then(
      () => null,
      (e: unknown) => e as { details?: { fields?: Record<string, string> } },
    );
    expect(error?.details?.fields?.include_context).toMatch(/not for openai-dpo/);
  });

  it("carries them in the plain-text, KTO, SFT, prompt and raw formats", async () => {
    for (const format of ["trl-preference", "trl-kto", "trl-kto-chat", "hh-rlhf", "trl-reward", "trl-sft", "trl-sft-chat", "prompts", "rankings", "judgments"]) {
      const plain = lines(await exported({ format }));
      const rows = lines(await exported({ format, include_context: true }));
      expect(rows, format).toHaveLength(plain.length);
      expect(rows.length, format).toBeGreaterThan(0);
      rows.forEach((row, i) => {
        expect(row, format).toEqual({ ...plain[i], reference: row.reference, context: row.context });
        expect(Object.keys(plain[i]!), format).not.toContain("reference");
      });
      expect(rows.some((r) => JSON.stringify(r.context) === JSON.stringify(ATLAS)), format).toBe(true);
    }
  });

  it("exports the CSV dataset's sources, and writes them as CSV columns", async () => {
    const rows = lines(await cli(["--batch", csvBatchId, "--format", "trl-preference", "--include-context", "--with-ids"]));
    const byPrompt = Object.fromEntries(rows.map((r) => [r.prompt_id as string, r]));
    expect(byPrompt.c2!.context).toEqual([{ title: "Context", text: 'Plain context with "quotes", commas\nand a second line <script>alert(1)</script>' }]);
    expect(byPrompt.c1!.reference).toBe("Four (2+2=4).");
    const out = join(dir, "sources.csv");
    await cli(["--batch", csvBatchId, "--format", "trl-preference", "--include-context", "--file-format", "csv", "--out", out]);
    const text = readFileSync(out, "utf8");
    expect(text.split("\r\n")[0]).toBe("prompt,chosen,rejected,reference,context");
    expect(text).toContain("<script>alert(1)</script>");
  });

  it("records include_context with the export", async () => {
    await cli(["--batch", batchId, "--format", "prompts", "--include-context"]);
    const row = sqlite().prepare("SELECT options FROM exports WHERE batch_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1").get(batchId) as { options: string };
    expect(JSON.parse(row.options)).toMatchObject({ format: "prompts", include_context: true, judged_by: "human" });
  });
});
