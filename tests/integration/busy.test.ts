import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTempDatabase } from "./helpers";

// An import holds the write lock from its first row to its commit. Other writes meanwhile must
// fail at once with a retryable 503, not freeze the process in SQLite's busy handler.
const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { errorResponse } = await import("~/services/http.server");
const { asServiceError } = await import("~/services/errors.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

const native = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ id: `${prefix}${i}`, prompt: `Question ${i}?`, responses: [{ model: "a", text: `A${i}` }, { model: "b", text: `B${i}` }] })).join("\n") + "\n";
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

let batch = "";
beforeAll(async () => {
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u-ann', 'ann', 'Ann', 'reviewer', 'x', 0)").run();
  await importFile(file("small.jsonl", native(3, "s")), { dataset: "small" });
  batch = createBatch({ dataset: "small", name: "B", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
});

describe("writes during an import", () => {
  it("fail at once as busy (503 with Retry-After) and succeed once the import is done", async () => {
    const assignment = nextAssignment(batch, "u-ann")!;
    const judgment = { client_id: "during-import", preferred: assignment.responses[0]!.id, strength: 1 };
    let failure: unknown = null;
    let waitedMs = -1;
    let timeoutDuring = -1;
    await importFile(file("big.jsonl", native(6000, "b")), { dataset: "big" }, {
      onProgress: (progress) => {
        if (progress.phase !== "import" || waitedMs >= 0 || progress.lines === 0) return;
        timeoutDuring = sqlite().pragma("busy_timeout", { simple: true }) as number;
        const started = performance.now();
        try {
          submitJudgment(assignment.id, "u-ann", judgment);
        } catch (error) {
          failure = error;
        }
        waitedMs = performance.now() - started;
      },
    });
    expect(waitedMs).toBeGreaterThanOrEqual(0); // the import reported progress mid-way
    expect(timeoutDuring).toBe(0);
    // Not the 5-second busy timeout: the judgment was refused straight away.
    expect(waitedMs).toBeLessThan(2500);
    expect(asServiceError(failure)?.code).toBe("busy");
    const response = errorResponse(failure);
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("2");
    expect(((await response.json()) as { error: { code: string; message: string } }).error.message).toMatch(/busy with another write.*nothing was changed/);
    // Nothing half-written, and the same judgment goes through afterwards.
    expect(sqlite().prepare("SELECT count(*) AS n FROM judgments").get()).toEqual({ n: 0 });
    expect(sqlite().pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(submitJudgment(assignment.id, "u-ann", judgment).created).toBe(true);
    expect(sqlite().prepare("SELECT count(*) AS n FROM prompts").get()).toEqual({ n: 6003 });
  });

  it("refuses a second import in the same process while one is under way", async () => {
    let second: unknown = null;
    await importFile(file("big2.jsonl", native(6000, "c")), { dataset: "big2" }, {
      onProgress: (progress) => {
        if (progress.phase !== "import" || second !== null) return;
        second = importFile(file("other.jsonl", native(2, "o")), { dataset: "other" }).catch((error: unknown) => error);
      },
    });
    const error = await second;
    expect(asServiceError(error)?.code).toBe("busy");
    expect((error as Error).message).toBe("another import is under way; try again when it has finished");
    // The first import is whole, the refused one wrote nothing; a later one works.
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'other'").get()).toEqual({ n: 0 });
    await importFile(file("other.jsonl", native(2, "o")), { dataset: "other" });
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name IN ('big2', 'other')").get()).toEqual({ n: 2 });
  });

  it("turns SQLite's busy error from another process's lock into the same 503", () => {
    const holder = new Database(dbPath);
    const waiter = new Database(dbPath, { timeout: 0 });
    try {
      holder.exec("BEGIN IMMEDIATE");
      let error: unknown = null;
      try {
        waiter.exec("INSERT INTO datasets (id, name, description, source, created_at) VALUES ('x', 'x', '', '', 0)");
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).toBe("SQLITE_BUSY");
      expect(errorResponse(error).status).toBe(503);
      expect(() => errorResponse(new Error("a bug"))).toThrow("a bug");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
      waiter.close();
    }
  });
});
