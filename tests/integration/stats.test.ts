import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { batchStats, leaderboard } = await import("~/services/stats.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

function addReviewers(names: string[]): string[] {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  return names.map((name) => {
    const id = `id-${name}`;
    insert.run(id, name, name);
    return id;
  });
}

/** Judges every item a reviewer gets with `decide(item position, responses in dataset order)`. */
function judgeAll(batchId: string, reviewerId: string, decide: (position: number, datasetOrder: string[]) => Record<string, unknown>) {
  for (let n = 0; ; n++) {
    const a = nextAssignment(batchId, reviewerId);
    if (!a) return;
    const item = sqlite().prepare("SELECT position, response_ids FROM items WHERE id = ?").get(a.item_id) as { position: number; response_ids: string };
    submitJudgment(a.id, reviewerId, { client_id: `${batchId}-${reviewerId}-${n}`, ...decide(item.position, JSON.parse(item.response_ids) as string[]) });
    if (n > 10_000) throw new Error("runaway");
  }
}

/** A dataset of `prompts` prompts, each with one response of each model. */
async function dataset(name: string, prompts: number, models: string[]): Promise<void> {
  const lines = Array.from({ length: prompts }, (_, i) =>
    JSON.stringify({ id: `${name}-${i}`, prompt: `Question ${i}?`, responses: models.map((model) => ({ id: model, model, text: `${model} answers ${i}` })) }),
  );
  writeFileSync(join(dir, `${name}.jsonl`), lines.join("\n"));
  await importFile(join(dir, `${name}.jsonl`), { dataset: name });
}

addReviewers(["ann", "ben", "cat"]);

describe("rating batches", () => {
  it("weighs Cohen's kappa over the aspect's whole scale, a score nobody gave included", async () => {
    // 6 items × 2 responses = 12 units rated 1..5 by ann and ben, who never give a 3. The
    // expected values are scikit-learn's cohen_kappa_score(ann, ben, labels=range(1, 6),
    // weights=…): 1/3 unweighted, 27/41 linear, 16/19 quadratic. Over the used scores only
    // (labels [1, 2, 4, 5], today's code before this fix) linear and quadratic were 17/29 and 11/14.
    await dataset("rated", 6, ["m1", "m2"]);
    const config = { aspects: [{ key: "overall", label: "Overall", min: 1, max: 5 }] };
    const batch = createBatch({ dataset: "rated", name: "Rated", task: "rating", overlap: 2, reviewers: ["ann", "ben"], config }).id;
    const ann = [1, 2, 2, 4, 5, 5, 1, 4, 2, 5, 4, 1];
    const ben = [1, 2, 4, 4, 5, 4, 2, 4, 1, 5, 5, 2];
    for (const [reviewer, scores] of [["id-ann", ann], ["id-ben", ben]] as const) {
      judgeAll(batch, reviewer, (position, order) => ({
        scores: { [order[0]!]: { overall: scores[2 * position]! }, [order[1]!]: { overall: scores[2 * position + 1]! } },
      }));
    }
    const stats = batchStats(batch);
    expect(stats.cohen_kappa).toHaveLength(1);
    const [kappa] = stats.cohen_kappa;
    expect(kappa!.n).toBe(12);
    expect(kappa!.unweighted).toBeCloseTo(1 / 3, 12);
    expect(kappa!.linear).toBeCloseTo(27 / 41, 12);
    expect(kappa!.quadratic).toBeCloseTo(16 / 19, 12);
  });
});

describe("ranking batches", () => {
  it("count two responses in one tier as a tie in the leaderboard, as the agreement figures do", async () => {
    // Every item: ann ranks m1 = m2 > m3, ben ranks m1 > m2 = m3. Per item that is 6 battles,
    // 2 of them ties (m1–m2 by ann, m2–m3 by ben); 4 items give 24 battles and 8 ties.
    await dataset("ranked", 4, ["m1", "m2", "m3"]);
    const batch = createBatch({ dataset: "ranked", name: "Ranked", task: "ranking", overlap: 2, reviewers: ["ann", "ben"] }).id;
    judgeAll(batch, "id-ann", (_, [m1, m2, m3]) => ({ tiers: [[m1, m2], [m3]] }));
    judgeAll(batch, "id-ben", (_, [m1, m2, m3]) => ({ tiers: [[m1], [m2, m3]] }));
    const board = leaderboard({ batchId: batch });
    const byModel = Object.fromEntries(board.models.map(({ model, battles, wins, ties, losses }) => [model, { battles, wins, ties, losses }]));
    expect(byModel).toEqual({
      m1: { battles: 16, wins: 12, ties: 4, losses: 0 },
      m2: { battles: 16, wins: 4, ties: 8, losses: 4 },
      m3: { battles: 16, wins: 0, ties: 4, losses: 12 },
    });
    expect(board.win_rates.m1!.m2).toBe(0.75); // 4 wins and 4 ties of 8
    expect(board.models.map((m) => m.model)).toEqual(["m1", "m2", "m3"]);
    // m1 never lost, but tied m2: the ties make the MLE exist.
    expect(board.method).toBe("mle");
    // The agreement figures read the same ties: per item, m1–m2 (tie vs m1) and m2–m3 (m2 vs
    // tie) disagree, m1–m3 agrees; without ties only m1–m3 has two votes, which agree.
    const stats = batchStats(batch);
    expect(stats.percent_agreement.with_ties).toBeCloseTo(1 / 3, 12);
    expect(stats.percent_agreement.without_ties).toBe(1);
    // The dataset's leaderboard pools the same battles.
    expect(leaderboard({ dataset: "ranked" }).models).toEqual(board.models);
  });
});
