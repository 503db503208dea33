import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, setUpTempDatabase, errorOf } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, changeBatchStatus, getBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { previewExport } = await import("~/services/exports.server");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;

beforeAll(async () => {
  const lines = ["q1", "q2"].map((id) =>
    JSON.stringify({ id, prompt: `Question ${id}`, responses: [{ model: "alpha", text: `alpha ${id}` }, { model: "beta", text: `beta ${id}` }] }),
  );
  writeFileSync(join(dir, "small.jsonl"), lines.join("\n"));
  await importFile(join(dir, "small.jsonl"), { dataset: "small" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["ann", "bob"]) insert.run(`id-${name}`, name, name);
});

const itemClaims = (itemId: string) => sqlite().prepare("SELECT claims, open FROM items WHERE id = ?").get(itemId) as { claims: number; open: number };

describe("creating a batch names every bad value", () => {
  it("names each model of a models:A,B pairing that has no response in the dataset, and the dataset's models", () => {
    const one = errorOf(() => createBatch({ dataset: "small", name: "m", task: "pairwise", reviewers: ["ann"], pairing: "models:alpha,nonexistent-model" }));
    expect(one.status).toBe(400);
    const reason = 'no response of model "nonexistent-model" in dataset small (its models: alpha, beta)';
    expect(one.message).toBe(`pairing: ${reason}`);
    expect(one.details).toEqual({ fields: { pairing: reason } });
    const two = errorOf(() => createBatch({ dataset: "small", name: "m", task: "ranking", reviewers: ["ann"], pairing: "models:gpt-x, alpha,Beta" }));
    expect(two.details).toEqual({
      fields: { pairing: 'no response of model "gpt-x" in dataset small; no response of model "Beta" in dataset small (its models: alpha, beta)' },
    });
    expect(sqlite().prepare("SELECT count(*) AS n FROM batches WHERE name = 'm'").get()).toEqual({ n: 0 });
  });

  it("names the bad pairing, the overlap against the reviewers, each unknown reviewer and the task all-pairs does not fit", () => {
    const fieldsOf = (input: Parameters<typeof createBatch>[0]) => errorOf(() => createBatch(input)).details?.fields;
    const base = { dataset: "small", name: "x", task: "pairwise" as const, reviewers: ["ann"] };
    expect(fieldsOf({ ...base, pairing: "models:alpha" })).toEqual({ pairing: '"models:alpha" names one model; "models:A,B" needs at least two, comma-separated' });
    expect(fieldsOf({ ...base, pairing: "every-pair" })).toEqual({ pairing: '"every-pair" is not a pairing: use all-pairs, first-two, random:K, models:A,B or adaptive' });
    expect(fieldsOf({ ...base, overlap: 3, reviewers: ["ann", "bob"] })).toEqual({ overlap: "3 is more than the 2 reviewers chosen" });
    expect(fieldsOf({ ...base, reviewers: ["ann", "ghost"] })).toEqual({ reviewers: "unknown or disabled: ghost" });
    expect(fieldsOf({ ...base, task: "rating", pairing: "all-pairs" } as Parameters<typeof createBatch>[0])).toEqual({ pairing: "all-pairs is only for pairwise batches, not rating" });
  });
});

describe("closing and reopening a batch", () => {
  it("closing stops judging, releases leases and keeps judgments; reopening makes the released item available again", () => {
    const batch = createBatch({ dataset: "small", name: "close-reopen", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] });
    const judged = nextAssignment(batch.id, "id-ann")!;
    submitJudgment(judged.id, "id-ann", { client_id: "cr-1", preferred: judged.responses[0]!.id, strength: 2 });
    // Ann holds the only other item: Bob has nothing left while her lease lives.
    const held = nextAssignment(batch.id, "id-ann")!;
    expect(held.item_id).not.toBe(judged.item_id);
    expect(nextAssignment(batch.id, "id-bob")).toBeNull();

    expect(changeBatchStatus(batch.id, "close")).toBe("closed");
    expect(getBatch(batch.id).status).toBe("closed");
    expect(errorOf(() => nextAssignment(batch.id, "id-bob")).message).toBe("this batch is closed");
    expect(errorOf(() => submitJudgment(held.id, "id-ann", { client_id: "cr-2", preferred: "tie" })).status).toBe(409);
    // The lease is released; the judgment is kept and still exports.
    expect(itemClaims(held.item_id)).toEqual({ claims: 0, open: 1 });
    expect(itemClaims(judged.item_id)).toEqual({ claims: 1, open: 0 });
    expect(previewExport(batch.id, { format: "judgments" }).total).toBe(1);

    expect(changeBatchStatus(batch.id, "reopen")).toBe("active");
    expect(getBatch(batch.id).status).toBe("active");
    // Bob now gets the item Ann's lease held; Ann, whose lease was released, has nothing left.
    const again = nextAssignment(batch.id, "id-bob")!;
    expect(again.item_id).toBe(held.item_id);
    submitJudgment(again.id, "id-bob", { client_id: "cr-3", preferred: again.responses[1]!.id, strength: 1 });
    expect(nextAssignment(batch.id, "id-ann")).toBeNull();
    expect(previewExport(batch.id, { format: "judgments" }).total).toBe(2);
    const audit = sqlite().prepare("SELECT action FROM audit_log WHERE subject = ? ORDER BY rowid").all(batch.id) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(["batch.create", "batch.close", "batch.reopen"]);
  });

  it("gives a reviewer whose lease was released the same item back first after reopening", () => {
    const batch = createBatch({ dataset: "small", name: "own-lease", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] });
    const held = nextAssignment(batch.id, "id-ann")!;
    changeBatchStatus(batch.id, "close");
    changeBatchStatus(batch.id, "reopen");
    const back = nextAssignment(batch.id, "id-ann")!;
    expect(back.id).toBe(held.id);
    expect(back.responses.map((r) => r.id)).toEqual(held.responses.map((r) => r.id));
    expect(itemClaims(held.item_id)).toEqual({ claims: 1, open: 0 });
  });

  it("refuses to reopen a batch that is not closed, with 409", () => {
    const batch = createBatch({ dataset: "small", name: "not-closed", task: "pairwise", overlap: 1, reviewers: ["ann"] });
    const active = errorOf(() => changeBatchStatus(batch.id, "reopen"));
    expect(active.status).toBe(409);
    expect(active.message).toBe("cannot reopen an active batch");
    changeBatchStatus(batch.id, "pause");
    expect(errorOf(() => changeBatchStatus(batch.id, "reopen")).message).toBe("cannot reopen a paused batch");
    expect(errorOf(() => changeBatchStatus("no-such-batch", "reopen")).status).toBe(404);
  });
});

describe("batches close|reopen on the command line", () => {
  it("closes saying what it means, reopens, and refuses to reopen an active batch with exit 1", async () => {
    const batch = createBatch({ dataset: "small", name: "cli-reopen", task: "pairwise", overlap: 1, reviewers: ["ann"] });
    const close = await runCli(["batches", "close", batch.id]);
    expect(close.stderr).toBe("");
    expect(close.status).toBe(0);
    expect(close.stdout).toBe(
      `batch ${batch.id} is closed; reviewers can no longer judge it, its judgments are kept and still export (undo: batches reopen ${batch.id})\n`,
    );
    const reopen = await runCli(["batches", "reopen", batch.id]);
    expect(reopen.status).toBe(0);
    expect(reopen.stdout).toBe(`batch ${batch.id} is active\n`);
    expect(getBatch(batch.id).status).toBe("active");
    const again = await runCli(["batches", "reopen", batch.id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe("error: cannot reopen an active batch\n");
    const usage = await runCli(["batches", "reopen"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("batches reopen takes one batch id");
    expect((await runCli(["help"])).stdout).toContain("batches pause|resume|close|reopen ID");
  });
});
