import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { browseDataset, modelSummary, metadataFields } = await import("~/services/dataset-browse.server");
const { renderMarkdown } = await import("~/components/markdown");

afterAll(() => closeConnection());

const XSS = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;
/** Prompt i: a question, alpha's answer (with usage) and beta's (without); q07 carries a marker word in beta's answer. */
function line(i: number): string {
  const id = `q${String(i).padStart(2, "0")}`;
  return JSON.stringify({
    id,
    messages: [{ role: "user", content: i === 3 ? `Please explain ${XSS} lighthouses` : `Question number ${i} about ${i % 2 ? "rivers" : "mountains"}` }],
    metadata: { topic: i % 3 === 0 ? "geo" : "misc", level: i % 5 },
    responses: [
      { id: "a", model: "alpha", text: "A".repeat(10 + i), metadata: { usage: { completion_tokens: i } } },
      { id: "b", model: "beta", text: i === 7 ? "The answer mentions platypus habitats." : `B answer ${i}` },
    ],
  });
}
const COUNT = 25;

beforeAll(async () => {
  writeFileSync(join(dir, "browse.jsonl"), Array.from({ length: COUNT }, (_, i) => line(i)).join("\n"));
  await importFile(join(dir, "browse.jsonl"), { dataset: "browse" });
  writeFileSync(join(dir, "other.jsonl"), JSON.stringify({ id: "x", messages: [{ role: "user", content: "platypus mountains" }], responses: [{ model: "gamma", text: "other" }] }));
  await importFile(join(dir, "other.jsonl"), { dataset: "other" });
});

/** Every prompt's external id, following next cursors from the first page. */
function walk(query: Record<string, string | number>): string[] {
  const seen: string[] = [];
  let after: string | undefined;
  for (let n = 0; n < 100; n++) {
    const page = browseDataset("browse", { ...query, ...(after ? { after } : {}) });
    seen.push(...page.prompts.map((p) => p.external_id));
    if (!page.next) return seen;
    after = page.next;
  }
  throw new Error("runaway paging");
}

describe("browseDataset", () => {
  it("pages through every prompt exactly once, in external id order, with both responses", () => {
    const first = browseDataset("browse", { limit: 10 });
    expect(first.total).toBe(COUNT);
    expect(first.totalExact).toBe(true);
    expect(first.previous).toBeNull();
    expect(first.prompts).toHaveLength(10);
    expect(first.prompts[0]).toMatchObject({ external_id: "q00", metadata: { topic: "geo", level: 0 } });
    expect(first.prompts[0]!.responses.map((r) => [r.model, r.text])).toEqual([["alpha", "A".repeat(10)], ["beta", "B answer 0"]]);
    const all = walk({ limit: 7 });
    expect(all).toEqual(Array.from({ length: COUNT }, (_, i) => `q${String(i).padStart(2, "0")}`));
    // Back from the second page lands on the first.
    const second = browseDataset("browse", { limit: 10, after: first.next! });
    expect(second.previous).toBe("q10");
    const back = browseDataset("browse", { limit: 10, before: second.previous! });
    expect(back.prompts.map((p) => p.external_id)).toEqual(first.prompts.map((p) => p.external_id));
    expect(back.previous).toBeNull();
    expect(back.next).toBe("q09");
  });

  it("keeps its pages stable when prompts are imported meanwhile", async () => {
    const first = browseDataset("browse", { limit: 5 });
    writeFileSync(join(dir, "more.jsonl"), JSON.stringify({ id: "q00a", messages: [{ role: "user", content: "late" }], responses: [] }));
    await importFile(join(dir, "more.jsonl"), { dataset: "browse", upsert: true });
    const next = browseDataset("browse", { limit: 5, after: first.next! });
    expect(next.prompts[0]!.external_id).toBe("q05");
    connection().sqlite.prepare("DELETE FROM prompts WHERE external_id = 'q00a'").run();
    expect(browseDataset("browse").total).toBe(COUNT);
  });

  it("finds prompts by words of their messages and of their responses, in this dataset only", () => {
    expect(walk({ q: "platypus" })).toEqual(["q07"]);
    expect(walk({ q: "lighthouses" })).toEqual(["q03"]);
    expect(walk({ q: "rivers" })).toEqual(["q01", "q05", "q07", "q09", "q11", "q13", "q15", "q17", "q19", "q21", "q23"]);
    // Every word must match; a word is matched as a prefix; case and FTS syntax do not matter.
    expect(walk({ q: "QUESTION number 12" })).toEqual(["q12"]);
    expect(walk({ q: "platy" })).toEqual(["q07"]);
    expect(walk({ q: 'habitats" OR rivers' })).toEqual([]);
    expect(browseDataset("browse", { q: "nothing-like-this" })).toMatchObject({ prompts: [], total: 0, next: null });
  });

  it("filters by model and by a metadata field, combined with search", () => {
    expect(walk({ model: "alpha", limit: 4 })).toHaveLength(COUNT);
    expect(walk({ model: "gamma" })).toEqual([]);
    expect(walk({ field: "topic", value: "geo" })).toEqual(["q00", "q03", "q06", "q09", "q12", "q15", "q18", "q21", "q24"]);
    expect(walk({ field: "level", value: "4" })).toEqual(["q04", "q09", "q14", "q19", "q24"]);
    expect(walk({ field: "topic", value: "geo", q: "rivers" })).toEqual(["q09", "q15", "q21"]);
    const filtered = browseDataset("browse", { field: "topic", value: "geo", limit: 2 });
    expect(filtered).toMatchObject({ total: 9, totalExact: true });
  });

  it("matches metadata values exactly whatever JSON makes of them: quotes, accents, booleans, a value inside another", async () => {
    const lines = [
      { id: "m1", prompt: "one", metadata: { note: 'say "hi"\\ café', flag: true, tag: "holdout" } },
      { id: "m2", prompt: "two", metadata: { note: "café", flag: false, tag: "holdout-2" } },
      { id: "m3", prompt: "three", metadata: { other: "holdout", flag: 1 } },
    ];
    writeFileSync(join(dir, "meta.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
    await importFile(join(dir, "meta.jsonl"), { dataset: "meta" });
    const ids = (field: string, value: string) => browseDataset("meta", { field, value }).prompts.map((p) => p.external_id);
    expect(ids("note", 'say "hi"\\ café')).toEqual(["m1"]);
    expect(ids("note", "café")).toEqual(["m2"]);
    // SQLite reads true as 1: a boolean compares as 1 or 0, and "1" finds a true flag and a 1.
    expect(ids("flag", "1")).toEqual(["m1", "m3"]);
    expect(ids("flag", "0")).toEqual(["m2"]);
    // The value must be the field's, not found elsewhere in the metadata or inside a longer value.
    expect(ids("tag", "holdout")).toEqual(["m1"]);
    expect(browseDataset("meta", { field: "tag", value: "holdout" })).toMatchObject({ total: 1, totalExact: true });
  });

  it("refuses bad input by field and a dataset that does not exist", () => {
    expect(errorOf(() => browseDataset("browse", { field: "a'b", value: "x" }))).toMatchObject({ code: "invalid", details: { fields: { field: expect.any(String) } } });
    expect(errorOf(() => browseDataset("browse", { q: "!!!" }))).toMatchObject({ code: "invalid", details: { fields: { q: expect.any(String) } } });
    expect(errorOf(() => browseDataset("browse", { limit: "500" }))).toMatchObject({ code: "invalid", details: { fields: { limit: expect.any(String) } } });
    expect(errorOf(() => browseDataset("browse", { value: "x" }))).toMatchObject({ code: "invalid", details: { fields: { field: expect.any(String) } } });
    expect(errorOf(() => browseDataset("nope"))).toMatchObject({ code: "not_found" });
  });

  it("keeps untrusted text as text: stored verbatim, rendered escaped", () => {
    const [prompt] = browseDataset("browse", { q: "lighthouses" }).prompts;
    expect(prompt!.messages[0]!.content).toContain(XSS);
    const html = renderMarkdown(prompt!.messages[0]!.content);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });
});

describe("modelSummary", () => {
  it("counts each model's responses with their mean length and mean output tokens", () => {
    // alpha: lengths 10..34, mean 22; tokens 0..24, mean 12. beta: "B answer i" for i ≠ 7 (10 characters for i < 10, 11 after) and 38 for q07.
    const betaLengths = Array.from({ length: COUNT }, (_, i) => (i === 7 ? "The answer mentions platypus habitats.".length : `B answer ${i}`.length));
    expect(modelSummary("browse")).toEqual([
      { model: "alpha", responses: 25, mean_chars: 22, mean_output_tokens: 12 },
      { model: "beta", responses: 25, mean_chars: betaLengths.reduce((a, b) => a + b, 0) / COUNT, mean_output_tokens: null },
    ]);
    expect(metadataFields("browse")).toEqual(["level", "topic"]);
  });

  it("is recomputed when a response changes, even through the cache", () => {
    const before = modelSummary("browse").find((m) => m.model === "beta")!;
    connection().sqlite.prepare("UPDATE responses SET text = text || 'xxxxxxxxxxxxxxxxxxxxxxxxx' WHERE model = 'beta' AND external_id = 'b' AND prompt_id = (SELECT id FROM prompts WHERE external_id = 'q00' AND dataset_id = (SELECT id FROM datasets WHERE name = 'browse'))").run();
    const after = modelSummary("browse").find((m) => m.model === "beta")!;
    expect(after.mean_chars).toBeCloseTo(before.mean_chars + 1, 10);
    // The search index follows the change too.
    connection().sqlite.prepare("UPDATE responses SET text = 'now about walruses' WHERE model = 'beta' AND prompt_id = (SELECT id FROM prompts WHERE external_id = 'q01' AND dataset_id = (SELECT id FROM datasets WHERE name = 'browse'))").run();
    expect(walk({ q: "walruses" })).toEqual(["q01"]);
  });
});

describe("datasets show", () => {
  it("prints a page as JSON and as text, with the same filters", async () => {
    closeConnection();
    const json = await runCli(["datasets", "show", "browse", "--q", "platypus", "--json"]);
    expect(json.status).toBe(0);
    const page = JSON.parse(json.stdout) as { prompts: Array<{ external_id: string; responses: unknown[] }>; total: number; models: Array<{ model: string }> };
    expect(page.prompts.map((p) => p.external_id)).toEqual(["q07"]);
    expect(page.prompts[0]!.responses).toHaveLength(2);
    expect(page.models.map((m) => m.model)).toEqual(["alpha", "beta"]);
    const text = await runCli(["datasets", "show", "browse", "--model", "alpha", "--limit", "2"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("q00: Question number 0 about mountains");
    expect(text.stdout).toContain("2 of 25 prompts; next page: --after q01");
    const missing = await runCli(["datasets", "show", "nope", "--json"]);
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "not_found" } });
  });
});
