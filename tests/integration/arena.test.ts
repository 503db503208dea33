import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";
import type { BattleEvent } from "~/services/arena.server";

const KEY = "sk-arena-9c1d2b7a4e605f3e";
const { dir } = setUpTempDatabase({ VERDICT_SEED: "none", ARENA_KEY: KEY });
const { connection, closeConnection } = await import("~/services/database.server");
const { createArenaBatch, prepareBattle, voteBattle, pendingBattleCount } = await import("~/services/arena.server");
const { batchStats, leaderboard } = await import("~/services/stats.server");
const { streamExport } = await import("~/services/exports.server");
const { listBatches } = await import("~/services/batches.server");


let server: FakeServer;
let batchId = "";
const sqlite = () => connection().sqlite;

beforeAll(async () => {
  server = await startFakeOpenAI();
  server.behave = (request) => ({ kind: "ok", text: `${request.body.model} says: the answer is forty-two, with reasons.`, chunkChars: 5 });
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-ann', 'ann', 'Ann', 'reviewer', 'x', 0)").run();
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-ben', 'ben', 'Ben', 'reviewer', 'x', 0)").run();
  batchId = createArenaBatch({
    dataset: "arena-votes",
    name: "Arena",
    reviewers: ["ann", "ben"],
    endpoints: [
      { label: "Alpha", url: server.url, model: "alpha-7b", api_key_env: "ARENA_KEY" },
      { label: "Beta", url: server.url, model: "beta-13b", temperature: 0.5, max_tokens: 200 },
    ],
    config: { scale: "7-point" },
  }).id;
});
afterAll(async () => {
  closeConnection();
  await server.close();
});

async function battle(reviewer: string, prompt: string): Promise<{ id: string; events: BattleEvent[] }> {
  const prepared = prepareBattle(batchId, reviewer, prompt);
  const events: BattleEvent[] = [];
  await prepared.run((e) => events.push(e), new AbortController().signal);
  return { id: prepared.battleId, events };
}

const counts = () =>
  sqlite()
    .prepare<[], { prompts: number; responses: number; items: number; judgments: number; pairs: number }>(
      `SELECT (SELECT count(*) FROM prompts) AS prompts, (SELECT count(*) FROM responses) AS responses, (SELECT count(*) FROM items) AS items,
              (SELECT count(*) FROM judgments) AS judgments, (SELECT count(*) FROM preference_pairs) AS pairs`,
    )
    .get()!;

describe("arena batches", () => {
  it("is created as a pairwise batch with an empty dataset of its own, listed as an arena", () => {
    const row = sqlite().prepare<[string], { task: string; overlap: number; config: string }>("SELECT task, overlap, config FROM batches WHERE id = ?").get(batchId)!;
    expect(row).toMatchObject({ task: "pairwise", overlap: 1 });
    expect(JSON.parse(row.config).arena.endpoints).toHaveLength(2);
    expect(listBatches().find((b) => b.id === batchId)).toMatchObject({ arena: true, dataset: "arena-votes", items: 0 });
  });

  it("refuses an endpoint list with field messages", () => {
    const error = errorOf(() => createArenaBatch({ dataset: "x", name: "x", reviewers: ["ann"], endpoints: [{ label: "A", url: "nope", model: "m" }] }));
    expect(error.details?.fields).toMatchObject({ "endpoints.0.url": expect.stringMatching(/http:\/\//), endpoints: "an arena needs at least two endpoints, got 1" });
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'x'").get()).toEqual({ n: 0 });
  });

  it("streams both answers without naming the models, and stores the battle only with the vote", async () => {
    const before = counts();
    const { id, events } = await battle("u-ann", "What is the answer?");
    const stream = JSON.stringify(events);
    for (const secret of ["Alpha", "Beta", "alpha-7b", "beta-13b", server.url, "127.0.0.1"]) expect(stream).not.toContain(secret);
    const deltas = events.filter((e) => e.type === "delta");
    expect(new Set(deltas.map((e) => e.side))).toEqual(new Set([0, 1]));
    expect(deltas.length).toBeGreaterThan(10); // many small chunks, relayed as they came
    expect(events.at(-1)).toEqual({ type: "ready", battle: id });
    expect(counts()).toEqual(before); // nothing written before the vote

    const start = events[0] as Extract<BattleEvent, { type: "battle" }>;
    const vote = voteBattle(id, "u-ann", { client_id: "vote-1", preferred: start.responses[0].id, strength: 2 });
    expect([vote.reveal.a, vote.reveal.b].sort()).toEqual(["Alpha", "Beta"]);
    expect(counts()).toEqual({ prompts: before.prompts + 1, responses: before.responses + 2, items: before.items + 1, judgments: before.judgments + 1, pairs: before.pairs + 1 });

    const prompt = sqlite().prepare<[], { messages: string; metadata: string }>("SELECT messages, metadata FROM prompts ORDER BY rowid DESC LIMIT 1").get()!;
    expect(JSON.parse(prompt.messages)).toEqual([{ role: "user", content: "What is the answer?" }]);
    expect(JSON.parse(prompt.metadata)).toMatchObject({ source: "arena", batch_id: batchId, battle_id: id });
    const responses = sqlite()
      .prepare<[string], { id: string; model: string; text: string; metadata: string }>("SELECT id, model, text, metadata FROM responses WHERE id IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(start.responses.map((r) => r.id)));
    const shownA = responses.find((r) => r.id === start.responses[0].id)!;
    expect(shownA.model).toBe(vote.reveal.a);
    expect(shownA.text).toBe(`${shownA.model === "Alpha" ? "alpha-7b" : "beta-13b"} says: the answer is forty-two, with reasons.`);
    expect(JSON.parse(shownA.metadata)).toMatchObject({
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      finish_reason: "stop",
      endpoint: server.url,
      latency_ms: expect.any(Number),
      sampled_at: expect.stringMatching(/^\d{4}-/),
      arena_side: "A",
    });
    const pair = sqlite().prepare<[], { chosen_id: string; strength: number; shown_chosen_first: number; source: string }>("SELECT chosen_id, strength, shown_chosen_first, source FROM preference_pairs").get()!;
    expect(pair).toEqual({ chosen_id: start.responses[0].id, strength: 2, shown_chosen_first: 1, source: "pairwise" });
    // The vote is this reviewer's: the item is never handed to anyone else.
    expect(sqlite().prepare("SELECT open, claims, submitted FROM items WHERE id = ?").get(vote.item_id)).toEqual({ open: 0, claims: 1, submitted: 1 });
  });

  it("counts in stats, the leaderboard and a TRL preference export like any pairwise judgment", async () => {
    const { id, events } = await battle("u-ben", "Second question?");
    const start = events[0] as Extract<BattleEvent, { type: "battle" }>;
    voteBattle(id, "u-ben", { client_id: "vote-2", preferred: start.responses[1].id, strength: 3 });
    expect(batchStats(batchId)).toMatchObject({ items: 2, judgments: 2, reviewers: 2 });
    const board = leaderboard({ batchId });
    expect(board.models.map((m) => m.model).sort()).toEqual(["Alpha", "Beta"]);
    expect(board.models.find((m) => m.model === "Alpha")!.battles).toBe(2);
    const parts: Buffer[] = [];
    for await (const chunk of streamExport(batchId, { format: "trl-preference" })) parts.push(Buffer.from(chunk));
    const rows = Buffer.concat(parts).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string });
    expect(rows.map((r) => JSON.stringify(r.prompt)).join()).toContain("Second question?");
    expect(rows.map((r) => JSON.stringify(r.prompt)).join()).toContain("What is the answer?");
    expect(rows).toHaveLength(2);
  });

  it("gives a clear error and stores nothing when a model fails", async () => {
    server.behave = (request) => (request.body.model === "beta-13b" ? { kind: "status", status: 500 } : { kind: "ok", chunkChars: 4, chunkDelayMs: 5 });
    const before = counts();
    const pendingBefore = pendingBattleCount();
    const { events } = await battle("u-ann", "Will this fail?");
    const error = events.find((e) => e.type === "error") as Extract<BattleEvent, { type: "error" }>;
    expect(error.message).toMatch(/^Model [AB] did not answer: HTTP 500.*Nothing was stored; send the prompt again/);
    expect(JSON.stringify(events)).not.toMatch(/Beta|beta-13b|Alpha|alpha-7b/);
    expect(events.some((e) => e.type === "ready")).toBe(false);
    expect(counts()).toEqual(before);
    expect(pendingBattleCount()).toBe(pendingBefore);
    server.behave = () => ({ kind: "ok" });
  });

  it("refuses a vote on an unknown battle and a vote that breaks the rules, storing nothing", async () => {
    expect(errorOf(() => voteBattle("nope", "u-ann", { client_id: "x", preferred: "tie" })).message).toMatch(/send the prompt again/);
    const { id, events } = await battle("u-ann", "Rules?");
    const start = events[0] as Extract<BattleEvent, { type: "battle" }>;
    const before = counts();
    const refused = errorOf(() => voteBattle(id, "u-ann", { client_id: "vote-3", preferred: start.responses[1].id }));
    expect(refused.details?.fields).toEqual({ strength: "required: 1, 2 or 3" });
    expect(counts()).toEqual(before);
    // The battle still waits: the corrected vote is stored.
    voteBattle(id, "u-ann", { client_id: "vote-3", preferred: start.responses[1].id, strength: 1 });
    expect(counts().judgments).toBe(before.judgments + 1);
    // Another reviewer cannot vote on it, nor a user outside the batch start one.
    expect(errorOf(() => prepareBattle(batchId, "u-nobody", "hi")).code).toBe("forbidden");
    expect(errorOf(() => prepareBattle(batchId, "u-ann", "   ")).details?.fields).toEqual({ prompt: "write a prompt" });
  });

  it("sends the key from the environment and never stores it", () => {
    const withKey = server.requests.filter((r) => r.body.model === "alpha-7b");
    expect(withKey.length).toBeGreaterThan(0);
    for (const r of withKey) expect(r.authorization).toBe(`Bearer ${KEY}`);
    expect(server.requests.filter((r) => r.body.model === "beta-13b").every((r) => r.authorization === undefined)).toBe(true);
    const bytes = readdirSync(dir)
      .filter((f) => f.startsWith("verdict.db"))
      .map((f) => readFileSync(join(dir, f)).toString("latin1"))
      .join("");
    expect(bytes).not.toContain(KEY);
    expect(bytes).toContain("ARENA_KEY");
  });

  it("is created from the CLI with --task arena --endpoint-file and listed as arena", async () => {
    const file = join(dir, "endpoints.json");
    writeFileSync(file, JSON.stringify([{ label: "One", url: server.url, model: "m1" }, { label: "Two", url: server.url, model: "m2" }]));
    closeConnection();
    const created = await runCli(["batches", "create", "--task", "arena", "--dataset", "cli-arena", "--name", "CLI arena", "--reviewers", "ann", "--endpoint-file", file, "--json"]);
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toMatchObject({ task: "arena", dataset: "cli-arena", endpoints: 2 });
    const listed = await runCli(["batches", "list"]);
    expect(listed.stdout).toMatch(/active\s+arena\s+0\/0 judgments\s+CLI arena \(cli-arena\)/);
    writeFileSync(file, JSON.stringify({ endpoints: [{ label: "One", url: server.url, model: "m1" }] }));
    const refused = await runCli(["batches", "create", "--task", "arena", "--dataset", "cli-arena", "--name", "bad", "--reviewers", "ann", "--endpoint-file", file]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/endpoints: an arena needs at least two endpoints, got 1/);
  });
});
