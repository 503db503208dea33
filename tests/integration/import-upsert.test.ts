import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, setUpTempDatabase } from "./helpers";

// Re-importing with --upsert must not rewrite what reviewers already judged: the judgments (and
// every export built from them) would then describe text nobody saw.
const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile, ImportRejected } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

type Row = { id: string; prompt?: string; messages?: unknown; responses: Array<{ id: string; model: string; text: string; metadata?: Record<string, unknown> }> };
const native = (rows: Row[]) => rows.map((row) => JSON.stringify(row)).join("\n") + "\n";
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const original: Row[] = [
  { id: "judged", prompt: "Is the sea wet?", responses: [{ id: "a", model: "alpha", text: "Yes." }, { id: "b", model: "beta", text: "No." }] },
  { id: "fresh", prompt: "Is fire hot?", responses: [{ id: "a", model: "alpha", text: "Yes." }, { id: "b", model: "beta", text: "No." }] },
];
const textsOf = (prompt: string) =>
  sqlite()
    .prepare("SELECT r.external_id, r.model, r.text, r.metadata FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.external_id = ? ORDER BY r.external_id")
    .all(prompt) as Array<{ external_id: string; model: string; text: string; metadata: string }>;

async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof ImportRejected>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImportRejected);
  return error as InstanceType<typeof ImportRejected>;
}

beforeAll(async () => {
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-ann', 'ann', 'Ann', 'reviewer', 'x', 0)").run();
  await importFile(file("original.jsonl", native(original)), { dataset: "d" });
  // ann judges the batch's first item, the "judged" prompt; "fresh" stays unjudged.
  const batch = createBatch({ dataset: "d", name: "B", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
  const assignment = nextAssignment(batch, "u-ann")!;
  expect(assignment.prompt.external_id).toBe("judged");
  submitJudgment(assignment.id, "u-ann", { client_id: "c1", preferred: assignment.responses[0]!.id, strength: 2 });
});

describe("--upsert on judged prompts", () => {
  it("refuses to change a judged response's text, line by line, and writes nothing", async () => {
    const changed = structuredClone(original);
    changed[0]!.responses[1]!.text = "No, it is dry.";
    changed[1]!.responses[0]!.text = "Very."; // unjudged: allowed, but rolled back with the bad line
    const error = await rejection(importFile(file("changed.jsonl", native(changed)), { dataset: "d", upsert: true }));
    expect(error.lines).toEqual(['line 1: response: response "b" of prompt "judged" has been judged; its text cannot change (import it under a new response id)']);
    expect(textsOf("judged").map((r) => r.text)).toEqual(["Yes.", "No."]);
    expect(textsOf("fresh").map((r) => r.text)).toEqual(["Yes.", "No."]);
  });

  it("refuses to change a judged response's model or the prompt's messages", async () => {
    const model = structuredClone(original);
    model[0]!.responses[0]!.model = "gamma";
    expect((await rejection(importFile(file("model.jsonl", native(model)), { dataset: "d", upsert: true }))).lines).toEqual([
      'line 1: response: response "a" of prompt "judged" has been judged; its model cannot change (import it under a new response id)',
    ]);
    const prompt = structuredClone(original);
    prompt[0]!.prompt = "Is the sea salty?";
    expect((await rejection(importFile(file("prompt.jsonl", native(prompt)), { dataset: "d", upsert: true }))).lines).toEqual([
      'line 1: prompt: prompt "judged" has been judged; its messages cannot change (import it under a new id)',
    ]);
  });

  it("still updates metadata, adds responses to judged prompts and rewrites unjudged ones", async () => {
    const next = structuredClone(original);
    next[0]!.responses[0]!.metadata = { reviewed: true };
    next[0]!.responses.push({ id: "c", model: "gamma", text: "Wet, mostly." });
    next[1]!.responses[0]!.text = "Very.";
    const summary = await importFile(file("next.jsonl", native(next)), { dataset: "d", upsert: true });
    expect(summary).toMatchObject({ prompts: 2, responses: 5 });
    expect(textsOf("judged").map((r) => [r.external_id, r.text, JSON.parse(r.metadata)])).toEqual([
      ["a", "Yes.", { reviewed: true }],
      ["b", "No.", {}],
      ["c", "Wet, mostly.", {}],
    ]);
    expect(textsOf("fresh").map((r) => r.text)).toEqual(["Very.", "No."]);
  });

  it("checks every row of a flat file that names a judged prompt, not only its first", async () => {
    // Native ids a/b are the flat rows' response ids here: a flat row's response_id column.
    const rows = [
      { prompt_id: "judged", prompt: "Is the sea wet?", response_id: "a", model: "alpha", response: "Yes." },
      { prompt_id: "judged", prompt: "Is the sea wet?", response_id: "b", model: "beta", response: "Dry." },
    ];
    const error = await rejection(importFile(file("flat.jsonl", rows.map((r) => JSON.stringify(r)).join("\n")), { dataset: "d", format: "flat", upsert: true }));
    expect(error.lines).toEqual(['line 2: response: response "b" of prompt "judged" has been judged; its text cannot change (import it under a new response id)']);
  });

  it("reports it from the CLI with exit code 1", async () => {
    const changed = structuredClone(original);
    changed[0]!.responses[0]!.text = "Yes, wet.";
    closeConnection();
    const result = await runCli(["import", file("cli.jsonl", native(changed)), "--dataset", "d", "--upsert"], { env: { VERDICT_DB: dbPath } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('line 1: response: response "a" of prompt "judged" has been judged; its text cannot change');
    expect(textsOf("judged")[0]!.text).toBe("Yes.");
  });
});
