import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

// The audit log answers who did what, when, to what: filtered by actor, action and day, paged.
const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { createUser } = await import("~/services/users.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, changeBatchStatus } = await import("~/services/batches.server");
const { setModelPrice } = await import("~/services/models.server");
const { streamExport } = await import("~/services/exports.server");
const { listAudit } = await import("~/services/audit.server");

afterAll(() => closeConnection());

let adminId = "";
let batchId = "";
beforeAll(async () => {
  adminId = (await createUser({ username: "root", role: "admin", password: "correct horse battery" })).id;
  await createUser({ username: "ann", role: "reviewer", password: "correct horse battery" }, adminId);
  const file = join(dir, "d.jsonl");
  writeFileSync(file, `${JSON.stringify({ id: "p1", prompt: "Hi?", responses: [{ model: "a", text: "A" }, { model: "b", text: "B" }] })}\n`);
  await importFile(file, { dataset: "d" }, { actorId: adminId });
  batchId = createBatch({ dataset: "d", name: "Audit me", task: "pairwise", overlap: 1, reviewers: ["ann"] }, adminId).id;
  changeBatchStatus(batchId, "pause", adminId);
  changeBatchStatus(batchId, "resume");
  setModelPrice({ model: "a", input_usd_per_mtok: 1, output_usd_per_mtok: 2 }, adminId);
  for await (const _chunk of streamExport(batchId, { format: "judgments" }, { actorId: adminId })) void _chunk;
});

describe("the audit log", () => {
  it("lists every admin action newest first, with who, when, what and the target", () => {
    const page = listAudit();
    expect(page.entries.map((e) => e.action)).toEqual(["batch.export", "model.price", "batch.resume", "batch.pause", "batch.create", "dataset.import", "user.create", "user.create"]);
    expect(page.entries[0]).toMatchObject({ actor: "root", subject: batchId, detail: { format: "judgments", rows: 0 } });
    expect(page.entries[1]).toMatchObject({ actor: "root", subject: "a", detail: { input_usd_per_mtok: 1, output_usd_per_mtok: 2 } });
    // No signed-in user (the CLI on the server's shell): "system".
    expect(page.entries[2]).toMatchObject({ actor: "system", action: "batch.resume" });
    expect(page.entries.at(-1)).toMatchObject({ actor: "system", action: "user.create", subject: "root" });
    const times = page.entries.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page.actors).toEqual(["root", "system"]);
    expect(page.actions).toContain("batch.export");
  });

  it("filters by actor, exact action, action prefix and day", () => {
    expect(listAudit({ actor: "system" }).entries.map((e) => e.action)).toEqual(["batch.resume", "user.create"]);
    expect(listAudit({ actor: "nobody" }).total).toBe(0);
    expect(listAudit({ action: "batch.pause" }).entries).toHaveLength(1);
    expect(listAudit({ action: "batch." }).entries.map((e) => e.action)).toEqual(["batch.export", "batch.resume", "batch.pause", "batch.create"]);
    const today = new Date().toISOString().slice(0, 10);
    expect(listAudit({ since: today, until: today }).total).toBe(8);
    expect(listAudit({ until: "2020-01-01" }).total).toBe(0);
    expect(listAudit({ since: "2999-01-01" }).total).toBe(0);
  });

  it("pages on the server", () => {
    const first = listAudit({ limit: 3 });
    const second = listAudit({ limit: 3, offset: 3 });
    expect(first).toMatchObject({ total: 8, limit: 3, offset: 0 });
    expect(first.entries).toHaveLength(3);
    expect(second.entries.map((e) => e.id)).not.toContain(first.entries[0]!.id);
    expect(listAudit({ limit: 3, offset: 6 }).entries).toHaveLength(2);
  });

  it("refuses bad filters with field messages", () => {
    expect(errorOf(() => listAudit({ since: "2026-13-01" })).details).toEqual({ fields: { since: "not a day of the calendar" } });
    expect(errorOf(() => listAudit({ until: "2026-02-30" })).details).toEqual({ fields: { until: "not a day of the calendar" } });
    expect(listAudit({ until: "2028-02-29" }).total).toBe(8);
    expect(errorOf(() => listAudit({ since: "yesterday" })).details).toEqual({ fields: { since: "a day as YYYY-MM-DD" } });
    expect(errorOf(() => listAudit({ since: "2026-02-01", until: "2026-01-01" })).details).toEqual({ fields: { until: "is before since" } });
    expect(errorOf(() => listAudit({ limit: "0" })).status).toBe(400);
  });

  it("is on the command line: audit --json with the same filters", async () => {
    const run = await runCli(["audit", "--action", "batch.", "--limit", "2", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const page = JSON.parse(run.stdout) as { entries: Array<{ action: string; actor: string }>; total: number };
    expect(page.total).toBe(4);
    expect(page.entries.map((e) => e.action)).toEqual(["batch.export", "batch.resume"]);
    const text = await runCli(["audit", "--actor", "root"]);
    expect(text.stdout).toMatch(/root\s+model\.price\s+a /);
    expect(text.stdout).toMatch(/1–6 of 6 entries\n$/);
    const bad = await runCli(["audit", "--since", "nope", "--json"]);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).error.details.fields.since).toBe("a day as YYYY-MM-DD");
  }, 60_000);

  it("is written in the same transaction as the change", () => {
    // A refused change leaves no audit entry behind.
    const before = listAudit().total;
    expect(errorOf(() => changeBatchStatus(batchId, "resume", adminId)).status).toBe(409);
    expect(listAudit().total).toBe(before);
    expect(connection().sqlite.prepare("SELECT count(*) AS n FROM audit_log").get()).toEqual({ n: before });
  });
});
