import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

// A one-time link, shown once to the admin, lets a user set a new password within 24 hours.
const { dbPath } = setUpTempDatabase({ VERDICT_PUBLIC_URL: "https://verdict.example.org/" });
const { connection, closeConnection } = await import("~/services/database.server");
const { createUser, checkCredentials, setUserEnabled } = await import("~/services/users.server");
const { createSession, userOfSession } = await import("~/services/sessions.server");
const { createPasswordReset, passwordResetOf, completePasswordReset } = await import("~/services/password-resets.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;
const OLD = "the old password";
const NEW = "a brand new password";

let adminId = "";
beforeAll(async () => {
  adminId = (await createUser({ username: "root", role: "admin", password: OLD })).id;
  await createUser({ username: "ann", role: "reviewer", password: OLD, displayName: "Ann" });
});

describe("password reset links", () => {
  it("set a new password once, end every session of the account, and are audited without the token", async () => {
    const ann = (await checkCredentials("ann", OLD))!;
    const session = createSession(ann.id);
    const reset = createPasswordReset("ann", adminId);
    expect(reset.path).toBe(`/reset/${reset.token}`);
    expect(Date.parse(reset.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect(passwordResetOf(reset.token)).toMatchObject({ username: "ann", displayName: "Ann" });
    // The old password works until the link is used.
    expect(await checkCredentials("ann", OLD)).not.toBeNull();

    await expect(completePasswordReset(reset.token, { password: "short", confirm: "short" })).rejects.toMatchObject({ details: { fields: { password: "at least 10 characters" } } });
    await expect(completePasswordReset(reset.token, { password: NEW, confirm: "something else" })).rejects.toMatchObject({ details: { fields: { confirm: "does not match the password" } } });
    // Refused attempts do not spend the link.
    expect(passwordResetOf(reset.token).username).toBe("ann");

    await expect(completePasswordReset(reset.token, { password: NEW, confirm: NEW })).resolves.toEqual({ username: "ann" });
    expect(await checkCredentials("ann", OLD)).toBeNull();
    expect((await checkCredentials("ann", NEW))?.username).toBe("ann");
    expect(userOfSession(session.token)).toBeNull();
    // Once only.
    await expect(completePasswordReset(reset.token, { password: "yet another password", confirm: "yet another password" })).rejects.toMatchObject({ code: "not_found" });
    expect(() => passwordResetOf(reset.token)).toThrow("was used already, replaced by a newer one, or has expired");

    const audit = sqlite().prepare("SELECT action, user_id, subject, detail FROM audit_log WHERE subject = 'ann' AND action LIKE '%password%' ORDER BY at, rowid").all() as Array<{ action: string; user_id: string; detail: string }>;
    expect(audit.map((a) => a.action)).toEqual(["user.reset_password", "user.password_changed"]);
    expect(audit[0]!.user_id).toBe(adminId);
    expect(audit[1]!.user_id).toBe(ann.id);
    // Only the token's hash is stored, anywhere in the database.
    closeConnection();
    for (const file of [dbPath, `${dbPath}-wal`].filter((path) => existsSync(path))) {
      expect(readFileSync(file).toString("latin1").includes(reset.token)).toBe(false);
    }
  });

  it("stop working after 24 hours, and when a newer link is made", async () => {
    const first = createPasswordReset("ann", adminId);
    const second = createPasswordReset("ann", adminId);
    expect(() => passwordResetOf(first.token)).toThrow("not valid");
    expect(passwordResetOf(second.token).username).toBe("ann");
    sqlite().prepare("UPDATE password_resets SET expires_at = ? WHERE used_at IS NULL").run(Date.now() - 1);
    expect(() => passwordResetOf(second.token)).toThrow("not valid");
    await expect(completePasswordReset(second.token, { password: NEW, confirm: NEW })).rejects.toMatchObject({ code: "not_found" });
    expect(() => passwordResetOf("made-up-token")).toThrow("not valid");
  });

  it("are refused for an unknown or disabled user, and die when the account is disabled", async () => {
    expect(errorOf(() => createPasswordReset("ghost", adminId))).toMatchObject({ code: "not_found", message: 'no user "ghost"' });
    const live = createPasswordReset("ann", adminId);
    setUserEnabled("ann", false, adminId);
    expect(() => passwordResetOf(live.token)).toThrow("not valid");
    await expect(completePasswordReset(live.token, { password: NEW, confirm: NEW })).rejects.toMatchObject({ code: "not_found" });
    expect(errorOf(() => createPasswordReset("ann", adminId))).toMatchObject({ code: "conflict", message: 'user "ann" is disabled; enable the account first' });
    setUserEnabled("ann", true, adminId);
  });

  it("are made on the command line: users reset-password NAME prints the link on VERDICT_PUBLIC_URL", async () => {
    const run = await runCli(["users", "reset-password", "ann", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const { link, username, expires_at } = JSON.parse(run.stdout) as { link: string; username: string; expires_at: string };
    expect(username).toBe("ann");
    expect(link).toMatch(/^https:\/\/verdict\.example\.org\/reset\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    expect(passwordResetOf(link.split("/").at(-1)!).username).toBe("ann");
    const text = await runCli(["users", "reset-password", "ann"]);
    expect(text.stdout).toMatch(/^One-time link for ann to set a new password \(shown once; works once, until .+\):\nhttps:\/\/verdict\.example\.org\/reset\/\S+\n$/);
    expect((await runCli(["users", "reset-password", "nobody"])).stderr).toBe('error: no user "nobody"\n');
  }, 60_000);
});
