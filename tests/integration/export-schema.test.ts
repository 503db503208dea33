/**
 * One schema per file (issue 10): across every row of a 100,000-pair export, each key path has
 * one JSON type, in every format — what Hugging Face `datasets`' JSON loader needs (pyarrow
 * infers one type per column and fails or nulls a column whose type changes mid-file). The
 * data mixes what changes row shapes in practice: system prompts, multi-turn prompts, TRL
 * string-form prompts, ties, every strength, flags and empty rationales.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTempDatabase } from "./helpers";

setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { streamExport, EXPORT_FORMATS } = await import("~/services/exports.server");
const { newId } = await import("../../db/ids");

afterAll(() => closeConnection());

const ITEMS = 20_000;
const REVIEWERS = 5;
/** Keys whose type may change from row to row because the README says so (nullable). */
const NULLABLE: Record<string, string[]> = { judgments: ["duration_ms"] };

/** Every key path of a row with its JSON type: `prompt[].role: string`; an empty array adds only `prompt: array`. */
function typesOf(value: unknown, path: string, into: Map<string, Set<string>>): void {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  let seen = into.get(path);
  if (!seen) into.set(path, (seen = new Set()));
  seen.add(type);
  if (Array.isArray(value)) for (const element of value) typesOf(element, `${path}[]`, into);
  else if (type === "object") for (const [key, inner] of Object.entries(value as Record<string, unknown>)) typesOf(inner, path ? `${path}.${key}` : key, into);
}

let batch = "";

beforeAll(async () => {
  const sqlite = connection().sqlite;
  const now = Date.now();
  const reviewerIds = Array.from({ length: REVIEWERS }, (_, r) => `schema-r${r}`);
  const datasetId = newId();
  batch = newId();
  // Written in slices with the event loop let through between them, so the test worker keeps
  // answering the runner (a 100,000-pair transaction blocks it for many seconds on a busy machine).
  sqlite.transaction(() => {
    for (const id of reviewerIds) sqlite.prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)").run(id, id, id);
    sqlite.prepare("INSERT INTO datasets (id, name, description, source, created_at) VALUES (?, 'schema', '', 'native', ?)").run(datasetId, now);
    sqlite
      .prepare("INSERT INTO batches (id, name, dataset_id, task, config, overlap, status, created_by, created_at) VALUES (?, 'Schema', ?, 'pairwise', ?, ?, 'active', NULL, ?)")
      .run(batch, datasetId, JSON.stringify({}), REVIEWERS, now);
  })();
  const insPrompt = sqlite.prepare("INSERT INTO prompts (id, dataset_id, external_id, messages, metadata) VALUES (?, ?, ?, ?, ?)");
    const insResponse = sqlite.prepare("INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, '{}', '{}')");
    const insItem = sqlite.prepare("INSERT INTO items (id, batch_id, prompt_id, response_ids, position, claims, submitted, open) VALUES (?, ?, ?, ?, ?, ?, ?, 0)");
    const insA = sqlite.prepare("INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at, done_at) VALUES (?, ?, ?, ?, 'submitted', '[0,1]', 0, 0, 0)");
    const insJ = sqlite.prepare("INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, rationale, duration_ms, client_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)");
    const insP = sqlite.prepare("INSERT INTO preference_pairs (id, judgment_id, batch_id, item_id, reviewer_id, prompt_id, chosen_id, rejected_id, strength, source, shown_chosen_first) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pairwise', 1)");
    const insFlag = sqlite.prepare("INSERT INTO judgment_flags (judgment_id, response_id, flag, note) VALUES (?, ?, 'hallucination', '')");
  const slice = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const promptId = newId();
      const kind = i % 4;
      const messages =
        kind === 0
          ? [{ role: "user", content: `Question ${i}?` }]
          : kind === 1
            ? [{ role: "system", content: "Be brief." }, { role: "user", content: `Question ${i}?` }]
            : kind === 2
              ? [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: `Question ${i}?` }]
              : [{ role: "user", content: `The number ${i} is` }];
      insPrompt.run(promptId, datasetId, `p${i}`, JSON.stringify(messages), JSON.stringify(kind === 3 ? { text_prompt: true } : {}));
      const a = newId();
      const b = newId();
      insResponse.run(a, promptId, "a", "model-a", `Answer A ${i}`);
      insResponse.run(b, promptId, "b", "model-b", `Answer B ${i}`);
      const item = newId();
      insItem.run(item, batch, promptId, JSON.stringify([a, b]), i, REVIEWERS, REVIEWERS);
      for (let r = 0; r < REVIEWERS; r++) {
        const assignment = newId();
        const judgment = newId();
        const tie = (i + r) % 11 === 0;
        const chosen = (i * 7 + r) % 3 === 0 ? b : a;
        const strength = tie ? 0 : 1 + ((i + r) % 3);
        const payload = { task: "pairwise", preferred: tie ? "tie" : chosen, strength, bothBad: false };
        insA.run(assignment, item, batch, reviewerIds[r]);
        insJ.run(judgment, assignment, item, reviewerIds[r], JSON.stringify(payload), r === 0 ? "" : `why ${r}`, r === 1 ? null : 1000 + r, `c-${judgment}`);
        insP.run(newId(), judgment, batch, item, reviewerIds[r], promptId, tie ? a : chosen, tie ? b : chosen === a ? b : a, strength);
        if (i % 13 === 0 && r === 2) insFlag.run(judgment, chosen);
      }
    }
  };
  for (let from = 0; from < ITEMS; from += 1000) {
    sqlite.transaction(slice)(from, Math.min(ITEMS, from + 1000));
    await new Promise((resolve) => setImmediate(resolve));
  }
}, 120_000);

describe("every key has one JSON type across a 100,000-pair export", () => {
  for (const format of EXPORT_FORMATS) {
    it(`${format}`, async () => {
      const types = new Map<string, Set<string>>();
      let rows = 0;
      let rest = "";
      // "all" gives a row per reviewer pair (100,000); SFT needs a consensus to name a best response.
      const options = { format, consensus: format.startsWith("trl-sft") ? "majority" : "all", with_ids: !["rankings", "judgments"].includes(format), ...(["rankings", "judgments"].includes(format) ? { ties: "keep" } : {}) };
      for await (const chunk of streamExport(batch, options)) {
        await new Promise((resolve) => setImmediate(resolve));
        const text = rest + Buffer.from(chunk).toString("utf8");
        const lines = text.split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          typesOf(JSON.parse(line), "", types);
          rows++;
        }
      }
      expect(rest).toBe("");
      expect(rows).toBeGreaterThan(format === "prompts" ? ITEMS - 1 : format.startsWith("trl-sft") ? 5000 : 90_000);
      const mixed = [...types].filter(([path, seen]) => seen.size > 1 && !(NULLABLE[format] ?? []).includes(path)).map(([path, seen]) => `${path}: ${[...seen].join("|")}`);
      expect(mixed).toEqual([]);
    }, 120_000);
  }
});
