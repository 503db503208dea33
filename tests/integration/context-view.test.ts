import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, setUpTempDatabase } from "./helpers";

// The sources of truth (issue 13) reach the reviewer: the assignment view carries each prompt's
// reference and context documents, read with the prompt; a batch asking reviewers to mark
// unsupported claims accepts and stores the unsupported_claim flag with its note.
const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, getBatch } = await import("~/services/batches.server");
const { nextAssignment, previousAssignment, assignmentView } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;
const CONTEXT = [
  { title: "Company handbook", text: "Refunds are possible within **30 days**." },
  { title: "Untrusted", text: '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>' },
];

beforeAll(async () => {
  const lines = ["with", "bare", "blank"].map((id) =>
    JSON.stringify({
      id,
      messages: [
        { role: "user", content: `Question ${id}?` },
        { role: "assistant", content: "Which order?" },
        { role: "user", content: "The last one." },
      ],
      responses: [
        { model: "alpha", text: `alpha says refunds last 30 days (${id})` },
        { model: "beta", text: `beta says refunds last 90 days (${id})` },
      ],
    }),
  );
  writeFileSync(join(dir, "grounded.jsonl"), lines.join("\n"));
  await importFile(join(dir, "grounded.jsonl"), { dataset: "grounded" });
  const ds = sqlite().prepare("SELECT id FROM datasets WHERE name = 'grounded'").get() as { id: string };
  const update = sqlite().prepare("UPDATE prompts SET reference = ?, context = ? WHERE dataset_id = ? AND external_id = ?");
  update.run("Refunds: 30 days from delivery.", JSON.stringify(CONTEXT), ds.id, "with");
  update.run("  ", "[]", ds.id, "blank");
  sqlite()
    .prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('rev-1', 'rev1', 'Rev 1', 'reviewer', 'x', 0), ('rev-2', 'rev2', 'Rev 2', 'reviewer', 'x', 0)")
    .run();
});

/** Every item of a batch as rev-1 is handed them, by prompt external id. */
function viewsOf(batchId: string) {
  const views = new Map<string, NonNullable<ReturnType<typeof nextAssignment>>>();
  for (let n = 0; n < 3; n++) {
    const view = nextAssignment(batchId, "rev-1")!;
    views.set(view.prompt.external_id, view);
    submitJudgment(view.id, "rev-1", { client_id: `${batchId}-${n}`, preferred: "tie" });
  }
  return views;
}

describe("the assignment view's sources of truth", () => {
  it("carries the reference and the context documents in order; null and [] when the prompt has none", () => {
    const batch = createBatch({ dataset: "grounded", name: "sources", task: "pairwise", overlap: 1, reviewers: ["rev1"] });
    const views = viewsOf(batch.id);
    const withSources = views.get("with")!;
    expect(withSources.prompt.reference).toBe("Refunds: 30 days from delivery.");
    expect(withSources.prompt.context).toEqual(CONTEXT);
    expect(withSources.prompt.messages).toHaveLength(3);
    for (const id of ["bare", "blank"]) {
      expect(views.get(id)!.prompt.reference).toBeNull();
      expect(views.get(id)!.prompt.context).toEqual([]);
    }
    // The stored view (going back to edit) carries them too.
    const again = assignmentView(withSources.id, "rev-1");
    expect(again.prompt).toEqual(withSources.prompt);
    expect(previousAssignment(batch.id, "rev-1", null)!.prompt).toHaveProperty("context");
    // The API's JSON keeps the keys even when empty.
    expect(JSON.parse(JSON.stringify(views.get("bare")!.prompt))).toMatchObject({ reference: null, context: [] });
  });

  it("reads them in the one query that reads the prompt", () => {
    const batch = createBatch({ dataset: "grounded", name: "one query", task: "pairwise", overlap: 1, reviewers: ["rev2"] });
    const view = nextAssignment(batch.id, "rev-2")!;
    const db = sqlite();
    const prepare = db.prepare.bind(db);
    const statements: string[] = [];
    db.prepare = ((source: string) => {
      statements.push(source);
      return prepare(source);
    }) as typeof db.prepare;
    try {
      assignmentView(view.id, "rev-2");
    } finally {
      db.prepare = prepare as typeof db.prepare;
    }
    const promptReads = statements.filter((s) => /\bFROM prompts\b/i.test(s));
    expect(promptReads).toHaveLength(1);
    expect(promptReads[0]).toMatch(/reference.*context/);
  });
});

describe("a batch asking reviewers to mark unsupported claims", () => {
  it("has the flag in its config, hands it to the reviewer, and stores the flag with the marked words as its note", () => {
    const batch = createBatch({ dataset: "grounded", name: "marks", task: "pairwise", overlap: 1, reviewers: ["rev1"], config: { unsupportedClaims: true, flags: ["hallucination"] } });
    expect(getBatch(batch.id).config.flags).toEqual(["hallucination", "unsupported_claim"]);
    const view = nextAssignment(batch.id, "rev-1")!;
    expect(view.config.unsupportedClaims).toBe(true);
    expect(view.config.flags).toContain("unsupported_claim");
    const target = view.responses[0]!.id;
    submitJudgment(view.id, "rev-1", {
      client_id: "marks-1",
      preferred: view.responses[1]!.id,
      strength: 2,
      flags: [{ response_id: target, flag: "unsupported_claim", note: "refunds last 90 days | beta says" }],
    });
    const stored = sqlite()
      .prepare("SELECT f.response_id, f.flag, f.note FROM judgment_flags f JOIN judgments j ON j.id = f.judgment_id WHERE j.assignment_id = ?")
      .all(view.id);
    expect(stored).toEqual([{ response_id: target, flag: "unsupported_claim", note: "refunds last 90 days | beta says" }]);
    expect(assignmentView(view.id, "rev-1").judgment!.flags).toEqual([{ responseId: target, flag: "unsupported_claim", note: "refunds last 90 days | beta says" }]);
  });

  it("a batch without the option refuses the flag", () => {
    const batch = createBatch({ dataset: "grounded", name: "no marks", task: "pairwise", overlap: 1, reviewers: ["rev2"] });
    const view = nextAssignment(batch.id, "rev-2")!;
    expect(view.config.unsupportedClaims).toBe(false);
    const error = errorOf(() =>
      submitJudgment(view.id, "rev-2", { client_id: "no-marks-1", preferred: "tie", flags: [{ response_id: view.responses[0]!.id, flag: "unsupported_claim", note: "x" }] }),
    );
    expect(error.code).toBe("invalid");
    expect(JSON.stringify(error.details)).toContain("not a flag of this batch: unsupported_claim");
  });
});
