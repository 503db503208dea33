import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, setUpTempDatabase, errorOf } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, listBatches, itemsNeedingReviewer, addBatchReviewers } = await import("~/services/batches.server");
const { nextAssignment, skipAssignment, skippedItems, takeBackSkipped, reviewProgress, judgedPosition, guidelinesCollapsed, setGuidelinesCollapsed } =
  await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { batchStats } = await import("~/services/stats.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

function addUsers(...names: string[]): Record<string, string> {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  return Object.fromEntries(names.map((name) => (insert.run(`id-${name}`, name, name), [name, `id-${name}`])));
}

let seq = 0;
/** Judges the reviewer's next item as a tie; returns its assignment id, or null when nothing is left. */
function judgeNext(batchId: string, reviewerId: string): string | null {
  const next = nextAssignment(batchId, reviewerId);
  if (!next) return null;
  submitJudgment(next.id, reviewerId, { preferred: "tie", client_id: `client-${++seq}-${next.id}` });
  return next.id;
}

function judgeAll(batchId: string, reviewerId: string): number {
  let n = 0;
  while (judgeNext(batchId, reviewerId)) n++;
  return n;
}

const ids = addUsers("ann", "bob", "cat", "dan", "eve");

beforeAll(async () => {
  const lines = Array.from({ length: 4 }, (_, i) =>
    JSON.stringify({ id: `p${i}`, messages: [{ role: "user", content: `Question ${i}: ${"why? ".repeat(40)}` }], responses: [{ model: "a", text: `a${i}` }, { model: "b", text: `b${i}` }] }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
});

describe("a skipped item when every reviewer is needed", () => {
  let batchId = "";
  it("is counted as needing another reviewer once the others are done, and the batch cannot finish", () => {
    batchId = createBatch({ dataset: "ds", name: "full overlap", task: "pairwise", overlap: 2, reviewers: ["ann", "bob"] }).id;
    const first = nextAssignment(batchId, ids.ann!)!;
    skipAssignment(first.id, ids.ann!);
    expect(judgeAll(batchId, ids.ann!)).toBe(3);
    expect(judgeAll(batchId, ids.bob!)).toBe(4);
    expect(itemsNeedingReviewer(batchId)).toBe(1);
    const summary = listBatches().find((b) => b.id === batchId)!;
    expect(summary).toMatchObject({ needsReviewer: 1, skipped: 1, judgments: 7 });
    expect(batchStats(batchId).progress).toMatchObject({ done: 7, needed: 8, left: 1, needs_reviewer: 1 });
    expect(nextAssignment(batchId, ids.ann!)).toBeNull();
    expect(reviewProgress(batchId, ids.ann!)).toMatchObject({ mine: 3, left: 0, skipped: 1 });
  });

  it("is finished by a reviewer the admin adds", () => {
    expect(addBatchReviewers(batchId, ["cat", "ann"])).toEqual({ added: ["cat"], already: ["ann"] });
    expect(itemsNeedingReviewer(batchId)).toBe(0);
    expect(batchStats(batchId).progress.needs_reviewer).toBe(0);
    expect(judgeAll(batchId, ids.cat!)).toBe(1);
    const left = sqlite().prepare("SELECT count(*) AS n FROM items WHERE batch_id = ? AND submitted < 2").get(batchId);
    expect(left).toEqual({ n: 0 });
    expect(listBatches().find((b) => b.id === batchId)!.judgments).toBe(8);
  });

  it("refuses unknown or disabled reviewers by name, and an empty list", () => {
    sqlite().prepare("UPDATE users SET disabled = 1 WHERE username = 'eve'").run();
    const error = errorOf(() => addBatchReviewers(batchId, ["nobody", "eve", "dan"]));
    expect(error.code).toBe("invalid");
    expect(error.message).toBe("reviewers: unknown or disabled: nobody, eve");
    expect(sqlite().prepare("SELECT count(*) AS n FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = ? AND u.username = 'dan'").get(batchId)).toEqual({ n: 0 });
    expect(errorOf(() => addBatchReviewers(batchId, [" ", ""])).code).toBe("invalid");
    expect(errorOf(() => addBatchReviewers("no-such-batch", ["dan"])).code).toBe("not_found");
    sqlite().prepare("UPDATE users SET disabled = 0 WHERE username = 'eve'").run();
  });
});

describe("taking a skipped item back", () => {
  it("leases it to the reviewer again while it still needs a judgment", () => {
    const batchId = createBatch({ dataset: "ds", name: "take back", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] }).id;
    const first = nextAssignment(batchId, ids.ann!)!;
    skipAssignment(first.id, ids.ann!);
    const listed = skippedItems(batchId, ids.ann!);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ assignment_id: first.id, can_take_back: true });
    expect(listed[0]!.prompt_preview).toMatch(/^Question \d: why\? why\?/);
    expect(listed[0]!.prompt_preview.length).toBeLessThanOrEqual(140);

    const taken = takeBackSkipped(first.id, ids.ann!);
    expect(taken.id).toBe(first.id);
    expect(taken.responses.map((r) => r.id)).toEqual(first.responses.map((r) => r.id)); // same display order
    expect(skippedItems(batchId, ids.ann!)).toEqual([]);
    submitJudgment(first.id, ids.ann!, { preferred: "tie", client_id: "taken-back-1" });
    expect(reviewProgress(batchId, ids.ann!)).toMatchObject({ mine: 1, skipped: 0 });
    expect(errorOf(() => takeBackSkipped(first.id, ids.ann!)).code).toBe("conflict");
  });

  it("is refused once others judged the item as often as the batch needs", () => {
    const batchId = createBatch({ dataset: "ds", name: "too late", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] }).id;
    const first = nextAssignment(batchId, ids.ann!)!;
    skipAssignment(first.id, ids.ann!);
    judgeAll(batchId, ids.bob!);
    expect(skippedItems(batchId, ids.ann!)[0]).toMatchObject({ can_take_back: false });
    const error = errorOf(() => takeBackSkipped(first.id, ids.ann!));
    expect(error.code).toBe("conflict");
    expect(error.message).toContain("other reviewers have judged this item");
    expect(errorOf(() => takeBackSkipped(first.id, ids.bob!)).code).toBe("not_found");
    expect(errorOf(() => skippedItems(batchId, ids.cat!)).code).toBe("forbidden");
  });
});

describe("a batch with fewer enabled reviewers than its overlap", () => {
  it("counts every item the remaining reviewers cannot finish", () => {
    const batchId = createBatch({ dataset: "ds", name: "short-handed", task: "pairwise", overlap: 2, reviewers: ["dan", "eve"] }).id;
    judgeNext(batchId, ids.eve!);
    expect(itemsNeedingReviewer(batchId)).toBe(0);
    sqlite().prepare("UPDATE users SET disabled = 1 WHERE username = 'eve'").run();
    // Eve judged one item: Dan alone can finish it; the other three need two judgments and have one reviewer.
    expect(itemsNeedingReviewer(batchId)).toBe(3);
    sqlite().prepare("UPDATE users SET disabled = 0 WHERE username = 'eve'").run();
  });
});

describe("the reviewer's place and preferences in a batch", () => {
  it("numbers judged items oldest first", () => {
    const batchId = createBatch({ dataset: "ds", name: "positions", task: "pairwise", overlap: 1, reviewers: ["cat"] }).id;
    const judged = [judgeNext(batchId, ids.cat!)!, judgeNext(batchId, ids.cat!)!, judgeNext(batchId, ids.cat!)!];
    expect(judged.map((id) => judgedPosition(id, ids.cat!))).toEqual([
      { position: 1, of: 3 },
      { position: 2, of: 3 },
      { position: 3, of: 3 },
    ]);
    expect(judgedPosition(judged[0]!, ids.ann!)).toBeNull();
  });

  it("keeps guidelines open until the reviewer collapses them, per batch", () => {
    const one = createBatch({ dataset: "ds", name: "guided one", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] }).id;
    const two = createBatch({ dataset: "ds", name: "guided two", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
    expect(guidelinesCollapsed(one, ids.ann!)).toBe(false);
    setGuidelinesCollapsed(one, ids.ann!, true);
    expect([guidelinesCollapsed(one, ids.ann!), guidelinesCollapsed(two, ids.ann!), guidelinesCollapsed(one, ids.bob!)]).toEqual([true, false, false]);
    setGuidelinesCollapsed(one, ids.ann!, false);
    expect(guidelinesCollapsed(one, ids.ann!)).toBe(false);
    expect(errorOf(() => setGuidelinesCollapsed(two, ids.bob!, true)).code).toBe("forbidden");
  });
});

describe("the CLI", () => {
  it("adds reviewers and lists items that need another reviewer", async () => {
    const batchId = createBatch({ dataset: "ds", name: "cli skips", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
    const first = nextAssignment(batchId, ids.ann!)!;
    skipAssignment(first.id, ids.ann!);
    closeConnection();
    const env = { VERDICT_DB: dbPath };
    const list = await runCli(["batches", "list"], { env });
    expect(list.status).toBe(0);
    expect(list.stdout.split("\n").find((line) => line.startsWith(batchId))).toMatch(/cli skips \(ds\) {2}1 needs another reviewer$/);
    const stats = await runCli(["stats", "--batch", batchId], { env });
    expect(stats.stdout).toContain(`progress: 0 of 4 judgments done, 0 leased; 1 item needs another reviewer (batches add-reviewers ${batchId} --reviewers …)`);
    expect(JSON.parse((await runCli(["stats", "--batch", batchId, "--json"], { env })).stdout).progress.needs_reviewer).toBe(1);
    const added = await runCli(["batches", "add-reviewers", batchId, "--reviewers", "bob,ann", "--json"], { env });
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ added: ["bob"], already: ["ann"] });
    const refused = await runCli(["batches", "add-reviewers", batchId, "--reviewers", "zed"], { env });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("error: reviewers: unknown or disabled: zed");
    expect((await runCli(["batches", "add-reviewers", batchId], { env })).status).toBe(2);
    const json = JSON.parse((await runCli(["batches", "list", "--json"], { env })).stdout) as Array<{ id: string; needsReviewer: number }>;
    expect(json.find((b) => b.id === batchId)!.needsReviewer).toBe(0);
  });
});
