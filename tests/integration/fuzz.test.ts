import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { setUpTempDatabase } from "./helpers";

// Bad input (issue 14 point 5): fuzzed import lines and API bodies get a clear 400 or 413, never
// a 500 and never a partial write. The API bodies go to the route modules' actions, as the
// server's lean path calls them.
const { dir } = setUpTempDatabase({ VERDICT_SEED: "none", VERDICT_MAX_LINE_MB: "1" });
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile, ImportRejected } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { createToken } = await import("~/services/tokens.server");
const judgmentRoute = await import("~/routes/api.v1.assignments.$id.judgment");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;
const counts = () => sqlite().prepare("SELECT (SELECT count(*) FROM datasets) AS datasets, (SELECT count(*) FROM prompts) AS prompts, (SELECT count(*) FROM judgments) AS judgments").get();

/** A seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const bytes = (rand: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

let token = "";
let view: AssignmentView;
beforeAll(async () => {
  writeFileSync(join(dir, "ok.jsonl"), JSON.stringify({ id: "p1", prompt: "Q", responses: [{ id: "a", model: "m1", text: "A" }, { id: "b", model: "m2", text: "B" }] }));
  await importFile(join(dir, "ok.jsonl"), { dataset: "ok" });
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('u1', 'rev', 'rev', 'reviewer', 'x', 0)").run();
  createBatch({ dataset: "ok", name: "b", task: "pairwise", overlap: 1, reviewers: ["rev"], config: {} });
  token = createToken({ username: "rev" }).token;
  view = nextAssignment(sqlite().prepare("SELECT id FROM batches").pluck().get() as string, "u1")!;
});

describe("fuzzed import files", () => {
  const cases: Array<[string, Buffer]> = [];
  const rand = random(14);
  for (let i = 0; i < 12; i++) cases.push([`random bytes ${i}`, Buffer.concat([Buffer.from("{"), bytes(rand, 200 + i * 50)])]);
  cases.push(["invalid UTF-8", Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d, 0x0a])]);
  cases.push(["NUL bytes", Buffer.from('{"id": "x\u0000", "prompt": "a\u0000b"\u0000}\n')]);
  cases.push(["deep nesting", Buffer.from(`{"id": "d", "prompt": "q", "metadata": {"x": ${deep(5000)}}}\n{"id": "e", "prompt": ${deep(100_000)}}\n`)]);
  cases.push(["a 2 MB string on one line (limit 1 MB)", Buffer.from(`{"id": "big", "prompt": "${"x".repeat(2 * 1024 * 1024)}"}\n`)]);
  cases.push(["wrong types", Buffer.from('{"id": {"a": 1}, "prompt": 5}\n{"id": "w", "messages": "hi"}\n{"id": "r", "prompt": "q", "responses": {"0": 1}}\n')]);
  cases.push(["unknown keys and a good line", Buffer.from('{"id": "g", "prompt": "fine"}\n{"id": "u", "prompt": "q", "responses": [{"model": "m", "text": "t", "colour": 1}], "context": [{"title": "t", "content": "c"}]}\n')]);

  it.each(cases)("refuses %s with per-line messages and writes nothing", async (_name, content) => {
    const before = counts();
    const file = join(dir, "fuzz.jsonl");
    writeFileSync(file, content);
    const error = await importFile(file, { dataset: `fuzz-${Math.floor(Math.random() * 1e9)}` }).then(
      () => null,
      (e: unknown) => e,
    );
    // Either every line was fine (then it imported whole) or the file was refused whole.
    if (error === null) return;
    expect(error).toBeInstanceOf(ImportRejected);
    const rejected = error as InstanceType<typeof ImportRejected>;
    expect(rejected.lines.length).toBeGreaterThan(0);
    for (const line of rejected.lines) expect(line).toMatch(/^line \d+: /);
    expect(counts()).toEqual(before);
  });

  it("reads a gzip bomb in bounded memory and refuses it, writing nothing", async () => {
    // 256 MB of one-character lines compress to a quarter of a megabyte: the import stops after
    // 10,000 invalid lines instead of reading 134 million of them.
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, "x\n"), { level: 9 });
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    writeFileSync(join(dir, "bomb.jsonl.gz"), Buffer.concat([gzipSync(Buffer.from("{")), bomb]));
    const before = counts();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const error = await importFile(join(dir, "bomb.jsonl.gz"), { dataset: "bomb" }).then(
      () => null,
      (e: unknown) => e,
    );
    clearInterval(sampler);
    expect(error).toBeInstanceOf(ImportRejected);
    expect((error as InstanceType<typeof ImportRejected>).message).toMatch(/invalid lines?; nothing was imported/);
    expect((error as InstanceType<typeof ImportRejected>).lines.at(-1)).toBe("… the import stopped reading after 10000 invalid lines");
    expect(counts()).toEqual(before);
    expect((peak - rssBefore) / 1024 / 1024).toBeLessThan(200);
  }, 60_000);
});

describe("fuzzed API bodies", () => {
  const post = async (body: BodyInit, headers: Record<string, string> = {}) => {
    const request = new Request(`http://verdict.test/api/v1/assignments/${view.id}/judgment`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
      body,
    });
    const response = (await judgmentRoute.action({ request, params: { id: view.id }, context: {} } as never)) as Response;
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
  };

  const rand = random(99);
  const bodies: Array<[string, BodyInit]> = [
    ["random bytes", bytes(rand, 500)],
    ["invalid UTF-8", Buffer.from([0x7b, 0xc3, 0x28, 0x7d])],
    ["NUL", '{"client_id": "a\u0000", "preferred": "\u0000"}'],
    ["deep nesting", `{"client_id": "d", "flags": ${deep(10_000)}}`],
    ["wrong types", '{"client_id": 5, "preferred": [], "strength": "max", "flags": "all"}'],
    ["unknown keys", '{"client_id": "u", "preferred": "tie", "colour": "red", "__proto__": {"admin": true}}'],
    ["an array", "[1, 2, 3]"],
    ["null", "null"],
    ["empty", ""],
  ];
  for (let i = 0; i < 8; i++) bodies.push([`random JSON-ish ${i}`, `{"client_id": "r${i}", ${bytes(rand, 40).toString("latin1")}}`]);

  it.each(bodies)("answers %s with a 400 and a message, storing nothing", async (_name, body) => {
    const before = counts();
    const answer = await post(body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error?.code).toBe("invalid");
    expect(answer.body.error?.message.length).toBeGreaterThan(0);
    expect(counts()).toEqual(before);
  });

  it("answers a 10 MB string with 413, storing nothing", async () => {
    const before = counts();
    const answer = await post(JSON.stringify({ client_id: "big", preferred: "tie", rationale: "x".repeat(10 * 1024 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe("too_large");
    expect(counts()).toEqual(before);
  });
});
