import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, addBatchReviewers, changeBatchStatus } = await import("~/services/batches.server");
const { batchDetail, batchProgress, removeBatchReviewers, setBatchOverlap, updateBatch } = await import("~/services/batch-admin.server");
const { nextAssignment, skipAssignment, guidelinesCollapsed, setGuidelinesCollapsed } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { createArenaBatch } = await import("~/services/arena.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

const insertUser = () => sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
const ids: Record<string, string> = {};
function addUsers(...names: string[]) {
  for (const name of names) {
    insertUser().run(`id-${name}`, name, name.toUpperCase());
    ids[name] = `id-${name}`;
  }
}

let seq = 0;
function judge(assignmentId: string, reviewerId: string) {
  submitJudgment(assignmentId, reviewerId, { preferred: "tie", client_id: `c-${++seq}` });
}
/** Judges every item the reviewer can get; returns how many. */
function judgeAll(batchId: string, reviewerId: string): number {
  let n = 0;
  for (let next = nextAssignment(batchId, reviewerId); next; next = nextAssignment(batchId, reviewerId)) {
    judge(next.id, reviewerId);
    n++;
  }
  return n;
}

const auditOf = (batchId: string, action: string) =>
  (sqlite().prepare("SELECT user_id, detail FROM audit_log WHERE subject = ? AND action = ? ORDER BY at, id").all(batchId, action) as Array<{ user_id: string | null; detail: string }>).map((r) => ({
    user: r.user_id,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));

const claimsOf = (batchId: string) => sqlite().prepare("SELECT claims, open FROM items WHERE batch_id = ? ORDER BY position").all(batchId) as Array<{ claims: number; open: number }>;

beforeAll(async () => {
  const lines = Array.from({ length: 3 }, (_, i) =>
    JSON.stringify({ id: `p${i}`, prompt: `Question ${i}`, responses: [{ model: "a", text: `a${i}` }, { model: "b", text: `b${i}` }] }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
  addUsers("admin1", "ann", "bob", "cat", "dan");
  sqlite().prepare("UPDATE users SET role = 'admin' WHERE username = 'admin1'").run();
});

describe("updateBatch", () => {
  it("renames a batch and replaces its guidelines; reviewers see the new guidelines with their next item, open again", () => {
    const { id } = createBatch({ dataset: "ds", name: "edit me", task: "pairwise", reviewers: ["ann"], config: { guidelines: "Old rules", scale: "3-point" } });
    const first = nextAssignment(id, ids.ann!)!;
    expect(first.config.guidelines).toBe("Old rules");
    setGuidelinesCollapsed(id, ids.ann!, true);

    expect(updateBatch(id, { name: "  edited  ", guidelines: "New rules\r\nsecond line" }, ids.admin1)).toEqual({ changed: ["name", "guidelines"] });
    judge(first.id, ids.ann!);
    const next = nextAssignment(id, ids.ann!)!;
    expect(next.config.guidelines).toBe("New rules\nsecond line");
    expect(next.config.scale).toBe("3-point"); // the rest of the config is kept
    expect(guidelinesCollapsed(id, ids.ann!)).toBe(false);
    expect(batchDetail(id).name).toBe("edited");
    expect(auditOf(id, "batch.update")).toEqual([
      { user: ids.admin1, detail: { name: { from: "edit me", to: "edited" }, guidelines: { from_characters: 9, to_characters: 21 } } },
    ]);

    // The same values again change nothing and write no audit entry.
    expect(updateBatch(id, { name: "edited", guidelines: "New rules\nsecond line" })).toEqual({ changed: [] });
    expect(auditOf(id, "batch.update")).toHaveLength(1);
  });

  it("refuses an empty name and over-long guidelines with a message under the field, changing nothing", () => {
    const { id } = createBatch({ dataset: "ds", name: "kept", task: "pairwise", reviewers: ["ann"] });
    expect(errorOf(() => updateBatch(id, { name: "   " })).details).toEqual({ fields: { name: "required" } });
    const long = errorOf(() => updateBatch(id, { name: "other", guidelines: "x".repeat(50_001) }));
    expect(long.status).toBe(400);
    expect(long.details).toEqual({ fields: { guidelines: "the guidelines are 50,001 characters, more than 50,000" } });
    expect(batchDetail(id).name).toBe("kept");
    expect(errorOf(() => updateBatch(id, {})).status).toBe(400);
    expect(errorOf(() => updateBatch("no-such-batch", { name: "x" })).status).toBe(404);
  });
});

describe("removeBatchReviewers", () => {
  it("gives a removed reviewer's lease to another reviewer, gives them no items and keeps their judgments", () => {
    const { id } = createBatch({ dataset: "ds", name: "remove", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] });
    const judged = nextAssignment(id, ids.ann!)!;
    judge(judged.id, ids.ann!);
    const held = nextAssignment(id, ids.ann!)!;
    // Bob takes the third item; the one Ann holds is nobody else's while her lease lives.
    judgeAll(id, ids.bob!);
    expect(nextAssignment(id, ids.bob!)).toBeNull();

    expect(removeBatchReviewers(id, ["ANN"], ids.admin1)).toEqual({ removed: ["ann"], released: 1 });
    expect(errorOf(() => nextAssignment(id, ids.ann!)).status).toBe(403);
    const given = nextAssignment(id, ids.bob!)!;
    expect(given.item_id).toBe(held.item_id);
    judge(given.id, ids.bob!);
    expect(claimsOf(id).every((c) => c.claims === 1 && c.open === 0)).toBe(true);

    const progress = batchProgress(id);
    expect(progress.map((r) => [r.username, r.member, r.done, r.leased, r.left])).toEqual([
      ["bob", true, 2, 0, 0],
      ["ann", false, 1, 0, 0],
    ]);
    expect(batchDetail(id).judgments).toBe(3);
    expect(auditOf(id, "batch.remove_reviewers")).toEqual([{ user: ids.admin1, detail: { removed: ["ann"], released: 1 } }]);

    // Added back, Ann sees only what is still open for her: nothing here.
    addBatchReviewers(id, ["ann"]);
    expect(nextAssignment(id, ids.ann!)).toBeNull();
  });

  it("refuses names that do not review the batch, and removing every reviewer", () => {
    const { id } = createBatch({ dataset: "ds", name: "refuse removal", task: "pairwise", reviewers: ["ann", "bob"] });
    expect(errorOf(() => removeBatchReviewers(id, ["cat", "ghost", "ann"])).details).toEqual({ fields: { reviewers: "not reviewers of this batch: cat, ghost" } });
    expect(errorOf(() => removeBatchReviewers(id, ["ann", "bob"])).details).toEqual({
      fields: { reviewers: "a batch keeps at least one reviewer: add the new reviewers before removing the last ones" },
    });
    expect(errorOf(() => removeBatchReviewers(id, [" "])).details).toEqual({ fields: { reviewers: "choose at least one reviewer to remove" } });
    expect(batchProgress(id).map((r) => r.username)).toEqual(["ann", "bob"]);
    expect(auditOf(id, "batch.remove_reviewers")).toEqual([]);
  });
});

describe("setBatchOverlap", () => {
  it("raising the overlap reopens finished items, and a newly added reviewer gets them", () => {
    const { id } = createBatch({ dataset: "ds", name: "raise", task: "pairwise", overlap: 1, reviewers: ["ann"] });
    expect(judgeAll(id, ids.ann!)).toBe(3);
    expect(claimsOf(id).every((c) => c.open === 0)).toBe(true);

    // Two reviewers per item needs a second reviewer first.
    expect(errorOf(() => setBatchOverlap(id, 2)).details).toEqual({ fields: { overlap: "2 is more than the 1 enabled reviewer of this batch: add reviewers first" } });
    addBatchReviewers(id, ["cat"], ids.admin1);
    expect(setBatchOverlap(id, 2, ids.admin1)).toEqual({ from: 1, to: 2, reopened: 3 });
    expect(batchDetail(id)).toMatchObject({ overlap: 2, needed: 6, judgments: 3 });
    expect(nextAssignment(id, ids.ann!)).toBeNull(); // Ann judged them all already
    expect(judgeAll(id, ids.cat!)).toBe(3);
    expect(claimsOf(id).every((c) => c.claims === 2 && c.open === 0)).toBe(true);
    expect(auditOf(id, "batch.set_overlap")).toEqual([{ user: ids.admin1, detail: { from: 1, to: 2, reopened: 3 } }]);
  });

  it("refuses lowering, bad numbers and an arena with a message under the field", () => {
    const { id } = createBatch({ dataset: "ds", name: "lower", task: "pairwise", overlap: 2, reviewers: ["ann", "bob"] });
    expect(errorOf(() => setBatchOverlap(id, 1)).details).toEqual({
      fields: { overlap: "1 is below the current overlap 2: an overlap can only be raised (judgments already made stay counted)" },
    });
    expect(errorOf(() => setBatchOverlap(id, 0)).details).toEqual({ fields: { overlap: "0 is below 1" } });
    expect(errorOf(() => setBatchOverlap(id, 1.5)).details).toEqual({ fields: { overlap: "1.5 is not a whole number" } });
    expect(errorOf(() => setBatchOverlap(id, 51)).details).toEqual({ fields: { overlap: "51 is more than 50" } });
    expect(setBatchOverlap(id, 2)).toEqual({ from: 2, to: 2, reopened: 0 });
    expect(auditOf(id, "batch.set_overlap")).toEqual([]);

    const arena = createArenaBatch({ dataset: "arena-ds", name: "arena", reviewers: ["ann", "bob"], endpoints: [
      { label: "left", url: "http://127.0.0.1:9/v1", model: "m1" },
      { label: "right", url: "http://127.0.0.1:9/v1", model: "m2" },
    ] });
    expect(errorOf(() => setBatchOverlap(arena.id, 2)).details).toEqual({ fields: { overlap: "an arena's overlap stays 1: each battle is its reviewer's own" } });
    // The batch page names an arena's endpoints by label, never by URL or model.
    const detail = batchDetail(arena.id);
    expect(detail.arena).toEqual({ endpoints: ["left", "right"] });
    expect(JSON.stringify(detail)).not.toMatch(/127\.0\.0\.1|"m1"|"m2"/);
  });
});

describe("batchDetail", () => {
  it("counts each reviewer's done, leased, left, skipped and skipped items waiting for another reviewer", () => {
    const { id } = createBatch({ dataset: "ds", name: "progress", task: "pairwise", overlap: 1, reviewers: ["bob", "dan"] });
    judge(nextAssignment(id, ids.bob!)!.id, ids.bob!);
    skipAssignment(nextAssignment(id, ids.dan!)!.id, ids.dan!);
    expect(nextAssignment(id, ids.dan!)).not.toBeNull(); // held: a live lease
    const detail = batchDetail(id);
    expect(detail).toMatchObject({ items: 3, judgments: 1, needed: 3, leased: 1, skipped: 1, needsReviewer: 0, maxClaims: 1 });
    expect(detail.reviewers.map((r) => ({ user: r.username, done: r.done, leased: r.leased, left: r.left, skipped: r.skipped, waiting: r.skippedWaiting }))).toEqual([
      { user: "bob", done: 1, leased: 0, left: 1, skipped: 0, waiting: 0 },
      { user: "dan", done: 0, leased: 1, left: 1, skipped: 1, waiting: 1 },
    ]);
    changeBatchStatus(id, "pause");
    expect(batchDetail(id).status).toBe("paused");
  });
});

describe("the CLI", () => {
  it("shows a batch, edits it, removes reviewers and raises the overlap, refusing bad input", async () => {
    const { id } = createBatch({ dataset: "ds", name: "cli batch", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] });
    const show = await runCli(["batches", "show", id, "--json"]);
    expect(show.stderr).toBe("");
    expect(JSON.parse(show.stdout)).toMatchObject({ id, name: "cli batch", overlap: 1, items: 3, reviewers: [{ username: "ann" }, { username: "bob" }] });
    const text = await runCli(["batches", "show", id]);
    expect(text.stdout).toContain("cli batch");
    expect(text.stdout).toMatch(/REVIEWER {2}DONE {2}LEASED {2}LEFT {2}SKIPPED {2}WAITING\nann {5}\s+0\s+0\s+3\s+0\s+0\nbob/);

    writeFileSync(join(dir, "guidelines.md"), "# Rules\nPrefer the honest answer.\n");
    const edit = await runCli(["batches", "edit", id, "--name", "cli renamed", "--guidelines-file", join(dir, "guidelines.md")]);
    expect(edit).toMatchObject({ status: 0, stdout: `batch ${id}: changed name and guidelines\n` });
    expect(batchDetail(id).config.guidelines).toBe("# Rules\nPrefer the honest answer.\n");
    expect((await runCli(["batches", "edit", id])).status).toBe(2);

    const remove = await runCli(["batches", "remove-reviewers", id, "--reviewers", "bob", "--json"]);
    expect(JSON.parse(remove.stdout)).toEqual({ removed: ["bob"], released: 0 });
    const stranger = await runCli(["batches", "remove-reviewers", id, "--reviewers", "cat"]);
    expect(stranger).toMatchObject({ status: 1, stderr: "error: reviewers: not reviewers of this batch: cat\n" });

    expect((await runCli(["batches", "add-reviewers", id, "--reviewers", "cat"])).status).toBe(0);
    expect(await runCli(["batches", "set-overlap", id, "2"])).toMatchObject({ status: 0, stdout: `batch ${id}: overlap 1 → 2, 0 items reopened\n` });
    expect(await runCli(["batches", "set-overlap", id, "1"])).toMatchObject({
      status: 1,
      stderr: "error: overlap: 1 is below the current overlap 2: an overlap can only be raised (judgments already made stay counted)\n",
    });
    expect((await runCli(["batches", "set-overlap", id, "two"])).status).toBe(2);
    expect(auditOf(id, "batch.update").map((a) => a.user)).toEqual([null]);
  }, 60_000);
});
