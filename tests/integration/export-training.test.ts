/**
 * Issue 10's training exports on a real database: KTO order on the HH-RLHF split, rows a
 * trainer would fail on, SFT's best response, prompt-only rows and --with-ids.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExportResult } from "~/services/exports.server";
import { errorOf, FIXTURES, HH_SPLIT, hasHhSplit, runCli, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { streamExport, previewExport, parseExportOptions } = await import("~/services/exports.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

async function exportRows(batchId: string, options: Record<string, unknown>): Promise<{ rows: Array<Record<string, unknown>>; result: ExportResult }> {
  let result: ExportResult | null = null;
  const parts: Buffer[] = [];
  for await (const chunk of streamExport(batchId, options, { onDone: (r) => (result = r) })) parts.push(Buffer.from(chunk));
  const rows = Buffer.concat(parts).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { rows, result: result! };
}

function addReviewer(name: string): string {
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)").run(`id-${name}`, name, name);
  return `id-${name}`;
}

/** Judges every item the reviewer gets; `decide` sees the item's prompt id and its responses' external ids by internal id. */
function judgeAll(batchId: string, reviewerId: string, decide: (prompt: string, responses: Map<string, string>) => Record<string, unknown> | null) {
  const item = sqlite().prepare<[string], { response_ids: string; external_id: string }>("SELECT i.response_ids, p.external_id FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.id = ?");
  const external = sqlite().prepare<[string], { external_id: string }>("SELECT external_id FROM responses WHERE id = ?");
  for (let n = 0; ; n++) {
    const a = nextAssignment(batchId, reviewerId);
    if (!a) return;
    const row = item.get(a.item_id)!;
    const ids = JSON.parse(row.response_ids) as string[];
    const body = decide(row.external_id, new Map(ids.map((id) => [id, external.get(id)!.external_id])));
    if (body) submitJudgment(a.id, reviewerId, { client_id: `${batchId}-${reviewerId}-${n}`, ...body });
    else throw new Error(`no decision for ${row.external_id}`);
  }
}

const idOf = (responses: Map<string, string>, external: string) => [...responses].find(([, e]) => e === external)![0];

function adjacentSamePrompt(rows: Array<Record<string, unknown>>): number {
  let count = 0;
  for (let i = 1; i < rows.length; i++) if (JSON.stringify(rows[i]!.prompt) === JSON.stringify(rows[i - 1]!.prompt)) count++;
  return count;
}

describe("KTO row order", () => {
  it("the HH fixture: no two adjacent rows share a prompt, chosen rows first as TRL's unpair_preference_dataset", async () => {
    await importFile(join(FIXTURES, "hh.jsonl"), { dataset: "hh-kto" });
    addReviewer("kate");
    const batch = createBatch({ dataset: "hh-kto", name: "hh-kto", task: "pairwise", overlap: 1, reviewers: ["kate"] }).id;
    const { rows } = await exportRows(batch, { format: "trl-kto", source: "imported" });
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.label)).toEqual([true, true, true, false, false, false]);
    expect(adjacentSamePrompt(rows)).toBe(0);
  });

  it.skipIf(!hasHhSplit)("the real HH-RLHF split: 4,624 rows, 0 adjacent rows with the same prompt, in both KTO formats", async () => {
    await importFile(HH_SPLIT, { dataset: "hh-split-kto" });
    addReviewer("kim");
    const batch = createBatch({ dataset: "hh-split-kto", name: "hh-split-kto", task: "pairwise", overlap: 1, reviewers: ["kim"] }).id;
    const plain = (await exportRows(batch, { format: "trl-kto", source: "imported" })).rows;
    const chat = (await exportRows(batch, { format: "trl-kto-chat", source: "imported" })).rows;
    const pairs = gunzipSync(readFileSync(HH_SPLIT)).toString("utf8").split("\n").filter(Boolean).length;
    expect(plain).toHaveLength(2 * pairs);
    expect(plain).toHaveLength(4624);
    expect(adjacentSamePrompt(plain)).toBe(0);
    expect(adjacentSamePrompt(chat)).toBe(0);
    expect(plain.filter((r) => r.label === true)).toHaveLength(pairs);
    // Every chosen completion is there once: prompt + completion = the original's chosen transcript.
    const original = gunzipSync(readFileSync(HH_SPLIT)).toString("utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { chosen: string }).chosen);
    expect(new Set(plain.filter((r) => r.label).map((r) => `${String(r.prompt)}${String(r.completion)}`))).toEqual(new Set(original));
  }, 120_000);

  it("a ranking batch (several pairs per prompt) exports KTO rows without adjacent prompts", async () => {
    const lines = Array.from({ length: 6 }, (_, i) =>
      JSON.stringify({ id: `rk${i}`, prompt: `Rank these ${i}`, responses: ["a", "b", "c", "d"].map((id) => ({ id, model: `m-${id}`, text: `${id}${i}` })) }),
    );
    writeFileSync(join(dir, "rank.jsonl"), lines.join("\n"));
    await importFile(join(dir, "rank.jsonl"), { dataset: "rank-kto" });
    const reviewer = addReviewer("rob");
    const batch = createBatch({ dataset: "rank-kto", name: "rank-kto", task: "ranking", overlap: 1, reviewers: ["rob"] }).id;
    judgeAll(batch, reviewer, (_, responses) => ({ tiers: ["a", "b", "c", "d"].map((e) => [idOf(responses, e)]) }));
    const { rows } = await exportRows(batch, { format: "trl-kto" });
    expect(rows).toHaveLength(6 * 6 * 2);
    expect(adjacentSamePrompt(rows)).toBe(0);
  });
});

describe("rows a trainer would fail on", () => {
  let batch = "";
  beforeAll(async () => {
    const data = [
      { id: "ok", messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hi?" }] },
      { id: "system-only", messages: [{ role: "system", content: "Be kind." }] },
      { id: "two-users", messages: [{ role: "user", content: "Hi?" }, { role: "user", content: "Hello?" }] },
      { id: "ends-assistant", messages: [{ role: "user", content: "Hi?" }, { role: "assistant", content: "Hello." }] },
      { id: "blank", messages: [{ role: "user", content: "   " }] },
    ].map((p) => JSON.stringify({ ...p, responses: [{ id: "good", model: "m-a", text: `good ${p.id}` }, { id: "bad", model: "m-b", text: `bad ${p.id}` }] }));
    writeFileSync(join(dir, "invalid.jsonl"), data.join("\n"));
    await importFile(join(dir, "invalid.jsonl"), { dataset: "invalid" });
    const reviewer = addReviewer("ivy");
    batch = createBatch({ dataset: "invalid", name: "invalid", task: "pairwise", overlap: 1, reviewers: ["ivy"] }).id;
    judgeAll(batch, reviewer, (_, responses) => ({ preferred: idOf(responses, "good"), strength: 2 }));
  });

  it("plain-text formats skip empty and system-only prompts and count them; repeated roles are only text there", async () => {
    const { rows, result } = await exportRows(batch, { format: "trl-preference" });
    expect(rows.map((r) => r.chosen)).toEqual([" good ok", " good two-users", " good ends-assistant"]);
    expect(result.invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 0 });
  });

  it("every plain-text training format refuses the empty and the system-only prompt", async () => {
    for (const format of ["trl-preference", "hh-rlhf", "trl-sft"]) {
      const { rows, result } = await exportRows(batch, { format });
      expect(rows, format).toHaveLength(3);
      expect(result.invalid, format).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 0 });
    }
    const kto = await exportRows(batch, { format: "trl-kto" });
    expect(kto.rows).toHaveLength(6);
    expect(kto.result.invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 0 });
  });

  it("chat formats also skip consecutive turns of one role, counting the assistant turn after the prompt", async () => {
    for (const format of ["trl-preference-chat", "trl-reward", "openai-dpo", "trl-sft-chat", "prompts"]) {
      const { rows, result } = await exportRows(batch, { format });
      expect(rows, format).toHaveLength(1);
      expect(result.invalid, format).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 2 });
    }
    const kto = await exportRows(batch, { format: "trl-kto-chat" });
    expect(kto.rows).toHaveLength(2);
    expect(kto.result.invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 2 });
  });

  it("--keep-invalid writes them and still counts them; the preview counts them too", async () => {
    const { rows, result } = await exportRows(batch, { format: "trl-preference-chat", keep_invalid: true });
    expect(rows).toHaveLength(5);
    expect(result.invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 2 });
    expect(previewExport(batch, { format: "openai-dpo" }).invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 2 });
  });

  it("the raw formats keep every judgment", async () => {
    expect((await exportRows(batch, { format: "judgments" })).rows).toHaveLength(5);
  });

  it("the CLI prints the counts in --json and on stderr", async () => {
    const out = join(dir, "invalid.jsonl.out");
    const json = await runCli(["export", "--batch", batch, "--format", "trl-sft-chat", "--out", out, "--json"], { env: { VERDICT_DB: dbPath } });
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as { invalid: unknown }).invalid).toEqual({ empty_prompt: 1, system_only_prompt: 1, consecutive_roles: 2 });
    const plain = await runCli(["export", "--batch", batch, "--format", "trl-sft-chat"], { env: { VERDICT_DB: dbPath } });
    expect(plain.stderr).toContain("exported 1 rows");
    expect(plain.stderr).toContain("4 rows left out: 1 empty_prompt, 1 system_only_prompt, 2 consecutive_roles (--keep-invalid writes them)");
  });
});

describe("best response (trl-sft) and prompt-only rows", () => {
  let pairwise = "";
  let ranking = "";
  beforeAll(async () => {
    // q0: a much better. q1: a slightly better. q2: tie. q3: b better, but flagged.
    const data = Array.from({ length: 4 }, (_, i) =>
      JSON.stringify({ id: `q${i}`, messages: [{ role: "user", content: `Question ${i}?` }], responses: [{ id: "a", model: "alpha", text: `A${i}` }, { id: "b", model: "beta", text: `B${i}` }] }),
    );
    writeFileSync(join(dir, "sft.jsonl"), data.join("\n"));
    await importFile(join(dir, "sft.jsonl"), { dataset: "sft" });
    const sam = addReviewer("sam");
    pairwise = createBatch({ dataset: "sft", name: "sft", task: "pairwise", overlap: 1, reviewers: ["sam"] }).id;
    judgeAll(pairwise, sam, (prompt, r) => {
      if (prompt === "q0") return { preferred: idOf(r, "a"), strength: 3 };
      if (prompt === "q1") return { preferred: idOf(r, "a"), strength: 1 };
      if (prompt === "q2") return { preferred: "tie" };
      return { preferred: idOf(r, "b"), strength: 2, flags: [{ response_id: idOf(r, "b"), flag: "hallucination" }] };
    });
    const ranks = Array.from({ length: 2 }, (_, i) =>
      JSON.stringify({ id: `r${i}`, prompt: `Rank ${i}`, responses: ["a", "b", "c"].map((id) => ({ id, model: `m-${id}`, text: `${id.toUpperCase()}${i}` })) }),
    );
    writeFileSync(join(dir, "sft-rank.jsonl"), ranks.join("\n"));
    await importFile(join(dir, "sft-rank.jsonl"), { dataset: "sft-rank" });
    const sue = addReviewer("sue");
    ranking = createBatch({ dataset: "sft-rank", name: "sft-rank", task: "ranking", overlap: 1, reviewers: ["sue"] }).id;
    // r0: c > a > b. r1: a and b tied on top, then c: no single best.
    judgeAll(ranking, sue, (prompt, r) =>
      prompt === "r0" ? { tiers: [[idOf(r, "c")], [idOf(r, "a")], [idOf(r, "b")]] } : { tiers: [[idOf(r, "a"), idOf(r, "b")], [idOf(r, "c")]] },
    );
  });

  it("one row per item with a single best response; ties and flagged winners give none", async () => {
    const { rows } = await exportRows(pairwise, { format: "trl-sft" });
    expect(rows).toEqual([
      { prompt: "\n\nHuman: Question 0?\n\nAssistant:", completion: " A0" },
      { prompt: "\n\nHuman: Question 1?\n\nAssistant:", completion: " A1" },
    ]);
    expect((await exportRows(ranking, { format: "trl-sft-chat" })).rows).toEqual([{ prompt: [{ role: "user", content: "Rank 0" }], completion: [{ role: "assistant", content: "C0" }] }]);
  });

  it("--min-strength keeps only clear winners (and strong pairs in the pair formats)", async () => {
    expect((await exportRows(pairwise, { format: "trl-sft", min_strength: 2 })).rows.map((r) => r.completion)).toEqual([" A0"]);
    expect((await exportRows(pairwise, { format: "trl-preference", min_strength: 3 })).rows.map((r) => r.chosen)).toEqual([" A0"]);
    expect(errorOf(() => parseExportOptions({ format: "prompts", min_strength: 2 })).details?.fields).toHaveProperty("min_strength");
    expect(errorOf(() => parseExportOptions({ format: "trl-sft", min_strength: 4 })).details?.fields).toHaveProperty("min_strength");
  });

  it("--with-ids traces SFT rows to the prompt, the model and the reviewers", async () => {
    const [row] = (await exportRows(pairwise, { format: "trl-sft-chat", with_ids: true })).rows;
    expect(row).toMatchObject({ prompt_id: "q0", model: "alpha", strength: 3, batch_id: pairwise });
    expect(row!.reviewers).toEqual([expect.stringMatching(/^reviewer-[0-9a-f]{10}$/)]);
  });

  it("prompts: every prompt of the batch once, as messages; --only-unsolved those whose responses were all flagged or lost", async () => {
    expect((await exportRows(pairwise, { format: "prompts" })).rows).toEqual([0, 1, 2, 3].map((i) => ({ prompt: [{ role: "user", content: `Question ${i}?` }] })));
    // q3: b won and was flagged, a lost. q2 is a tie: nothing lost.
    expect((await exportRows(pairwise, { format: "prompts", only_unsolved: true, with_ids: true })).rows).toEqual([
      { prompt: [{ role: "user", content: "Question 3?" }], prompt_id: "q3", batch_id: pairwise },
    ]);
    expect(errorOf(() => parseExportOptions({ format: "trl-sft", only_unsolved: true })).details?.fields).toHaveProperty("only_unsolved");
  });
});

describe("--with-ids on the pair formats", () => {
  it("adds prompt_id, chosen_model, rejected_model, strength, reviewers and batch_id, the same keys on KTO rows", async () => {
    await importFile(join(FIXTURES, "native.jsonl"), { dataset: "ids" });
    const ida = addReviewer("ida");
    const batch = createBatch({ dataset: "ids", name: "ids", task: "pairwise", overlap: 1, reviewers: ["ida"] }).id;
    judgeAll(batch, ida, (_, r) => ({ preferred: [...r.keys()][0], strength: 2 }));
    const trace = ["batch_id", "chosen_model", "prompt_id", "rejected_model", "reviewers", "strength"];
    for (const format of ["trl-preference", "trl-preference-chat", "trl-reward", "openai-dpo", "hh-rlhf", "trl-kto", "trl-kto-chat"]) {
      const { rows } = await exportRows(batch, { format, with_ids: true });
      expect(rows.length, format).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(row).filter((k) => trace.includes(k)).sort(), format).toEqual(trace);
      expect(rows[0]).toMatchObject({ prompt_id: "n1", batch_id: batch, strength: 2 });
      expect(JSON.stringify(rows)).not.toContain("id-ida");
    }
    const cli = await runCli(["export", "--batch", batch, "--format", "trl-preference", "--with-ids"], { env: { VERDICT_DB: dbPath } });
    expect(JSON.parse(cli.stdout.split("\n")[0]!)).toMatchObject({ prompt_id: "n1", chosen_model: "m-a" });
  });
});

describe("a rating item in every training format (golden rows)", () => {
  it("ratings become pairs from the overall score, and each format writes its row", async () => {
    writeFileSync(
      join(dir, "rated.jsonl"),
      JSON.stringify({
        id: "rate-1",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Capital of France?" }],
        responses: [{ id: "good", model: "m-good", text: "Paris." }, { id: "bad", model: "m-bad", text: "Lyon." }],
      }),
    );
    await importFile(join(dir, "rated.jsonl"), { dataset: "rated" });
    const rae = addReviewer("rae");
    const batch = createBatch({ dataset: "rated", name: "rated", task: "rating", overlap: 1, reviewers: ["rae"], config: { aspects: [{ key: "overall", label: "Overall" }] } }).id;
    judgeAll(batch, rae, (_, r) => ({ scores: { [idOf(r, "good")]: { overall: 5 }, [idOf(r, "bad")]: { overall: 3 } } }));
    const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Capital of France?" }];
    const plainPrompt = "\n\nHuman: Be brief.\n\nHuman: Capital of France?\n\nAssistant:";
    const turn = (content: string) => [{ role: "assistant", content }];
    const golden: Record<string, unknown[]> = {
      "trl-preference": [{ prompt: plainPrompt, chosen: " Paris.", rejected: " Lyon." }],
      "trl-preference-chat": [{ prompt: messages, chosen: turn("Paris."), rejected: turn("Lyon.") }],
      "trl-reward": [{ chosen: [...messages, ...turn("Paris.")], rejected: [...messages, ...turn("Lyon.")], margin: 2 }],
      "trl-kto": [
        { prompt: plainPrompt, completion: " Paris.", label: true },
        { prompt: plainPrompt, completion: " Lyon.", label: false },
      ],
      "trl-kto-chat": [
        { prompt: messages, completion: turn("Paris."), label: true },
        { prompt: messages, completion: turn("Lyon."), label: false },
      ],
      "trl-sft": [{ prompt: plainPrompt, completion: " Paris." }],
      "trl-sft-chat": [{ prompt: messages, completion: turn("Paris.") }],
      prompts: [{ prompt: messages }],
      "openai-dpo": [{ input: { messages }, preferred_output: turn("Paris."), non_preferred_output: turn("Lyon.") }],
      "hh-rlhf": [{ chosen: `${plainPrompt} Paris.`, rejected: `${plainPrompt} Lyon.` }],
    };
    for (const [format, rows] of Object.entries(golden)) expect((await exportRows(batch, { format })).rows, format).toEqual(rows);
  });
});
