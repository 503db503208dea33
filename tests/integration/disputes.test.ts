import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

// The disputes queue: items whose reviewers split on the direction or on a flag, most split first.
const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { listDisputes } = await import("~/services/disputes.server");
const awaitImports = await import("~/services/adjudication.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

let batchId = "";
/** Who prefers which model on each prompt (by position), and who flags what. */
const plan: Record<string, Array<{ prefers: "a" | "b" | "tie"; flag?: "a" | "b"; rationale?: string }>> = {
  ann: [{ prefers: "a" }, { prefers: "a" }, { prefers: "a", flag: "b" }, { prefers: "a" }, { prefers: "b" }],
  ben: [{ prefers: "a" }, { prefers: "b", rationale: "B cites a source" }, { prefers: "a" }, { prefers: "tie" }, { prefers: "b" }],
  cat: [{ prefers: "a" }, { prefers: "b" }, { prefers: "a" }, { prefers: "a" }, { prefers: "b" }],
};

beforeAll(async () => {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of Object.keys(plan)) insert.run(`u-${name}`, name, name);
  const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: `Question ${i}? <script>alert(1)</script>`, responses: [{ id: "a", model: "a", text: `A${i}` }, { id: "b", model: "b", text: `B${i}` }] }));
  writeFileSync(join(dir, "d.jsonl"), lines.join("\n"));
  await importFile(join(dir, "d.jsonl"), { dataset: "d" });
  batchId = createBatch({ dataset: "d", name: "Split", task: "pairwise", overlap: 3, reviewers: Object.keys(plan) }).id;
  for (const [name, choices] of Object.entries(plan)) {
    for (let n = 0; ; n++) {
      const assignment = nextAssignment(batchId, `u-${name}`);
      if (!assignment) break;
      const item = sqlite().prepare("SELECT position, response_ids FROM items WHERE id = ?").get(assignment.item_id) as { position: number; response_ids: string };
      const choice = choices[item.position]!;
      // Blind batches do not tell reviewers the model: the item's ids are in dataset order (a, b).
      const idOf = (model: "a" | "b") => (JSON.parse(item.response_ids) as string[])[model === "a" ? 0 : 1]!;
      submitJudgment(assignment.id, `u-${name}`, {
        client_id: `${name}-${n}`,
        preferred: choice.prefers === "tie" ? "tie" : idOf(choice.prefers),
        ...(choice.prefers === "tie" ? {} : { strength: 2 }),
        flags: choice.flag ? [{ response_id: idOf(choice.flag), flag: "hallucination", note: "made up" }] : [],
        rationale: choice.rationale ?? "",
      });
    }
  }
});

describe("listDisputes", () => {
  it("lists split items, most split first, with every judgment side by side", () => {
    const page = listDisputes(batchId);
    expect(page).toMatchObject({ judged_items: 5, total: 3, limit: 20, offset: 0 });
    // Item 1: 1 of 3 for a (split 1/3); item 2: a flag by 1 of 3 (1/3); item 3: a tie among a's (1/3). Item 0 and 4 agree.
    expect(page.items.map((item) => item.position)).toEqual([1, 2, 3]);
    expect(page.items.map((item) => item.split)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const [direction, flagged, tie] = page.items;
    expect(direction).toMatchObject({ direction: true, flags: [] });
    const bOf = (item: typeof direction) => item!.responses.find((r) => r.model === "b")!.id;
    expect(direction!.judgments.map((j) => [j.reviewer, j.choice === bOf(direction) ? "b" : "a", j.strength])).toEqual([
      ["ann", "a", 2],
      ["ben", "b", 2],
      ["cat", "b", 2],
    ]);
    expect(direction!.judgments[1]!.rationale).toBe("B cites a source");
    expect(flagged).toMatchObject({ direction: false, flags: [`${bOf(flagged)}:hallucination`] });
    expect(flagged!.judgments[0]!.flags).toEqual([{ response_id: bOf(flagged), flag: "hallucination", note: "made up" }]);
    expect(tie!.judgments.map((j) => j.choice)).toContain("tie");
    // The texts come as stored: rendering them inert is the page's job.
    expect(direction!.prompt).toEqual([{ role: "user", content: "Question 1? <script>alert(1)</script>" }]);
    expect(direction!.responses.map((r) => r.text)).toEqual(["A1", "B1"]);
  });

  it("pages, and refuses a bad page or an unknown batch", () => {
    expect(listDisputes(batchId, { limit: 2 }).items.map((i) => i.position)).toEqual([1, 2]);
    expect(listDisputes(batchId, { limit: 2, offset: 2 }).items.map((i) => i.position)).toEqual([3]);
    expect(errorOf(() => listDisputes(batchId, { limit: 0 })).details).toEqual({ fields: { limit: "at least 1" } });
    expect(errorOf(() => listDisputes("no-such-batch")).status).toBe(404);
  });

  it("is on the command line: disputes list --batch ID --json", async () => {
    const run = await runCli(["disputes", "list", "--batch", batchId, "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { total: number }).total).toBe(3);
    const text = await runCli(["disputes", "list", "--batch", batchId]);
    expect(text.stdout).toMatch(/^#1 \S+ {2}split 0\.33 {2}direction\n {4}ann: \S+ \(2\); ben: \S+ \(2\); cat: \S+ \(2\)\n/);
    expect(text.stdout).toMatch(/3 disputed of 5 items with two or more judgments\n$/);
  }, 60_000);
});

describe("resolveDispute", () => {
  const { resolveDispute, adjudicatorId } = awaitImports;
  const itemAt = (position: number) => (sqlite().prepare("SELECT id FROM items WHERE batch_id = ? AND position = ?").get(batchId, position) as { id: string }).id;
  const internalOf = (itemId: string, external: string) =>
    (sqlite().prepare("SELECT r.id FROM responses r, items i, json_each(i.response_ids) e WHERE i.id = ? AND r.id = e.value AND r.external_id = ?").get(itemId, external) as { id: string }).id;

  beforeAll(() => {
    sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-boss', 'boss', 'Boss', 'admin', 'x', 0)").run();
  });

  it("stores the admin's verdict as an adjudicated judgment beside the votes, without pairs or a claim", () => {
    const item = itemAt(1);
    const before = sqlite().prepare("SELECT claims, submitted, open FROM items WHERE id = ?").get(item);
    const pairsBefore = (sqlite().prepare("SELECT count(*) AS n FROM preference_pairs WHERE item_id = ?").get(item) as { n: number }).n;
    // External ids ("b" in the dataset) are taken as well as internal ones.
    const verdict = resolveDispute(item, "u-boss", { preferred: "b", strength: 3, note: "B is right: it cites the source", flags: [{ response_id: "a", flag: "hallucination" }] });
    const b = internalOf(item, "b");
    expect(verdict).toMatchObject({ item_id: item, by: "boss", payload: { task: "pairwise", preferred: b, strength: 3, bothBad: false }, note: "B is right: it cites the source" });
    expect(verdict.flags).toEqual([{ response_id: internalOf(item, "a"), flag: "hallucination", note: "" }]);
    expect(sqlite().prepare("SELECT source FROM judgments WHERE id = ?").get(verdict.judgment_id)).toEqual({ source: "adjudicated" });
    expect(sqlite().prepare("SELECT claims, submitted, open FROM items WHERE id = ?").get(item)).toEqual(before);
    expect((sqlite().prepare("SELECT count(*) AS n FROM preference_pairs WHERE item_id = ?").get(item) as { n: number }).n).toBe(pairsBefore);
    const audit = sqlite().prepare("SELECT user_id, action, subject FROM audit_log WHERE action = 'dispute.resolve'").all();
    expect(audit).toEqual([{ user_id: "u-boss", action: "dispute.resolve", subject: item }]);

    // The queue shows the verdict; the votes and the split stay the reviewers' own.
    const page = listDisputes(batchId);
    expect(page).toMatchObject({ judged_items: 5, total: 3 });
    const shown = page.items.find((i) => i.item_id === item)!;
    expect(shown.judgments.map((j) => j.reviewer)).toEqual(["ann", "ben", "cat"]);
    expect(shown.split).toBe(1 / 3);
    expect(shown.adjudication).toMatchObject({ by: "boss", payload: { preferred: b } });
    expect(page.items.filter((i) => i.item_id !== item).map((i) => i.adjudication)).toEqual([null, null]);
    expect(listDisputes(batchId, { status: "open" }).items.map((i) => i.position)).toEqual([2, 3]);
    expect(listDisputes(batchId, { status: "resolved" }).items.map((i) => i.position)).toEqual([1]);
    expect(errorOf(() => listDisputes(batchId, { status: "done" })).details).toEqual({ fields: { status: "open, resolved or all" } });
    // Agreement statistics do not count the verdict as a fourth reviewer.
    expect((sqlite().prepare("SELECT count(*) AS n FROM judgments WHERE item_id = ? AND source = 'reviewer'").get(item) as { n: number }).n).toBe(3);
  });

  it("replaces the admin's earlier verdict on the item rather than adding a second", () => {
    const item = itemAt(1);
    const verdict = resolveDispute(item, "u-boss", { preferred: "tie" });
    expect(verdict.payload).toEqual({ task: "pairwise", preferred: "tie", strength: 0, bothBad: false });
    expect(verdict.flags).toEqual([]);
    expect((sqlite().prepare("SELECT count(*) AS n FROM judgments WHERE item_id = ? AND source = 'adjudicated'").get(item) as { n: number }).n).toBe(1);
    expect(listDisputes(batchId, { status: "resolved" }).items[0]!.adjudication!.payload).toMatchObject({ preferred: "tie" });
  });

  it("refuses a verdict that does not fit the item with field messages, and an unknown item with 404", () => {
    const item = itemAt(2);
    expect(errorOf(() => resolveDispute(item, "u-boss", { preferred: "c", strength: 2 })).details).toEqual({ fields: { preferred: "not a response of this item: c" } });
    expect(errorOf(() => resolveDispute(item, "u-boss", { preferred: "a" })).details).toEqual({ fields: { strength: "required: 1, 2 or 3" } });
    expect(errorOf(() => resolveDispute(item, "u-boss", { preferred: "a", strength: 2, flags: [{ response_id: "a", flag: "boring" }] })).status).toBe(400);
    expect(errorOf(() => resolveDispute("no-such-item", "u-boss", { preferred: "tie" })).status).toBe(404);
    // Nothing was half-written.
    expect((sqlite().prepare("SELECT count(*) AS n FROM judgments WHERE item_id = ? AND source = 'adjudicated'").get(item) as { n: number }).n).toBe(0);
    expect(adjudicatorId()).toBe("u-boss");
    expect(errorOf(() => adjudicatorId("ann")).status).toBe(403);
    expect(errorOf(() => adjudicatorId("nobody")).status).toBe(404);
  });

  it("is on the command line: disputes resolve ITEM --preferred ID --strength S", async () => {
    const item = itemAt(3);
    const run = await runCli(["disputes", "resolve", item, "--preferred", "a", "--strength", "1", "--note", "A is fine", "--flag", "b:hallucination", "--as", "boss", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ item_id: item, by: "boss", payload: { preferred: internalOf(item, "a"), strength: 1 }, note: "A is fine", flags: [{ flag: "hallucination" }] });
    const bad = await runCli(["disputes", "resolve", item, "--preferred", "zzz", "--strength", "1"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/not a response of this item: zzz/);
    const both = await runCli(["disputes", "resolve", item, "--preferred", "a", "--ranking", "a>b"]);
    expect(both.stderr).toMatch(/exactly one of --preferred, --ranking or --scores/);
    const list = await runCli(["disputes", "list", "--batch", batchId, "--status", "resolved"]);
    expect(list.stdout).toMatch(/resolved by boss/);
    expect(list.stdout).toMatch(/2 disputed of 5 items/);
  }, 60_000);
});

describe("sendToMoreReviewers", () => {
  const { sendToMoreReviewers } = awaitImports;
  const itemAt = (position: number) => (sqlite().prepare("SELECT id FROM items WHERE batch_id = ? AND position = ?").get(batchId, position) as { id: string }).id;

  it("refuses when no reviewer of the batch is left to take the item, and a bad count", () => {
    const error = errorOf(() => sendToMoreReviewers(itemAt(2), "u-boss", 1));
    expect(error.status).toBe(409);
    expect(error.message).toMatch(/only 0 reviewers of this batch have not seen this item/);
    expect(errorOf(() => sendToMoreReviewers(itemAt(2), "u-boss", 0)).details).toEqual({ fields: { reviewers: "a whole number from 1 to 20" } });
    expect(errorOf(() => sendToMoreReviewers("no-such-item", "u-boss", 1)).status).toBe(404);
    expect(sqlite().prepare("SELECT extra_overlap, open FROM items WHERE id = ?").get(itemAt(2))).toEqual({ extra_overlap: 0, open: 0 });
  });

  it("reopens the item for K more reviewers: a new reviewer gets it, and only it", async () => {
    const { addBatchReviewers } = await import("~/services/batches.server");
    sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-dan', 'dan', 'dan', 'reviewer', 'x', 0), ('u-eve', 'eve', 'eve', 'reviewer', 'x', 0)").run();
    addBatchReviewers(batchId, ["dan", "eve"]);
    // Every item has its three judgments: nothing for the newcomers yet.
    expect(nextAssignment(batchId, "u-dan")).toBeNull();
    const run = await runCli(["disputes", "send", itemAt(2), "--reviewers", "1", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ item_id: itemAt(2), extra_overlap: 1, eligible: 2 });
    const given = nextAssignment(batchId, "u-dan");
    expect(given?.item_id).toBe(itemAt(2));
    submitJudgment(given!.id, "u-dan", { client_id: "dan-0", preferred: "tie" });
    // One more was asked for, and dan gave it: eve gets nothing.
    expect(nextAssignment(batchId, "u-eve")).toBeNull();
    expect(sqlite().prepare("SELECT claims, submitted, open FROM items WHERE id = ?").get(itemAt(2))).toEqual({ claims: 4, submitted: 4, open: 0 });
    // The new vote joins the dispute.
    expect(listDisputes(batchId).items.find((i) => i.item_id === itemAt(2))!.judgments.map((j) => j.reviewer)).toEqual(["ann", "ben", "cat", "dan"]);
    expect(sqlite().prepare("SELECT user_id, action FROM audit_log WHERE action = 'dispute.send'").all()).toEqual([{ user_id: null, action: "dispute.send" }]);
  }, 60_000);
});

describe("exports follow the verdict", () => {
  const { resolveDispute } = awaitImports;
  const itemAt = (position: number) => (sqlite().prepare("SELECT id FROM items WHERE batch_id = ? AND position = ?").get(batchId, position) as { id: string }).id;
  const exported = async (options: Record<string, unknown>) => {
    const { streamExport } = await import("~/services/exports.server");
    const parts: Buffer[] = [];
    for await (const chunk of streamExport(batchId, options)) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts)
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  it("takes the admin's answer over the reviewers' majority under every policy, even below min_agreement", async () => {
    // Item 1: ann preferred A, ben and cat B. The admin overrules the majority.
    resolveDispute(itemAt(1), "u-boss", { preferred: "a", strength: 3, note: "B's source does not say that" });
    for (const consensus of ["majority", "unanimous", "all"]) {
      const rows = (await exported({ format: "trl-preference", consensus, min_agreement: 0.9, with_ids: true })).filter((r) => r.prompt_id === "p1");
      expect(rows, consensus).toHaveLength(1);
      expect(rows[0]).toMatchObject({ chosen: " A1", rejected: " B1", strength: 3, reviewers: [expect.stringMatching(/^reviewer-/)] });
    }
    // Without the verdict the majority's B would have won: item 4 (everyone B) is unchanged.
    const rows = await exported({ format: "trl-preference", with_ids: true });
    expect(rows.find((r) => r.prompt_id === "p4")).toMatchObject({ chosen: " B4", rejected: " A4" });
    // SFT takes the verdict's best response.
    expect((await exported({ format: "trl-sft", with_ids: true })).find((r) => r.prompt_id === "p1")).toMatchObject({ completion: " A1" });
  });

  it("drops a tie verdict with ties drop, and a response the admin flagged from SFT", async () => {
    resolveDispute(itemAt(1), "u-boss", { preferred: "tie" });
    expect((await exported({ format: "trl-preference", with_ids: true })).filter((r) => r.prompt_id === "p1")).toEqual([]);
    resolveDispute(itemAt(1), "u-boss", { preferred: "a", strength: 2, flags: [{ response_id: "a", flag: "hallucination" }] });
    expect((await exported({ format: "trl-sft", with_ids: true })).filter((r) => r.prompt_id === "p1")).toEqual([]);
    expect((await exported({ format: "trl-preference", with_ids: true, exclude_flags: "hallucination" })).filter((r) => r.prompt_id === "p1")).toEqual([]);
    expect((await exported({ format: "trl-preference", with_ids: true })).filter((r) => r.prompt_id === "p1")).toHaveLength(1);
  });

  it("lists the verdict in the judgments export after the votes, with source adjudicated", async () => {
    const rows = (await exported({ format: "judgments" })).filter((r) => r.prompt_id === "p1");
    expect(rows.map((r) => r.source)).toEqual(["reviewer", "reviewer", "reviewer", "adjudicated"]);
    expect(rows[3]).toMatchObject({ preferred: "a", strength: 2, flags: [{ response_id: "a", flag: "hallucination", note: "" }] });
  });
});
