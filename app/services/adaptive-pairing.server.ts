import { z } from "zod";
import { chooseAdaptivePairs, DEFAULT_ROUND_SIZE, DEFAULT_ROUNDS, fitToCapacity, modelPairs, roundSeed, type PairAllocation } from "../core/pairing/adaptive";
import { randomFor, shuffledIndices } from "../core/pairing/selection";
import type { Battle } from "../core/ranking/bradley-terry";
import { newId } from "../../db/ids";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";

/**
 * `--pairing adaptive` (docs/decisions.md §23): a pairwise batch whose items are made in
 * rounds. The first round spreads evenly over the dataset's model pairs; each later round goes
 * to the pairs whose comparison would shrink the leaderboard's doubt most (chooseAdaptivePairs,
 * Chatbot Arena's active sampling), from the batch's judgments so far. A round is made when a
 * reviewer asks for an item and none is open for them (see addAdaptiveRound), until the budget
 * of items is used. The state lives in the batch's config JSON under `adaptive` (no migration);
 * reviewers never see it, since their config is parsed by batchConfigSchema, which drops it.
 */


const roundSchema = z.object({
  round: z.number().int(),
  items: z.number().int(),
  createdAt: z.number(),
  /** Items per model pair, only the pairs that got some. */
  pairs: z.array(z.object({ a: z.string(), b: z.string(), items: z.number().int() })),
});

export const adaptiveStateSchema = z.object({
  roundSize: z.number().int().min(1),
  budget: z.number().int().min(1),
  /** The dataset's models at creation, sorted: the pairs are theirs. */
  models: z.array(z.string()).min(3),
  seed: z.number().int(),
  rounds: z.array(roundSchema),
});
export type AdaptiveState = z.infer<typeof adaptiveStateSchema>;

/** An item to make: a prompt and the first response of each model of its pair, in dataset order. */
interface NewItem {
  promptId: string;
  responseIds: [string, string];
}

/**
 * The dataset's first response per model per prompt, prompts and responses in import order.
 * Read whole: a round needs every prompt each pair could use (a map of ids, not texts).
 */
function responseIndex(datasetId: string): { models: string[]; prompts: Array<{ id: string; byModel: Map<string, { id: string; rank: number }> }> } {
  const rows = connection()
    .sqlite.prepare<[string], { prompt_id: string; response_id: string; model: string }>(
      `SELECT p.id AS prompt_id, r.id AS response_id, r.model FROM prompts p JOIN responses r ON r.prompt_id = p.id
       WHERE p.dataset_id = ? ORDER BY p.rowid, r.rowid`,
    )
    .iterate(datasetId);
  const prompts: Array<{ id: string; byModel: Map<string, { id: string; rank: number }> }> = [];
  const models = new Set<string>();
  let current: (typeof prompts)[number] | undefined;
  let rank = 0;
  for (const row of rows) {
    if (current?.id !== row.prompt_id) {
      current = { id: row.prompt_id, byModel: new Map() };
      prompts.push(current);
      rank = 0;
    }
    models.add(row.model);
    if (!current.byModel.has(row.model)) current.byModel.set(row.model, { id: row.response_id, rank });
    rank++;
  }
  return { models: [...models].sort(), prompts };
}

const pairKey = (promptId: string, a: string, b: string) => `${promptId}\u0000${a < b ? a : b}\u0000${a < b ? b : a}`;

/** Per pair of the allocation: the prompts with both models not yet used for that pair, in import order. */
function openPrompts(index: ReturnType<typeof responseIndex>, pairs: ReadonlyArray<{ a: string; b: string }>, used: ReadonlySet<string>): string[][] {
  return pairs.map(({ a, b }) => index.prompts.filter((p) => p.byModel.has(a) && p.byModel.has(b) && !used.has(pairKey(p.id, a, b))).map((p) => p.id));
}

/** The items of a round: each pair's comparisons as prompts drawn at random (seeded by batch seed, round and pair) from its open prompts. */
function itemsOfRound(index: ReturnType<typeof responseIndex>, allocation: readonly PairAllocation[], open: readonly string[][], seed: number, round: number): NewItem[] {
  const byId = new Map(index.prompts.map((p) => [p.id, p]));
  const out: NewItem[] = [];
  allocation.forEach(({ a, b, comparisons }, p) => {
    const candidates = open[p]!;
    const picked = shuffledIndices(candidates.length, comparisons, randomFor(seed, `adaptive:${round}:${a}\u0000${b}`)).sort((x, y) => x - y);
    for (const k of picked) {
      const prompt = byId.get(candidates[k]!)!;
      const ra = prompt.byModel.get(a)!;
      const rb = prompt.byModel.get(b)!;
      out.push({ promptId: prompt.id, responseIds: ra.rank < rb.rank ? [ra.id, rb.id] : [rb.id, ra.id] });
    }
  });
  return out;
}

/** The pairs that got items, for the round's record. */
const recorded = (allocation: readonly PairAllocation[]) => allocation.filter((p) => p.comparisons > 0).map(({ a, b, comparisons }) => ({ a, b, items: comparisons }));

/**
 * The first round of a new adaptive batch and its state, or a field message. Checks: pairwise
 * task, at least three models in the dataset, no --sample or --stratify (the budget sets the
 * size), round size and budget whole numbers ≥ 1.
 */
export function planAdaptiveBatch(
  dataset: { id: string; name: string },
  options: { task: string; seed: number; sample?: number; stratify?: string; roundSize?: number; budget?: number },
): { items: NewItem[]; state: AdaptiveState; prompts: number } {
  const refuse = (field: string, reason: string): never => {
    throw new ServiceError("invalid", `${field}: ${reason}`, { fields: { [field]: reason } });
  };
  if (options.task !== "pairwise") refuse("pairing", `adaptive is only for pairwise batches, not ${options.task}`);
  if (options.sample !== undefined) refuse("sample", "not with adaptive pairing: its budget (adaptive items) sets how many items there are");
  if (options.stratify !== undefined) refuse("stratify", "not with adaptive pairing, which picks prompts per model pair");
  const index = responseIndex(dataset.id);
  if (index.models.length < 3) {
    const listed = index.models.length ? ` (${index.models.join(", ")})` : "";
    refuse("pairing", `adaptive needs at least 3 models to rank; dataset ${dataset.name} has ${index.models.length}${listed}: use all-pairs or models:A,B`);
  }
  const pairs = modelPairs(index.models);
  const open = openPrompts(index, pairs, new Set());
  const available = open.reduce((sum, list) => sum + list.length, 0);
  if (available === 0) refuse("pairing", `no prompt of dataset ${dataset.name} has responses from two of its models`);
  const roundSize = options.roundSize ?? DEFAULT_ROUND_SIZE;
  const budget = Math.min(options.budget ?? DEFAULT_ROUNDS * roundSize, available);
  const size = Math.min(roundSize, budget);
  const allocation = fitToCapacity(
    chooseAdaptivePairs(index.models, [], size, { seed: options.seed }),
    open.map((list) => list.length),
  );
  const items = itemsOfRound(index, allocation, open, options.seed, 1);
  return {
    items,
    prompts: new Set(items.map((i) => i.promptId)).size,
    state: { roundSize, budget, models: index.models, seed: options.seed, rounds: [{ round: 1, items: items.length, createdAt: Date.now(), pairs: recorded(allocation) }] },
  };
}

/** Inserts a round's items after the batch's last position (inside the caller's transaction). */
export function insertRoundItems(batchId: string, items: readonly NewItem[]): void {
  const { sqlite } = connection();
  const next = sqlite.prepare<[string], { n: number }>("SELECT coalesce(max(position) + 1, 0) AS n FROM items WHERE batch_id = ?").get(batchId)!.n;
  const insert = sqlite.prepare("INSERT INTO items (id, batch_id, prompt_id, response_ids, position) VALUES (?, ?, ?, ?, ?)");
  items.forEach((item, k) => insert.run(newId(), batchId, item.promptId, JSON.stringify(item.responseIds), next + k));
}

/** The batch's battles so far, as its leaderboard counts them: every submitted judgment's pair, by model. */
function batchBattles(batchId: string): Battle[] {
  return connection()
    .sqlite.prepare<[string], { chosen: string; rejected: string; strength: number }>(
      `SELECT c.model AS chosen, r.model AS rejected, pp.strength FROM preference_pairs pp
       JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
       WHERE pp.batch_id = ? AND c.model != r.model ORDER BY pp.rowid`,
    )
    .all(batchId)
    .map((row): Battle => ({ a: row.chosen, b: row.rejected, winner: row.strength === 0 ? "tie" : "a" }));
}

/**
 * The adaptive state of a batch, or null for any other batch. The config column is read as it
 * is stored (BatchRecord's config drops the key).
 */
export function adaptiveStateOf(batchId: string): AdaptiveState | null {
  const row = connection().sqlite.prepare<[string], { config: string }>("SELECT config FROM batches WHERE id = ?").get(batchId);
  if (!row) return null;
  const parsed = adaptiveStateSchema.safeParse((JSON.parse(row.config) as { adaptive?: unknown }).adaptive);
  return parsed.success ? parsed.data : null;
}

/**
 * Makes the next round of an adaptive batch, inside the caller's IMMEDIATE transaction (the
 * assignment engine calls it when a reviewer asks for an item and none is open for them, so
 * nobody is told "no more items" while budget is left; two reviewers asking at once are
 * serialized, so one round is made, not two). The round has min(round size, budget left) items,
 * allocated by chooseAdaptivePairs from the batch's judgments so far over the pairs that have
 * prompts left, never reusing a (prompt, model pair). Returns how many items it made: 0 for a
 * batch that is not adaptive, has used its budget, or has no (prompt, pair) left.
 */
export function addAdaptiveRound(batchId: string, now = Date.now()): number {
  const state = adaptiveStateOf(batchId);
  if (!state) return 0;
  const { sqlite, db } = connection();
  const made = sqlite.prepare<[string], { n: number }>("SELECT count(*) AS n FROM items WHERE batch_id = ?").get(batchId)!.n;
  const size = Math.min(state.roundSize, state.budget - made);
  if (size <= 0) return 0;
  const existing = sqlite.prepare<[string], { prompt_id: string; response_ids: string }>("SELECT prompt_id, response_ids FROM items WHERE batch_id = ?").all(batchId);
  const datasetId = sqlite.prepare<[string], { dataset_id: string }>("SELECT dataset_id FROM batches WHERE id = ?").get(batchId)!.dataset_id;
  const index = responseIndex(datasetId);
  const modelOf = new Map<string, string>();
  for (const prompt of index.prompts) for (const [model, response] of prompt.byModel) modelOf.set(response.id, model);
  const used = new Set<string>();
  for (const item of existing) {
    const [x, y] = (JSON.parse(item.response_ids) as string[]).map((id) => modelOf.get(id));
    if (x !== undefined && y !== undefined) used.add(pairKey(item.prompt_id, x, y));
  }
  const pairs = modelPairs(state.models);
  const open = openPrompts(index, pairs, used);
  const available = pairs.filter((_, p) => open[p]!.length > 0);
  if (available.length === 0) return 0;
  const round = state.rounds.length + 1;
  const chosen = chooseAdaptivePairs(state.models, batchBattles(batchId), size, { seed: roundSeed(state.seed, round), available });
  const openOf = new Map(pairs.map((p, k) => [`${p.a}\u0000${p.b}`, open[k]!]));
  const openChosen = chosen.map((p) => openOf.get(`${p.a}\u0000${p.b}`)!);
  const allocation = fitToCapacity(chosen, openChosen.map((list) => list.length));
  const items = itemsOfRound(index, allocation, openChosen, state.seed, round);
  if (items.length === 0) return 0;
  insertRoundItems(batchId, items);
  const next: AdaptiveState = { ...state, rounds: [...state.rounds, { round, items: items.length, createdAt: now, pairs: recorded(allocation) }] };
  sqlite.prepare("UPDATE batches SET config = json_set(config, '$.adaptive', json(?)) WHERE id = ?").run(JSON.stringify(next), batchId);
  recordAudit(db, { userId: null, action: "batch.adaptive_round", subject: batchId, detail: { round, items: items.length } });
  return items.length;
}
