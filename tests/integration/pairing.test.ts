import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, previewBatch, getBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;
const count = (table: string) => (sqlite().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const tables = ["batches", "batch_reviewers", "items", "audit_log"];
const counts = () => Object.fromEntries(tables.map((t) => [t, count(t)]));

/** Each prompt's items of a batch, as "promptExternalId: responseIds" lines, for comparing two batches. */
const itemsByPrompt = (batchId: string) =>
  (
    sqlite()
      .prepare("SELECT p.external_id AS prompt, i.response_ids AS ids FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.batch_id = ? ORDER BY i.position")
      .all(batchId) as Array<{ prompt: string; ids: string }>
  ).map((r) => `${r.prompt}: ${r.ids}`);
const promptsOf = (batchId: string) => [...new Set(itemsByPrompt(batchId).map((line) => line.split(":")[0]))];

// 30 prompts with four responses (six pairs): 15 math, 10 code, 3 chat, 2 without a topic;
// one more math prompt with three responses (three pairs) and one with a single response,
// which fits no pairwise item.
const topicOf = (i: number) => (i < 15 ? "math" : i < 25 ? "code" : i < 28 ? "chat" : undefined);
beforeAll(async () => {
  const responses = (id: string, models: string[]) => models.map((model) => ({ model, text: `${model} on ${id}` }));
  const lines = Array.from({ length: 30 }, (_, i) => {
    const topic = topicOf(i);
    return { id: `q${i}`, prompt: `Question ${i}`, responses: responses(`q${i}`, ["a", "b", "c", "d"]), metadata: topic ? { topic, level: i % 3 } : { level: i % 3 } };
  });
  lines.push({ id: "three", prompt: "Three answers", responses: responses("three", ["a", "b", "c"]), metadata: { topic: "math", level: 0 } });
  lines.push({ id: "alone", prompt: "One answer", responses: responses("alone", ["a"]), metadata: { topic: "math", level: 0 } });
  writeFileSync(join(dir, "topics.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
  await importFile(join(dir, "topics.jsonl"), { dataset: "topics" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["ann", "bob"]) insert.run(`id-${name}`, name, name);
});

const base = { dataset: "topics", task: "pairwise" as const, reviewers: ["ann", "bob"] };

describe("random:K pairs per prompt", () => {
  it("makes K distinct pairs of each prompt, all of them when a prompt has fewer", () => {
    const two = createBatch({ ...base, name: "r2", pairing: "random:2" });
    expect(two).toMatchObject({ items: 62, prompts: 31, skipped: 1, judgmentsNeeded: 62 });
    const five = createBatch({ ...base, name: "r5", pairing: "random:5", overlap: 2 });
    expect(five).toMatchObject({ items: 30 * 5 + 3, prompts: 31, judgmentsNeeded: 2 * 153 });
    const lines = itemsByPrompt(five.id);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.filter((l) => l.startsWith("three:"))).toHaveLength(3);
  });

  it("is reproducible with the seed, recorded in the batch's config; another seed draws other pairs", () => {
    const a = createBatch({ ...base, name: "seed-a", pairing: "random:1", seed: 7 });
    const b = createBatch({ ...base, name: "seed-b", pairing: "random:1", seed: 7 });
    const c = createBatch({ ...base, name: "seed-c", pairing: "random:1", seed: 8 });
    // Response ids are the same rows in both batches, so equal lines mean equal pairs.
    expect(itemsByPrompt(b.id)).toEqual(itemsByPrompt(a.id));
    expect(itemsByPrompt(c.id)).not.toEqual(itemsByPrompt(a.id));
    expect(getBatch(a.id).selection).toEqual({ pairing: "random:1", seed: 7 });
    // Reviewers get the batch's config with each item; the selection stays with the admins.
    expect(nextAssignment(a.id, "id-ann")!.config).not.toHaveProperty("selection");
    expect(getBatch(createBatch({ ...base, name: "default-seed", pairing: "random:1" }).id).selection).toEqual({ pairing: "random:1", seed: 1 });
  });
});

describe("--sample N and --stratify FIELD", () => {
  it("samples N of the prompts that fit, reproducibly; a larger N takes them all and says so", () => {
    const ten = createBatch({ ...base, name: "s10", sample: 10, seed: 3 });
    expect(ten).toMatchObject({ items: 10, prompts: 10, sample: { requested: 10, available: 31 }, notes: [] });
    expect(promptsOf(createBatch({ ...base, name: "s10-again", sample: 10, seed: 3 }).id)).toEqual(promptsOf(ten.id));
    expect(promptsOf(createBatch({ ...base, name: "s10-other", sample: 10, seed: 4 }).id)).not.toEqual(promptsOf(ten.id));
    const all = createBatch({ ...base, name: "s100", sample: 100 });
    expect(all).toMatchObject({ items: 31, prompts: 31, skipped: 1, notes: ["sample 100 is more than the 31 prompts that fit: all of them are taken"] });
    expect(getBatch(ten.id).selection).toEqual({ pairing: "first-two", seed: 3, sample: 10 });
  });

  it("stratified without a sample takes the smallest stratum's count from each value; prompts without the field are a stratum", () => {
    const batch = createBatch({ ...base, name: "strat", stratify: "topic" });
    expect(batch.strata).toEqual([
      { value: "chat", available: 3, wanted: 2, taken: 2 },
      { value: "code", available: 10, wanted: 2, taken: 2 },
      { value: "math", available: 16, wanted: 2, taken: 2 },
      { value: "(missing)", available: 2, wanted: 2, taken: 2 },
    ]);
    expect(batch).toMatchObject({ prompts: 8, items: 8 });
  });

  it("splits the sample equally across strata, the remainder to the first, capped by what a stratum has", () => {
    const batch = createBatch({ ...base, name: "strat-14", stratify: "topic", sample: 14, pairing: "all-pairs" });
    expect(batch.strata.map((s) => [s.value, s.wanted, s.taken])).toEqual([
      ["chat", 4, 3],
      ["code", 4, 4],
      ["math", 3, 3],
      ["(missing)", 3, 2],
    ]);
    expect(batch.prompts).toBe(12);
    expect(batch.notes).toEqual(['stratum "chat" has only 3 of the 4 prompts asked: all of them are taken', 'stratum "(missing)" has only 2 of the 3 prompts asked: all of them are taken']);
    const level = createBatch({ ...base, name: "by-level", stratify: "level", sample: 9 });
    expect(level.strata.map((s) => [s.value, s.taken])).toEqual([["0", 3], ["1", 3], ["2", 3]]);
    expect(getBatch(level.id).selection).toEqual({ pairing: "first-two", seed: 1, sample: 9, stratify: "level" });
  });
});

describe("a dry run", () => {
  it("gives the figures create gives, and writes nothing", () => {
    const input = { ...base, name: "preview", pairing: "random:3", stratify: "topic", sample: 9, overlap: 2, seed: 5 };
    const before = counts();
    const plan = previewBatch(input);
    expect(counts()).toEqual(before);
    expect(plan).toMatchObject({ items: 27, judgmentsNeeded: 54, prompts: 9 });
    const { id, ...created } = createBatch(input);
    expect(created).toEqual(plan);
    expect(count("items") - before.items!).toBe(plan.items);
    expect(id).toBeTruthy();
  });

  it("refuses what create refuses", () => {
    expect(errorOf(() => previewBatch({ ...base, name: "x", task: "ranking", pairing: "random:2" })).details).toEqual({
      fields: { pairing: "random:K is only for pairwise batches, not ranking" },
    });
  });
});

describe("bad pairing options are refused by field", () => {
  const fieldsOf = (input: Parameters<typeof createBatch>[0]) => errorOf(() => createBatch(input)).details?.fields;
  it("names the field and the value", () => {
    const before = counts();
    expect(fieldsOf({ ...base, name: "x", stratify: "topik" })).toEqual({ stratify: 'no prompt of dataset topics has metadata field "topik" (its fields: level, topic)' });
    expect(fieldsOf({ ...base, name: "x", sample: 0 })).toEqual({ sample: "0 prompts: sample at least 1" });
    expect(fieldsOf({ ...base, name: "x", sample: 2.5 })).toEqual({ sample: "2.5 is not a whole number" });
    expect(fieldsOf({ ...base, name: "x", pairing: "random:0" })).toEqual({ pairing: '"random:0": K in random:K must be a whole number of at least 1' });
    expect(fieldsOf({ ...base, name: "x", pairing: "random:" })).toEqual({ pairing: '"random:": K in random:K must be a whole number of at least 1' });
    expect(fieldsOf({ ...base, name: "x", seed: -1 })).toEqual({ seed: "-1 is below 0" });
    expect(fieldsOf({ ...base, name: "x", seed: 2 ** 32 })).toEqual({ seed: "4294967296 is more than 4294967295" });
    expect(fieldsOf({ ...base, name: "x", task: "rating", pairing: "random:2" } as Parameters<typeof createBatch>[0])).toEqual({ pairing: "random:K is only for pairwise batches, not rating" });
    expect(errorOf(() => createBatch({ ...base, name: "x", seed: "x" as unknown as number })).status).toBe(400);
    expect(counts()).toEqual(before);
  });
});

describe("batches create on the command line", () => {
  const args = ["batches", "create", "--dataset", "topics", "--name", "cli", "--task", "pairwise", "--overlap", "2", "--reviewers", "ann,bob"];

  it("--dry-run --json prints the items and judgments needed and creates nothing", async () => {
    const before = counts();
    const run = await runCli([...args, "--pairing", "random:2", "--sample", "5", "--seed", "11", "--dry-run", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ items: 10, judgments_needed: 20, prompts: 5 });
    expect(out).not.toHaveProperty("id");
    expect(counts()).toEqual(before);
    const text = await runCli([...args, "--sample", "100", "--dry-run"]);
    expect(text.stdout).toBe(
      "would create a batch of 31 items from 31 prompts, 62 judgments needed (1 prompt did not fit); sample 100 is more than the 31 prompts that fit: all of them are taken (dry run: nothing written)\n",
    );
    expect(counts()).toEqual(before);
  });

  it("creates what the dry run announced, with the seed recorded", async () => {
    const options = ["--pairing", "random:2", "--stratify", "topic", "--seed", "11"];
    const plan = JSON.parse((await runCli([...args, ...options, "--dry-run", "--json"])).stdout) as { items: number; judgments_needed: number };
    const created = JSON.parse((await runCli([...args, ...options, "--json"])).stdout) as { id: string; items: number; judgments_needed: number };
    expect([created.items, created.judgments_needed]).toEqual([plan.items, plan.judgments_needed]);
    expect(getBatch(created.id).selection).toEqual({ pairing: "random:2", seed: 11, stratify: "topic" });
  });

  it("names a bad option", async () => {
    const run = await runCli([...args, "--seed", "abc", "--dry-run"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: seed: "abc" is not a number\n');
    expect((await runCli([...args, "--sample", "0", "--dry-run"])).stderr).toBe("error: sample: 0 prompts: sample at least 1\n");
  });
});
