import { z } from "zod";
import { batchConfigSchema, MAX_RANKING_RESPONSES, TASKS, type BatchConfig, type Task } from "../core/tasks/config";
import { and, eq, inArray, sql } from "drizzle-orm";
import { assignments, batches, items, prompts, responses, type BatchStatus } from "../../db/schema";
import { newId } from "../../db/ids";
import { applyPromptGold } from "./gold.server";
import { recordAudit } from "./audit.server";
import { connection, dedicatedConnection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";
import { insertRoundItems, planAdaptiveBatch } from "./adaptive-pairing.server";
import { DEFAULT_SEED, MAX_SEED, randomFor, randomPairs, selectPrompts, stratumOf, type PromptCandidate, type StratumCount } from "../core/pairing/selection";

/**
 * How an item's responses are picked from a prompt's responses:
 * - `all-pairs`: pairwise only, one item per two responses of a prompt;
 * - `random:K`: pairwise only, K of those pairs drawn at random (seeded), all of them when the
 *   prompt has fewer;
 * - `first-two`: the prompt's first two responses (pairwise), or all of them (ranking, rating);
 * - `models:A,B,…`: only the named models' responses (the first of each), in that order;
 *   prompts missing one of them are left out;
 * - `adaptive`: pairwise over three or more models, items made in rounds that go to the model
 *   pairs whose comparison would shrink the leaderboard's doubt most (adaptive-pairing.server.ts).
 */
export type Pairing = "all-pairs" | "first-two" | "adaptive" | string[] | { random: number };

const PAIRINGS = "all-pairs, first-two, random:K, models:A,B or adaptive";

export const pairingSchema = z
  .string({ error: `expected ${PAIRINGS}` })
  .transform((text, ctx): Pairing => {
    if (text === "all-pairs" || text === "first-two" || text === "adaptive") return text;
    const random = /^random:(.*)$/.exec(text)?.[1];
    if (random !== undefined) {
      if (/^\d+$/.test(random.trim()) && Number(random) >= 1) return { random: Number(random) };
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)}: K in random:K must be a whole number of at least 1` });
      return z.NEVER;
    }
    const models = /^models:(.*)$/.exec(text)?.[1]?.split(",").map((m) => m.trim());
    if (models && models.length >= 2 && models.every(Boolean)) return models;
    const named = models?.filter(Boolean).length ?? 0;
    ctx.addIssue({
      code: "custom",
      message: !models
        ? `${JSON.stringify(text)} is not a pairing: use ${PAIRINGS}`
        : named < 2
          ? `${JSON.stringify(text)} names ${named === 0 ? "no model" : "one model"}; "models:A,B" needs at least two, comma-separated`
          : `${JSON.stringify(text)} has an empty model name`,
    });
    return z.NEVER;
  });

const quoted = (value: unknown) => JSON.stringify(value) ?? String(value);

const wholeAtLeastOne = (what: string) =>
  z
    .number({ error: (issue) => `${quoted(issue.input)} is not a number` })
    .int({ error: (issue) => `${quoted(issue.input)} is not a whole number` })
    .min(1, { error: (issue) => `${quoted(issue.input)} ${what}: at least 1` })
    .optional();

export const newBatchSchema = z.object({
  dataset: z.string().min(1, "required"),
  name: z.string().trim().min(1, "required").max(120),
  task: z.enum(TASKS),
  overlap: z.number().int().min(1).max(50).default(1),
  reviewers: z.array(z.string().trim().toLowerCase().min(1)).min(1, "at least one reviewer"),
  pairing: pairingSchema.default("first-two"),
  /** How many prompts to draw at random (seeded); all when the dataset has fewer. */
  sample: z
    .number({ error: (issue) => `${quoted(issue.input)} is not a number` })
    .int({ error: (issue) => `${quoted(issue.input)} is not a whole number` })
    .min(1, { error: (issue) => `${quoted(issue.input)} prompts: sample at least 1` })
    .optional(),
  /** A prompt metadata field: equal numbers of prompts per value. */
  stratify: z.string().trim().min(1, "name a metadata field").optional(),
  seed: z
    .number({ error: (issue) => `${quoted(issue.input)} is not a number` })
    .int({ error: (issue) => `${quoted(issue.input)} is not a whole number` })
    .min(0, { error: (issue) => `${quoted(issue.input)} is below 0` })
    .max(MAX_SEED, { error: (issue) => `${quoted(issue.input)} is more than ${MAX_SEED}` })
    .default(DEFAULT_SEED),
  /** Adaptive pairing: items per round, and the most items the batch may reach. */
  roundSize: wholeAtLeastOne("items per round"),
  adaptiveItems: wholeAtLeastOne("items"),
  config: z.unknown().default({}),
});
export type NewBatch = z.input<typeof newBatchSchema>;

export interface BatchSummary {
  id: string;
  name: string;
  dataset: string;
  task: Task;
  status: BatchStatus;
  overlap: number;
  items: number;
  judgments: number;
  reviewers: string[];
  /** Items short of their overlap that no reviewer of the batch is left to take (see itemsNeedingReviewer). */
  needsReviewer: number;
  /** Skipped assignments: items given back by a reviewer. */
  skipped: number;
  createdAt: number;
  /** An arena batch (stored as pairwise with config.arena): shown as "arena". */
  arena: boolean;
}

/**
 * Which responses of one prompt form items, by task and pairing. `random` draws the pairs of
 * `random:K` (the service gives each prompt a generator of its own, see randomFor).
 */
export function itemsOfPrompt(
  responses: ReadonlyArray<{ id: string; model: string }>,
  task: Task,
  pairing: Pairing,
  random: () => number = randomFor(DEFAULT_SEED, ""),
): string[][] {
  let chosen: Array<{ id: string; model: string }> = [...responses];
  if (Array.isArray(pairing)) {
    const picked = pairing.map((model) => responses.find((r) => r.model === model));
    if (picked.some((r) => r === undefined)) return [];
    chosen = picked as Array<{ id: string; model: string }>;
  }
  const ids = chosen.map((r) => r.id);
  const pairwiseOnly = pairing === "all-pairs" || typeof pairing === "object" && !Array.isArray(pairing);
  if (task === "pairwise") {
    if (ids.length < 2) return [];
    if (pairing === "all-pairs") {
      const out: string[][] = [];
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.push([ids[i]!, ids[j]!]);
      return out;
    }
    if (!Array.isArray(pairing) && typeof pairing === "object") return randomPairs(ids.length, pairing.random, random).map(([i, j]) => [ids[i]!, ids[j]!]);
    return [ids.slice(0, 2)];
  }
  if (pairwiseOnly) return [];
  if (task === "ranking") return ids.length >= 2 && ids.length <= MAX_RANKING_RESPONSES ? [ids] : [];
  return ids.length >= 1 ? [ids] : [];
}

/** What a batch holds or would hold: the figures of a dry run and of a created batch alike. */
export interface BatchPlan {
  items: number;
  /** items × overlap. */
  judgmentsNeeded: number;
  /** Prompts that gave items. */
  prompts: number;
  /** Prompts of the dataset whose responses fit no item. */
  skipped: number;
  /** With --sample: how many prompts were asked for and how many fitting prompts there were to draw from. */
  sample?: { requested: number; available: number };
  /** With --stratify: each value's fitting prompts and how many were taken. */
  strata: StratumCount[];
  /** Plain-language notes on the selection (a sample larger than the prompts, short strata). */
  notes: string[];
  /** Adaptive pairing: `items` is the first round, `judgmentsNeeded` is budget × overlap, an upper bound. */
  adaptive?: { roundSize: number; budget: number };
}

/**
 * Creates a batch with its items and reviewers in one transaction. The dataset's prompts are
 * read on a connection of their own (a reader beside the writer), so datasets of any size
 * stream through without being loaded whole (a sample or strata keep one id per fitting prompt).
 */
export function createBatch(input: NewBatch, actorId: string | null = null): BatchPlan & { id: string } {
  return buildBatch(input, actorId, true);
}

/**
 * What createBatch would create, by the same code (every check, the same selection and pairs),
 * without writing anything: the items are counted instead of inserted.
 */
export function previewBatch(input: NewBatch): BatchPlan {
  const { id, ...plan } = buildBatch(input, null, false);
  void id; // a dry run's id names nothing
  return plan;
}

type ResponseRow = { prompt_id: string; response_id: string; model: string; metadata?: string };

/** Calls `each` once per prompt of the dataset with its responses in import order (and its metadata text when asked for). */
function forEachPrompt(
  rows: Iterable<ResponseRow>,
  each: (promptId: string, responses: Array<{ id: string; model: string }>, metadata: string | undefined) => void,
): void {
  let current: string | null = null;
  let metadata: string | undefined;
  let list: Array<{ id: string; model: string }> = [];
  for (const row of rows) {
    if (row.prompt_id !== current) {
      if (current !== null) each(current, list, metadata);
      current = row.prompt_id;
      metadata = row.metadata;
      list = [];
    }
    list.push({ id: row.response_id, model: row.model });
  }
  if (current !== null) each(current, list, metadata);
}

function buildBatch(input: NewBatch, actorId: string | null, write: boolean): BatchPlan & { id: string } {
  const parsed = newBatchSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { dataset, name, task, overlap, reviewers, pairing, sample, stratify, seed, roundSize, adaptiveItems } = parsed.data;
  const config = batchConfigSchema.safeParse(parsed.data.config ?? {});
  if (!config.success) throw invalidFrom(config.error, "config");
  const pairingText = typeof input.pairing === "string" ? input.pairing.trim() : "first-two";
  if ((pairing === "all-pairs" || (typeof pairing === "object" && !Array.isArray(pairing))) && task !== "pairwise") {
    const reason = `${pairing === "all-pairs" ? "all-pairs" : "random:K"} is only for pairwise batches, not ${task}`;
    throw new ServiceError("invalid", `pairing: ${reason}`, { fields: { pairing: reason } });
  }

  const { sqlite } = connection();
  const datasetRow = sqlite.prepare<[string, string], { id: string; name: string }>("SELECT id, name FROM datasets WHERE name = ? OR id = ?").get(dataset, dataset);
  if (!datasetRow) throw new ServiceError("not_found", `no dataset "${dataset}"`);
  if (Array.isArray(pairing)) requireModels(datasetRow, pairing);
  const users = sqlite
    .prepare<[], { id: string; username: string; disabled: number }>("SELECT id, username, disabled FROM users")
    .all();
  const byName = new Map(users.map((u) => [u.username, u]));
  const unknown = reviewers.filter((r) => !byName.has(r) || byName.get(r)!.disabled);
  if (unknown.length) {
    throw new ServiceError("invalid", `reviewers: unknown or disabled: ${unknown.join(", ")}`, { fields: { reviewers: `unknown or disabled: ${unknown.join(", ")}` } });
  }
  if (overlap > reviewers.length) {
    const reason = `${overlap} is more than the ${reviewers.length} ${reviewers.length === 1 ? "reviewer" : "reviewers"} chosen`;
    throw new ServiceError("invalid", `overlap: ${reason}`, { fields: { overlap: reason } });
  }

  if (pairing !== "adaptive") {
    for (const [field, value] of [["roundSize", roundSize], ["adaptiveItems", adaptiveItems]] as const) {
      if (value === undefined) continue;
      const reason = `only with adaptive pairing, not ${pairingText}`;
      throw new ServiceError("invalid", `${field}: ${reason}`, { fields: { [field]: reason } });
    }
  } else {
    // Adaptive: the first round now, later rounds as reviewers use them up (addAdaptiveRound).
    const first = planAdaptiveBatch(datasetRow, { task, seed, sample, stratify, roundSize, budget: adaptiveItems });
    const adaptivePlan: BatchPlan = {
      items: first.items.length,
      judgmentsNeeded: first.state.budget * overlap,
      prompts: first.prompts,
      skipped: 0,
      strata: [],
      notes: [`adaptive: ${first.state.roundSize} items per round, up to ${first.state.budget} items (${first.state.budget * overlap} judgments) in all`],
      adaptive: { roundSize: first.state.roundSize, budget: first.state.budget },
    };
    const batchId = newId();
    if (!write) return { id: batchId, ...adaptivePlan };
    const selectionRecord: BatchSelection = { pairing: pairingText, seed };
    sqlite.transaction(() => {
      sqlite
        .prepare("INSERT INTO batches (id, name, dataset_id, task, config, overlap, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)")
        .run(batchId, name, datasetRow.id, task, JSON.stringify({ ...config.data, selection: selectionRecord, adaptive: first.state }), overlap, actorId, Date.now());
      const addReviewer = sqlite.prepare("INSERT INTO batch_reviewers (batch_id, user_id) VALUES (?, ?)");
      for (const username of new Set(reviewers)) addReviewer.run(batchId, byName.get(username)!.id);
      insertRoundItems(batchId, first.items);
      recordAudit(connection().db, { userId: actorId, action: "batch.create", subject: batchId, detail: { name, task, overlap, items: adaptivePlan.items, selection: selectionRecord, adaptive: adaptivePlan.adaptive } });
    }).immediate();
    return { id: batchId, ...adaptivePlan };
  }

  const groupsOf = (promptId: string, list: Array<{ id: string; model: string }>) => itemsOfPrompt(list, task, pairing, randomFor(seed, promptId));
  const batchId = newId();
  const reader = dedicatedConnection();
  const plan: BatchPlan = { items: 0, judgmentsNeeded: 0, prompts: 0, skipped: 0, strata: [], notes: [] };
  try {
    const rowsOf = (withMetadata: boolean) =>
      reader.sqlite
        .prepare<[string], ResponseRow>(
          `SELECT p.id AS prompt_id, r.id AS response_id, r.model${withMetadata ? ", p.metadata" : ""} FROM prompts p JOIN responses r ON r.prompt_id = p.id
           WHERE p.dataset_id = ? ORDER BY p.rowid, r.rowid`,
        )
        .iterate(datasetRow.id);

    // A sample or strata need every fitting prompt known before any is chosen: a first pass
    // collects them (and their stratum), the second makes the chosen prompts' items.
    let chosen: Set<string> | null = null;
    if (sample !== undefined || stratify !== undefined) {
      const candidates: PromptCandidate[] = [];
      const fields = new Set<string>();
      let hasField = false;
      forEachPrompt(rowsOf(stratify !== undefined), (promptId, list, metadata) => {
        let stratum: string | undefined;
        if (stratify !== undefined) {
          const values = JSON.parse(metadata ?? "{}") as Record<string, unknown>;
          if (Object.hasOwn(values, stratify)) hasField = true;
          else if (!hasField && fields.size < 1000) for (const key of Object.keys(values)) fields.add(key);
          stratum = stratumOf(values[stratify]);
        }
        if (groupsOf(promptId, list).length === 0) plan.skipped++;
        else candidates.push({ id: promptId, stratum });
      });
      if (stratify !== undefined && !hasField) {
        const known = [...fields].sort();
        const listed = known.length <= 12 ? known.join(", ") : `${known.slice(0, 12).join(", ")} and ${known.length - 12} more`;
        const reason = `no prompt of dataset ${datasetRow.name} has metadata field ${JSON.stringify(stratify)} (its fields: ${listed || "none"})`;
        throw new ServiceError("invalid", `stratify: ${reason}`, { fields: { stratify: reason } });
      }
      const selection = selectPrompts(candidates, { sample, stratified: stratify !== undefined, seed });
      chosen = new Set(selection.ids);
      plan.strata = selection.strata;
      if (sample !== undefined) {
        plan.sample = { requested: sample, available: selection.available };
        if (stratify === undefined && sample > selection.available) {
          plan.notes.push(`sample ${sample} is more than the ${selection.available} prompts that fit: all of them are taken`);
        }
      }
      for (const s of selection.strata) {
        if (s.taken < s.wanted) plan.notes.push(`stratum ${JSON.stringify(s.value)} has only ${s.available} of the ${s.wanted} prompts asked: all of them are taken`);
      }
    }

    const insertItem = write ? sqlite.prepare("INSERT INTO items (id, batch_id, prompt_id, response_ids, position) VALUES (?, ?, ?, ?, ?)") : null;
    const makeItems = () => {
      forEachPrompt(rowsOf(false), (promptId, list) => {
        if (chosen && !chosen.has(promptId)) return;
        const groups = groupsOf(promptId, list);
        if (groups.length === 0) {
          if (!chosen) plan.skipped++;
          return;
        }
        plan.prompts++;
        for (const ids of groups) insertItem?.run(newId(), batchId, promptId, JSON.stringify(ids), plan.items);
        plan.items += groups.length;
      });
      if (plan.items === 0) {
        throw new ServiceError("invalid", `no prompt of dataset "${dataset}" has responses that fit a ${task} item with pairing ${pairingText}`);
      }
      plan.judgmentsNeeded = plan.items * overlap;
    };
    if (!write) {
      makeItems();
      return { id: batchId, ...plan };
    }
    const selectionRecord: BatchSelection = { pairing: pairingText, seed, ...(sample !== undefined && { sample }), ...(stratify !== undefined && { stratify }) };
    sqlite.transaction(() => {
      sqlite
        .prepare("INSERT INTO batches (id, name, dataset_id, task, config, overlap, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)")
        .run(batchId, name, datasetRow.id, task, JSON.stringify({ ...config.data, selection: selectionRecord }), overlap, actorId, Date.now());
      const addReviewer = sqlite.prepare("INSERT INTO batch_reviewers (batch_id, user_id) VALUES (?, ?)");
      for (const username of new Set(reviewers)) addReviewer.run(batchId, byName.get(username)!.id);
      makeItems();
      // Prompts with a gold answer (import key `gold`, the dataset page) make the batch's gold items.
      const gold = applyPromptGold(batchId, task);
      recordAudit(connection().db, { userId: actorId, action: "batch.create", subject: batchId, detail: { name, task, overlap, items: plan.items, gold, selection: selectionRecord } });
    }).immediate();
  } finally {
    reader.sqlite.close();
  }
  return { id: batchId, ...plan };
}

/**
 * A `models:A,B` pairing names models the dataset has: without this check a misspelt name only
 * shows up as "no prompt fits". The message names each missing model and lists the dataset's.
 */
function requireModels(dataset: { id: string; name: string }, models: string[]): void {
  const { db } = connection();
  const known = db
    .selectDistinct({ model: responses.model })
    .from(responses)
    .innerJoin(prompts, eq(prompts.id, responses.promptId))
    .where(eq(prompts.datasetId, dataset.id))
    .orderBy(responses.model)
    .all()
    .map((r) => r.model);
  const missing = [...new Set(models)].filter((m) => !known.includes(m));
  if (missing.length === 0) return;
  const listed = known.length <= 12 ? known.join(", ") : `${known.slice(0, 12).join(", ")} and ${known.length - 12} more`;
  const reason = `${missing.map((m) => `no response of model ${JSON.stringify(m)} in dataset ${dataset.name}`).join("; ")} (its models: ${listed || "none"})`;
  throw new ServiceError("invalid", `pairing: ${reason}`, { fields: { pairing: reason } });
}

const TRANSITIONS: Record<"pause" | "resume" | "close" | "reopen", { from: BatchStatus[]; to: BatchStatus }> = {
  pause: { from: ["active"], to: "paused" },
  resume: { from: ["paused", "draft"], to: "active" },
  close: { from: ["active", "paused", "draft"], to: "closed" },
  reopen: { from: ["closed"], to: "active" },
};
export type BatchTransition = keyof typeof TRANSITIONS;

/**
 * Pauses, resumes, closes or reopens a batch; 409 when the batch is not in a state that allows it.
 * Closing also ends its live leases, as if they had expired: the items' claims are given back,
 * so a reopened batch hands them out again (to the same reviewer first, in the order they saw,
 * like any expired lease) instead of waiting for leases nobody can use. Judgments stay.
 */
export function changeBatchStatus(batchId: string, action: BatchTransition, actorId: string | null = null): BatchStatus {
  const { sqlite, db } = connection();
  return sqlite.transaction(() => {
    const row = sqlite.prepare<[string], { status: BatchStatus }>("SELECT status FROM batches WHERE id = ?").get(batchId);
    if (!row) throw new ServiceError("not_found", `no batch ${batchId}`);
    const rule = TRANSITIONS[action];
    if (!rule.from.includes(row.status)) throw new ServiceError("conflict", `cannot ${action} ${/^[aeiou]/.test(row.status) ? "an" : "a"} ${row.status} batch`);
    sqlite.prepare("UPDATE batches SET status = ? WHERE id = ?").run(rule.to, batchId);
    if (action === "close") releaseLeases(batchId);
    recordAudit(db, { userId: actorId, action: `batch.${action}`, subject: batchId });
    return rule.to;
  }).immediate();
}

/** Ends every live lease of a batch and gives its claim back (inside the caller's transaction). */
function releaseLeases(batchId: string): void {
  const { db } = connection();
  const leased = and(eq(assignments.batchId, batchId), eq(assignments.status, "leased"));
  const leasesOfItem = sql`(SELECT count(*) FROM ${assignments} WHERE ${assignments.itemId} = ${items.id} AND ${assignments.status} = 'leased' AND ${assignments.kind} = 'review')`;
  const overlap = sql`(SELECT ${batches.overlap} FROM ${batches} WHERE ${batches.id} = ${batchId})`;
  db.update(items)
    .set({ claims: sql`${items.claims} - ${leasesOfItem}`, open: sql`${items.isGold} = 0 AND ${items.claims} - ${leasesOfItem} < ${overlap} + ${items.extraOverlap}` })
    .where(inArray(items.id, db.select({ id: assignments.itemId }).from(assignments).where(leased)))
    .run();
  db.update(assignments).set({ status: "expired" }).where(leased).run();
}

/**
 * How a batch's prompts and pairs were chosen, recorded beside its config (key `selection` of the
 * stored JSON) so a random batch can be made again. Not part of BatchConfig: the config goes to
 * reviewers with every item, and a `models:A,B` pairing would name the models of a blind batch.
 */
const selectionSchema = z.object({ pairing: z.string(), seed: z.number().int(), sample: z.number().int().optional(), stratify: z.string().optional() });
export type BatchSelection = z.infer<typeof selectionSchema>;

export interface BatchRecord {
  id: string;
  name: string;
  datasetId: string;
  task: Task;
  config: BatchConfig;
  /** Absent for batches made before selections were recorded. */
  selection?: BatchSelection;
  overlap: number;
  status: BatchStatus;
}

/** A batch with its parsed config, or 404. */
export function getBatch(batchId: string): BatchRecord {
  const row = connection()
    .sqlite.prepare<[string], { id: string; name: string; dataset_id: string; task: Task; config: string; overlap: number; status: BatchStatus }>(
      "SELECT id, name, dataset_id, task, config, overlap, status FROM batches WHERE id = ?",
    )
    .get(batchId);
  if (!row) throw new ServiceError("not_found", `no batch ${batchId}`);
  const { config, selection } = parsedConfig(row.config);
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    task: row.task,
    config,
    ...(selection && { selection }),
    overlap: row.overlap,
    status: row.status,
  };
}

/**
 * A batch's stored config, parsed, by its JSON text: every judgment reads its batch, and parsing
 * the config with zod each time was 3% of the server's time in `npm run bench -- soak`. Keyed
 * by the text, so an edited config is parsed afresh; the parsed objects are frozen because
 * callers share them.
 */
const parsedConfigs = new Map<string, { config: BatchConfig; selection: BatchSelection | undefined }>();
const PARSED_CONFIGS_KEPT = 200;

function parsedConfig(text: string): { config: BatchConfig; selection: BatchSelection | undefined } {
  const known = parsedConfigs.get(text);
  if (known) return known;
  const stored = JSON.parse(text) as { selection?: unknown };
  const selection = selectionSchema.safeParse(stored.selection);
  const parsed = { config: deepFreeze(batchConfigSchema.parse(stored)), selection: selection.success ? deepFreeze(selection.data) : undefined };
  if (parsedConfigs.size >= PARSED_CONFIGS_KEPT) parsedConfigs.delete(parsedConfigs.keys().next().value!);
  parsedConfigs.set(text, parsed);
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Items that cannot reach the batch's overlap with its current reviewers: fewer enabled
 * reviewers may still take the item (no judgment, skip or live lease on it) than it still needs
 * (overlap − claims). Such an item keeps the batch from finishing until an admin adds
 * reviewers. With at least `overlap` enabled reviewers only skips can strand an item (each
 * other reviewer can still take it), so only skipped items are looked at; with fewer, any open
 * item can be stranded.
 */
export function itemsNeedingReviewer(batchId: string): number {
  const { sqlite } = connection();
  const batch = sqlite.prepare<[string], { overlap: number }>("SELECT overlap FROM batches WHERE id = ?").get(batchId);
  if (!batch) throw new ServiceError("not_found", `no batch ${batchId}`);
  const enabled = sqlite
    .prepare<[string], { n: number }>("SELECT count(*) AS n FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = ? AND u.disabled = 0")
    .get(batchId)!.n;
  const candidates =
    enabled >= batch.overlap
      ? "SELECT DISTINCT item_id FROM assignments WHERE status = 'skipped' AND batch_id = @batch"
      : "SELECT id FROM items WHERE batch_id = @batch AND open = 1";
  return sqlite
    .prepare<{ batch: string; overlap: number }, { n: number }>(
      `SELECT count(*) AS n FROM items i
       WHERE i.id IN (${candidates}) AND i.open = 1
         AND @overlap + i.extra_overlap - i.claims > (
           SELECT count(*) FROM batch_reviewers br JOIN users u ON u.id = br.user_id AND u.disabled = 0
           WHERE br.batch_id = @batch AND NOT EXISTS (
             SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.reviewer_id = br.user_id AND a.status IN ('submitted', 'skipped', 'leased')))`,
    )
    .get({ batch: batchId, overlap: batch.overlap })!.n;
}

/**
 * Adds reviewers to a batch, so that items others skipped (or that need more judgments than the
 * batch had reviewers for) can be finished. Unknown or disabled usernames are refused, naming
 * each; reviewers already in the batch are reported, not added twice.
 */
export function addBatchReviewers(batchId: string, usernames: readonly string[], actorId: string | null = null): { added: string[]; already: string[] } {
  const wanted = [...new Set(usernames.map((u) => u.trim().toLowerCase()).filter(Boolean))];
  if (wanted.length === 0) throw new ServiceError("invalid", "reviewers: name at least one reviewer", { fields: { reviewers: "name at least one reviewer" } });
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const batch = sqlite.prepare<[string], { id: string }>("SELECT id FROM batches WHERE id = ?").get(batchId);
      if (!batch) throw new ServiceError("not_found", `no batch ${batchId}`);
      const users = new Map(
        sqlite
          .prepare<[], { id: string; username: string; disabled: number }>("SELECT id, username, disabled FROM users")
          .all()
          .map((u) => [u.username, u]),
      );
      const unknown = wanted.filter((u) => !users.has(u) || users.get(u)!.disabled);
      if (unknown.length) {
        const message = `unknown or disabled: ${unknown.join(", ")}`;
        throw new ServiceError("invalid", `reviewers: ${message}`, { fields: { reviewers: message } });
      }
      const present = new Set(
        sqlite.prepare<[string], { user_id: string }>("SELECT user_id FROM batch_reviewers WHERE batch_id = ?").all(batchId).map((r) => r.user_id),
      );
      const added = wanted.filter((u) => !present.has(users.get(u)!.id));
      const insert = sqlite.prepare("INSERT INTO batch_reviewers (batch_id, user_id) VALUES (?, ?)");
      for (const username of added) insert.run(batchId, users.get(username)!.id);
      if (added.length) recordAudit(db, { userId: actorId, action: "batch.add_reviewers", subject: batchId, detail: { added } });
      return { added, already: wanted.filter((u) => !added.includes(u)) };
    })
    .immediate();
}

export function listBatches(): BatchSummary[] {
  const rows = connection()
    .sqlite.prepare<
      [],
      {
        id: string;
        name: string;
        dataset: string;
        task: Task;
        status: BatchStatus;
        overlap: number;
        created_at: number;
        items: number;
        judgments: number;
        reviewers: string | null;
        skipped: number;
        arena: number;
      }
    >(
      `SELECT b.id, b.name, d.name AS dataset, b.task, b.status, b.overlap, b.created_at,
        (SELECT count(*) FROM items i WHERE i.batch_id = b.id) AS items,
        (SELECT coalesce(sum(i.submitted), 0) FROM items i WHERE i.batch_id = b.id) AS judgments,
        (SELECT group_concat(u.username, ',') FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = b.id) AS reviewers,
        (SELECT count(*) FROM assignments a WHERE a.status = 'skipped' AND a.kind = 'review' AND a.batch_id = b.id) AS skipped,
        json_type(b.config, '$.arena') IS NOT NULL AS arena
       FROM batches b JOIN datasets d ON d.id = b.dataset_id ORDER BY b.created_at DESC`,
    )
    .all();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    dataset: r.dataset,
    task: r.task,
    status: r.status,
    overlap: r.overlap,
    items: r.items,
    judgments: r.judgments,
    reviewers: r.reviewers ? r.reviewers.split(",").sort() : [],
    needsReviewer: itemsNeedingReviewer(r.id),
    skipped: r.skipped,
    createdAt: r.created_at,
    arena: r.arena === 1,
  }));
}
