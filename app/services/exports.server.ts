import { createHash } from "node:crypto";
import { z } from "zod";
import { consensusRows, type Vote } from "../core/ranking/consensus";
import {
  EXPORT_FORMAT_DESCRIPTIONS,
  EXPORT_FORMATS,
  JUDGMENT_FORMATS,
  pairLines,
  TIE_FORMATS,
  type ExportFormat,
  type JudgmentFormat,
  type PairFormat,
} from "../core/formats/export/mappers";
import type { ExportJudgment, ExportPair, ExportResponse } from "../core/formats/export/rows";
import { datasetCard } from "../core/formats/export/card";
import type { ChatMessage } from "../core/formats/messages";
import type { JudgmentPayload } from "../core/tasks/judgment";
import type { Task } from "../core/tasks/config";
import { newId } from "../../db/ids";
import type { Connection, Sqlite } from "../../db/client";
import { getBatch, type BatchRecord } from "./batches.server";
import { connection, dedicatedConnection } from "./database.server";
import { ServiceError } from "./errors.server";
import { batchStats, type BatchStats } from "./stats.server";
import { invalidFrom } from "./validation.server";

/**
 * Exports (DESIGN.md §5): rows are read with an iterator on a connection of their own, passed
 * through the consensus policy one item at a time, mapped by the format's pure mapper and
 * yielded in chunks, so memory stays flat whatever the size. The same options on the same
 * data give the same bytes: rows come in item order, then in the order pairs were stored.
 */
const exportOptionsSchema = z.object({
  format: z.enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]]),
  consensus: z.enum(["all", "majority", "unanimous"]).default("majority"),
  min_agreement: z.coerce.number().min(0).max(1).default(0),
  ties: z.enum(["drop", "keep"]).default("drop"),
  exclude_flags: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean)),
  include_gold: z.union([z.boolean(), z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true")]).default(false),
  source: z.enum(["judgments", "imported", "both"]).default("judgments"),
});
export type ExportOptions = z.output<typeof exportOptionsSchema>;

export function parseExportOptions(input: unknown): ExportOptions {
  const parsed = exportOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const options = parsed.data;
  if (options.ties === "keep" && !TIE_FORMATS.includes(options.format)) {
    throw new ServiceError("invalid", `ties: ${options.format} cannot carry ties; use --ties drop, or the ${TIE_FORMATS.join(" or ")} format`, {
      fields: { ties: `${options.format} cannot carry ties (only ${TIE_FORMATS.join(", ")} can)` },
    });
  }
  return options;
}

export interface ExportResult {
  id: string;
  rows: number;
  bytes: number;
  sha256: string;
}

const CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Page cache of an export's reader, in KiB. The connection default (64 MiB) suits the writer's
 * index pages; an export reads most pages once and the OS page cache serves re-reads, while
 * SQLite also sizes the in-memory part of the sort behind `ORDER BY i.position, pp.rowid` by
 * this figure. 8 MiB keeps a 1M-pair export under 200 MB RSS at the same speed
 * (`npm run bench -- export`).
 */
const READER_CACHE_KIB = 8192;

/** A connection of its own for one export, with the smaller page cache above. The caller closes it. */
export function exportReader(): Connection {
  const reader = dedicatedConnection();
  reader.sqlite.pragma(`cache_size = -${READER_CACHE_KIB}`);
  return reader;
}

/** Reviewers appear as stable pseudonyms, the same in every export of the batch. */
function pseudonymizer(batchId: string): (userId: string) => string {
  const cache = new Map<string, string>();
  return (userId) => {
    let name = cache.get(userId);
    if (!name) {
      name = `reviewer-${createHash("sha256").update(`${batchId}:${userId}`).digest("hex").slice(0, 10)}`;
      cache.set(userId, name);
    }
    return name;
  };
}

interface PairRow {
  item_id: string;
  reviewer_id: string;
  chosen_id: string;
  rejected_id: string;
  strength: 0 | 1 | 2 | 3;
  chosen_flagged: number;
}

interface ItemContext {
  id: string;
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  textPrompt: boolean;
  responses: Map<string, ExportResponse>;
  order: string[];
  reviewers: string[];
}

function itemLoader(sqlite: Sqlite) {
  const item = sqlite.prepare<[string], { id: string; response_ids: string; prompt_id: string; external_id: string; messages: string; metadata: string }>(
    `SELECT i.id, i.response_ids, p.id AS prompt_id, p.external_id, p.messages, p.metadata FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.id = ?`,
  );
  const responses = sqlite.prepare<[string], ExportResponse>(
    "SELECT id, external_id, model, text FROM responses WHERE id IN (SELECT value FROM json_each(?))",
  );
  const reviewers = sqlite.prepare<[string], { reviewer_id: string }>("SELECT reviewer_id FROM judgments WHERE item_id = ? ORDER BY rowid");
  return (itemId: string): ItemContext => {
    const row = item.get(itemId)!;
    const order = JSON.parse(row.response_ids) as string[];
    return {
      id: row.id,
      promptId: row.prompt_id,
      promptExternalId: row.external_id,
      messages: JSON.parse(row.messages) as ChatMessage[],
      textPrompt: (JSON.parse(row.metadata) as Record<string, unknown>).text_prompt === true,
      responses: new Map(responses.all(row.response_ids).map((r) => [r.id, r])),
      order,
      reviewers: reviewers.all(itemId).map((r) => r.reviewer_id),
    };
  };
}

/** Pairs of the batch's judgments after the consensus policy, item by item. */
function* judgedPairs(sqlite: Sqlite, batch: BatchRecord, options: ExportOptions, pseudonym: (id: string) => string): Generator<ExportPair> {
  const flags = options.exclude_flags;
  const flagFilter = flags.length
    ? `EXISTS (SELECT 1 FROM judgment_flags f JOIN judgments j ON j.id = f.judgment_id
         WHERE j.item_id = pp.item_id AND f.response_id = pp.chosen_id AND f.flag IN (SELECT value FROM json_each(@flags)))`
    : "0";
  const rows = sqlite
    .prepare<{ batch: string; flags: string }, PairRow>(
      `SELECT pp.item_id, pp.reviewer_id, pp.chosen_id, pp.rejected_id, pp.strength, ${flagFilter} AS chosen_flagged
       FROM preference_pairs pp JOIN items i ON i.id = pp.item_id
       WHERE pp.batch_id = @batch AND pp.source != 'imported' ${options.include_gold ? "" : "AND i.is_gold = 0"}
       ORDER BY i.position, pp.rowid`,
    )
    .iterate({ batch: batch.id, flags: JSON.stringify(flags) });
  const load = itemLoader(sqlite);
  let current: string | null = null;
  let votes: Array<Vote & { flagged: boolean }> = [];
  const flush = function* (): Generator<ExportPair> {
    if (current === null || votes.length === 0) return;
    const item = load(current);
    const flagged = new Set(votes.filter((v) => v.flagged).map((v) => v.chosenId));
    for (const row of consensusRows(votes, item.reviewers, item.order, { policy: options.consensus, minAgreement: options.min_agreement, ties: options.ties })) {
      if (flagged.has(row.chosenId)) continue;
      yield {
        itemId: item.id,
        promptId: item.promptId,
        promptExternalId: item.promptExternalId,
        messages: item.messages,
        textPrompt: item.textPrompt,
        chosen: item.responses.get(row.chosenId)!,
        rejected: item.responses.get(row.rejectedId)!,
        strength: row.strength,
        reviewers: row.reviewerIds.map(pseudonym),
        agreement: row.agreement,
        source: "judgments",
      };
    }
  };
  for (const row of rows) {
    if (row.item_id !== current) {
      yield* flush();
      current = row.item_id;
      votes = [];
    }
    votes.push({ reviewerId: row.reviewer_id, chosenId: row.chosen_id, rejectedId: row.rejected_id, strength: row.strength, flagged: row.chosen_flagged === 1 });
  }
  yield* flush();
}

/** The dataset's own pairs (TRL, HH-RLHF imports) for the prompts of the batch. */
function* importedPairs(sqlite: Sqlite, batch: BatchRecord, options: ExportOptions): Generator<ExportPair> {
  const rows = sqlite
    .prepare<[string], { prompt_id: string; external_id: string; messages: string; metadata: string; strength: 0 | 1 | 2 | 3; c_id: string; c_ext: string; c_model: string; c_text: string; r_id: string; r_ext: string; r_model: string; r_text: string }>(
      `SELECT p.id AS prompt_id, p.external_id, p.messages, p.metadata, pp.strength,
              c.id AS c_id, c.external_id AS c_ext, c.model AS c_model, c.text AS c_text,
              r.id AS r_id, r.external_id AS r_ext, r.model AS r_model, r.text AS r_text
       FROM preference_pairs pp JOIN prompts p ON p.id = pp.prompt_id
       JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
       WHERE pp.source = 'imported' AND pp.prompt_id IN (SELECT DISTINCT prompt_id FROM items WHERE batch_id = ?)
       ORDER BY p.rowid, pp.rowid`,
    )
    .iterate(batch.id);
  for (const row of rows) {
    if (options.ties === "drop" && row.strength === 0) continue;
    yield {
      itemId: null,
      promptId: row.prompt_id,
      promptExternalId: row.external_id,
      messages: JSON.parse(row.messages) as ChatMessage[],
      textPrompt: (JSON.parse(row.metadata) as Record<string, unknown>).text_prompt === true,
      chosen: { id: row.c_id, external_id: row.c_ext, model: row.c_model, text: row.c_text },
      rejected: { id: row.r_id, external_id: row.r_ext, model: row.r_model, text: row.r_text },
      strength: row.strength,
      reviewers: [],
      agreement: 1,
      source: "imported",
    };
  }
}

/** Tiers a judgment implies: rankings as given, pairwise as winner/loser (or one tier for a tie), ratings by overall score. */
function tiersOf(payload: JudgmentPayload, responseIds: readonly string[], overallAspect: string): string[][] {
  if (payload.task === "ranking") return payload.tiers;
  if (payload.task === "pairwise") {
    if (payload.preferred === "tie") return [[...responseIds]];
    return [[payload.preferred], responseIds.filter((id) => id !== payload.preferred)];
  }
  const byScore = new Map<number, string[]>();
  for (const id of responseIds) {
    const score = payload.scores[id]?.[overallAspect] ?? 0;
    byScore.set(score, [...(byScore.get(score) ?? []), id]);
  }
  return [...byScore.entries()].sort((a, b) => b[0] - a[0]).map(([, ids]) => ids);
}

function* judgmentRows(sqlite: Sqlite, batch: BatchRecord, options: ExportOptions, pseudonym: (id: string) => string): Generator<ExportJudgment> {
  const rows = sqlite
    .prepare<[string], { id: string; item_id: string; reviewer_id: string; payload: string; rationale: string; duration_ms: number | null; created_at: number; updated_at: number }>(
      `SELECT j.id, j.item_id, j.reviewer_id, j.payload, j.rationale, j.duration_ms, j.created_at, j.updated_at
       FROM judgments j JOIN items i ON i.id = j.item_id
       WHERE i.batch_id = ? ${options.include_gold ? "" : "AND i.is_gold = 0"} ORDER BY i.position, j.rowid`,
    )
    .iterate(batch.id);
  const load = itemLoader(sqlite);
  const flagsOf = sqlite.prepare<[string], { response_id: string; flag: string; note: string }>("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ? ORDER BY rowid");
  let cached: ItemContext | null = null;
  for (const row of rows) {
    if (cached?.id !== row.item_id) cached = load(row.item_id);
    const payload = JSON.parse(row.payload) as JudgmentPayload;
    const tiers = tiersOf(payload, cached.order, batch.config.overallAspect);
    if (options.ties === "drop" && tiers.some((t) => t.length > 1)) continue;
    yield {
      judgmentId: row.id,
      itemId: row.item_id,
      promptId: cached.promptId,
      promptExternalId: cached.promptExternalId,
      messages: cached.messages,
      task: batch.task as Task,
      responses: cached.order.map((id) => cached!.responses.get(id)!),
      tiers,
      payload: payload as unknown as Record<string, unknown>,
      flags: flagsOf.all(row.id),
      rationale: row.rationale,
      reviewer: pseudonym(row.reviewer_id),
      durationMs: row.duration_ms,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

/** Every line of the export, as objects, in order (the JSONL lines; export-files.server.ts writes them as CSV or Parquet too). */
export function* exportLines(sqlite: Sqlite, batch: BatchRecord, options: ExportOptions): Generator<unknown> {
  const pseudonym = pseudonymizer(batch.id);
  if (options.format in JUDGMENT_FORMATS) {
    const map = JUDGMENT_FORMATS[options.format as JudgmentFormat];
    for (const judgment of judgmentRows(sqlite, batch, options, pseudonym)) yield map(judgment);
    return;
  }
  const format = options.format as PairFormat;
  if (options.source !== "imported") for (const pair of judgedPairs(sqlite, batch, options, pseudonym)) yield* pairLines(format, pair);
  if (options.source !== "judgments") for (const pair of importedPairs(sqlite, batch, options)) yield* pairLines(format, pair);
}

/**
 * Streams an export as UTF-8 JSONL chunks. When the stream completes it records the export
 * (options, row count, sha256 of the bytes) and calls `onDone`; a consumer that stops early
 * (a client that disconnected) stops the work and nothing is recorded.
 */
export async function* streamExport(
  batchId: string,
  rawOptions: unknown,
  hooks: { actorId?: string | null; signal?: AbortSignal; onDone?: (result: ExportResult) => void; onProgress?: (rows: number) => void } = {},
): AsyncGenerator<Uint8Array> {
  const options = parseExportOptions(rawOptions);
  const batch = getBatch(batchId);
  const reader = exportReader();
  const hash = createHash("sha256");
  let rows = 0;
  let bytes = 0;
  let buffer = "";
  try {
    // One read transaction: the export is a consistent snapshot even while reviewers keep judging.
    reader.sqlite.exec("BEGIN");
    for (const line of exportLines(reader.sqlite, batch, options)) {
      buffer += `${JSON.stringify(line)}\n`;
      rows++;
      if (buffer.length >= CHUNK_BYTES) {
        const chunk = encoder.encode(buffer);
        buffer = "";
        hash.update(chunk);
        bytes += chunk.length;
        if (hooks.signal?.aborted) return;
        hooks.onProgress?.(rows);
        yield chunk;
      }
    }
    if (buffer) {
      const chunk = encoder.encode(buffer);
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    reader.sqlite.exec("COMMIT");
    const result = recordExport(batch.id, options, { rows, bytes, sha256: hash.digest("hex") }, hooks.actorId);
    hooks.onDone?.(result);
  } finally {
    if (reader.sqlite.inTransaction) reader.sqlite.exec("ROLLBACK");
    reader.sqlite.close();
  }
}

/** Records a finished export (its options, row count and the sha256 of the file's bytes) in `exports`. */
export function recordExport(batchId: string, options: Record<string, unknown> & { format: string }, file: Omit<ExportResult, "id">, actorId?: string | null): ExportResult {
  const result: ExportResult = { id: newId(), ...file };
  connection()
    .sqlite.prepare("INSERT INTO exports (id, batch_id, format, options, row_count, sha256, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .run(result.id, batchId, options.format, JSON.stringify(options), result.rows, result.sha256, actorId ?? null, Date.now());
  return result;
}

/** The first rows (parsed) and the total count, for the export page's preview. Records nothing. */
export function previewExport(batchId: string, rawOptions: unknown, limit = 5): { rows: unknown[]; total: number } {
  const options = parseExportOptions(rawOptions);
  const batch = getBatch(batchId);
  const reader = exportReader();
  try {
    const first: unknown[] = [];
    let total = 0;
    for (const line of exportLines(reader.sqlite, batch, options)) {
      if (first.length < limit) first.push(line);
      total++;
    }
    return { rows: first, total };
  } finally {
    reader.sqlite.close();
  }
}

export interface ExportRecord {
  id: string;
  format: string;
  options: Record<string, unknown>;
  rows: number;
  sha256: string;
  createdAt: number;
  createdBy: string | null;
}

export function listExports(batchId: string): ExportRecord[] {
  return connection()
    .sqlite.prepare<[string], { id: string; format: string; options: string; row_count: number; sha256: string; created_at: number; username: string | null }>(
      `SELECT e.id, e.format, e.options, e.row_count, e.sha256, e.created_at, u.username FROM exports e LEFT JOIN users u ON u.id = e.created_by
       WHERE e.batch_id = ? ORDER BY e.created_at DESC LIMIT 50`,
    )
    .all(batchId)
    .map((r) => ({ id: r.id, format: r.format, options: JSON.parse(r.options) as Record<string, unknown>, rows: r.row_count, sha256: r.sha256, createdAt: r.created_at, createdBy: r.username }));
}

/** The batch's headline agreement figures for the dataset card. */
function agreementFigures(stats: BatchStats): Record<string, number | null> {
  return {
    "percent agreement (with ties)": stats.percent_agreement.with_ties,
    "percent agreement (without ties)": stats.percent_agreement.without_ties,
    "Krippendorff's alpha (interval)": stats.krippendorff_alpha.interval,
    "Krippendorff's alpha (nominal)": stats.krippendorff_alpha.nominal,
    "Krippendorff's alpha (direction)": stats.krippendorff_alpha.direction,
    "Fleiss' kappa": stats.fleiss_kappa,
    "position bias (share choosing the left response)": stats.position_bias.left_rate,
  };
}

/** The Hugging Face dataset card for a finished export. */
export function exportCard(batchId: string, result: ExportResult, rawOptions: unknown, dataFile: string): string {
  const options = parseExportOptions(rawOptions);
  const batch = getBatch(batchId);
  const stats = batchStats(batchId);
  const dataset = connection().sqlite.prepare<[string], { name: string }>("SELECT name FROM datasets WHERE id = ?").get(batch.datasetId)!.name;
  const counts = { dataset, items: stats.items, judgments: stats.judgments, reviewers: stats.reviewers };
  return datasetCard({
    title: `${batch.name} (${options.format})`,
    dataFile,
    format: options.format,
    rows: result.rows,
    sha256: result.sha256,
    createdAt: new Date(),
    options: options as unknown as Record<string, unknown>,
    batch: { id: batch.id, name: batch.name, task: batch.task, overlap: batch.overlap, ...counts },
    agreement: agreementFigures(stats),
  });
}

export { EXPORT_FORMAT_DESCRIPTIONS, EXPORT_FORMATS };
