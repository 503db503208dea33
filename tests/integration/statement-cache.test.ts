import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cachePreparedStatements } from "../../db/client";

function database() {
  const sqlite = new Database(":memory:");
  sqlite.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b'), ('c');");
  cachePreparedStatements(sqlite, 2);
  return sqlite;
}

describe("cachePreparedStatements", () => {
  it("hands back the statement prepared for the same SQL, with a caller's modes reset", () => {
    const sqlite = database();
    const first = sqlite.prepare("SELECT id, name FROM t ORDER BY id");
    expect(first.pluck().all()).toEqual([1, 2, 3]);
    const again = sqlite.prepare("SELECT id, name FROM t ORDER BY id");
    expect(again).toBe(first);
    // The pluck of the first caller does not leak into the second.
    expect(again.all()).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: "c" },
    ]);
    expect(sqlite.prepare("SELECT id, name FROM t ORDER BY id").raw().get()).toEqual([1, "a"]);
    expect(sqlite.prepare("SELECT id, name FROM t ORDER BY id").get()).toEqual({ id: 1, name: "a" });
  });

  it("never hands out a statement that is still iterating, and runs writes as before", () => {
    const sqlite = database();
    const names: string[] = [];
    for (const row of sqlite.prepare("SELECT name FROM t ORDER BY id").iterate() as Iterable<{ name: string }>) {
      // The same SQL while the first is busy: a fresh statement, not "This statement is busy".
      names.push(row.name, String((sqlite.prepare("SELECT name FROM t ORDER BY id").pluck().get() as string) === "a"));
    }
    expect(names).toEqual(["a", "true", "b", "true", "c", "true"]);
    expect(sqlite.prepare("UPDATE t SET name = ? WHERE id = ?").run("z", 1).changes).toBe(1);
    expect(sqlite.prepare("UPDATE t SET name = ? WHERE id = ?").run("y", 2).changes).toBe(1);
  });

  it("keeps at most `max` statements, dropping the least recently used", () => {
    const sqlite = database();
    const a = sqlite.prepare("SELECT 1");
    const b = sqlite.prepare("SELECT 2");
    expect(sqlite.prepare("SELECT 1")).toBe(a); // a is now the most recent
    sqlite.prepare("SELECT 3"); // drops b
    expect(sqlite.prepare("SELECT 1")).toBe(a);
    expect(sqlite.prepare("SELECT 2")).not.toBe(b);
  });
});
