import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, setUpTempDatabase, errorOf } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, changeBatchStatus } = await import("~/services/batches.server");
const { nextAssignment, skipAssignment, previousAssignment, reviewProgress } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;
let reviewerIds: string[] = [];

/** Users straight into the table: scrypt for 50 accounts would only slow the test. */
function addReviewers(n: number, prefix: string): string[] {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${i}`;
    insert.run(id, `${prefix}${i}`, `${prefix} ${i}`);
    return id;
  });
}

beforeAll(async () => {
  const lines = Array.from({ length: 60 }, (_, i) =>
    JSON.stringify({
      id: `p${i}`,
      prompt: `Question ${i}`,
      responses: [
        { model: "alpha", text: `alpha answer ${i}` },
        { model: "beta", text: `beta answer ${i}` },
        { model: "gamma", text: `gamma answer ${i}` },
      ],
    }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
  reviewerIds = addReviewers(50, "rev");
});

describe("batches", () => {
  it("builds items by pairing and task", () => {
    const usernames = ["rev0", "rev1"];
    expect(createBatch({ dataset: "ds", name: "a", task: "pairwise", overlap: 1, reviewers: usernames, pairing: "all-pairs" }).items).toBe(180);
    expect(createBatch({ dataset: "ds", name: "b", task: "pairwise", overlap: 1, reviewers: usernames }).items).toBe(60);
    const models = createBatch({ dataset: "ds", name: "c", task: "pairwise", overlap: 1, reviewers: usernames, pairing: "models:gamma,alpha" });
    const item = sqlite().prepare("SELECT response_ids FROM items WHERE batch_id = ? ORDER BY position LIMIT 1").get(models.id) as { response_ids: string };
    const texts = (JSON.parse(item.response_ids) as string[]).map((id) => (sqlite().prepare("SELECT model FROM responses WHERE id = ?").get(id) as { model: string }).model);
    expect(texts).toEqual(["gamma", "alpha"]);
    expect(createBatch({ dataset: "ds", name: "d", task: "ranking", overlap: 1, reviewers: usernames }).items).toBe(60);
  });

  it("refuses bad batches with field messages", () => {
    expect(errorOf(() => createBatch({ dataset: "nope", name: "x", task: "pairwise", reviewers: ["rev0"] })).status).toBe(404);
    const unknown = errorOf(() => createBatch({ dataset: "ds", name: "x", task: "pairwise", reviewers: ["ghost"] }));
    expect(unknown.details).toEqual({ fields: { reviewers: "unknown or disabled: ghost" } });
    const config = errorOf(() => createBatch({ dataset: "ds", name: "x", task: "rating", reviewers: ["rev0"], config: { overallAspect: "style" } }));
    expect(config.details).toEqual({ fields: { "config.overallAspect": 'overallAspect "style" is not one of the aspects (overall, helpfulness, honesty, harmlessness)' } });
    expect(errorOf(() => createBatch({ dataset: "ds", name: "x", task: "ranking", reviewers: ["rev0"], pairing: "all-pairs" })).status).toBe(400);
  });
});

describe("the assignment engine", () => {
  it("never gives an item to more reviewers than its overlap, with 50 reviewers in 5 processes at once, and loses none", async () => {
    const batch = createBatch({ dataset: "ds", name: "race", task: "pairwise", overlap: 3, reviewers: reviewerIds.map((_, i) => `rev${i}`) });
    const groups = Array.from({ length: 5 }, (_, g) => reviewerIds.filter((_, i) => i % 5 === g));
    const outputs = await Promise.all(
      groups.map(
        (group) =>
          new Promise<{ counts: Record<string, number>; errors: string[] }>((resolve, reject) => {
            const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "tests/integration/workers/reviewer-loop.ts"), batch.id, ...group], {
              env: { ...process.env, VERDICT_DB: dbPath },
              stdio: ["ignore", "pipe", "inherit"],
            });
            let out = "";
            child.stdout.on("data", (c: Buffer) => (out += c.toString()));
            child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as { counts: Record<string, number>; errors: string[] }) : reject(new Error(`worker exited ${code}`))));
          }),
      ),
    );
    expect(outputs.flatMap((o) => o.errors)).toEqual([]);
    const total = outputs.reduce((n, o) => n + Object.values(o.counts).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(60 * 3);
    const perItem = sqlite()
      .prepare("SELECT i.id, i.claims, i.submitted, (SELECT count(*) FROM judgments j WHERE j.item_id = i.id) AS judged FROM items i WHERE batch_id = ?")
      .all(batch.id) as Array<{ claims: number; submitted: number; judged: number }>;
    expect(perItem).toHaveLength(60);
    expect(perItem.every((i) => i.judged === 3 && i.submitted === 3 && i.claims === 3)).toBe(true);
    const pairs = sqlite().prepare("SELECT count(*) AS n FROM preference_pairs WHERE batch_id = ?").get(batch.id) as { n: number };
    expect(pairs.n).toBe(180);
  }, 120_000);

  it("serves partly judged items first, stores a display order per reviewer, and hands back a live lease on refresh", () => {
    const batch = createBatch({ dataset: "ds", name: "order", task: "ranking", overlap: 2, reviewers: ["rev0", "rev1", "rev2"] });
    const first = nextAssignment(batch.id, "rev-0")!;
    expect(nextAssignment(batch.id, "rev-0")!.id).toBe(first.id);
    submitJudgment(first.id, "rev-0", { client_id: "order-1", tiers: first.responses.map((r) => [r.id]) });
    // rev1 gets the item rev0 already judged, not the next untouched one.
    const second = nextAssignment(batch.id, "rev-1")!;
    expect(second.item_id).toBe(first.item_id);
    const orders = sqlite().prepare("SELECT display_order FROM assignments WHERE item_id = ?").all(first.item_id) as Array<{ display_order: string }>;
    for (const o of orders) expect([...(JSON.parse(o.display_order) as number[])].sort()).toEqual([0, 1, 2]);
    // The item is now full: rev2 gets another one.
    expect(nextAssignment(batch.id, "rev-2")!.item_id).not.toBe(first.item_id);
  });

  it("returns expired leases to the pool, and accepts a late judgment only while the item has room", () => {
    const batch = createBatch({ dataset: "ds", name: "lease", task: "pairwise", overlap: 1, reviewers: ["rev0", "rev1"], config: { leaseMinutes: 30 } });
    const t0 = Date.now();
    const a = nextAssignment(batch.id, "rev-0", t0)!;
    expect(a.lease_expires_at).toBe(t0 + 30 * 60_000);
    const later = t0 + 31 * 60_000;
    const b = nextAssignment(batch.id, "rev-1", later)!;
    expect(b.item_id).toBe(a.item_id);
    submitJudgment(b.id, "rev-1", { client_id: "lease-b", preferred: "tie" }, later);
    const late = errorOf(() => submitJudgment(a.id, "rev-0", { client_id: "lease-a", preferred: "tie" }, later + 1));
    expect(late.status).toBe(409);
    expect(late.message).toBe("the lease on this item expired and other reviewers took it");
  });

  it("skips: the item goes to someone else and never comes back to the skipper", () => {
    const batch = createBatch({ dataset: "ds", name: "skip", task: "pairwise", overlap: 1, reviewers: ["rev0", "rev1"] });
    const a = nextAssignment(batch.id, "rev-0")!;
    skipAssignment(a.id, "rev-0");
    expect(nextAssignment(batch.id, "rev-1")!.item_id).toBe(a.item_id);
    expect(nextAssignment(batch.id, "rev-0")!.item_id).not.toBe(a.item_id);
    expect(errorOf(() => skipAssignment(a.id, "rev-1")).status).toBe(404);
  });

  it("refuses next on a paused batch and a reviewer outside the batch", () => {
    const batch = createBatch({ dataset: "ds", name: "pause", task: "pairwise", overlap: 1, reviewers: ["rev0"] });
    expect(errorOf(() => nextAssignment(batch.id, "rev-1")).status).toBe(403);
    changeBatchStatus(batch.id, "pause");
    expect(errorOf(() => nextAssignment(batch.id, "rev-0")).message).toBe("this batch is paused");
    expect(errorOf(() => changeBatchStatus(batch.id, "pause")).status).toBe(409);
    changeBatchStatus(batch.id, "resume");
    expect(nextAssignment(batch.id, "rev-0")).not.toBeNull();
  });

  it("returns null when nothing is left and reports progress", () => {
    const batch = createBatch({ dataset: "ds", name: "drain", task: "pairwise", overlap: 1, reviewers: ["rev3"] });
    expect(reviewProgress(batch.id, "rev-3")).toEqual({ mine: 0, left: 60, skipped: 0, items: 60, judgments: 0, needed: 60 });
    for (let i = 0; i < 60; i++) {
      const a = nextAssignment(batch.id, "rev-3")!;
      submitJudgment(a.id, "rev-3", { client_id: `drain-${i}`, preferred: a.responses[0]!.id, strength: 1 });
      if (i === 9) expect(reviewProgress(batch.id, "rev-3")).toEqual({ mine: 10, left: 50, skipped: 0, items: 60, judgments: 10, needed: 60 });
    }
    expect(nextAssignment(batch.id, "rev-3")).toBeNull();
  });
});

describe("judgments and their pairs", () => {
  it("pairwise: one pair with the stored position; a repeated client_id returns the stored judgment; an edit rewrites the pair", () => {
    const batch = createBatch({ dataset: "ds", name: "pw", task: "pairwise", overlap: 1, reviewers: ["rev4"] });
    const a = nextAssignment(batch.id, "rev-4")!;
    const [left, right] = a.responses;
    const first = submitJudgment(a.id, "rev-4", { client_id: "pw-1", preferred: right!.id, strength: 3, flags: [{ response_id: left!.id, flag: "hallucination", note: "made up" }], rationale: "B is right" });
    expect(first.created).toBe(true);
    expect(first.judgment.payload).toEqual({ task: "pairwise", preferred: right!.id, strength: 3, bothBad: false });
    expect(first.judgment.flags).toEqual([{ response_id: left!.id, flag: "hallucination", note: "made up" }]);
    const pairs = () => sqlite().prepare("SELECT chosen_id, rejected_id, strength, source, shown_chosen_first FROM preference_pairs WHERE judgment_id = ?").all(first.judgment.id);
    expect(pairs()).toEqual([{ chosen_id: right!.id, rejected_id: left!.id, strength: 3, source: "pairwise", shown_chosen_first: 0 }]);

    const again = submitJudgment(a.id, "rev-4", { client_id: "pw-1", preferred: left!.id, strength: 1 });
    expect(again.created).toBe(false);
    expect(again.judgment.payload).toEqual(first.judgment.payload);

    const edit = submitJudgment(a.id, "rev-4", { client_id: "pw-2", preferred: "tie" });
    expect(edit.created).toBe(false);
    expect(edit.judgment.id).toBe(first.judgment.id);
    expect(edit.judgment.flags).toEqual([]);
    const item = sqlite().prepare("SELECT response_ids FROM items WHERE id = ?").get(a.item_id) as { response_ids: string };
    const [datasetFirst, datasetSecond] = JSON.parse(item.response_ids) as string[];
    expect(pairs()).toEqual([{ chosen_id: datasetFirst, rejected_id: datasetSecond, strength: 0, source: "pairwise", shown_chosen_first: a.responses[0]!.id === datasetFirst ? 1 : 0 }]);
    expect(previousAssignment(batch.id, "rev-4", null)!.judgment!.payload).toEqual({ task: "pairwise", preferred: "tie", strength: 0, bothBad: false });
  });

  it("ranking: every cross-tier pair; rating: pairs from the overall aspect", () => {
    const ranking = createBatch({ dataset: "ds", name: "rk", task: "ranking", overlap: 1, reviewers: ["rev5"] });
    const r = nextAssignment(ranking.id, "rev-5")!;
    const [x, y, z] = r.responses.map((resp) => resp.id);
    const ranked = submitJudgment(r.id, "rev-5", { client_id: "rk-1", tiers: [[x!], [y!, z!]] });
    const rankPairs = sqlite().prepare("SELECT chosen_id, rejected_id, strength FROM preference_pairs WHERE judgment_id = ? ORDER BY rowid").all(ranked.judgment.id);
    expect(rankPairs).toEqual([
      { chosen_id: x, rejected_id: y, strength: 1 },
      { chosen_id: x, rejected_id: z, strength: 1 },
    ]);

    const rating = createBatch({ dataset: "ds", name: "rt", task: "rating", overlap: 1, reviewers: ["rev5"], config: { aspects: [{ key: "overall", label: "Overall" }, { key: "style", label: "Style" }] } });
    const t = nextAssignment(rating.id, "rev-5")!;
    const ids = t.responses.map((resp) => resp.id);
    const scores = { [ids[0]!]: { overall: 5, style: 1 }, [ids[1]!]: { overall: 1, style: 5 }, [ids[2]!]: { overall: 5, style: 3 } };
    const rated = submitJudgment(t.id, "rev-5", { client_id: "rt-1", scores });
    const ratePairs = sqlite().prepare("SELECT chosen_id, rejected_id, strength FROM preference_pairs WHERE judgment_id = ?").all(rated.judgment.id) as Array<{ chosen_id: string; rejected_id: string; strength: number }>;
    expect(ratePairs).toHaveLength(3);
    expect(ratePairs.filter((p) => p.strength === 3).map((p) => p.rejected_id)).toEqual([ids[1], ids[1]]);
    expect(ratePairs.filter((p) => p.strength === 0)).toHaveLength(1);
    const missing = errorOf(() => submitJudgment(t.id, "rev-5", { client_id: "rt-2", scores: { [ids[0]!]: { overall: 9 } } }));
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.details!.fields as object)).toEqual(["scores"]);
  });

  it("checks flags and the rationale rule with field messages", () => {
    const batch = createBatch({ dataset: "ds", name: "rules", task: "pairwise", overlap: 1, reviewers: ["rev6"], config: { rationale: { required: true, minLength: 20 }, flags: ["unsafe"] } });
    const a = nextAssignment(batch.id, "rev-6")!;
    const error = errorOf(() => submitJudgment(a.id, "rev-6", { client_id: "rules-1", preferred: a.responses[0]!.id, flags: [{ response_id: a.responses[0]!.id, flag: "pii" }], rationale: "short" }));
    expect(error.details).toEqual({
      fields: {
        strength: "required: 1, 2 or 3",
        "flags.0.flag": "not a flag of this batch: pii (flags: unsafe)",
        rationale: "required: at least 20 characters",
      },
    });
    expect(sqlite().prepare("SELECT count(*) AS n FROM judgments WHERE assignment_id = ?").get(a.id)).toEqual({ n: 0 });
  });
});
