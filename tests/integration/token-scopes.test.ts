import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

setUpTempDatabase({ VERDICT_SEED: "none" });
const { connection, closeConnection } = await import("~/services/database.server");
const { createToken, listTokens } = await import("~/services/tokens.server");
const { requireApiUser, requireApiRole } = await import("~/services/auth.server");

afterAll(() => closeConnection());
beforeAll(() => {
  const insert = connection().sqlite.prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)");
  insert.run("u-rev", "rev", "rev", "reviewer");
  insert.run("u-adm", "adm", "adm", "admin");
});

const request = (token: string) => new Request("http://verdict.test/api/v1/x", { headers: { Authorization: `Bearer ${token}` } });
/** What a guard answers: "ok", or the status it throws (a Response or a ServiceError). */
function outcome(fn: () => unknown): string | number {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof Response) return error.status;
    return (error as { status: number }).status;
  }
}

describe("API token scopes", () => {
  it("gives a token its role's scopes by default, and a reviewer's token review alone", () => {
    expect(createToken({ username: "rev" }).scopes).toEqual(["review"]);
    expect(createToken({ username: "adm" }).scopes).toEqual(["review", "read", "export", "admin"]);
  });

  it("refuses an unknown scope and one beyond the role, with the field", () => {
    expect(errorOf(() => createToken({ username: "adm", scopes: ["reed"] })).details?.fields).toEqual({ scopes: expect.stringMatching(/unknown scope reed: use review, read, export, admin/) });
    expect(errorOf(() => createToken({ username: "rev", scopes: ["export"] })).details?.fields).toEqual({ scopes: expect.stringMatching(/a reviewer's token can hold only review, not export/) });
  });

  it("checks the scope on every call: a read token reads, and cannot review or export", () => {
    const { token } = createToken({ username: "adm", scopes: ["read"] });
    expect(outcome(() => requireApiRole(request(token), "admin", "read"))).toBe("ok");
    expect(outcome(() => requireApiUser(request(token), "review"))).toBe(403);
    expect(outcome(() => requireApiRole(request(token), "admin", "export"))).toBe(403);
    expect(errorOf(() => requireApiUser(request(token), "review")).message).toBe("this token lacks the review scope (it has read)");
  });

  it("never lets a scope widen the role: a review token of a reviewer is still no admin", () => {
    const { token } = createToken({ username: "rev", scopes: ["review"] });
    expect(outcome(() => requireApiUser(request(token), "review"))).toBe("ok");
    expect(outcome(() => requireApiRole(request(token), "admin", "review"))).toBe(403);
    expect(outcome(() => requireApiUser(request("vrd_nope"), "review"))).toBe(401);
  });

  it("keeps tokens made before scopes working as their role allows, and lists scopes in effect", () => {
    connection().sqlite.prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) VALUES ('old', 'u-rev', 'old', 'h', '[\"export\"]', 0)").run();
    connection().sqlite.prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) VALUES ('legacy', 'u-rev', 'legacy', 'h2', '[]', 0)").run();
    expect(listTokens().find((t) => t.id === "legacy")!.scopes).toEqual(["review"]);
    // A stored scope beyond the role (written by hand) is not in effect.
    expect(listTokens().find((t) => t.id === "old")!.scopes).toEqual([]);
    expect(listTokens().filter((t) => t.username === "adm").map((t) => t.scopes)).toContainEqual(["read"]);
  });

  it("is on the command line: tokens create --scopes, and tokens list shows them", async () => {
    const made = await runCli(["tokens", "create", "--username", "adm", "--scopes", "read,export", "--json"]);
    expect(made.status).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ scopes: ["read", "export"], token: expect.stringMatching(/^vrd_/) });
    const refused = await runCli(["tokens", "create", "--username", "rev", "--scopes", "admin"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/a reviewer's token can hold only review, not admin/);
    const listed = await runCli(["tokens", "list"]);
    expect(listed.stdout).toMatch(/adm {2}cli {2}read,export {2}never used/);
  });
});
