import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { createSession, userOfSession } = await import("~/services/sessions.server");
const { checkCredentials } = await import("~/services/users.server");

afterAll(() => closeConnection());

const count = (table: string) => (connection().sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("users", () => {
  it("adds users with the password from stdin, lists them and refuses duplicates", async () => {
    const add = await runCli(["users", "add", "--username", "Alice", "--role", "admin", "--password-stdin"], { input: "correct horse battery\n" });
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    expect(add.stdout).toBe("created admin alice\n");
    expect((await runCli(["users", "add", "--username", "bob", "--role", "reviewer", "--password-stdin", "--json"], { input: "another long password" })).stdout).toBe(
      '{"username":"bob","role":"reviewer"}\n',
    );

    const list = await runCli(["users", "list", "--json"]);
    expect(list.status).toBe(0);
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(users.map((u) => [u.username, u.role, u.disabled])).toEqual([
      ["alice", "admin", false],
      ["bob", "reviewer", false],
    ]);
    expect((await runCli(["users", "list"])).stdout).toBe("USERNAME  ROLE      STATUS\nalice     admin     active\nbob       reviewer  active\n");

    const again = await runCli(["users", "add", "--username", "alice", "--role", "reviewer", "--password-stdin"], { input: "yet another password" });
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('error: user "alice" already exists\n');
  });

  it("stores only a scrypt hash of the password", () => {
    const row = connection().sqlite.prepare("SELECT password_hash FROM users WHERE username = 'alice'").get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row.password_hash).not.toContain("correct horse");
  });

  it("explains bad arguments with exit code 2, and weak passwords with exit code 1", async () => {
    const role = await runCli(["users", "add", "--username", "carol", "--role", "boss", "--password-stdin"], { input: "long enough password" });
    expect(role.status).toBe(2);
    expect(role.stderr).toContain("error: --role must be admin or reviewer");
    const noStdin = await runCli(["users", "add", "--username", "carol", "--role", "reviewer"]);
    expect(noStdin.status).toBe(2);
    expect(noStdin.stderr).toContain("--password-stdin");
    const short = await runCli(["users", "add", "--username", "carol", "--role", "reviewer", "--password-stdin"], { input: "short" });
    expect(short.status).toBe(1);
    expect(short.stderr).toBe("error: password: at least 10 characters\n");
  });

  it("disables a user and ends their sessions", async () => {
    const bob = connection().sqlite.prepare("SELECT id FROM users WHERE username = 'bob'").get() as { id: string };
    const { token } = createSession(bob.id);
    expect(userOfSession(token)?.username).toBe("bob");
    const disable = await runCli(["users", "disable", "bob"]);
    expect(disable.status).toBe(0);
    expect(disable.stdout).toBe("disabled bob; their sessions are ended\n");
    expect(userOfSession(token)).toBeNull();
    expect((JSON.parse((await runCli(["users", "list", "--json"])).stdout) as Array<{ username: string; disabled: boolean }>).find((u) => u.username === "bob")?.disabled).toBe(true);
    expect((await runCli(["users", "disable", "nobody"])).stderr).toBe('error: no user "nobody"\n');
  });

  it("enables a disabled user again, who can then sign in", async () => {
    expect(await checkCredentials("bob", "another long password")).toBeNull();
    const enable = await runCli(["users", "enable", "bob"]);
    expect(enable.status, enable.stderr).toBe(0);
    expect(enable.stdout).toBe("enabled bob; they can sign in again\n");
    expect((await checkCredentials("bob", "another long password"))?.username).toBe("bob");
    expect((await runCli(["users", "enable", "bob"])).stdout).toBe("bob was already enabled\n");
    const actions = connection().sqlite.prepare("SELECT action FROM audit_log WHERE subject = 'bob' ORDER BY at, rowid").all() as Array<{ action: string }>;
    expect(actions.map((a) => a.action).filter((a) => a !== "user.create")).toEqual(["user.disable", "user.enable"]);
  });
});

describe("import", () => {
  it("prints the summary as JSON and a progress line on stderr", async () => {
    const result = await runCli(["import", join(FIXTURES, "trl.jsonl"), "--dataset", "prefs", "--json"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('{"dataset":"prefs","prompts":4,"responses":8,"pairs":4}\n');
    expect(result.stderr).toMatch(/^import 100%: 4 lines, 535 bytes of 535 bytes, [\d.]+ s\n$/);
  });

  it("exits 1 listing every bad line, and imports nothing", async () => {
    const before = count("prompts");
    const result = await runCli(["import", join(FIXTURES, "malformed.jsonl"), "--dataset", "broken"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n").filter((l) => l.startsWith("line "))).toEqual([
      "line 2: json: Unexpected end of JSON input",
      "line 4: id: required",
      "line 5: responses.0.text: Invalid input: expected string, received number",
      'line 7: messages: expected exactly one of "messages" or "prompt"',
      'line 8: messages.0.role: Invalid option: expected one of "system"|"user"|"assistant"',
    ]);
    expect(result.stderr).toContain("error: 5 invalid lines; nothing was imported\n");
    expect(count("prompts")).toBe(before);
    expect(connection().sqlite.prepare("SELECT count(*) AS n FROM datasets WHERE name = 'broken'").get()).toEqual({ n: 0 });
  });

  it("prints the first 100 bad lines, then a count of the rest", async () => {
    const path = join(dir, "bad.jsonl");
    writeFileSync(path, Array.from({ length: 130 }, (_, i) => `{"id":"x${i}"`).join("\n"));
    const result = await runCli(["import", path, "--dataset", "bad"]);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("line "))).toHaveLength(100);
    expect(lines.at(-2)).toBe("… and 30 more invalid lines");
    expect(lines.at(-1)).toBe("error: 130 invalid lines; nothing was imported");
  });

  it("refuses duplicates unless --upsert", async () => {
    const first = await runCli(["import", join(FIXTURES, "native.jsonl"), "--dataset", "n"]);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('imported 3 prompts, 4 responses and 0 pairs into "n" (native)\n');
    const again = await runCli(["import", join(FIXTURES, "native.jsonl"), "--dataset", "n"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('line 1: id: prompt "n1" already exists in dataset "n" (use --upsert to replace it)');
    const upsert = await runCli(["import", join(FIXTURES, "native.jsonl"), "--dataset", "n", "--upsert", "--json"]);
    expect(upsert.status).toBe(0);
    expect(upsert.stdout).toBe('{"dataset":"n","prompts":3,"responses":4,"pairs":0}\n');
  });

  it("validates its arguments", async () => {
    expect((await runCli(["import", join(FIXTURES, "native.jsonl")])).stderr).toContain("error: --dataset NAME is required");
    expect((await runCli(["import", join(FIXTURES, "native.jsonl"), "--dataset", "d", "--format", "xml"])).status).toBe(2);
    const missing = await runCli(["import", join(dir, "nope.jsonl"), "--dataset", "d"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`error: cannot read ${join(dir, "nope.jsonl")}\n`);
    const badName = await runCli(["import", join(FIXTURES, "native.jsonl"), "--dataset", "../etc"]);
    expect(badName.status).toBe(1);
    expect(badName.stderr).toMatch(/^error: dataset: /);
  });
});

describe("errors with --json", () => {
  const json = (stdout: string) => JSON.parse(stdout) as { error: { code: string; message: string; details?: Record<string, unknown> } };

  it("stats, leaderboard and export print the API's error object on stdout and exit 1", async () => {
    const stats = await runCli(["stats", "--batch", "nope", "--json"]);
    expect(stats.status).toBe(1);
    expect(stats.stdout).toBe('{"error":{"code":"not_found","message":"no batch nope"}}\n');
    expect(stats.stderr).toBe("");
    const board = await runCli(["leaderboard", "--dataset", "nope", "--json"]);
    expect(board.status).toBe(1);
    expect(json(board.stdout)).toEqual({ error: { code: "not_found", message: 'no dataset "nope"' } });
    const format = await runCli(["export", "--batch", "nope", "--format", "bogus", "--json"]);
    expect(format.status).toBe(1);
    const error = json(format.stdout).error;
    expect(error.code).toBe("invalid");
    expect(error.message).toMatch(/^format: /);
    expect((error.details as { fields: Record<string, string> }).fields.format).toContain("trl-preference");
  });

  it("answers usage errors in JSON too, with exit code 2 and the command's usage", async () => {
    const missing = await runCli(["leaderboard", "--json"]);
    expect(missing.status).toBe(2);
    expect(json(missing.stdout)).toEqual({ error: { code: "usage", message: "give --batch ID or --dataset NAME", details: { usage: "leaderboard --batch ID | --dataset NAME [--json]" } } });
    expect(missing.stderr).toBe("");
    const unknown = await runCli(["stats", "--bogus", "--json"]);
    expect(unknown.status).toBe(2);
    expect(json(unknown.stdout).error).toMatchObject({ code: "usage", message: expect.stringContaining("--bogus"), details: { usage: "stats --batch ID [--json]" } });
    const exportUsage = await runCli(["export", "--json"]);
    expect(exportUsage.status).toBe(2);
    expect(json(exportUsage.stdout).error).toMatchObject({ code: "usage", message: "--batch ID is required", details: { usage: expect.stringContaining("[--source judgments|imported|both] [--min-strength 1|2|3] [--only-unsolved] [--with-ids] [--keep-invalid] [--with-text] [--include-skipped] [--json]") } });
  });

  it("keeps plain-text errors on stderr without --json", async () => {
    const plain = await runCli(["stats", "--batch", "nope"]);
    expect(plain.status).toBe(1);
    expect(plain.stdout).toBe("");
    expect(plain.stderr).toBe("error: no batch nope\n");
  });
});
