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

/** Judges every item a reviewer gets with `decide(item position, responses in dataset order, responses as shown)`. */
function judgeAll(batchId: string, reviewerId: string, decide: (position: number, datasetOrder: string[], shown: string[]) => Record<string, unknown>) {
  for (let n = 0; ; n++) {
    const a = nextAssignment(batchId, reviewerId);
    if (!a) return;
    const item = sqlite().prepare("SELECT position, response_ids FROM items WHERE id = ?").get(a.item_id) as { position: number; response_ids: string };
    const body = decide(item.position, JSON.parse(item.response_ids) as string[], a.responses.map((r) => r.id));
    submitJudgment(a.id, reviewerId, { client_id: `${batchId}-${reviewerId}-${n}`, ...body });
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

type Stats = ReturnType<typeof batchStats>;

/**
 * Every null figure of `stats` without a reason: the null leaves of the top-level objects must
 * be named in `stats.reasons` by their path, and those of each row of per_reviewer,
 * cohen_kappa, per_aspect (and its cohen_kappa) and timeline in the row's own `reasons`.
 */
function unexplainedNulls(stats: Stats): string[] {
  const missing: string[] = [];
  const leaves = (value: unknown, path: string, out: string[]) => {
    if (value === null) out.push(path);
    else if (typeof value === "object" && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) if (key !== "reasons") leaves(child, path ? `${path}.${key}` : key, out);
    }
  };
  const check = (row: Record<string, unknown>, where: string) => {
    const nulls: string[] = [];
    leaves(row, "", nulls);
    const reasons = (row.reasons ?? {}) as Record<string, string>;
    for (const path of nulls) if (!(typeof reasons[path] === "string" && reasons[path]!.length > 0)) missing.push(`${where}${path}`);
  };
  const { per_reviewer, cohen_kappa, per_aspect, timeline, fleiss_kappa_reason: _, ...top } = stats;
  check(top as Record<string, unknown>, "");
  per_reviewer.forEach((row, i) => check(row, `per_reviewer[${i}].`));
  cohen_kappa.forEach((row, i) => check(row as unknown as Record<string, unknown>, `cohen_kappa[${i}].`));
  timeline.forEach((row, i) => check(row, `timeline[${i}].`));
  per_aspect.forEach((aspect, i) => {
    const { cohen_kappa: rows, ...rest } = aspect;
    check(rest, `per_aspect[${i}].`);
    rows.forEach((row, j) => check(row as unknown as Record<string, unknown>, `per_aspect[${i}].cohen_kappa[${j}].`));
  });
  return missing;
}

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
    // One aspect: its own figures are the batch's.
    expect(stats.per_aspect.map((a) => [a.aspect, a.units])).toEqual([["overall", 12]]);
    expect(stats.per_aspect[0]!.cohen_kappa[0]).toMatchObject({ n: 12, linear: kappa!.linear, quadratic: kappa!.quadratic });
    const { nominal, ordinal, interval } = stats.krippendorff_alpha;
    expect(stats.per_aspect[0]!.krippendorff_alpha).toEqual({ nominal, ordinal, interval });
    expect(unexplainedNulls(stats)).toEqual([]);
    expect(stats.reasons["percent_agreement.with_ties"]).toMatch(/pairwise and ranking/);
  });

  it("report alpha and kappa per aspect, each over its own scale", async () => {
    // Two aspects: "overall" 1..5 as above, "safe" 0..2. On "safe" ann and ben agree on 10 of 12
    // units and never use 1, so every disagreement is at distance 2 and scikit-learn's
    // cohen_kappa_score(ann, ben, labels=range(0, 3), weights=None | "linear" | "quadratic") is
    // 7/11 for all three.
    await dataset("rubric", 6, ["m1", "m2"]);
    const config = { aspects: [{ key: "overall", label: "Overall", min: 1, max: 5 }, { key: "safe", label: "Safe", min: 0, max: 2 }] };
    const batch = createBatch({ dataset: "rubric", name: "Rubric", task: "rating", overlap: 2, reviewers: ["ann", "ben"], config }).id;
    const overall = { ann: [1, 2, 2, 4, 5, 5, 1, 4, 2, 5, 4, 1], ben: [1, 2, 4, 4, 5, 4, 2, 4, 1, 5, 5, 2] };
    const safe = { ann: [2, 2, 2, 0, 2, 2, 0, 2, 2, 2, 0, 2], ben: [2, 2, 0, 0, 2, 2, 0, 2, 2, 0, 0, 2] };
    for (const who of ["ann", "ben"] as const) {
      judgeAll(batch, `id-${who}`, (position, order) => ({
        scores: Object.fromEntries(order.map((id, r) => [id, { overall: overall[who][2 * position + r]!, safe: safe[who][2 * position + r]! }])),
      }));
    }
    const stats = batchStats(batch);
    expect(stats.per_aspect.map((a) => [a.aspect, a.label, a.min, a.max, a.units])).toEqual([
      ["overall", "Overall", 1, 5, 12],
      ["safe", "Safe", 0, 2, 12],
    ]);
    const [first, second] = stats.per_aspect;
    expect(first!.cohen_kappa[0]!.linear).toBeCloseTo(27 / 41, 12);
    expect(first!.cohen_kappa[0]!.quadratic).toBeCloseTo(16 / 19, 12);
    expect(second!.cohen_kappa[0]!.unweighted).toBeCloseTo(7 / 11, 12);
    expect(second!.cohen_kappa[0]!.linear).toBeCloseTo(7 / 11, 12);
    expect(second!.cohen_kappa[0]!.quadratic).toBeCloseTo(7 / 11, 12);
    // Krippendorff's alpha of "safe" alone: 2 raters × 12 units, values 0 and 2, from the
    // coincidence matrix (Krippendorff 2011): o_00 = 6, o_22 = 14, o_02 = o_20 = 2, n_0 = 8,
    // n_2 = 16, n = 24; nominal α = 1 − 23 · 4 / (2 · 8 · 16) = 0.640625; interval the same (one distance).
    expect(second!.krippendorff_alpha.nominal).toBeCloseTo(0.640625, 12);
    expect(second!.krippendorff_alpha.interval).toBeCloseTo(0.640625, 12);
    expect(second!.fleiss_kappa).not.toBeNull();
    // The pooled figures mix both aspects and differ from each one's.
    expect(stats.krippendorff_alpha.interval).not.toBeCloseTo(second!.krippendorff_alpha.interval!, 3);
    expect(unexplainedNulls(stats)).toEqual([]);
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
    expect(unexplainedNulls(stats)).toEqual([]);
    expect(stats.reasons["position_bias.left_rate"]).toMatch(/see first_shown_top/);
  });

  it("measure how often the first-shown response lands in the top tier, against chance", () => {
    // cat always puts the response shown first alone on top of 3: chance is 1/3 per ranking, and
    // 4 of 4 has the exact two-sided binomial p-value (1/3)⁴ = 1/81.
    const batch = createBatch({ dataset: "ranked", name: "Ranked first", task: "ranking", overlap: 1, reviewers: ["cat"] }).id;
    judgeAll(batch, "id-cat", (_, __, [first, ...rest]) => ({ tiers: [[first], rest] }));
    const stats = batchStats(batch);
    expect(stats.first_shown_top).toEqual({ rate: 1, chance_rate: expect.closeTo(1 / 3, 15), p_value: expect.closeTo(1 / 81, 12), n: 4 });
    expect(stats.per_reviewer[0]).toMatchObject({ username: "cat", first_top_rate: 1, first_top_chance: expect.closeTo(1 / 3, 15), first_top_p_value: expect.closeTo(1 / 81, 12) });
    expect(unexplainedNulls(stats)).toEqual([]);
  });
});

describe("pairwise batches", () => {
  it("report Fleiss' kappa on the direction beside the signed one, and each reviewer's position bias with its p-value", async () => {
    // 8 items of m1 against m2, 3 reviewers each: ann always picks the response shown first
    // (strength 2), ben always m1 (strength 1), cat ties the first four items and picks m2 on
    // the rest (strength 3).
    await dataset("paired", 8, ["m1", "m2"]);
    const batch = createBatch({ dataset: "paired", name: "Paired", task: "pairwise", overlap: 3, reviewers: ["ann", "ben", "cat"] }).id;
    const direction = new Map<number, number[]>(); // item position → the signs given (+1: m1)
    const vote = (position: number, sign: number) => direction.set(position, [...(direction.get(position) ?? []), sign]);
    judgeAll(batch, "id-ann", (position, [m1], [first]) => (vote(position, first === m1 ? 1 : -1), { preferred: first, strength: 2 }));
    judgeAll(batch, "id-ben", (position, [m1]) => (vote(position, 1), { preferred: m1, strength: 1 }));
    judgeAll(batch, "id-cat", (position, [, m2]) => (position < 4 ? (vote(position, 0), { preferred: "tie" }) : (vote(position, -1), { preferred: m2, strength: 3 })));
    const stats = batchStats(batch);
    // Fleiss (1971) on the signs, from the counts of −1, 0, +1 per item.
    const counts = [...direction.values()].map((signs) => [-1, 0, 1].map((c) => signs.filter((x) => x === c).length));
    const n = 3;
    const observed = counts.reduce((sum, row) => sum + (row.reduce((q, c) => q + c * c, 0) - n) / (n * (n - 1)), 0) / counts.length;
    const chance = [0, 1, 2].reduce((sum, j) => sum + (counts.reduce((t, row) => t + row[j]!, 0) / (counts.length * n)) ** 2, 0);
    expect(stats.fleiss_kappa_direction).toBeCloseTo((observed - chance) / (1 - chance), 12);
    expect(stats.fleiss_kappa_direction).not.toBeCloseTo(stats.fleiss_kappa!, 3);
    // ann: 8 of 8 on the left, binomtest(8, 8, 0.5) = 2/256; ben's left rate is chance's doing.
    const ann = stats.per_reviewer.find((r) => r.username === "ann")!;
    expect(ann).toMatchObject({ left_rate: 1, left_p_value: expect.closeTo(2 / 256, 15) });
    const cat = stats.per_reviewer.find((r) => r.username === "cat")!;
    expect(cat.tie_rate).toBe(0.5);
    expect(cat.left_p_value).not.toBeNull();
    expect(cat.first_top_rate).toBeNull();
    expect(cat.reasons.first_top_rate).toMatch(/ranking batches/);
    expect(stats.per_aspect).toEqual([]);
    expect(unexplainedNulls(stats)).toEqual([]);
  });

  it("give a reason for every figure of a batch nobody has judged, or only one reviewer", async () => {
    const empty = createBatch({ dataset: "paired", name: "Untouched", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
    const none = batchStats(empty);
    expect(none.krippendorff_alpha.nominal).toBeNull();
    expect(unexplainedNulls(none)).toEqual([]);
    expect(none.reasons["krippendorff_alpha.nominal"]).toBeTruthy();
    const alone = createBatch({ dataset: "paired", name: "Alone", task: "pairwise", overlap: 1, reviewers: ["ben"] }).id;
    judgeAll(alone, "id-ben", (_, [m1]) => ({ preferred: m1, strength: 1, duration_ms: 1000 }));
    const one = batchStats(alone);
    expect(one.percent_agreement.with_ties).toBeNull();
    expect(one.reasons["percent_agreement.with_ties"]).toBe("no unit has two ratings to compare");
    expect(one.per_reviewer[0]!.reasons.agreement_with_majority).toMatch(/two other reviewers/);
    expect(unexplainedNulls(one)).toEqual([]);
  });
});
