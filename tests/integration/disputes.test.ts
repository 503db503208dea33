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
