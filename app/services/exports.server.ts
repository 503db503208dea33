import { createHash } from "node:crypto";
import { z } from "zod";
import { adjudicatedRows, consensusRows, type ConsensusRow, type Vote } from "../core/ranking/consensus";
import { pairsOf } from "../core/ranking/pairs";
import {
  BEST_FORMATS,
  bestTrace,
  CHAT_FORMATS,
  EXPORT_FORMAT_DESCRIPTIONS,
  EXPORT_FORMATS,
  JUDGMENT_FORMATS,
  PAIR_FORMATS,
  pairTrace,
  PROMPT_FORMATS,
  promptTrace,
  SKIP_FORMATS,
  sourcesColumns,
  TIE_FORMATS,
  UNPAIRED_FORMATS,
  type BestFormat,
  type ExportFormat,
  type JudgmentFormat,
  type PairFormat,
  type UnpairedFormat,
} from "../core/formats/export/mappers";
import type { ExportBest, ExportJudgment, ExportPair, ExportPrompt, ExportResponse, PromptSources } from "../core/formats/export/rows";
import { JUDGE_REVIEWER, judgeFlagged, judgePairs, type JudgeVerdictInput } from "../core/formats/export/judge";
import type { ContextDocument } from "../core/formats/sources";
import { noInvalidRows, promptProblem, type InvalidCounts } from "../core/formats/export/validity";
import { unpairedRows } from "../core/formats/export/unpaired";
import { bestResponse, isUnsolved } from "../core/ranking/winner";
import { datasetCard } from "../core/formats/export/card";
import type { ChatMessage } from "../core/formats/messages";
import type { JudgmentPayload } from "../core/tasks/judgment";
import type { Task } from "../core/tasks/config";
import { newId } from "../../db/ids";
import type { Connection, Sqlite } from "../../db/client";
import { getBatch, type BatchRecord } from "./batches.server";
import { connection, dedicatedConnection } from "./database.server";
import { ServiceError } from "./errors.server";
import { recordAudit } from "./audit.server";
import { batchStats, type BatchStats } from "./stats.server";
import { invalidFields, invalidFrom } from "./validation.server";
import { DEFAULT_LICENSE, licenseProblems } from "../core/formats/export/licenses";

/**
 * Exports (DESIGN.md §5): rows are read with an iterator on a connection of their own, passed
 * through the consensus policy one item at a time, mapped by the format's pure mapper and
 * yielded in chunks, so memory stays flat whatever the size. The same options on the same
 * data give the same bytes: rows come in item order, then in the order pairs were stored.
 */
/** Reviewers not paused in the batch (@batch), for exclude_paused_reviewers. */
const NOT_PAUSED = "NOT IN (SELECT user_id FROM batch_reviewers WHERE batch_id = @batch AND paused_at IS NOT NULL)";

/** A yes/no option: a boolean from the CLI and JSON, "0"/"1"/"true"/"false" from a query string or form. */
const flag = z.union([z.boolean(), z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true")]).default(false);

const exportOptionsSchema = z.object({
  format: z.enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]]),
  consensus: z.enum(["all", "majority", "unanimous"]).default("majority"),
  min_agreement: z.coerce.number().min(0).max(1).default(0),
  ties: z.enum(["drop", "keep"]).default("drop"),
  exclude_flags: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean)),
  include_gold: flag,
  /** Leaves out the judgments of reviewers paused in the batch by their gold accuracy (gold.server.ts). */
  exclude_paused_reviewers: flag,
  with_text: flag,
  include_skipped: flag,
  source: z.enum(["judgments", "imported", "both"]).default("judgments"),
  keep_invalid: flag,
  with_ids: flag,
  min_strength: z.coerce.number().int().min(0).max(3).default(0),
  only_unsolved: flag,
  /** Adds the prompt's `reference` and `context` (its sources of truth) to every row. */
  include_context: flag,
  /**
   * Whose judgments the export reads: the reviewers' (default), an LLM judge run's verdicts
   * (judge_verdicts) instead, or both, the judge counting as one more reviewer.
   */
  judged_by: z.enum(["human", "llm-judge", "both"]).default("human"),
  /** The judge run to read with judged_by llm-judge or both; default the batch's most recent. */
  judge_run: z.string().trim().min(1, "must not be empty").optional(),
});
export type ExportOptions = z.output<typeof exportOptionsSchema>;

export function parseExportOptions(input: unknown): ExportOptions {
  const parsed = exportOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const options = parsed.data;
  // Options the format cannot honour are refused together, each beside its field, rather than one at a time.
  const problems: Array<{ field: string; message: string; field_message: string }> = [];
  if (options.ties === "keep" && !TIE_FORMATS.includes(options.format)) {
    problems.push({
      field: "ties",
      message: `ties: ${options.format} cannot carry ties; use --ties drop, or the ${TIE_FORMATS.join(" or ")} format`,
      field_message: `${options.format} cannot carry ties (only ${TIE_FORMATS.join(", ")} can)`,
    });
  }
  // OpenAI's fine-tuning files are checked against its own schema (input, preferred_output,
  // non_preferred_output): extra top-level keys are not promised to pass, so none are added.
  if (options.include_context && options.format === "openai-dpo") {
    problems.push({
      field: "include_context",
      message: "include_context: openai-dpo files hold only OpenAI's own keys; export the sources with another format (trl-dpo, judgments)",
      field_message: "not for openai-dpo: OpenAI's file schema has no place for it",
    });
  }
  if (options.only_unsolved && options.format !== "prompts") {
    problems.push({ field: "only_unsolved", message: "only_unsolved: only the prompts format picks prompts by outcome", field_message: "applies to the prompts format only" });
  }
  if (options.min_strength > 0 && !(options.format in PAIR_FORMATS || options.format in UNPAIRED_FORMATS || options.format in BEST_FORMATS)) {
    problems.push({
      field: "min_strength",
      message: `min_strength: ${options.format} has no preference strength to filter on`,
      field_message: "applies to the pair, KTO and SFT formats",
    });
  }
  if (options.judge_run !== undefined && options.judged_by === "human") {
    problems.push({
      field: "judge_run",
      message: "judge_run: a judge run is read only with judged_by llm-judge or both",
      field_message: "applies with judged by llm-judge or both",
    });
  }
  if (options.include_skipped && !SKIP_FORMATS.includes(options.format)) {
    problems.push({
      field: "include_skipped",
      message: `include_skipped: ${options.format} has no row for a skipped item; use the ${SKIP_FORMATS.join(" or ")} format`,
      field_message: `${options.format} cannot carry skipped items (only ${SKIP_FORMATS.join(", ")} can)`,
    });
  }
  if (problems.length) {
    throw new ServiceError("invalid", problems.map((p) => p.message).join("; "), { fields: Object.fromEntries(problems.map((p) => [p.field, p.field_message])) });
  }
  return options;
}

export interface ExportResult {
  id: string;
  rows: number;
  bytes: number;
  sha256: string;
  /** Rows skipped because they would break a trainer, per reason (kept and still counted with keep_invalid). */
  invalid: InvalidCounts;
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
function exportReader(): Connection {
  const reader = dedicatedConnection();
  reader.sqlite.pragma(`cache_size = -${READER_CACHE_KIB}`);
  return reader;
}

/** Reviewers appear as stable pseudonyms, the same in every export of the batch; an LLM judge by its own name. */
function pseudonymizer(batchId: string): (userId: string) => string {
  const cache = new Map<string, string>();
  return (userId) => {
    if (userId === JUDGE_REVIEWER) return JUDGE_REVIEWER;
    let name = cache.get(userId);
    if (!name) {
      name = `reviewer-${createHash("sha256").update(`${batchId}:${userId}`).digest("hex").slice(0, 10)}`;
      cache.set(userId, name);
    }
    return name;
  };
}

/** The judge run an export reads (`judged_by` llm-judge or both). */
export interface ExportJudgeRun {
  id: string;
  model: string;
  templateHash: string;
}

/** The options as the readers below take them: with the judge run resolved (null for judged_by human). */
type ReadOptions = ExportOptions & { judge: ExportJudgeRun | null };

/**
 * The judge run of `judged_by` llm-judge or both: `judge_run`, which must be a run of this batch
 * (404 otherwise), or the batch's most recent run (400 with a field message when it has none).
 * Null for judged_by human.
 */
function judgeRunOf(sqlite: Sqlite, batchId: string, options: ExportOptions): ExportJudgeRun | null {
  if (options.judged_by === "human") return null;
  type Row = { id: string; batch_id: string; model: string; template_hash: string };
  if (options.judge_run !== undefined) {
    const run = sqlite.prepare<[string], Row>("SELECT id, batch_id, model, template_hash FROM judge_runs WHERE id = ?").get(options.judge_run);
    if (!run || run.batch_id !== batchId) {
      throw new ServiceError("not_found", `no judge run ${options.judge_run} in batch ${batchId}`, { fields: { judge_run: "not a judge run of this batch" } });
    }
    return { id: run.id, model: run.model, templateHash: run.template_hash };
  }
  const latest = sqlite
    .prepare<[string], Row>("SELECT id, batch_id, model, template_hash FROM judge_runs WHERE batch_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
    .get(batchId);
  if (!latest) {
    throw new ServiceError("invalid", `judged_by: batch ${batchId} has no judge run; run one first (judge --batch ${batchId}) or export the reviewers' judgments`, {
      fields: { judged_by: "the batch has no judge run yet" },
    });
  }
  return { id: latest.id, model: latest.model, templateHash: latest.template_hash };
}

/**
 * The judge run an export with these options would read, or null (judged_by human), checked
 * before any byte is written: the download route and the CLI call it so a missing run is a
 * 400/404 and not a broken stream. The export itself resolves it again inside its snapshot.
 */
export function exportJudgeRun(batchId: string, rawOptions: unknown): ExportJudgeRun | null {
  const options = parseExportOptions(rawOptions);
  const batch = getBatch(batchId);
  return judgeRunOf(connection().sqlite, batch.id, options);
}

interface PairRow {
  item_id: string;
  position: number;
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
  /** The prompt's reference and context, read only with include_context. */
  sources?: PromptSources;
}

/** A prompt's sources from its row (`include_context`). */
function sourcesOf(row: { reference?: string | null; context?: string | null }): PromptSources {
  return { reference: row.reference ?? null, context: row.context ? (JSON.parse(row.context) as ContextDocument[]) : null };
}

/** The prompt columns the readers select: the sources only when asked for, since a context can be long. */
function promptColumns(alias: string, withSources: boolean): string {
  return withSources ? `, ${alias}.reference, ${alias}.context` : "";
}

function itemLoader(sqlite: Sqlite, withSources = false) {
  const item = sqlite.prepare<[string], { id: string; response_ids: string; prompt_id: string; external_id: string; messages: string; metadata: string; reference?: string | null; context?: string | null }>(
    `SELECT i.id, i.response_ids, p.id AS prompt_id, p.external_id, p.messages, p.metadata${promptColumns("p", withSources)} FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.id = ?`,
  );
  const responses = sqlite.prepare<[string], ExportResponse>(
    "SELECT id, external_id, model, text FROM responses WHERE id IN (SELECT value FROM json_each(?))",
  );
  const reviewers = sqlite.prepare<[string], { reviewer_id: string }>("SELECT reviewer_id FROM judgments WHERE item_id = ? AND source = 'reviewer' ORDER BY rowid");
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
      ...(withSources && { sources: sourcesOf(row) }),
    };
  };
}

/** One item's consensus, with the responses some reviewer flagged (with one of `exclude_flags`). */
interface JudgedItem {
  item: ItemContext;
  rows: ConsensusRow[];
  flagged: Set<string>;
}

/** Rows of one item, from a stream ordered by item position. */
interface ItemGroup<T> {
  itemId: string;
  position: number;
  rows: T[];
}

/** Groups a stream ordered by item into one group per item. */
function* groupByItem<T extends { item_id: string; position: number }>(rows: Iterable<T>): Generator<ItemGroup<T>> {
  let group = null as ItemGroup<T> | null;
  for (const row of rows) {
    if (group?.itemId !== row.item_id) {
      if (group) yield group;
      group = { itemId: row.item_id, position: row.position, rows: [] };
    }
    group.rows.push(row);
  }
  if (group) yield group;
}

/**
 * Two streams ordered by item position, merged in that order; at one position `a`'s entry comes
 * first. Either may be absent.
 */
function* mergeByPosition<A, B>(a: Iterable<A> | null, b: Iterable<B> | null, positionOfA: (x: A) => number, positionOfB: (x: B) => number): Generator<{ a?: A; b?: B }> {
  const left = a?.[Symbol.iterator]();
  const right = b?.[Symbol.iterator]();
  try {
    let x = left?.next();
    let y = right?.next();
    while ((x && !x.done) || (y && !y.done)) {
      if (x && !x.done && (!y || y.done || positionOfA(x.value) <= positionOfB(y.value))) {
        yield { a: x.value };
        x = left!.next();
      } else {
        yield { b: y!.value as B };
        y = right!.next();
      }
    }
  } finally {
    // A consumer that stops early must close the statements' iterators, or the reader stays busy.
    left?.return?.();
    right?.return?.();
  }
}

/** A readable judge verdict as the pair readers take it. */
interface JudgeVerdictRow {
  item_id: string;
  position: number;
  display_order: string;
  payload: string;
  flags: string;
}

/** The ok verdicts of the judge run on the batch's items, in item order (a pairwise item's first presentation first). */
function judgeVerdictRows(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions): Iterable<JudgeVerdictRow> {
  return sqlite
    .prepare<{ run: string; batch: string }, JudgeVerdictRow>(
      `SELECT v.item_id, i.position, v.display_order, v.payload, v.flags
       FROM judge_verdicts v JOIN items i ON i.id = v.item_id
       WHERE v.run_id = @run AND v.status = 'ok' AND i.batch_id = @batch ${options.include_gold ? "" : "AND i.is_gold = 0"}
       ORDER BY i.position, v.swapped`,
    )
    .iterate({ run: options.judge!.id, batch: batch.id });
}

/**
 * The batch's judged items in item order with their consensus rows. Items nobody judged have no
 * pairs and do not appear. `flagged` holds the chosen responses flagged with one of
 * `exclude_flags`; with none given, the pair formats flag nothing, while the SFT and prompt
 * formats count any flag.
 *
 * `judged_by` llm-judge reads the judge run's verdicts instead of the reviewers' pairs: the
 * judge is the item's only reviewer (`judgePairs` combines a pairwise item's two presentations)
 * and its own flags count. `both` adds the judge to the reviewers of every item it judged, as one
 * more vote in the consensus, and counts its flags beside theirs; an admin's verdict still
 * settles an item under both, while llm-judge reads the judge alone.
 */
function* judgedItems(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions, consensus: { ties: "keep" | "drop" }): Generator<JudgedItem> {
  const flags = options.exclude_flags;
  // What a reviewer flagged is not fit to imitate (SFT) and leaves a prompt unsolved, whatever the flag.
  const anyFlagCounts = options.format in BEST_FORMATS || options.format in PROMPT_FORMATS;
  const countsFlags = flags.length > 0 || anyFlagCounts;
  const humans = options.judged_by !== "llm-judge";
  const judged = options.judged_by !== "human";
  const flagFilter = `EXISTS (SELECT 1 FROM judgment_flags f JOIN judgments j ON j.id = f.judgment_id
       WHERE j.item_id = pp.item_id AND f.response_id = pp.chosen_id ${flags.length ? "AND f.flag IN (SELECT value FROM json_each(@flags))" : ""})`;
  const humanRows = humans
    ? sqlite
        .prepare<{ batch: string; flags: string }, PairRow>(
          `SELECT pp.item_id, i.position, pp.reviewer_id, pp.chosen_id, pp.rejected_id, pp.strength, ${countsFlags ? flagFilter : "0"} AS chosen_flagged
       FROM preference_pairs pp JOIN items i ON i.id = pp.item_id
       WHERE pp.batch_id = @batch AND pp.source != 'imported' ${options.include_gold ? "" : "AND i.is_gold = 0"}
         ${options.exclude_paused_reviewers ? `AND pp.reviewer_id ${NOT_PAUSED}` : ""}
       ORDER BY i.position, pp.rowid`,
        )
        .iterate({ batch: batch.id, flags: JSON.stringify(flags) })
    : null;
  const load = itemLoader(sqlite, options.include_context);
  // An admin's verdict (the latest, as adjudicationOf reads it) is the item's answer under every policy.
  const verdictOf = sqlite.prepare<[string], { id: string; payload: string }>(
    "SELECT id, payload FROM judgments WHERE item_id = ? AND source = 'adjudicated' ORDER BY updated_at DESC, rowid DESC LIMIT 1",
  );
  const verdictFlags = sqlite.prepare<[string, string], { response_id: string }>(
    `SELECT response_id FROM judgment_flags WHERE judgment_id = ? ${flags.length ? "AND flag IN (SELECT value FROM json_each(?))" : "AND ? IS NOT NULL"}`,
  );
  // Under both, a response the reviewers flagged counts even where only the judge chose it.
  const humanFlags = sqlite.prepare<[string, string], { response_id: string }>(
    `SELECT DISTINCT f.response_id FROM judgment_flags f JOIN judgments j ON j.id = f.judgment_id
     WHERE j.item_id = ? ${flags.length ? "AND f.flag IN (SELECT value FROM json_each(?))" : "AND ? IS NOT NULL"}`,
  );

  const judgedItem = (itemId: string, humanVotes: PairRow[], verdicts: JudgeVerdictRow[]): JudgedItem | null => {
    const item = load(itemId);
    const votes: Array<Vote & { flagged: boolean }> = humanVotes.map((row) => ({
      reviewerId: row.reviewer_id,
      chosenId: row.chosen_id,
      rejectedId: row.rejected_id,
      strength: row.strength,
      flagged: row.chosen_flagged === 1,
    }));
    const reviewers = humans ? [...item.reviewers] : [];
    let judgeFlags = new Set<string>();
    if (verdicts.length) {
      const inputs: JudgeVerdictInput[] = verdicts.map((v) => ({ payload: JSON.parse(v.payload) as JudgmentPayload, displayOrder: JSON.parse(v.display_order) as string[] }));
      const pairs = judgePairs(inputs, item.order, batch.config.overallAspect);
      if (countsFlags) judgeFlags = judgeFlagged(verdicts.map((v) => JSON.parse(v.flags) as Array<{ response_id: string; flag: string }>), flags.length ? flags : null);
      for (const pair of pairs) votes.push({ reviewerId: JUDGE_REVIEWER, ...pair, flagged: judgeFlags.has(pair.chosenId) });
      reviewers.push(JUDGE_REVIEWER);
    }
    if (votes.length === 0) return null;
    const verdict = humans ? verdictOf.get(itemId) : undefined;
    if (verdict) {
      const payload = JSON.parse(verdict.payload) as JudgmentPayload;
      const pairs = pairsOf(payload, item.order, item.order.map((_, i) => i), batch.config.overallAspect);
      const flagged = new Set(countsFlags ? verdictFlags.all(verdict.id, JSON.stringify(flags)).map((f) => f.response_id) : []);
      return { item, rows: adjudicatedRows(pairs, votes, reviewers, { ties: consensus.ties }), flagged };
    }
    const flagged = new Set(votes.filter((v) => v.flagged).map((v) => v.chosenId));
    if (judged && humans && countsFlags) {
      for (const f of humanFlags.all(itemId, JSON.stringify(flags))) flagged.add(f.response_id);
      for (const id of judgeFlags) flagged.add(id);
    }
    const rows = consensusRows(votes, reviewers, item.order, { policy: options.consensus, minAgreement: options.min_agreement, ties: consensus.ties });
    return { item, rows, flagged };
  };

  const human = humanRows ? groupByItem(humanRows) : null;
  const judge = judged ? groupByItem(judgeVerdictRows(sqlite, batch, options)) : null;
  let pending: { itemId: string; human: PairRow[]; judge: JudgeVerdictRow[] } | null = null;
  for (const { a, b } of mergeByPosition(human, judge, (g) => g.position, (g) => g.position)) {
    const group = (a ?? b)!;
    // One item's human and judge groups come one after the other (same position): join them.
    if (pending && pending.itemId !== group.itemId) {
      const done = judgedItem(pending.itemId, pending.human, pending.judge);
      if (done) yield done;
      pending = null;
    }
    pending ??= { itemId: group.itemId, human: [], judge: [] };
    if (a) pending.human.push(...a.rows);
    if (b) pending.judge.push(...b.rows);
  }
  if (pending) {
    const done = judgedItem(pending.itemId, pending.human, pending.judge);
    if (done) yield done;
  }
}

/** What every row says of an item's prompt. */
function promptOf(item: ItemContext): ExportPrompt {
  return {
    promptId: item.promptId,
    promptExternalId: item.promptExternalId,
    messages: item.messages,
    textPrompt: item.textPrompt,
    ...(item.sources && { sources: item.sources }),
  };
}

/** Pairs of the batch's judgments after the consensus policy, item by item; pairs whose chosen response was flagged are left out. */
function* judgedPairs(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions, pseudonym: (id: string) => string): Generator<ExportPair> {
  for (const { item, rows, flagged } of judgedItems(sqlite, batch, options, { ties: options.ties })) {
    for (const row of rows) {
      if (flagged.has(row.chosenId)) continue;
      yield {
        itemId: item.id,
        ...promptOf(item),
        chosen: item.responses.get(row.chosenId)!,
        rejected: item.responses.get(row.rejectedId)!,
        strength: row.strength,
        reviewers: row.reviewerIds.map(pseudonym),
        agreement: row.agreement,
        source: "judgments",
      };
    }
  }
}

/** Each judged item's best response (`bestResponse`); an item whose best response was flagged gives none. */
function* judgedBest(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions, pseudonym: (id: string) => string): Generator<ExportBest> {
  for (const { item, rows, flagged } of judgedItems(sqlite, batch, options, { ties: "keep" })) {
    const best = bestResponse(rows, options.min_strength);
    if (!best || flagged.has(best.responseId)) continue;
    yield {
      itemId: item.id,
      ...promptOf(item),
      response: item.responses.get(best.responseId)!,
      strength: best.strength,
      reviewers: best.reviewerIds.map(pseudonym),
    };
  }
}

/** The best response per prompt among the dataset's own pairs, grouped as they are stored (by prompt). */
function* importedBest(pairs: Iterable<ExportPair>, minStrength: number): Generator<ExportBest> {
  let group: ExportPair[] = [];
  const flush = (): ExportBest | null => {
    const first = group[0];
    if (!first) return null;
    const byId = new Map(group.flatMap((p) => [[p.chosen.id, p.chosen] as const, [p.rejected.id, p.rejected] as const]));
    const best = bestResponse(
      group.map((p) => ({ chosenId: p.chosen.id, rejectedId: p.rejected.id, strength: p.strength, reviewerIds: [], agreement: 1 })),
      minStrength,
    );
    if (!best) return null;
    return { ...first, response: byId.get(best.responseId)!, strength: best.strength, reviewers: [] };
  };
  for (const pair of pairs) {
    if (group.length && group[0]!.promptId !== pair.promptId) {
      const best = flush();
      if (best) yield best;
      group = [];
    }
    group.push(pair);
  }
  const best = flush();
  if (best) yield best;
}

/**
 * The batch's prompts, each once, in the order of their first item. With `only_unsolved`, only
 * prompts with a judged item whose responses were all flagged or lost (`isUnsolved`).
 */
function* batchPrompts(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions): Generator<ExportPrompt> {
  type Row = { id: string; external_id: string; messages: string; metadata: string; reference?: string | null; context?: string | null };
  const toPrompt = (row: Row): ExportPrompt => ({
    promptId: row.id,
    promptExternalId: row.external_id,
    messages: JSON.parse(row.messages) as ChatMessage[],
    textPrompt: (JSON.parse(row.metadata) as Record<string, unknown>).text_prompt === true,
    ...(options.include_context && { sources: sourcesOf(row) }),
  });
  if (options.only_unsolved) {
    const seen = new Set<string>();
    for (const { item, rows, flagged } of judgedItems(sqlite, batch, options, { ties: "keep" })) {
      if (seen.has(item.promptId) || !isUnsolved(rows, item.order, flagged)) continue;
      seen.add(item.promptId);
      yield promptOf(item);
    }
    return;
  }
  const rows = sqlite
    .prepare<[string], Row>(
      `SELECT p.id, p.external_id, p.messages, p.metadata${promptColumns("p", options.include_context)} FROM prompts p
       JOIN (SELECT prompt_id, MIN(position) AS first FROM items WHERE batch_id = ? ${options.include_gold ? "" : "AND is_gold = 0"} GROUP BY prompt_id) i ON i.prompt_id = p.id
       ORDER BY i.first`,
    )
    .iterate(batch.id);
  for (const row of rows) yield toPrompt(row);
}

/** The dataset's own pairs (TRL, HH-RLHF imports) for the prompts of the batch. */
function* importedPairs(sqlite: Sqlite, batch: BatchRecord, options: ExportOptions): Generator<ExportPair> {
  const rows = sqlite
    .prepare<[string], { prompt_id: string; external_id: string; messages: string; metadata: string; reference?: string | null; context?: string | null; strength: 0 | 1 | 2 | 3; c_id: string; c_ext: string; c_model: string; c_text: string; r_id: string; r_ext: string; r_model: string; r_text: string }>(
      `SELECT p.id AS prompt_id, p.external_id, p.messages, p.metadata${promptColumns("p", options.include_context)}, pp.strength,
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
      ...(options.include_context && { sources: sourcesOf(row) }),
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

interface JudgmentRow {
  id: string | null;
  item_id: string;
  reviewer_id: string;
  display_order: string;
  payload: string | null;
  rationale: string;
  duration_ms: number | null;
  created_at: number;
  updated_at: number;
  position: number;
  source: "reviewer" | "adjudicated";
}

/** A readable verdict of the judge run, for the judgment formats. */
interface JudgeJudgmentRow {
  item_id: string;
  position: number;
  swapped: number;
  display_order: string;
  payload: string;
  flags: string;
  rationale: string;
  latency_ms: number | null;
  created_at: number;
}

/**
 * The batch's judgments in item order, then in the order they were stored (an admin's verdict,
 * source `adjudicated`, after the reviewers' of its item); with
 * `include_skipped`, each item's skipped assignments follow its judgments (in the order they were
 * leased), with no judgment id or payload and the time of the skip as both timestamps.
 *
 * `judged_by` llm-judge gives the judge run's readable verdicts instead, one row per item and
 * presentation (source `llm-judge`, reviewer `llm-judge`, the first presentation before the
 * swapped one, the judge's flags without a note, its latency as the duration; the judgment id is
 * RUN:ITEM:0 or :1); `both` gives each item's judge rows after its reviewers' rows.
 */
function* judgmentRows(sqlite: Sqlite, batch: BatchRecord, options: ReadOptions, pseudonym: (id: string) => string): Generator<ExportJudgment> {
  const gold = options.include_gold ? "" : "AND i.is_gold = 0";
  const skipped = options.include_skipped
    ? `UNION ALL
       SELECT NULL, a.item_id, a.reviewer_id, a.display_order, NULL, '', NULL, coalesce(a.done_at, a.leased_at), coalesce(a.done_at, a.leased_at), i.position, 1, a.rowid, 'reviewer'
       FROM assignments a JOIN items i ON i.id = a.item_id
       WHERE a.batch_id = @batch AND a.status = 'skipped' AND a.kind = 'review' ${gold}`
    : "";
  const humanRows =
    options.judged_by === "llm-judge"
      ? null
      : sqlite
          .prepare<{ batch: string }, JudgmentRow>(
            `SELECT j.id, j.item_id, j.reviewer_id, a.display_order, j.payload, j.rationale, j.duration_ms, j.created_at, j.updated_at, i.position, 0 AS kind, j.rowid AS seq, j.source
       FROM judgments j JOIN items i ON i.id = j.item_id JOIN assignments a ON a.id = j.assignment_id
       WHERE i.batch_id = @batch AND j.source IN ('reviewer', 'adjudicated') ${gold}
         ${options.exclude_paused_reviewers ? `AND (j.source = 'adjudicated' OR j.reviewer_id ${NOT_PAUSED})` : ""}
       ${skipped}
       ORDER BY 10, 11, 12`,
          )
          .iterate({ batch: batch.id });
  const judge = options.judge;
  const judgeRows = judge
    ? sqlite
        .prepare<{ run: string; batch: string }, JudgeJudgmentRow>(
          `SELECT v.item_id, i.position, v.swapped, v.display_order, v.payload, v.flags, v.rationale, v.latency_ms, v.created_at
           FROM judge_verdicts v JOIN items i ON i.id = v.item_id
           WHERE v.run_id = @run AND v.status = 'ok' AND i.batch_id = @batch ${gold}
           ORDER BY i.position, v.swapped`,
        )
        .iterate({ run: judge.id, batch: batch.id })
    : null;
  const load = itemLoader(sqlite, options.include_context);
  const flagsOf = sqlite.prepare<[string], { response_id: string; flag: string; note: string }>("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ? ORDER BY rowid");
  let cached: ItemContext | null = null;
  for (const { a: row, b: verdict } of mergeByPosition(humanRows, judgeRows, (r) => r.position, (v) => v.position)) {
    const itemId = (row ?? verdict)!.item_id;
    if (cached?.id !== itemId) cached = load(itemId);
    const item: ItemContext = cached;
    const order = item.order;
    const payload = row ? (row.payload === null ? null : (JSON.parse(row.payload) as JudgmentPayload)) : (JSON.parse(verdict!.payload) as JudgmentPayload);
    const tiers = payload ? tiersOf(payload, order, batch.config.overallAspect) : [];
    if (options.ties === "drop" && tiers.some((t) => t.length > 1)) continue;
    const common = {
      itemId,
      promptId: item.promptId,
      promptExternalId: item.promptExternalId,
      messages: item.messages,
      task: batch.task as Task,
      responses: order.map((id) => item.responses.get(id)!),
      tiers,
      payload,
      ...(item.sources && { sources: item.sources }),
    };
    if (row) {
      yield {
        ...common,
        judgmentId: row.id ?? "",
        shownOrder: (JSON.parse(row.display_order) as number[]).map((index) => order[index]!),
        flags: row.id === null ? [] : flagsOf.all(row.id),
        rationale: row.rationale,
        reviewer: pseudonym(row.reviewer_id),
        source: row.source,
        durationMs: row.duration_ms,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      };
    } else {
      const v = verdict!;
      yield {
        ...common,
        judgmentId: `${judge!.id}:${itemId}:${v.swapped}`,
        shownOrder: JSON.parse(v.display_order) as string[],
        flags: (JSON.parse(v.flags) as Array<{ response_id: string; flag: string }>).map((f) => ({ response_id: f.response_id, flag: f.flag, note: "" })),
        rationale: v.rationale,
        reviewer: JUDGE_REVIEWER,
        source: "llm-judge",
        judge: { model: judge!.model, templateHash: judge!.templateHash, swapped: v.swapped === 1 },
        durationMs: v.latency_ms,
        createdAt: v.created_at,
        updatedAt: v.created_at,
      };
    }
  }
}

/**
 * Rows that would break a trainer (validity.ts) are counted per reason in `invalid` and left
 * out, or kept with `keep_invalid`.
 */
function* validRows<T extends { messages: ChatMessage[] }>(rows: Iterable<T>, options: ExportOptions, invalid: InvalidCounts): Generator<T> {
  const chat = CHAT_FORMATS.includes(options.format);
  for (const row of rows) {
    const problem = promptProblem(row.messages, chat);
    if (problem) {
      invalid[problem]++;
      if (!options.keep_invalid) continue;
    }
    yield row;
  }
}

/**
 * Every line of the export, as objects, in order (the JSONL lines; export-files.server.ts writes
 * them as CSV or Parquet too). Rows left out as invalid are counted in `invalid`.
 */
function* exportLines(sqlite: Sqlite, batch: BatchRecord, exportOptions: ExportOptions, invalid: InvalidCounts = noInvalidRows()): Generator<unknown> {
  const pseudonym = pseudonymizer(batch.id);
  const options: ReadOptions = { ...exportOptions, judge: judgeRunOf(sqlite, batch.id, exportOptions) };
  const format = options.format;
  // `include_context` keys go last on every row, after the trace columns.
  const sources = options.include_context ? sourcesColumns : () => ({});
  if (format in JUDGMENT_FORMATS) {
    const map = JUDGMENT_FORMATS[format as JudgmentFormat];
    const rowOptions = { withText: options.with_text, ...(options.judge && { judgeColumns: true }) };
    for (const judgment of judgmentRows(sqlite, batch, options, pseudonym)) yield options.include_context ? { ...map(judgment, rowOptions), ...sourcesColumns(judgment) } : map(judgment, rowOptions);
    return;
  }
  if (format in PROMPT_FORMATS) {
    for (const prompt of validRows(batchPrompts(sqlite, batch, options), options, invalid)) {
      yield { ...PROMPT_FORMATS.prompts(prompt), ...(options.with_ids ? promptTrace(prompt, batch.id) : {}), ...sources(prompt) };
    }
    return;
  }
  if (format in BEST_FORMATS) {
    const map = BEST_FORMATS[format as BestFormat];
    const best = function* (): Generator<ExportBest> {
      if (options.source !== "imported") yield* judgedBest(sqlite, batch, options, pseudonym);
      if (options.source !== "judgments") yield* importedBest(importedPairs(sqlite, batch, { ...options, ties: "keep" }), options.min_strength);
    };
    for (const row of validRows(best(), options, invalid)) yield { ...map(row), ...(options.with_ids ? bestTrace(row, batch.id) : {}), ...sources(row) };
    return;
  }
  const pairs = function* (): Generator<ExportPair> {
    if (options.source !== "imported") yield* judgedPairs(sqlite, batch, options, pseudonym);
    if (options.source !== "judgments") yield* importedPairs(sqlite, batch, options);
  };
  const kept = (function* () {
    for (const pair of validRows(pairs(), options, invalid)) if (pair.strength >= options.min_strength) yield pair;
  })();
  if (format in UNPAIRED_FORMATS) {
    const map = UNPAIRED_FORMATS[format as UnpairedFormat];
    type Row = ReturnType<typeof map>["chosen"] & { promptKey: string };
    const rows = unpairedRows<ExportPair, Row>(
      kept,
      (pair) => {
        const extra = { ...(options.with_ids ? pairTrace(pair, batch.id) : {}), ...sources(pair) };
        const { chosen, rejected } = map(pair);
        return { chosen: { ...chosen, ...extra, promptKey: pair.promptId }, rejected: { ...rejected, ...extra, promptKey: pair.promptId } };
      },
      (row) => row.promptKey,
    );
    for (const { promptKey: _key, ...row } of rows) yield row;
    return;
  }
  const map = PAIR_FORMATS[format as PairFormat];
  for (const pair of kept) yield { ...map(pair), ...(options.with_ids ? pairTrace(pair, batch.id) : {}), ...sources(pair) };
}

/**
 * Streams an export as UTF-8 JSONL chunks. When the stream completes it records the export
 * (options, row count, sha256 of the bytes) and calls `onDone`; a consumer that stops early
 * (a client that disconnected) stops the work and nothing is recorded.
 */
export interface ExportHooks {
  actorId?: string | null;
  signal?: AbortSignal;
  onDone?: (result: ExportResult) => void;
  onProgress?: (rows: number) => void;
  /** false: compute the export (rows, sha256) without recording it, as the dataset card endpoint does. */
  record?: boolean;
}

/** Takes an export's rows one at a time and hands back the bytes that are ready (often none). */
export interface FileEncoder {
  add(row: unknown): Uint8Array[];
  finish(): Uint8Array[];
}

/** JSONL: one JSON object a line, in chunks of about 64 KiB. */
function jsonlEncoder(): FileEncoder {
  let buffer = "";
  return {
    add(row) {
      buffer += `${JSON.stringify(row)}\n`;
      if (buffer.length < CHUNK_BYTES) return [];
      const chunk = encoder.encode(buffer);
      buffer = "";
      return [chunk];
    },
    finish() {
      return buffer ? [encoder.encode(buffer)] : [];
    },
  };
}

export async function* streamExport(batchId: string, rawOptions: unknown, hooks: ExportHooks = {}): AsyncGenerator<Uint8Array> {
  const options = parseExportOptions(rawOptions);
  yield* streamEncodedExport(batchId, options, jsonlEncoder(), options, hooks);
}

/**
 * An export's rows through `fileEncoder` (JSONL here, CSV and Parquet in export-files.server.ts),
 * with the sha256 and size of the bytes it yields; recorded with `recordedOptions` when done.
 */
export async function* streamEncodedExport(
  batchId: string,
  options: ExportOptions,
  fileEncoder: FileEncoder,
  recordedOptions: Record<string, unknown> & { format: string },
  hooks: ExportHooks,
): AsyncGenerator<Uint8Array> {
  const batch = getBatch(batchId);
  const reader = exportReader();
  const hash = createHash("sha256");
  let rows = 0;
  let bytes = 0;
  const invalid = noInvalidRows();
  const out = function* (chunks: Uint8Array[]) {
    for (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  };
  try {
    // One read transaction: the export is a consistent snapshot even while reviewers keep judging.
    reader.sqlite.exec("BEGIN");
    // The judge run read (judged_by llm-judge or both) is recorded by id, also when it was the latest.
    const judge = judgeRunOf(reader.sqlite, batch.id, options);
    const read = judge ? { ...options, judge_run: judge.id } : options;
    const recorded = judge ? { ...recordedOptions, judge_run: judge.id } : recordedOptions;
    for (const line of exportLines(reader.sqlite, batch, read, invalid)) {
      const ready = fileEncoder.add(line);
      rows++;
      if (ready.length) {
        if (hooks.signal?.aborted) return;
        hooks.onProgress?.(rows);
        yield* out(ready);
      }
    }
    yield* out(fileEncoder.finish());
    reader.sqlite.exec("COMMIT");
    const result = recordExport(batch.id, recorded, { rows, bytes, sha256: hash.digest("hex"), invalid }, hooks);
    hooks.onDone?.(result);
  } finally {
    if (reader.sqlite.inTransaction) reader.sqlite.exec("ROLLBACK");
    reader.sqlite.close();
  }
}

/**
 * Records a finished export (its options, row count and the sha256 of the file's bytes) in
 * `exports`, unless `record` is false (a dataset card's hash run).
 */
function recordExport(
  batchId: string,
  options: Record<string, unknown> & { format: string },
  file: Omit<ExportResult, "id">,
  hooks: { actorId?: string | null; record?: boolean } = {},
): ExportResult {
  const result: ExportResult = { id: newId(), ...file };
  if (hooks.record === false) return result;
  const { sqlite, db } = connection();
  sqlite.transaction(() => {
    sqlite
      .prepare("INSERT INTO exports (id, batch_id, format, options, row_count, sha256, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(result.id, batchId, options.format, JSON.stringify(options), result.rows, result.sha256, hooks.actorId ?? null, Date.now());
    recordAudit(db, { userId: hooks.actorId ?? null, action: "batch.export", subject: batchId, detail: { export_id: result.id, format: options.format, rows: result.rows } });
  })();
  return result;
}

/** The first rows (parsed) and the total count, for the export page's preview. Records nothing. */
export function previewExport(batchId: string, rawOptions: unknown, limit = 5): { rows: unknown[]; total: number; invalid: InvalidCounts } {
  const options = parseExportOptions(rawOptions);
  const batch = getBatch(batchId);
  const reader = exportReader();
  try {
    const first: unknown[] = [];
    let total = 0;
    const invalid = noInvalidRows();
    for (const line of exportLines(reader.sqlite, batch, options, invalid)) {
      if (first.length < limit) first.push(line);
      total++;
    }
    return { rows: first, total, invalid };
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

/** A dataset card's licence: `license` is a Hub identifier; name and link only for `other`. */
export interface CardLicense {
  license: string;
  license_name?: string;
  license_link?: string;
}

const cardOptionsSchema = z.object({
  license: z.string().trim().optional(),
  license_name: z.string().trim().optional(),
  license_link: z.string().trim().optional(),
});

/** The licence the batch's dataset was imported with, or null when none was given. */
function datasetLicense(batch: BatchRecord): string | null {
  return connection().sqlite.prepare<[string], { license: string | null }>("SELECT license FROM datasets WHERE id = ?").get(batch.datasetId)?.license ?? null;
}

/**
 * The card's licence from `license`, `license_name`, `license_link` (other keys are the export's
 * and are ignored here). They are card options, not export options: they change the card, never
 * the export's bytes, and are not recorded with the export. Without `license` the card takes the
 * dataset's import licence, else `unknown`. 400 with field messages for a bad choice.
 */
export function parseCardOptions(batchId: string, raw: unknown): CardLicense {
  const parsed = cardOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { license, license_name, license_link } = parsed.data;
  const problems = licenseProblems({ license, license_name, license_link });
  const failure = invalidFields(problems);
  if (failure) throw failure;
  const batch = getBatch(batchId);
  const chosen = license || datasetLicense(batch) || DEFAULT_LICENSE;
  return chosen === "other" ? { license: chosen, license_name, license_link } : { license: chosen };
}

/** The Hugging Face dataset card for a finished export; `rawCard` holds the licence options (parseCardOptions). */
export function exportCard(batchId: string, result: ExportResult, rawOptions: unknown, dataFile: string, rawCard: unknown = {}): string {
  const options = parseExportOptions(rawOptions);
  const card = parseCardOptions(batchId, rawCard);
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
    license: card.license,
    licenseName: card.license_name,
    licenseLink: card.license_link,
  });
}

export { EXPORT_FORMAT_DESCRIPTIONS, EXPORT_FORMATS };
