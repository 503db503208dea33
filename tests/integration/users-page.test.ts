import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

// The services behind /admin/users: accounts made with a set-password link, activity per
// reviewer, refusing self-disable, and tokens that stop working when revoked.
const { dir } = setUpTempDatabase({ VERDICT_PUBLIC_URL: "https://verdict.example.org" });
const { connection, closeConnection } = await import("~/services/database.server");
const { createUser, checkCredentials, setUserEnabled, listUsersWithActivity, judgmentsPerHour } = await import("~/services/users.server");
const { inviteUser, completePasswordReset, passwordResetOf } = await import("~/services/password-resets.server");
const { logIn } = await import("~/services/auth.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch, addBatchReviewers } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { createToken, listTokens, revokeToken } = await import("~/services/tokens.server");
const nextRoute = await import("~/routes/api.v1.batches.$id.next");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;
const PASSWORD = "a long enough password";
const HOUR = 3_600_000;

let adminId = "";
let batchId = "";
const ids: Record<string, string> = {};
beforeAll(async () => {
  adminId = (await createUser({ username: "root", role: "admin", password: PASSWORD })).id;
  for (const name of ["ann", "ben", "cat"]) ids[name] = (await createUser({ username: name, role: "reviewer", password: PASSWORD })).id;
  const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: `Prompt ${i}`, responses: [{ model: "m1", text: `one ${i}` }, { model: "m2", text: `two ${i}` }] }));
  writeFileSync(join(dir, "small.jsonl"), lines.join("\n"));
  await importFile(join(dir, "small.jsonl"), { dataset: "small" });
  batchId = createBatch({ dataset: "small", name: "Small", task: "pairwise", overlap: 1, reviewers: ["ann", "ben"] }).id;
});

/** One real judgment by `username`, leased and submitted at `at`. */
function judgeAt(username: string, at: number): void {
  const assignment = nextAssignment(batchId, ids[username]!, at);
  if (!assignment) throw new Error("no item left");
  submitJudgment(assignment.id, ids[username]!, { client_id: `${username}-${at}`, preferred: assignment.responses[0]!.id, strength: 2 }, at);
}

describe("judgments per hour", () => {
  it("counts each reviewer's judgments in the UTC hours of the last 7 days, hand-computed", () => {
    const now = Date.UTC(2026, 11, 4, 21, 30);
    // The window: 168 hours, the last one 21:00–22:00 on 4 December, so the first starts at 22:00 on 27 November.
    const start = Date.UTC(2026, 10, 27, 22, 0);
    judgeAt("ann", Date.UTC(2026, 10, 27, 21, 59)); // one minute before the window: not counted
    judgeAt("ann", start); // hour 0
    judgeAt("ann", Date.UTC(2026, 11, 4, 9, 0)); // 12 hours before the last: hour 155
    judgeAt("ann", Date.UTC(2026, 11, 4, 9, 59, 59)); // hour 155
    judgeAt("ann", Date.UTC(2026, 11, 4, 21, 5)); // hour 167, three times
    judgeAt("ann", Date.UTC(2026, 11, 4, 21, 10));
    judgeAt("ann", Date.UTC(2026, 11, 4, 21, 29));
    judgeAt("ben", Date.UTC(2026, 11, 1, 0, 0)); // 3 days and 2 hours after the start: hour 74

    const result = judgmentsPerHour(7, now);
    expect(result.start).toBe(start);
    expect(result.hours).toBe(168);
    // Reviewers only (the admin judged nothing), cat with zeros.
    expect(result.reviewers.map((r) => [r.username, r.total])).toEqual([
      ["ann", 6],
      ["ben", 1],
      ["cat", 0],
    ]);
    const nonZero = (series: number[]) => Object.fromEntries(series.flatMap((n, hour) => (n ? [[hour, n]] : [])));
    expect(nonZero(result.reviewers[0]!.perHour)).toEqual({ 0: 1, 155: 2, 167: 3 });
    expect(nonZero(result.reviewers[1]!.perHour)).toEqual({ 74: 1 });
    expect(result.reviewers[2]!.perHour).toHaveLength(168);

    // A one-day window holds the last day's five of ann's; a day later, none.
    expect(judgmentsPerHour(1, now + 24 * HOUR).reviewers[0]!.total).toBe(0);
    expect(judgmentsPerHour(1, now).reviewers[0]!.total).toBe(5);
    expect(errorOf(() => judgmentsPerHour(0, now))).toMatchObject({ code: "invalid", details: { fields: { days: "at least 1 day" } } });
  });
});

describe("the users list", () => {
  it("shows each user's last sign-in and batches, and an added batch", async () => {
    const request = new Request("http://localhost/login", { method: "POST" });
    await logIn(request, { username: "ann", password: PASSWORD, address: "127.0.0.1" });
    const before = listUsersWithActivity();
    const ann = before.find((u) => u.username === "ann")!;
    expect(ann.lastSignInAt).toBeGreaterThan(Date.now() - 60_000);
    expect(ann.batches).toEqual([{ id: batchId, name: "Small" }]);
    expect(before.find((u) => u.username === "cat")).toMatchObject({ lastSignInAt: null, batches: [] });

    expect(addBatchReviewers(batchId, ["cat"], adminId)).toEqual({ added: ["cat"], already: [] });
    expect(listUsersWithActivity().find((u) => u.username === "cat")!.batches).toEqual([{ id: batchId, name: "Small" }]);
  });
});

describe("an admin disabling accounts", () => {
  it("cannot disable their own account, and nothing changes when refused", () => {
    expect(errorOf(() => setUserEnabled("root", false, adminId))).toMatchObject({ code: "conflict", message: expect.stringContaining("cannot disable your own account") });
    expect(listUsersWithActivity().find((u) => u.username === "root")!.disabled).toBe(false);
    const audited = sqlite().prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'user.disable'").get() as { n: number };
    expect(audited.n).toBe(0);
    // Another admin's account, or a reviewer's, can be.
    expect(setUserEnabled("cat", false, adminId)).toMatchObject({ changed: true, disabled: true });
    expect(setUserEnabled("cat", true, adminId)).toMatchObject({ changed: true, disabled: false });
  });
});

describe("inviting a user", () => {
  it("makes an account no password opens, with a one-time link that sets one; both audited in one go", async () => {
    const { user, reset } = await inviteUser({ username: "Dee", role: "reviewer", displayName: "Dee D." }, adminId);
    expect(user).toMatchObject({ username: "dee", displayName: "Dee D.", role: "reviewer", disabled: false });
    expect(passwordResetOf(reset.token).username).toBe("dee");
    expect(Date.parse(reset.expiresAt) - Date.now()).toBeGreaterThan(23.9 * HOUR);
    await completePasswordReset(reset.token, { password: PASSWORD, confirm: PASSWORD });
    expect((await checkCredentials("dee", PASSWORD))?.username).toBe("dee");
    const audit = sqlite().prepare("SELECT action, user_id FROM audit_log WHERE subject = 'dee' ORDER BY at, rowid").all() as Array<{ action: string; user_id: string }>;
    expect(audit).toEqual([
      { action: "user.create", user_id: adminId },
      { action: "user.reset_password", user_id: adminId },
      { action: "user.password_changed", user_id: user.id },
    ]);
  });

  it("refuses a taken username or a bad role with field messages, writing nothing", async () => {
    const users = (sqlite().prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
    await expect(inviteUser({ username: "ann", role: "reviewer" }, adminId)).rejects.toMatchObject({ code: "conflict", details: { fields: { username: "already taken" } } });
    await expect(inviteUser({ username: "x", role: "boss" }, adminId)).rejects.toMatchObject({ code: "invalid", details: { fields: { username: expect.any(String), role: "admin or reviewer" } } });
    expect((sqlite().prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n).toBe(users);
  });

  it("is on the command line: users invite prints the link on VERDICT_PUBLIC_URL", async () => {
    const run = await runCli(["users", "invite", "--username", "eve", "--role", "admin", "--json"]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { username: string; role: string; link: string };
    expect(out).toMatchObject({ username: "eve", role: "admin" });
    expect(out.link).toMatch(/^https:\/\/verdict\.example\.org\/reset\/[\w-]{43}$/);
  });
});

describe("API tokens", () => {
  const callNext = async (token: string) => {
    const request = new Request(`http://localhost/api/v1/batches/${batchId}/next`, { headers: { Authorization: `Bearer ${token}` } });
    return (await nextRoute.loader({ request, params: { id: batchId }, context: {} } as LoaderFunctionArgs)) as Response;
  };

  it("work until revoked; then the API answers 401, and the list shows the revocation and the last use", async () => {
    const { id, token } = createToken({ username: "ann", name: "laptop" }, adminId);
    expect([200, 204]).toContain((await callNext(token)).status);
    expect(listTokens().find((t) => t.id === id)).toMatchObject({ username: "ann", name: "laptop", revokedAt: null, lastUsedAt: expect.any(Number) });

    revokeToken(id, adminId);
    const refused = await callNext(token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: "unauthorized", message: "the token is unknown or revoked" } });
    expect(listTokens().find((t) => t.id === id)!.revokedAt).toEqual(expect.any(Number));
    expect(errorOf(() => revokeToken(id, adminId))).toMatchObject({ code: "not_found" });
    const audit = sqlite().prepare("SELECT action FROM audit_log WHERE subject = ? ORDER BY at, rowid").all(id) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(["token.create", "token.revoke"]);
  });

  it("refuse a name over 80 characters with a field message", () => {
    expect(errorOf(() => createToken({ username: "ann", name: "n".repeat(81) }, adminId))).toMatchObject({ code: "invalid", details: { fields: { name: "at most 80 characters" } } });
  });
});
