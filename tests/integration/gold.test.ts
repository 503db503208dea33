import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile, ImportRejected } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment, nextAssignments } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { batchStats } = await import("~/services/stats.server");
const { streamExport } = await import("~/services/exports.server");
const { markItemGold, unmarkItemGold, promoteToGold, resumeReviewer, pauseOf, setPromptGold } = await import("~/services/gold.server");
const { resolveDispute } = await import("~/services/adjudication.server");
const { batchProgress } = await import("~/services/batch-admin.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

const PROMPTS = 60;
/** Every fourth prompt is a check question whose expected answer is beta's response. */
const isGoldPrompt = (i: number) => i < 40 && i % 4 === 0;

beforeAll(async () => {
  const lines = Array.from({ length: PROMPTS }, (_, i) =>
    JSON.stringify({
      id: `p${i}`,
      prompt: `Question ${i}`,
      responses: [
        { id: "a", model: "alpha", text: `alpha answer ${i}` },
        { id: "b", model: "beta", text: `beta answer ${i}` },
      ],
      ...(isGoldPrompt(i) && { gold: { best: "b" } }),
    }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)");
  for (const name of ["careful", "careless", "other"]) insert.run(`u-${name}`, name, name, "reviewer");
  insert.run("u-admin", "admin", "admin", "admin");
});

const goldOfItem = (itemId: string) =>
  sqlite().prepare("SELECT is_gold, gold_answer, open FROM items WHERE id = ?").get(itemId) as { is_gold: number; gold_answer: string | null; open: number };
const responseIdOf = (view: AssignmentView, model: "alpha" | "beta") => view.responses.find((r) => r.external_id === (model === "alpha" ? "a" : "b"))!.id;
let clients = 0;
const judge = (view: AssignmentView, reviewerId: string, model: "alpha" | "beta") =>
  submitJudgment(view.id, reviewerId, { client_id: `c${++clients}`, preferred: responseIdOf(view, model), strength: 2 });

describe("gold items", () => {
  it("imports the gold key as the prompt's answer, by the response's own id", () => {
    const rows = sqlite()
      .prepare("SELECT p.external_id, p.gold_answer, (SELECT id FROM responses r WHERE r.prompt_id = p.id AND r.external_id = 'b') AS beta FROM prompts p ORDER BY p.rowid")
      .all() as Array<{ external_id: string; gold_answer: string | null; beta: string }>;
    expect(rows.filter((r) => r.gold_answer !== null)).toHaveLength(10);
    for (const row of rows.filter((r) => r.gold_answer)) expect(JSON.parse(row.gold_answer!)).toEqual({ best: row.beta });
  });

  it("refuses an import line whose gold answer names no response of the line, writing nothing", async () => {
    writeFileSync(join(dir, "bad.jsonl"), JSON.stringify({ id: "x", prompt: "Q", responses: [{ id: "a", model: "m", text: "t" }], gold: { best: "zzz" } }));
    const error = await importFile(join(dir, "bad.jsonl"), { dataset: "bad" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportRejected);
    expect((error as InstanceType<typeof ImportRejected>).lines.join("\n")).toMatch(/gold: "zzz" is not the id of one of this line's responses/);
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'bad'").get()).toEqual({ n: 0 });
  });

  let batchId = "";
  it("makes a batch's items of gold prompts gold, closed to the overlap queue", () => {
    batchId = createBatch({
      dataset: "ds",
      name: "checked",
      task: "pairwise",
      overlap: 1,
      reviewers: ["careful", "careless", "other"],
      config: { gold: { rate: 0.25, threshold: 0.7, minItems: 3 } },
    }).id;
    const counts = sqlite().prepare("SELECT count(*) FILTER (WHERE is_gold = 1) AS gold, count(*) FILTER (WHERE is_gold = 1 AND open = 1) AS open FROM items WHERE batch_id = ?").get(batchId);
    expect(counts).toEqual({ gold: 10, open: 0 });
  });

  it("mixes gold items into each reviewer's stream at the batch's rate, each gold item to every reviewer", () => {
    const kinds: boolean[] = [];
    for (let n = 0; n < 16; n++) {
      const view = nextAssignment(batchId, "u-careful")!;
      const gold = goldOfItem(view.item_id);
      kinds.push(gold.is_gold === 1);
      // The reviewer's view carries nothing that tells a gold item apart.
      expect(JSON.stringify(view)).not.toMatch(/gold/i);
      judge(view, "u-careful", gold.is_gold ? "beta" : "alpha");
    }
    // Rate 0.25: the 4th, 8th, 12th and 16th items are gold.
    expect(kinds.map((g, i) => (g ? i + 1 : 0)).filter(Boolean)).toEqual([4, 8, 12, 16]);
    // Another reviewer is handed the same gold items although the overlap is 1.
    const theirs: string[] = [];
    for (let n = 0; n < 8; n++) {
      const view = nextAssignment(batchId, "u-other")!;
      if (goldOfItem(view.item_id).is_gold) theirs.push(view.item_id);
      judge(view, "u-other", "beta");
    }
    expect(theirs).toHaveLength(2);
    expect(pauseOf(batchId, "u-careful")).toBeNull();
  });

  it("pauses a careless reviewer after the minimum of gold items, gives back what they held, and says why", () => {
    let paused: string | null = null;
    let goldSeen = 0;
    for (let n = 0; n < 40 && paused === null; n++) {
      const [view] = nextAssignments(batchId, "u-careless", 2);
      const gold = goldOfItem(view!.item_id).is_gold === 1;
      if (gold) goldSeen++;
      // Wrong on every gold item: alpha, where beta is expected.
      paused = judge(view!, "u-careless", "alpha").paused;
    }
    expect(goldSeen).toBe(3);
    expect(paused).toMatch(/You are paused in this batch: you answered 0 of 3 check items as expected \(0%\), below the batch's 70%/);
    // The item leased ahead was given back: no live lease, and the next ask is refused with the reason.
    expect(sqlite().prepare("SELECT count(*) AS n FROM assignments WHERE reviewer_id = 'u-careless' AND status = 'leased'").get()).toEqual({ n: 0 });
    expect(sqlite().prepare("SELECT count(*) AS n FROM items WHERE batch_id = ? AND claims > submitted AND is_gold = 0").get(batchId)).toEqual({ n: 0 });
    const refused = errorOf(() => nextAssignment(batchId, "u-careless"));
    expect(refused.code).toBe("conflict");
    expect(refused.message).toBe(paused);
    expect(batchProgress(batchId).find((r) => r.username === "careless")!.paused).toBe(paused);
    const audit = sqlite().prepare("SELECT subject, detail FROM audit_log WHERE action = 'gold.pause-reviewer'").all() as Array<{ subject: string; detail: string }>;
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ reviewer_id: "u-careless", answered: 3, correct: 0 });
  });

  it("takes a judgment of a gold item whose lease expired, though more reviewers than the overlap hold it", () => {
    const fresh = createBatch({ dataset: "ds", name: "expiry", task: "pairwise", overlap: 1, reviewers: ["careful", "other"], config: { gold: { rate: 0.5 } } }).id;
    const start = Date.now();
    const goldView = (reviewerId: string) => {
      for (let n = 0; n < 4; n++) {
        const view = nextAssignment(fresh, reviewerId, start)!;
        if (goldOfItem(view.item_id).is_gold) return view;
        judge(view, reviewerId, "alpha");
      }
      throw new Error("no gold item");
    };
    const mine = goldView("u-careful");
    // Half an hour on, careful's lease has run out, and the other reviewer judges that gold item too.
    const later = start + 31 * 60_000;
    let judgedMine = false;
    for (let n = 0; n < 40 && !judgedMine; n++) {
      const view = nextAssignment(fresh, "u-other", later)!;
      judgedMine = view.item_id === mine.item_id;
      judge(view, "u-other", "beta");
    }
    expect(judgedMine).toBe(true);
    expect(sqlite().prepare("SELECT status FROM assignments WHERE id = ?").get(mine.id)).toEqual({ status: "expired" });
    const late = submitJudgment(mine.id, "u-careful", { client_id: `late-${mine.id}`, preferred: responseIdOf(mine, "beta"), strength: 1 }, start + 32 * 60_000);
    expect(late.created).toBe(true);
  });

  it("reports each reviewer's gold accuracy in stats", () => {
    const rows = batchStats(batchId).per_reviewer;
    const of = (name: string) => rows.find((r) => r.username === name)!.gold_accuracy;
    expect(of("careful")).toBe(1);
    expect(of("careless")).toBe(0);
    expect(of("other")).toBe(1);
  });

  it("leaves a paused reviewer's judgments out of exports when asked", async () => {
    const lines = async (options: Record<string, unknown>) => {
      const parts: Buffer[] = [];
      for await (const chunk of streamExport(batchId, options)) parts.push(Buffer.from(chunk));
      return Buffer.concat(parts).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const careless = sqlite().prepare("SELECT count(*) AS n FROM judgments j JOIN items i ON i.id = j.item_id WHERE j.reviewer_id = 'u-careless' AND i.is_gold = 0").get() as { n: number };
    expect(careless.n).toBeGreaterThan(0);
    const all = await lines({ format: "judgments" });
    const kept = await lines({ format: "judgments", exclude_paused_reviewers: true });
    expect(all.length - kept.length).toBe(careless.n);
    const pairsAll = await lines({ format: "trl-preference", consensus: "all" });
    const pairsKept = await lines({ format: "trl-preference", consensus: "all", exclude_paused_reviewers: true });
    expect(pairsAll.length - pairsKept.length).toBe(careless.n);
  });

  it("resumes a paused reviewer, whose count then starts afresh", () => {
    expect(errorOf(() => resumeReviewer(batchId, "careful", "u-admin")).code).toBe("conflict");
    resumeReviewer(batchId, "careless", "u-admin");
    expect(pauseOf(batchId, "u-careless")).toBeNull();
    // One more wrong gold answer does not pause them again at once: 1 of the 3 needed since the resume.
    let goldAfter = 0;
    for (let n = 0; n < 8 && goldAfter < 1; n++) {
      const view = nextAssignment(batchId, "u-careless")!;
      if (goldOfItem(view.item_id).is_gold) goldAfter++;
      expect(judge(view, "u-careless", "alpha").paused).toBeNull();
    }
    expect(goldAfter).toBe(1);
    expect(pauseOf(batchId, "u-careless")).toBeNull();
  });

  it("marks, unmarks and promotes items, refusing answers that do not fit", () => {
    const item = sqlite().prepare("SELECT id, response_ids FROM items WHERE batch_id = ? AND is_gold = 0 AND submitted = 0 ORDER BY position LIMIT 1").get(batchId) as { id: string; response_ids: string };
    const [first] = JSON.parse(item.response_ids) as string[];
    const wrong = errorOf(() => markItemGold(item.id, { best: "nope" }, "u-admin"));
    expect(wrong.code).toBe("invalid");
    expect(wrong.details?.fields).toMatchObject({ gold: expect.stringMatching(/names no response of this item/) });
    expect(errorOf(() => markItemGold(item.id, {}, "u-admin")).code).toBe("invalid");
    expect(markItemGold(item.id, { best: first }, "u-admin").gold_answer).toEqual({ best: first });
    expect(goldOfItem(item.id)).toMatchObject({ is_gold: 1, open: 0 });
    unmarkItemGold(item.id, "u-admin");
    expect(goldOfItem(item.id)).toEqual({ is_gold: 0, gold_answer: null, open: 1 });
    expect(errorOf(() => promoteToGold(item.id, "u-admin")).message).toMatch(/no adjudicated verdict/);
    resolveDispute(item.id, "u-admin", { preferred: first, strength: 3 });
    expect(promoteToGold(item.id, "u-admin").gold_answer).toEqual({ best: first });
    const actions = (sqlite().prepare("SELECT action FROM audit_log WHERE action LIKE 'gold.%' ORDER BY rowid").all() as Array<{ action: string }>).map((a) => a.action);
    expect(actions).toEqual(["gold.pause-reviewer", "gold.resume-reviewer", "gold.mark", "gold.unmark", "gold.mark"]);
  });

  it("sets a prompt's gold answer from the dataset page's service, refusing a response of another prompt", () => {
    const [p1, p2] = sqlite().prepare("SELECT id FROM prompts WHERE external_id IN ('p1', 'p2') ORDER BY external_id").all() as Array<{ id: string }>;
    const otherResponse = (sqlite().prepare("SELECT id FROM responses WHERE prompt_id = ? LIMIT 1").get(p2!.id) as { id: string }).id;
    expect(errorOf(() => setPromptGold(p1!.id, { best: otherResponse }, "u-admin")).details?.fields).toMatchObject({ gold: expect.stringMatching(/is not a response of this prompt/) });
    expect(setPromptGold(p1!.id, { best: "tie" }, "u-admin").gold_answer).toEqual({ best: "tie" });
    expect(setPromptGold(p1!.id, null, "u-admin").gold_answer).toBeNull();
  });

  it("marks gold and resumes reviewers from the CLI", async () => {
    const item = sqlite().prepare("SELECT id, response_ids FROM items WHERE batch_id = ? AND is_gold = 0 AND submitted = 0 ORDER BY position LIMIT 1").get(batchId) as { id: string; response_ids: string };
    const marked = await runCli(["gold", "mark", item.id, "--best", "tie", "--json"]);
    expect(marked.stderr).toBe("");
    expect(JSON.parse(marked.stdout)).toEqual({ item_id: item.id, gold_answer: { best: "tie" } });
    const both = await runCli(["gold", "mark", item.id, "--best", "tie", "--scores", "{}"]);
    expect(both.status).toBe(2);
    const notPaused = await runCli(["batches", "resume-reviewer", batchId, "careful"]);
    expect(notPaused.status).toBe(1);
    expect(notPaused.stderr).toMatch(/careful is not paused in this batch/);
  });
});
