import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceError } from "~/services/errors.server";
import type { ExportResult } from "~/services/exports.server";
import { FIXTURES, HH_SPLIT, errorOf, hasHhSplit, runCli, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment, skipAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { streamExport, previewExport, parseExportOptions, exportCard } = await import("~/services/exports.server");
const { newId } = await import("../../db/ids");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

function addReviewers(names: string[]): string[] {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  return names.map((name) => {
    const id = `id-${name}`;
    insert.run(id, name, name);
    return id;
  });
}

async function exportText(batchId: string, options: Record<string, unknown>): Promise<{ text: string; result: ExportResult }> {
  let result: ExportResult | null = null;
  const parts: Buffer[] = [];
  for await (const chunk of streamExport(batchId, options, { onDone: (r) => (result = r) })) parts.push(Buffer.from(chunk));
  return { text: Buffer.concat(parts).toString("utf8"), result: result! };
}
const lines = (text: string) => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Judges every item a reviewer gets with `decide(item position, responses in dataset order)`. */
function judgeAll(batchId: string, reviewerId: string, decide: (position: number, datasetOrder: string[]) => Record<string, unknown> | null) {
  for (let n = 0; ; n++) {
    const a = nextAssignment(batchId, reviewerId);
    if (!a) return;
    const item = sqlite().prepare("SELECT position, response_ids FROM items WHERE id = ?").get(a.item_id) as { position: number; response_ids: string };
    const body = decide(item.position, JSON.parse(item.response_ids) as string[]);
    if (body) submitJudgment(a.id, reviewerId, { client_id: `${batchId}-${reviewerId}-${n}`, ...body });
    if (n > 100_000) throw new Error("runaway");
  }
}

let reviewers: string[] = [];
let policyBatch = "";

beforeAll(async () => {
  reviewers = addReviewers(["ann", "ben", "cat"]);
  const data = Array.from({ length: 5 }, (_, i) =>
    JSON.stringify({ id: `q${i}`, messages: [{ role: "system", content: "Be kind." }, { role: "user", content: `Question ${i}?` }], responses: [{ id: "a", model: "alpha", text: `A${i}` }, { id: "b", model: "beta", text: `B${i}` }] }),
  );
  writeFileSync(join(dir, "policy.jsonl"), data.join("\n"));
  await importFile(join(dir, "policy.jsonl"), { dataset: "policy" });
  policyBatch = createBatch({ dataset: "policy", name: "Policy", task: "pairwise", overlap: 3, reviewers: ["ann", "ben", "cat"] }).id;
  // Position 0: all prefer A (3, 2, 1). 1: A, A, B. 2: tie, tie, A. 3: all A, but ann flags A as a hallucination. 4: all A, a gold item.
  const plans: Record<number, Array<Record<string, unknown>>> = {
    0: [{ p: 0, s: 3 }, { p: 0, s: 2 }, { p: 0, s: 1 }],
    1: [{ p: 0, s: 1 }, { p: 0, s: 3 }, { p: 1, s: 2 }],
    2: [{ p: "tie" }, { p: "tie" }, { p: 0, s: 2 }],
    3: [{ p: 0, s: 2, flag: true }, { p: 0, s: 2 }, { p: 0, s: 2 }],
    4: [{ p: 0, s: 1 }, { p: 0, s: 1 }, { p: 0, s: 1 }],
  };
  reviewers.forEach((reviewer, r) =>
    judgeAll(policyBatch, reviewer, (position, order) => {
      const plan = plans[position]![r]!;
      if (plan.p === "tie") return { preferred: "tie" };
      const preferred = order[plan.p as number]!;
      return { preferred, strength: plan.s, ...(plan.flag ? { flags: [{ response_id: preferred, flag: "hallucination" }] } : {}) };
    }),
  );
  sqlite().prepare("UPDATE items SET is_gold = 1 WHERE batch_id = ? AND position = 4").run(policyBatch);
});

describe("consensus policies", () => {
  it("majority: one row per item whose majority agrees, with the lower median strength of that side; gold and ties left out", async () => {
    const rows = lines((await exportText(policyBatch, { format: "trl-reward", consensus: "majority" })).text);
    expect(rows.map((r) => [(r.chosen as Array<{ content: string }>).at(-1)!.content, r.margin])).toEqual([
      ["A0", 2],
      ["A1", 1],
      ["A3", 2],
    ]);
  });

  it("unanimous, min-agreement and exclude-flags", async () => {
    const chosen = (rows: Record<string, unknown>[]) => rows.map((r) => (r.chosen as Array<{ content: string }>).at(-1)!.content);
    expect(chosen(lines((await exportText(policyBatch, { format: "trl-reward", consensus: "unanimous" })).text))).toEqual(["A0", "A3"]);
    expect(chosen(lines((await exportText(policyBatch, { format: "trl-reward", consensus: "majority", min_agreement: 0.7 })).text))).toEqual(["A0", "A3"]);
    expect(chosen(lines((await exportText(policyBatch, { format: "trl-reward", consensus: "majority", exclude_flags: "hallucination,pii" })).text))).toEqual(["A0", "A1"]);
    expect(chosen(lines((await exportText(policyBatch, { format: "trl-reward", consensus: "majority", include_gold: true })).text))).toEqual(["A0", "A1", "A3", "A4"]);
  });

  it("all: one row per reviewer pair, ties dropped unless the format can carry them", async () => {
    const all = lines((await exportText(policyBatch, { format: "openai-dpo", consensus: "all" })).text);
    // 3 + 3 + 1 (two ties dropped) + 3 = 10
    expect(all).toHaveLength(10);
    expect(all.filter((r) => (r.preferred_output as Array<{ content: string }>)[0]!.content === "B1")).toHaveLength(1);
    expect(() => parseExportOptions({ format: "trl-preference", ties: "keep" })).toThrow(/trl-preference cannot carry ties/);
    const judgments = lines((await exportText(policyBatch, { format: "judgments", ties: "keep" })).text);
    expect(judgments).toHaveLength(12);
    expect(lines((await exportText(policyBatch, { format: "judgments" })).text)).toHaveLength(10);
  });

  it("refuses bad options with field messages", () => {
    const error = (() => {
      try {
        parseExportOptions({ format: "csv", consensus: "most" });
      } catch (e) {
        return e as ServiceError;
      }
      return null;
    })();
    expect(error?.status).toBe(400);
    expect(Object.keys((error?.details?.fields ?? {}) as object).sort()).toEqual(["consensus", "format"]);
  });
});

const JUDGMENT_KEYS = [
  "both_bad", "created_at", "duration_ms", "flags", "item_id", "judgment_id", "preferred", "prompt_id", "rationale", "responses", "reviewer",
  "scores", "shown_order", "skipped", "source", "strength", "task", "tiers", "updated_at",
];

describe("every format", () => {
  const expectedKeys: Record<string, string[]> = {
    "trl-preference": ["chosen", "prompt", "rejected"],
    "trl-preference-chat": ["chosen", "prompt", "rejected"],
    "trl-reward": ["chosen", "margin", "rejected"],
    "trl-kto": ["completion", "label", "prompt"],
    "trl-kto-chat": ["completion", "label", "prompt"],
    "trl-sft": ["completion", "prompt"],
    "trl-sft-chat": ["completion", "prompt"],
    prompts: ["prompt"],
    "openai-dpo": ["input", "non_preferred_output", "preferred_output"],
    "hh-rlhf": ["chosen", "rejected"],
    rankings: ["prompt", "prompt_id", "responses", "reviewer", "source", "tiers"],
    judgments: JUDGMENT_KEYS,
  };
  for (const [format, keys] of Object.entries(expectedKeys)) {
    it(`${format}: every line has the same keys and types`, async () => {
      const rows = lines((await exportText(policyBatch, { format, consensus: "all" })).text);
      expect(rows.length).toBeGreaterThan(0);
      const shape = (row: Record<string, unknown>) => Object.keys(row).sort().map((k) => `${k}:${Array.isArray(row[k]) ? "array" : row[k] === null ? "null" : typeof row[k]}`);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(keys);
      const shapes = new Set(rows.map((r) => shape(r).filter((s) => !s.startsWith("duration_ms")).join(",")));
      expect(shapes.size).toBe(1);
    });
  }

  it("pseudonymizes reviewers the same way in every export", async () => {
    const a = lines((await exportText(policyBatch, { format: "rankings", consensus: "all" })).text).map((r) => r.reviewer);
    const b = lines((await exportText(policyBatch, { format: "judgments" })).text).map((r) => r.reviewer);
    expect(new Set(a)).toEqual(new Set(b));
    expect([...new Set(a)].every((name) => /^reviewer-[0-9a-f]{10}$/.test(String(name)))).toBe(true);
    expect(JSON.stringify(b)).not.toContain("ann");
  });
});

/**
 * The JSON types each key path takes over all rows, array elements as `key[]` (an empty list
 * says nothing about its elements): a file holds one schema when every path has one type.
 */
function schemaOf(rows: readonly unknown[]): Record<string, string[]> {
  const types = new Map<string, Set<string>>();
  const visit = (value: unknown, path: string) => {
    const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    if (!types.has(path)) types.set(path, new Set());
    types.get(path)!.add(type);
    if (Array.isArray(value)) for (const v of value) visit(v, `${path}[]`);
    else if (type === "object") for (const [k, v] of Object.entries(value as object)) visit(v, path ? `${path}.${k}` : k);
  };
  for (const row of rows) visit(row, "");
  return Object.fromEntries([...types].map(([path, set]) => [path, [...set].sort()]));
}

describe("the judgments format: joinable on the dataset's ids, typed, with skips and texts", () => {
  interface SourceLine {
    id: string;
    messages: Array<{ role: string; content: string }>;
    responses: Array<{ id: string; model: string; text: string }>;
  }
  // The dataset's own ids ("good", "meh", "bad") are what a consumer joins on; Verdict's internal ids differ.
  const source: SourceLine[] = Array.from({ length: 3 }, (_, i) => ({
    id: `conv-${i}`,
    messages: [
      { role: "system", content: "Answer in one line." },
      { role: "user", content: `What is ${i} + ${i}?` },
    ],
    responses: [
      { id: "good", model: "gpt-x", text: `${2 * i}.` },
      { id: "meh", model: "llama-y", text: `About ${2 * i}, I think.` },
      { id: "bad", model: "mistral-z", text: "I cannot do arithmetic." },
    ],
  }));
  const sourceById = new Map(source.map((line) => [line.id, line]));
  let pairwise = "";
  let ranking = "";
  let rating = "";
  let internalIds: string[] = [];

  beforeAll(async () => {
    writeFileSync(join(dir, "joinable.jsonl"), source.map((l) => JSON.stringify(l)).join("\n"));
    await importFile(join(dir, "joinable.jsonl"), { dataset: "joinable" });
    internalIds = (sqlite().prepare("SELECT r.id FROM responses r JOIN prompts p ON p.id = r.prompt_id JOIN datasets d ON d.id = p.dataset_id WHERE d.name = 'joinable'").all() as Array<{ id: string }>).map((r) => r.id);
    const externalOf = sqlite().prepare<[string], { external_id: string }>("SELECT external_id FROM responses WHERE id = ?");
    const idOf = (order: string[], external: string) => order.find((id) => externalOf.get(id)!.external_id === external)!;

    pairwise = createBatch({ dataset: "joinable", name: "Joinable pairwise", task: "pairwise", overlap: 2, reviewers: ["ann", "ben"], pairing: "first-two" }).id;
    // ann prefers "good" clearly on item 0 and flags "meh", skips item 1, calls item 2 a tie; ben prefers "meh" slightly everywhere.
    for (let n = 0; ; n++) {
      const a = nextAssignment(pairwise, "id-ann");
      if (!a) break;
      const item = sqlite().prepare("SELECT position, response_ids FROM items WHERE id = ?").get(a.item_id) as { position: number; response_ids: string };
      const order = JSON.parse(item.response_ids) as string[];
      if (item.position === 1) skipAssignment(a.id, "id-ann");
      else if (item.position === 0)
        submitJudgment(a.id, "id-ann", { client_id: `join-ann-${n}`, preferred: idOf(order, "good"), strength: 2, flags: [{ response_id: idOf(order, "meh"), flag: "incomplete", note: "hedges" }], rationale: "exact", duration_ms: 3000 });
      else submitJudgment(a.id, "id-ann", { client_id: `join-ann-${n}`, preferred: "tie", both_bad: true });
    }
    judgeAll(pairwise, "id-ben", (_, order) => ({ preferred: idOf(order, "meh"), strength: 1 }));

    ranking = createBatch({ dataset: "joinable", name: "Joinable ranking", task: "ranking", overlap: 1, reviewers: ["ann"] }).id;
    judgeAll(ranking, "id-ann", (_, order) => ({ tiers: [[idOf(order, "good")], [idOf(order, "meh"), idOf(order, "bad")]] }));
    rating = createBatch({ dataset: "joinable", name: "Joinable rating", task: "rating", overlap: 1, reviewers: ["ben"], config: { aspects: [{ key: "overall", label: "Overall" }, { key: "style", label: "Style" }] } }).id;
    judgeAll(rating, "id-ben", (_, order) => ({
      scores: Object.fromEntries(order.map((id) => [id, { overall: { good: 5, meh: 3, bad: 1 }[externalOf.get(id)!.external_id]!, style: 4 }])),
    }));
  });

  /** Every response id a judgments row holds, wherever it holds one. */
  const responseIdsIn = (row: Record<string, unknown>): string[] => [
    ...(row.responses as Array<{ id: string }>).map((r) => r.id),
    ...(row.shown_order as string[]),
    ...(row.preferred && row.preferred !== "tie" ? [row.preferred as string] : []),
    ...(row.tiers as string[][]).flat(),
    ...(row.scores as Array<{ response_id: string }>).map((s) => s.response_id),
    ...(row.flags as Array<{ response_id: string }>).map((f) => f.response_id),
  ];

  it("every response id in every column is the imported file's own, joinable on (prompt_id, id)", async () => {
    for (const batch of [pairwise, ranking, rating]) {
      const { text } = await exportText(batch, { format: "judgments", ties: "keep", include_skipped: true });
      for (const id of internalIds) expect(text).not.toContain(id);
      const rows = lines(text);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const line = sourceById.get(row.prompt_id as string);
        expect(line, `prompt_id ${String(row.prompt_id)}`).toBeDefined();
        const known = new Set(line!.responses.map((r) => r.id));
        for (const id of responseIdsIn(row)) expect(known.has(id), `${id} in ${line!.id}`).toBe(true);
        // The model the row names for each id is the file's model for that id: the join is right, not just possible.
        for (const r of row.responses as Array<{ id: string; model: string }>) expect(r.model).toBe(line!.responses.find((s) => s.id === r.id)!.model);
      }
    }
    const pairRows = lines((await exportText(pairwise, { format: "judgments", ties: "keep" })).text);
    expect(pairRows.map((r) => [r.prompt_id, r.preferred, r.strength, r.both_bad, r.tiers])).toEqual([
      ["conv-0", "good", 2, false, [["good"], ["meh"]]],
      ["conv-0", "meh", 1, false, [["meh"], ["good"]]],
      ["conv-1", "meh", 1, false, [["meh"], ["good"]]],
      ["conv-2", "tie", 0, true, [["good", "meh"]]],
      ["conv-2", "meh", 1, false, [["meh"], ["good"]]],
    ]);
    expect(pairRows[0]!.flags).toEqual([{ response_id: "meh", flag: "incomplete", note: "hedges" }]);
    expect(new Set(pairRows[0]!.shown_order as string[])).toEqual(new Set(["good", "meh"]));
    const rankRows = lines((await exportText(ranking, { format: "judgments", ties: "keep" })).text);
    expect(rankRows.map((r) => r.tiers)).toEqual(Array(3).fill([["good"], ["meh", "bad"]]));
    const rateRows = lines((await exportText(rating, { format: "judgments" })).text);
    expect(rateRows[0]!.scores).toEqual([
      { response_id: "good", aspect: "overall", score: 5 },
      { response_id: "good", aspect: "style", score: 4 },
      { response_id: "meh", aspect: "overall", score: 3 },
      { response_id: "meh", aspect: "style", score: 4 },
      { response_id: "bad", aspect: "overall", score: 1 },
      { response_id: "bad", aspect: "style", score: 4 },
    ]);
    expect(rateRows[0]!.tiers).toEqual([["good"], ["meh"], ["bad"]]);
    // rankings writes the dataset's ids too, with the prompt id to join on.
    const ranked = lines((await exportText(ranking, { format: "rankings", ties: "keep" })).text);
    expect(ranked.map((r) => [r.prompt_id, r.tiers])).toEqual(source.map((l) => [l.id, [["good"], ["meh", "bad"]]]));
  });

  it("--include-skipped: one row per skipped assignment, skipped true, the same keys with neutral answers", async () => {
    const without = lines((await exportText(pairwise, { format: "judgments", ties: "keep" })).text);
    expect(without.every((r) => r.skipped === false)).toBe(true);
    const rows = lines((await exportText(pairwise, { format: "judgments", ties: "keep", include_skipped: "1" })).text);
    expect(rows).toHaveLength(without.length + 1);
    const skipped = rows.filter((r) => r.skipped === true);
    expect(skipped).toHaveLength(1);
    const ann = without[0]!.reviewer;
    expect(skipped[0]).toMatchObject({ judgment_id: "", prompt_id: "conv-1", task: "pairwise", reviewer: ann, preferred: "", strength: 0, both_bad: false, tiers: [], scores: [], flags: [], rationale: "", duration_ms: null });
    expect(new Set(skipped[0]!.shown_order as string[])).toEqual(new Set(["good", "meh"]));
    expect(Date.parse(skipped[0]!.created_at as string)).toBeGreaterThan(Date.parse("2020-01-01"));
    // In item order: the skip sits with its item, after that item's judgments.
    expect(rows.map((r) => `${String(r.prompt_id)}${r.skipped ? " skipped" : ""}`)).toEqual(["conv-0", "conv-0", "conv-1", "conv-1 skipped", "conv-2", "conv-2"]);
    // The CLI flag gives the same bytes.
    const cli = await runCli(["export", "--batch", pairwise, "--format", "judgments", "--ties", "keep", "--include-skipped"], { env: { VERDICT_DB: dbPath } });
    expect(cli.status).toBe(0);
    expect(lines(cli.stdout)).toEqual(rows);
  });

  it("--with-text reproduces the prompt messages and the response texts the reviewer read", async () => {
    const rows = lines((await exportText(pairwise, { format: "judgments", ties: "keep", include_skipped: true, with_text: "true" })).text);
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      const line = sourceById.get(row.prompt_id as string)!;
      expect(row.prompt).toEqual(line.messages);
      for (const r of row.responses as Array<{ id: string; model: string; text: string }>) expect(r).toEqual(line.responses.find((s) => s.id === r.id));
    }
    expect(lines((await exportText(pairwise, { format: "judgments", ties: "keep" })).text).every((r) => !("prompt" in r) && (r.responses as object[]).every((x) => !("text" in x)))).toBe(true);
    const cli = await runCli(["export", "--batch", pairwise, "--format", "judgments", "--ties", "keep", "--include-skipped", "--with-text"], { env: { VERDICT_DB: dbPath } });
    expect(cli.status).toBe(0);
    expect(lines(cli.stdout)).toEqual(rows);
  });

  for (const withText of [false, true]) {
    it(`every key has one JSON type on every row of a mixed export (pairwise, ties, skipped; ranking; rating)${withText ? ", with text" : ""}`, async () => {
      const options = { format: "judgments", ties: "keep", include_skipped: true, with_text: withText };
      const rows = [
        ...lines((await exportText(pairwise, options)).text),
        ...lines((await exportText(ranking, options)).text),
        ...lines((await exportText(rating, options)).text),
      ];
      expect(new Set(rows.map((r) => r.skipped))).toEqual(new Set([true, false]));
      expect(new Set(rows.map((r) => r.task))).toEqual(new Set(["pairwise", "ranking", "rating"]));
      const keys = withText ? [...JUDGMENT_KEYS, "prompt"].sort() : JUDGMENT_KEYS;
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(keys);
      const schema = schemaOf(rows);
      expect(schema.duration_ms).toEqual(["null", "number"]);
      const mixed = Object.entries(schema).filter(([path, types]) => path !== "duration_ms" && types.length !== 1);
      expect(mixed).toEqual([]);
      expect(schema).toMatchObject({ preferred: ["string"], strength: ["number"], "tiers[][]": ["string"], "scores[].score": ["number"], skipped: ["boolean"] });
    });
  }

  it("takes with_text and include_skipped as booleans or 0/1/true/false; include_skipped only for judgments", async () => {
    for (const value of [true, false, "0", "1", "true", "false"]) {
      expect(parseExportOptions({ format: "judgments", with_text: value, include_skipped: value })).toMatchObject({ with_text: value === true || value === "1" || value === "true" });
    }
    const bad = errorOf(() => parseExportOptions({ format: "judgments", with_text: "yes", include_skipped: 2 }));
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.details!.fields as object).sort()).toEqual(["include_skipped", "with_text"]);
    for (const format of ["trl-preference", "hh-rlhf", "rankings"]) {
      const refused = errorOf(() => parseExportOptions({ format, include_skipped: "1" }));
      expect(refused.status).toBe(400);
      expect((refused.details!.fields as Record<string, string>).include_skipped).toBe(`${format} cannot carry skipped items (only judgments can)`);
    }
    expect(parseExportOptions({ format: "trl-preference", include_skipped: "0", with_text: "1" })).toMatchObject({ include_skipped: false });
    // Both options a format cannot honour are named at once.
    const both = errorOf(() => parseExportOptions({ format: "trl-kto", ties: "keep", include_skipped: true }));
    expect(Object.keys(both.details!.fields as object).sort()).toEqual(["include_skipped", "ties"]);
    expect(both.message).toBe("ties: trl-kto cannot carry ties; use --ties drop, or the rankings or judgments format; include_skipped: trl-kto has no row for a skipped item; use the judgments format");
    const cli = await runCli(["export", "--batch", pairwise, "--format", "trl-kto", "--include-skipped", "--json"], { env: { VERDICT_DB: dbPath } });
    expect(cli.status).toBe(1);
    expect((JSON.parse(cli.stdout) as { error: { details: { fields: Record<string, string> } } }).error.details.fields.include_skipped).toContain("trl-kto cannot carry skipped items");
  });
});

describe("reproducibility", () => {
  it("records each export with its options, row count and sha256, identical for identical options", async () => {
    const first = await exportText(policyBatch, { format: "trl-preference-chat", consensus: "all" });
    const second = await exportText(policyBatch, { format: "trl-preference-chat", consensus: "all" });
    expect(second.text).toBe(first.text);
    expect(first.result.sha256).toBe(createHash("sha256").update(first.text).digest("hex"));
    const row = sqlite().prepare("SELECT format, options, row_count, sha256 FROM exports WHERE id = ?").get(first.result.id) as { format: string; options: string; row_count: number; sha256: string };
    expect(row.format).toBe("trl-preference-chat");
    expect(row.row_count).toBe(first.result.rows);
    expect(row.sha256).toBe(first.result.sha256);
    expect(JSON.parse(row.options)).toMatchObject({ consensus: "all", ties: "drop", min_agreement: 0, include_gold: false, source: "judgments" });
  });

  it("previews the first rows and counts them without recording an export", () => {
    const before = (sqlite().prepare("SELECT count(*) AS n FROM exports").get() as { n: number }).n;
    const preview = previewExport(policyBatch, { format: "trl-preference" }, 2);
    expect(preview.total).toBe(3);
    expect(preview.rows).toHaveLength(2);
    expect((sqlite().prepare("SELECT count(*) AS n FROM exports").get() as { n: number }).n).toBe(before);
  });

  it("writes a dataset card with a Hugging Face YAML header", async () => {
    const { result } = await exportText(policyBatch, { format: "trl-preference" });
    const card = exportCard(policyBatch, result, { format: "trl-preference" }, "policy.trl-preference.jsonl");
    const header = card.split("---\n")[1]!;
    expect(header).toContain("configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: policy.trl-preference.jsonl\n");
    expect(header).toContain("size_categories:\n- n<1K\n");
    // The dataset was imported without a licence: the card says unknown, never a silent other.
    expect(header).toMatch(/^license: unknown$/m);
    expect(header).toContain("task_categories:\n- text-generation\n");
    expect(card).toContain(result.sha256);
    // The statistics are on the card.
    expect(card).toContain("## Agreement");
    expect(card).toMatch(/\| Krippendorff's alpha \(interval\) \| -?\d\.\d{3} \|/);
  });

  it("streams 100,000 pairs with a stable row count, key set and sha256", async () => {
    // Bulk-written judgments: the export path is what is under test here.
    const prompts = 20_000;
    const lines100k = Array.from({ length: prompts }, (_, i) =>
      JSON.stringify({ id: `b${i}`, prompt: `Prompt ${i}`, responses: [{ model: "m1", text: `one ${i}` }, { model: "m2", text: `two ${i}` }] }),
    );
    writeFileSync(join(dir, "bulk.jsonl"), lines100k.join("\n"));
    await importFile(join(dir, "bulk.jsonl"), { dataset: "bulk" });
    const bulkReviewers = addReviewers(["r1", "r2", "r3", "r4", "r5"]);
    const batch = createBatch({ dataset: "bulk", name: "Bulk", task: "pairwise", overlap: 5, reviewers: ["r1", "r2", "r3", "r4", "r5"] }).id;
    const items = sqlite().prepare("SELECT id, prompt_id, response_ids FROM items WHERE batch_id = ? ORDER BY position").all(batch) as Array<{ id: string; prompt_id: string; response_ids: string }>;
    const insA = sqlite().prepare("INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at, done_at) VALUES (?, ?, ?, ?, 'submitted', '[0,1]', 0, 0, 0)");
    const insJ = sqlite().prepare("INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, client_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0)");
    const insP = sqlite().prepare("INSERT INTO preference_pairs (id, judgment_id, batch_id, item_id, reviewer_id, prompt_id, chosen_id, rejected_id, strength, source, shown_chosen_first) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pairwise', 1)");
    // In slices with the event loop let through between them: one 100,000-pair transaction
    // blocks the test worker past vitest's 60 s RPC deadline on a loaded machine.
    const slice = sqlite().transaction((from: number) => {
      for (const item of items.slice(from, from + 1000)) {
        const [a, b] = JSON.parse(item.response_ids) as [string, string];
        for (const reviewer of bulkReviewers) {
          const assignment = newId();
          const judgment = newId();
          insA.run(assignment, item.id, batch, reviewer);
          insJ.run(judgment, assignment, item.id, reviewer, JSON.stringify({ task: "pairwise", preferred: a, strength: 2, bothBad: false }), `${assignment}-c`);
          insP.run(newId(), judgment, batch, item.id, reviewer, item.prompt_id, a, b, 2);
        }
      }
    });
    for (let from = 0; from < items.length; from += 1000) {
      slice(from);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const first = await exportText(batch, { format: "trl-preference-chat", consensus: "all" });
    expect(first.result.rows).toBe(100_000);
    const rows = first.text.trimEnd().split("\n");
    expect(rows).toHaveLength(100_000);
    expect(new Set(rows.map((l) => Object.keys(JSON.parse(l) as object).join(","))).size).toBe(1);
    const second = await exportText(batch, { format: "trl-preference-chat", consensus: "all" });
    expect(second.result.sha256).toBe(first.result.sha256);
    const majority = await exportText(batch, { format: "trl-preference", consensus: "majority" });
    expect(majority.result.rows).toBe(20_000);

    // A consumer that stops early (a client that disconnected) stops the work: nothing recorded.
    const recorded = () => (sqlite().prepare("SELECT count(*) AS n FROM exports").get() as { n: number }).n;
    const before = recorded();
    let chunks = 0;
    for await (const _chunk of streamExport(batch, { format: "trl-preference-chat", consensus: "all" })) {
      if (++chunks === 2) break;
    }
    expect(recorded()).toBe(before);
    const controller = new AbortController();
    let seen = 0;
    for await (const _chunk of streamExport(batch, { format: "trl-preference-chat", consensus: "all" }, { signal: controller.signal })) {
      if (++seen === 1) controller.abort();
      expect(seen).toBeLessThan(3);
    }
    expect(recorded()).toBe(before);
  }, 120_000);
});

describe("lossless round trips", () => {
  async function roundTrip(file: string, dataset: string, format: "hh-rlhf" | "trl-preference", reviewer: string) {
    await importFile(file, { dataset });
    const batch = createBatch({ dataset, name: dataset, task: "pairwise", overlap: 1, reviewers: [reviewer] }).id;
    const externalOf = sqlite().prepare<[string], { external_id: string }>("SELECT external_id FROM responses WHERE id = ?");
    // Judge in agreement with the dataset's own pairs.
    judgeAll(batch, `id-${reviewer}`, (_, order) => ({ preferred: order.find((id) => externalOf.get(id)!.external_id === "chosen")!, strength: 1 }));
    return lines((await exportText(batch, { format })).text);
  }

  it("TRL preference JSONL exports back to the same chosen/rejected strings", async () => {
    const exported = await roundTrip(join(FIXTURES, "trl.jsonl"), "trl-back", "trl-preference", "ann");
    const original = readFileSync(join(FIXTURES, "trl.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt?: unknown; chosen: unknown; rejected: unknown });
    // String-form lines come back verbatim, prompt included.
    expect(exported[0]).toEqual({ prompt: "The sky is", chosen: " blue.", rejected: " green." });
    expect(exported[3]).toEqual({ prompt: "The sky is", chosen: " blue.", rejected: " green." });
    expect(exported.map((r) => [r.chosen, r.rejected]).filter((_, i) => typeof original[i]!.chosen === "string")).toEqual(
      original.filter((o) => typeof o.chosen === "string").map((o) => [o.chosen, o.rejected].map((s) => (s as string).replace(/^The sky is/, ""))),
    );
  });

  it("the HH-RLHF fixture exports back byte for byte, including pairs that diverge before the last turn", async () => {
    const exported = await roundTrip(join(FIXTURES, "hh.jsonl"), "hh-back", "hh-rlhf", "ben");
    const original = readFileSync(join(FIXTURES, "hh.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(exported).toEqual(original);
  });

  it.skipIf(!hasHhSplit)("the real HH-RLHF split exports back to the same chosen/rejected strings, byte for byte", async () => {
    const exported = await roundTrip(HH_SPLIT, "hh-real-back", "hh-rlhf", "cat");
    const original = gunzipSync(readFileSync(HH_SPLIT)).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    expect(exported).toHaveLength(2312);
    let mismatches = 0;
    exported.forEach((row, i) => {
      if (row.chosen !== original[i]!.chosen || row.rejected !== original[i]!.rejected) mismatches++;
    });
    expect(mismatches).toBe(0);
  }, 120_000);
});

describe("the export command", () => {
  it("writes the file and its dataset card, prints the summary, and streams to stdout without --out", async () => {
    const out = join(dir, "cli-export.jsonl");
    const result = await runCli(["export", "--batch", policyBatch, "--format", "hh-rlhf", "--out", out, "--card", "--json"], { env: { VERDICT_DB: dbPath } });
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as { rows: number; sha256: string; file: string };
    expect(summary.rows).toBe(3);
    expect(createHash("sha256").update(readFileSync(out)).digest("hex")).toBe(summary.sha256);
    expect(readFileSync(`${out}.README.md`, "utf8")).toContain("path: cli-export.jsonl");
    const stdout = await runCli(["export", "--batch", policyBatch, "--format", "hh-rlhf"], { env: { VERDICT_DB: dbPath } });
    expect(stdout.stdout).toBe(readFileSync(out, "utf8"));
    expect(stdout.stderr).toContain(`exported 3 rows`);
    const bad = await runCli(["export", "--batch", policyBatch, "--format", "trl-kto", "--ties", "keep"], { env: { VERDICT_DB: dbPath } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("trl-kto cannot carry ties");
  });
});
