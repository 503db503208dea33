import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment, skipAssignment, reviewProgress, skippedItems, previousAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { batchStats } = await import("~/services/stats.server");
const { streamExport } = await import("~/services/exports.server");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;

beforeAll(async () => {
  const lines = Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({
      id: `p${i}`,
      prompt: `Question ${i}`,
      responses: [
        { model: "alpha", text: `alpha answer ${i}` },
        { model: "beta", text: `beta answer ${i}` },
      ],
    }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["steady", "flipper", "plain", "skipper"]) insert.run(`u-${name}`, name, name);
});

interface Step {
  kind: string;
  view: AssignmentView;
  /** Reviews this reviewer had submitted when the item was leased. */
  reviewsBefore: number;
  claimsBefore: number;
  submittedBefore: number;
}

const kindOf = (assignmentId: string) => (sqlite().prepare("SELECT kind FROM assignments WHERE id = ?").get(assignmentId) as { kind: string }).kind;
const itemCounters = (itemId: string) => sqlite().prepare("SELECT claims, submitted, open FROM items WHERE id = ?").get(itemId) as { claims: number; submitted: number; open: number };
const datasetOrder = (itemId: string) => JSON.parse((sqlite().prepare("SELECT response_ids FROM items WHERE id = ?").get(itemId) as { response_ids: string }).response_ids) as string[];

/**
 * Judges everything a reviewer is handed: a review prefers the item's first response in dataset
 * order; a repeat prefers the first again (`flip` false) or the other one (`flip` true).
 * Progress is compared across each repeat: before it is leased and after it is judged.
 */
function judgeAll(batchId: string, reviewerId: string, flip: boolean): Step[] {
  const steps: Step[] = [];
  let reviews = 0;
  for (let n = 0; n < 50; n++) {
    const progressBefore = reviewProgress(batchId, reviewerId);
    const view = nextAssignment(batchId, reviewerId);
    if (!view) break;
    const kind = kindOf(view.id);
    const counters = itemCounters(view.item_id);
    steps.push({ kind, view, reviewsBefore: reviews, claimsBefore: counters.claims, submittedBefore: counters.submitted });
    const [first, second] = datasetOrder(view.item_id);
    const preferred = kind === "repeat" && flip ? second! : first!;
    submitJudgment(view.id, reviewerId, { client_id: `${batchId}-${reviewerId}-${n}`, preferred, strength: 2, flags: [{ response_id: preferred, flag: "incomplete" }], rationale: `because ${n}` });
    if (kind === "review") reviews++;
    else {
      // A repeat changes none of the item's counters and none of the reviewer's progress.
      const after = itemCounters(view.item_id);
      expect(after.claims).toBe(counters.claims);
      expect(after.submitted).toBe(counters.submitted);
      expect(reviewProgress(batchId, reviewerId)).toEqual(progressBefore);
    }
  }
  return steps;
}

describe("self-consistency repeats", () => {
  let batchId = "";
  let steady: Step[] = [];
  let flipper: Step[] = [];

  beforeAll(() => {
    batchId = createBatch({ dataset: "ds", name: "sc", task: "pairwise", overlap: 2, reviewers: ["steady", "flipper"], config: { selfConsistency: { share: 0.5 }, gold: { rate: 0 } } }).id;
    steady = judgeAll(batchId, "u-steady", false);
    flipper = judgeAll(batchId, "u-flipper", true);
  });

  it("hands out ⌊0.5 × reviews⌋ repeats, each only once 3 more reviews came after its item", () => {
    // Reviews a..f; a comes back after d (a has b, c, d after it), b after e, c after f.
    const expected = ["review", "review", "review", "review", "repeat", "review", "repeat", "review", "repeat"];
    expect(steady.map((s) => s.kind)).toEqual(expected);
    expect(flipper.map((s) => s.kind)).toEqual(expected);
    for (const steps of [steady, flipper]) {
      const reviews = steps.filter((s) => s.kind === "review");
      const repeats = steps.filter((s) => s.kind === "repeat");
      expect(reviews).toHaveLength(6);
      expect(repeats.map((r) => r.view.item_id)).toEqual(reviews.slice(0, 3).map((r) => r.view.item_id));
      for (const repeat of repeats) {
        expect(repeat.reviewsBefore).toBeGreaterThanOrEqual(4);
        const at = reviews.findIndex((r) => r.view.item_id === repeat.view.item_id);
        expect(repeat.reviewsBefore - (at + 1)).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it("shows a repeat with the sides swapped, and otherwise as any item", () => {
    for (const steps of [steady, flipper]) {
      for (const repeat of steps.filter((s) => s.kind === "repeat")) {
        const original = steps.find((s) => s.kind === "review" && s.view.item_id === repeat.view.item_id)!;
        expect(repeat.view.responses.map((r) => r.id)).toEqual(original.view.responses.map((r) => r.id).reverse());
        const orders = sqlite()
          .prepare("SELECT kind, display_order FROM assignments WHERE item_id = ? AND reviewer_id = ? ORDER BY kind DESC")
          .all(repeat.view.item_id, steps === steady ? "u-steady" : "u-flipper") as Array<{ kind: string; display_order: string }>;
        expect(orders.map((o) => o.kind)).toEqual(["review", "repeat"]);
        expect(JSON.parse(orders[1]!.display_order)).toEqual((JSON.parse(orders[0]!.display_order) as number[]).reverse());
        // The same view: no field tells a repeat apart.
        expect(Object.keys(repeat.view).sort()).toEqual(Object.keys(original.view).sort());
        expect(JSON.stringify(repeat.view)).not.toMatch(/repeat/);
      }
    }
  });

  it("stores a repeat's judgment with source 'repeat', its flags and rationale, and no pairs", () => {
    const rows = sqlite()
      .prepare(
        `SELECT j.source, j.rationale, (SELECT count(*) FROM preference_pairs pp WHERE pp.judgment_id = j.id) AS pairs,
                (SELECT count(*) FROM judgment_flags f WHERE f.judgment_id = j.id) AS flags
         FROM judgments j JOIN assignments a ON a.id = j.assignment_id WHERE a.batch_id = ? AND a.kind = 'repeat'`,
      )
      .all(batchId) as Array<{ source: string; rationale: string; pairs: number; flags: number }>;
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toMatchObject({ source: "repeat", pairs: 0, flags: 1, rationale: expect.stringMatching(/^because/) });
    const counts = sqlite()
      .prepare("SELECT sum(claims) AS claims, sum(submitted) AS submitted FROM items WHERE batch_id = ?")
      .get(batchId) as { claims: number; submitted: number };
    expect(counts).toEqual({ claims: 12, submitted: 12 });
    expect(sqlite().prepare("SELECT count(*) AS n FROM preference_pairs WHERE batch_id = ?").get(batchId)).toEqual({ n: 12 });
  });

  it("counts each reviewer's reviews only in their progress", () => {
    expect(reviewProgress(batchId, "u-steady")).toMatchObject({ mine: 6, left: 0, skipped: 0, items: 6, judgments: 12, needed: 12 });
    // Going back walks through reviews only.
    const latest = previousAssignment(batchId, "u-steady", null)!;
    expect(kindOf(latest.id)).toBe("review");
  });

  it("reports self-agreement: 1 for a reviewer who answers alike, 0 for one who flips", () => {
    const stats = batchStats(batchId);
    const row = (name: string) => stats.per_reviewer.find((r) => r.username === name)!;
    expect(row("steady").self_agreement).toEqual({ agreed: 3, repeated: 3, rate: 1 });
    expect(row("flipper").self_agreement).toEqual({ agreed: 0, repeated: 3, rate: 0 });
    expect(stats.self_agreement).toEqual({ agreed: 3, repeated: 6, rate: 0.5 });
    expect(row("steady").judgments).toBe(6);
    expect(stats.judgments).toBe(12);
    expect(stats.progress.per_reviewer.map((r) => r.done)).toEqual([6, 6]);
    expect(stats.progress).toMatchObject({ done: 12, leased: 0, left: 0 });
    // Both always chose the first response in dataset order: full agreement, despite the flips.
    expect(stats.percent_agreement.with_ties).toBe(1);
  });

  it("exports no row from a repeat", async () => {
    const repeatJudgments = new Set(
      (sqlite().prepare("SELECT j.id FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND j.source = 'repeat'").all(batchId) as Array<{ id: string }>).map((r) => r.id),
    );
    expect(repeatJudgments.size).toBe(6);
    const exportLines = async (options: Record<string, unknown>) => {
      const parts: Buffer[] = [];
      for await (const chunk of streamExport(batchId, options)) parts.push(Buffer.from(chunk));
      return Buffer.concat(parts).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const judgments = await exportLines({ format: "judgments" });
    expect(judgments).toHaveLength(12);
    expect(judgments.filter((j) => repeatJudgments.has(j.judgment_id as string))).toEqual([]);
    const pairs = await exportLines({ format: "trl-preference", consensus: "all" });
    expect(pairs).toHaveLength(12);
  });
});

describe("self-consistency off and skipped repeats", () => {
  it("gives no repeat with share 0", () => {
    const batchId = createBatch({ dataset: "ds", name: "off", task: "pairwise", overlap: 1, reviewers: ["plain"], config: { gold: { rate: 0 } } }).id;
    const steps = judgeAll(batchId, "u-plain", false);
    expect(steps.map((s) => s.kind)).toEqual(Array(6).fill("review"));
    expect(sqlite().prepare("SELECT count(*) AS n FROM assignments WHERE batch_id = ? AND kind = 'repeat'").get(batchId)).toEqual({ n: 0 });
    expect(batchStats(batchId).per_reviewer[0]!.self_agreement).toEqual({ agreed: 0, repeated: 0, rate: null });
    expect(batchStats(batchId).reasons["self_agreement.rate"]).toMatch(/off/);
  });

  it("marks a skipped repeat skipped, and nothing else", () => {
    const batchId = createBatch({ dataset: "ds", name: "skip", task: "pairwise", overlap: 1, reviewers: ["skipper"], config: { selfConsistency: { share: 0.5 }, gold: { rate: 0 } } }).id;
    for (let n = 0; n < 4; n++) {
      const view = nextAssignment(batchId, "u-skipper")!;
      submitJudgment(view.id, "u-skipper", { client_id: `skip-${n}`, preferred: view.responses[0]!.id, strength: 1 });
    }
    const progress = reviewProgress(batchId, "u-skipper");
    const repeat = nextAssignment(batchId, "u-skipper")!;
    expect(kindOf(repeat.id)).toBe("repeat");
    const counters = itemCounters(repeat.item_id);
    skipAssignment(repeat.id, "u-skipper");
    expect(sqlite().prepare("SELECT status FROM assignments WHERE id = ?").get(repeat.id)).toEqual({ status: "skipped" });
    expect(itemCounters(repeat.item_id)).toEqual(counters);
    expect(reviewProgress(batchId, "u-skipper")).toEqual(progress);
    expect(skippedItems(batchId, "u-skipper")).toEqual([]);
    // The skipped repeat counts as given: the next item is a review.
    const next = nextAssignment(batchId, "u-skipper")!;
    expect(kindOf(next.id)).toBe("review");
  });

  it("lets an expired repeat go without releasing a claim, and renews it", () => {
    const batchId = createBatch({ dataset: "ds", name: "expire", task: "pairwise", overlap: 1, reviewers: ["skipper"], config: { selfConsistency: { share: 0.5 }, gold: { rate: 0 } } }).id;
    const t0 = Date.now();
    for (let n = 0; n < 4; n++) {
      const view = nextAssignment(batchId, "u-skipper", t0)!;
      submitJudgment(view.id, "u-skipper", { client_id: `expire-${n}`, preferred: view.responses[0]!.id, strength: 1 }, t0);
    }
    const repeat = nextAssignment(batchId, "u-skipper", t0)!;
    expect(kindOf(repeat.id)).toBe("repeat");
    const claims = (sqlite().prepare("SELECT sum(claims) AS n FROM items WHERE batch_id = ?").get(batchId) as { n: number }).n;
    // Two hours later the lease has expired; the next request gives the same repeat back.
    const later = t0 + 2 * 3600_000;
    const again = nextAssignment(batchId, "u-skipper", later)!;
    expect(again.id).toBe(repeat.id);
    expect((sqlite().prepare("SELECT sum(claims) AS n FROM items WHERE batch_id = ?").get(batchId) as { n: number }).n).toBe(claims);
    submitJudgment(again.id, "u-skipper", { client_id: "expire-repeat", preferred: again.responses[0]!.id, strength: 1 }, later);
    expect((sqlite().prepare("SELECT sum(claims) AS n FROM items WHERE batch_id = ?").get(batchId) as { n: number }).n).toBe(claims);
    expect(batchStats(batchId).per_reviewer[0]!.self_agreement).toEqual({ agreed: 0, repeated: 1, rate: 0 });
  });
});
