/**
 * Cost and latency beside quality (issue 11, point 6): prices set by the CLI, token usage and
 * latency from imported response metadata, and the leaderboard's per-model figures.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { leaderboard } = await import("~/services/stats.server");
const { setModelPrice, listModels } = await import("~/services/models.server");

afterAll(() => closeConnection());

let batch = "";

beforeAll(async () => {
  // Three models: cheap (short, fast), mid, and big (best, slow and costly). big has no usage: its cost is unknown.
  const usage = { cheap: { p: 100, c: 50, ms: 200 }, mid: { p: 100, c: 150, ms: 600 } } as Record<string, { p: number; c: number; ms: number }>;
  const lines = Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({
      id: `q${i}`,
      prompt: `Question ${i}?`,
      responses: ["cheap", "mid", "big"].map((model) => ({
        id: model,
        model,
        text: `${model} answer ${i}`,
        ...(usage[model] ? { metadata: { usage: { prompt_tokens: usage[model]!.p, completion_tokens: usage[model]!.c + i }, latency_ms: usage[model]!.ms + i } } : { metadata: { latency_ms: "slow" } }),
      })),
    }),
  );
  writeFileSync(join(dir, "costs.jsonl"), lines.join("\n"));
  await importFile(join(dir, "costs.jsonl"), { dataset: "costs" });
  connection().sqlite.prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('id-cy', 'cy', 'cy', 'reviewer', 'x', 0)").run();
  batch = createBatch({ dataset: "costs", name: "costs", task: "ranking", overlap: 1, reviewers: ["cy"] }).id;
  const external = connection().sqlite.prepare<[string], { external_id: string }>("SELECT external_id FROM responses WHERE id = ?");
  for (let n = 0; ; n++) {
    const a = nextAssignment(batch, "id-cy");
    if (!a) break;
    const ids = JSON.parse((connection().sqlite.prepare("SELECT response_ids FROM items WHERE id = ?").get(a.item_id) as { response_ids: string }).response_ids) as string[];
    const by = (name: string) => ids.find((id) => external.get(id)!.external_id === name)!;
    // big > mid > cheap, except one item where cheap beats mid.
    submitJudgment(a.id, "id-cy", { client_id: `c${n}`, tiers: n === 0 ? [[by("big")], [by("cheap")], [by("mid")]] : [[by("big")], [by("mid")], [by("cheap")]] });
  }
});

describe("model prices", () => {
  it("are set from the CLI and listed with each model's response count", async () => {
    const set = await runCli(["models", "price", "--model", "cheap", "--input-usd-per-mtok", "0.15", "--output-usd-per-mtok", "0.6", "--json"], { env: { VERDICT_DB: dbPath } });
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ model: "cheap", input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6 });
    setModelPrice({ model: "mid", input_usd_per_mtok: 1, output_usd_per_mtok: 4 });
    setModelPrice({ model: "big", input_usd_per_mtok: 10, output_usd_per_mtok: 30 });
    // Setting again replaces the price.
    setModelPrice({ model: "mid", input_usd_per_mtok: 2, output_usd_per_mtok: 8 });
    const models = listModels();
    expect(models.map((m) => [m.model, m.responses, m.price?.input_usd_per_mtok])).toEqual([
      ["big", 6, 10],
      ["cheap", 6, 0.15],
      ["mid", 6, 2],
    ]);
  });

  it("refuses bad prices with field messages and a usage error without both prices", async () => {
    const error = errorOf(() => setModelPrice({ model: "", input_usd_per_mtok: "-1", output_usd_per_mtok: "x" }));
    expect(error.status).toBe(400);
    expect(Object.keys(error.details?.fields as object).sort()).toEqual(["input_usd_per_mtok", "model", "output_usd_per_mtok"]);
    const usage = await runCli(["models", "price", "--model", "cheap", "--input-usd-per-mtok", "1"], { env: { VERDICT_DB: dbPath } });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("give both --input-usd-per-mtok X and --output-usd-per-mtok Y");
  });
});

describe("the leaderboard's cost and latency", () => {
  it("adds mean latency, mean tokens and USD per 1,000 responses per model, and marks the cost frontier", () => {
    const board = leaderboard({ batchId: batch });
    const by = Object.fromEntries(board.models.map((m) => [m.model, m]));
    expect(board.models.map((m) => m.model)).toEqual(["big", "mid", "cheap"]);
    // cheap: latency 200..205 → 202.5; output 50..55 → 52.5; $ = 1000 × (100 × 0.15 + 52.5 × 0.6) / 1e6.
    expect(by.cheap).toMatchObject({ mean_latency_ms: 202.5, mean_input_tokens: 100, mean_output_tokens: 52.5, usd_per_1k_responses: 0.0465, on_cost_frontier: true });
    expect(by.mid).toMatchObject({ mean_latency_ms: 602.5, mean_output_tokens: 152.5, usd_per_1k_responses: 1.42, on_cost_frontier: true });
    // big has a price but no token usage: its cost is unknown, so it is not on the frontier; a non-numeric latency is not counted.
    expect(by.big).toMatchObject({ mean_latency_ms: null, mean_output_tokens: null, usd_per_1k_responses: null, on_cost_frontier: false });
    const dataset = leaderboard({ dataset: "costs" });
    expect(dataset.models.map((m) => [m.model, m.usd_per_1k_responses])).toEqual(board.models.map((m) => [m.model, m.usd_per_1k_responses]));
  });

  it("the CLI prints them beside the ratings, and in --json", async () => {
    const plain = await runCli(["leaderboard", "--batch", batch], { env: { VERDICT_DB: dbPath } });
    expect(plain.stdout).toMatch(/cheap .*203 ms, 53 output tokens, \$0.0465 per 1,000 responses \(cost frontier\)/);
    const json = JSON.parse((await runCli(["leaderboard", "--batch", batch, "--json"], { env: { VERDICT_DB: dbPath } })).stdout) as { models: Array<Record<string, unknown>> };
    expect(Object.keys(json.models[0]!)).toEqual(expect.arrayContaining(["mean_latency_ms", "mean_output_tokens", "usd_per_1k_responses", "on_cost_frontier"]));
  });
});
