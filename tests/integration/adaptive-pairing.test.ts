import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, previewBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { adaptiveStateOf } = await import("~/services/adaptive-pairing.server");
const { chooseAdaptivePairs, roundSeed } = await import("~/core/pairing/adaptive");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;
const count = (table: string) => (sqlite().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const counts = () => Object.fromEntries(["batches", "batch_reviewers", "items", "audit_log"].map((t) => [t, count(t)]));

/** A batch's items as (prompt, "modelX-modelY") with the models sorted, in position order. */
const itemsOf = (batchId: string) =>
  (
    sqlite()
      .prepare(
        `SELECT i.prompt_id AS prompt, i.position, (SELECT group_concat(model, '-') FROM (SELECT r.model FROM json_each(i.response_ids) j JOIN responses r ON r.id = j.value ORDER BY r.model)) AS pair
         FROM items i WHERE i.batch_id = ? ORDER BY i.position`,
      )
      .all(batchId) as Array<{ prompt: string; position: number; pair: string }>
  );
const perPair = (rows: ReadonlyArray<{ pair: string }>) => {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.pair] = (out[r.pair] ?? 0) + 1;
  return out;
};

// 40 prompts, each answered by four models. The simulated reviewer's truth: a beats everyone,
// b beats c and d, and c against d is a coin flip (alternating): the close pair.
beforeAll(async () => {
  const lines = Array.from({ length: 40 }, (_, i) => ({
    id: `q${i}`,
    prompt: `Question ${i}`,
    responses: ["a", "b", "c", "d"].map((model) => ({ model, text: `${model} on q${i}` })),
  }));
  writeFileSync(join(dir, "arena.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
  await importFile(join(dir, "arena.jsonl"), { dataset: "arena" });
  const duo = Array.from({ length: 5 }, (_, i) => ({ id: `d${i}`, prompt: `Duo ${i}`, responses: ["a", "b"].map((model) => ({ model, text: model })) }));
  writeFileSync(join(dir, "duo.jsonl"), duo.map((l) => JSON.stringify(l)).join("\n"));
  await importFile(join(dir, "duo.jsonl"), { dataset: "duo" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["ann", "bob"]) insert.run(`id-${name}`, name, name);
});

const base = { dataset: "arena", task: "pairwise" as const, reviewers: ["ann"], pairing: "adaptive" };
const modelOf = (responseId: string) => (sqlite().prepare("SELECT model FROM responses WHERE id = ?").get(responseId) as { model: string }).model;

/** Judges everything the reviewer is given, by the truth above; returns how many judgments. */
function judgeAll(batchId: string, reviewerId: string): number {
  let coin = 0;
  let n = 0;
  for (let view = nextAssignment(batchId, reviewerId); view; view = nextAssignment(batchId, reviewerId)) {
    const [x, y] = view.responses.map((r) => ({ id: r.id, model: modelOf(r.id) }));
    const [first, second] = [x!, y!].sort((p, q) => p.model.localeCompare(q.model)) as [typeof x & {}, typeof x & {}];
    const close = first.model === "c" && second.model === "d";
    const winner = close ? (coin++ % 2 === 0 ? first : second) : first;
    submitJudgment(view.id, reviewerId, { client_id: `${batchId}-${n}`, preferred: winner.id, strength: 2 });
    n++;
  }
  return n;
}

describe("adaptive pairing: items in rounds", () => {
  it("spreads round 1 evenly over the model pairs and keeps its state out of the reviewers' config", () => {
    const batch = createBatch({ ...base, name: "first round", roundSize: 12, adaptiveItems: 40 });
    expect(batch).toMatchObject({ items: 12, judgmentsNeeded: 40, adaptive: { roundSize: 12, budget: 40 } });
    expect(perPair(itemsOf(batch.id))).toEqual({ "a-b": 2, "a-c": 2, "a-d": 2, "b-c": 2, "b-d": 2, "c-d": 2 });
    expect(adaptiveStateOf(batch.id)).toMatchObject({ roundSize: 12, budget: 40, models: ["a", "b", "c", "d"], rounds: [{ round: 1, items: 12 }] });
    expect(nextAssignment(batch.id, "id-ann")!.config).not.toHaveProperty("adaptive");
  });

  it("makes the next round when the reviewer runs out, sends it to the close pair, and stops at the budget", () => {
    const batch = createBatch({ ...base, name: "rounds", roundSize: 12, adaptiveItems: 40 });
    // The reviewer is never told "no more items" while budget is left: all 40 get judged in one go.
    expect(judgeAll(batch.id, "id-ann")).toBe(40);
    const rows = itemsOf(batch.id);
    expect(rows).toHaveLength(40);
    expect(rows.map((r) => r.position)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(new Set(rows.map((r) => `${r.prompt} ${r.pair}`)).size).toBe(40); // no (prompt, pair) twice
    const state = adaptiveStateOf(batch.id)!;
    expect(state.rounds.map((r) => r.items)).toEqual([12, 12, 12, 4]);
    const later = perPair(rows.slice(12));
    // c against d is the leaderboard's doubt; a against b was settled from the start.
    expect(later["c-d"] ?? 0).toBeGreaterThan((later["a-b"] ?? 0) + 5);
    expect(later["c-d"] ?? 0).toBeGreaterThan(later["a-d"] ?? 0);
    expect(nextAssignment(batch.id, "id-ann")).toBeNull();
    expect(count("items")).toBeGreaterThan(0);
  });

  it("round 2 is what the pure chooseAdaptivePairs picks from round 1's judgments, read back from the database", () => {
    const batch = createBatch({ ...base, name: "same choice", roundSize: 12, adaptiveItems: 24, seed: 3 });
    judgeAll(batch.id, "id-ann");
    const battles = (
      sqlite()
        .prepare(
          `SELECT c.model AS a, r.model AS b, pp.strength FROM preference_pairs pp JOIN items i ON i.id = pp.item_id
           JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
           WHERE pp.batch_id = ? AND i.position < 12 ORDER BY pp.rowid`,
        )
        .all(batch.id) as Array<{ a: string; b: string; strength: number }>
    ).map((p) => ({ a: p.a, b: p.b, winner: p.strength === 0 ? ("tie" as const) : ("a" as const) }));
    expect(battles).toHaveLength(12);
    const expected = chooseAdaptivePairs(["a", "b", "c", "d"], battles, 12, { seed: roundSeed(3, 2) })
      .filter((p) => p.comparisons > 0)
      .map(({ a, b, comparisons }) => ({ a, b, items: comparisons }));
    expect(adaptiveStateOf(batch.id)!.rounds[1]!.pairs).toEqual(expected);
  });

  it("is reproducible: the same seed and judgments give the same rounds", () => {
    const one = createBatch({ ...base, name: "again-1", roundSize: 12, adaptiveItems: 30, seed: 5 });
    const two = createBatch({ ...base, name: "again-2", roundSize: 12, adaptiveItems: 30, seed: 5 });
    judgeAll(one.id, "id-ann");
    judgeAll(two.id, "id-ann");
    expect(itemsOf(two.id).map((r) => `${r.prompt} ${r.pair}`)).toEqual(itemsOf(one.id).map((r) => `${r.prompt} ${r.pair}`));
  });

  it("a dry run gives round 1 as items and budget × overlap as judgments, and writes nothing", () => {
    const input = { ...base, reviewers: ["ann", "bob"], overlap: 2, name: "preview", roundSize: 10, adaptiveItems: 50 };
    const before = counts();
    const plan = previewBatch(input);
    expect(counts()).toEqual(before);
    expect(plan).toMatchObject({ items: 10, judgmentsNeeded: 100, adaptive: { roundSize: 10, budget: 50 } });
    const { id, ...created } = createBatch(input);
    expect(id).toBeTruthy();
    expect(created).toEqual(plan);
    // Without a budget: every (prompt, pair) the dataset has, at most 20 rounds.
    expect(previewBatch({ ...base, name: "all" })).toMatchObject({ items: 50, judgmentsNeeded: 240, adaptive: { roundSize: 50, budget: 240 } });
  });

  it("refuses what does not fit, by field, writing nothing", () => {
    const fieldsOf = (input: Parameters<typeof createBatch>[0]) => errorOf(() => createBatch(input)).details?.fields;
    const before = counts();
    expect(fieldsOf({ ...base, name: "x", dataset: "duo" })).toEqual({
      pairing: "adaptive needs at least 3 models to rank; dataset duo has 2 (a, b): use all-pairs or models:A,B",
    });
    expect(fieldsOf({ ...base, name: "x", task: "ranking" } as Parameters<typeof createBatch>[0])).toEqual({ pairing: "adaptive is only for pairwise batches, not ranking" });
    expect(fieldsOf({ ...base, name: "x", sample: 5 })).toEqual({ sample: "not with adaptive pairing: its budget (adaptive items) sets how many items there are" });
    expect(fieldsOf({ ...base, name: "x", roundSize: 0 })).toEqual({ roundSize: "0 items per round: at least 1" });
    expect(fieldsOf({ ...base, name: "x", pairing: "all-pairs", roundSize: 5 })).toEqual({ roundSize: "only with adaptive pairing, not all-pairs" });
    expect(counts()).toEqual(before);
  });
});

describe("batches create --pairing adaptive on the command line", () => {
  const args = ["batches", "create", "--dataset", "arena", "--name", "cli", "--task", "pairwise", "--overlap", "2", "--reviewers", "ann,bob", "--pairing", "adaptive"];

  it("--dry-run --json prints round 1 and the judgments the budget needs at most", async () => {
    const before = counts();
    const run = await runCli([...args, "--round-size", "12", "--adaptive-items", "30", "--dry-run", "--json"]);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toMatchObject({ items: 12, judgments_needed: 60, adaptive: { round_size: 12, budget: 30 } });
    const text = await runCli([...args, "--round-size", "12", "--adaptive-items", "30", "--dry-run"]);
    expect(text.stdout).toMatch(/^would create a batch of 12 items in the first round from \d+ prompts, up to 60 judgments needed; adaptive: 12 items per round, up to 30 items \(60 judgments\) in all \(dry run: nothing written\)\n$/);
    expect(counts()).toEqual(before);
    const bad = await runCli([...args, "--round-size", "x", "--dry-run"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('error: roundSize: "x" is not a number\n');
  });
});
