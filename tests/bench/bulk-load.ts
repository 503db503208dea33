/**
 * How the export, review and stats workers fill their throwaway databases with stored state:
 * the rows the app would have written (reviewers, a dataset, a pairwise batch, its items and
 * their submitted judgments), put in with bare statements because going through the services
 * would make a 200,000-item setup take minutes. Written once so that a schema change is answered
 * in one place and the three fixtures cannot drift apart; what the benches vary (ids, dataset
 * source, counters, timings, ties) is passed in.
 */
import { batchConfigSchema } from "../../app/core/tasks/config";
import type { Sqlite } from "../../db/client";
import { PARAMS } from "./corpus";

/** How long a lease lasts, as the app's default batch config has it. */
export const LEASE_MS = 30 * 60_000;
/** Not a valid scrypt hash: accounts stored with it cannot sign in with a password. */
export const NO_PASSWORD = "bench$no-password";
/** A batch's config as the app stores it when none is given. */
export const DEFAULT_CONFIG_JSON = JSON.stringify(batchConfigSchema.parse({}));
/** Every stored response's generation params. */
export const PARAMS_JSON = JSON.stringify(PARAMS);

/**
 * Fills the database in one transaction with fsyncs and foreign-key checks off and a 512 MiB
 * page cache, then restores the connection's own settings. A throwaway file has no crash to
 * survive, and foreign keys hold by construction (every parent row goes in before its
 * children) while checking them costs a parent lookup per reference, seven for a preference
 * pair. The journal stays WAL: better-sqlite3's defensive mode refuses journal_mode = OFF
 * unless unsafeMode() is on, and the app's own connection settings are what is measured after.
 */
export function bulkLoad<T>(sqlite: Sqlite, fill: () => T): T {
  const saved = (["cache_size", "foreign_keys", "synchronous"] as const).map(
    (pragma) => [pragma, sqlite.pragma(pragma, { simple: true }) as string | number] as const,
  );
  sqlite.pragma("synchronous = OFF");
  sqlite.pragma("foreign_keys = OFF");
  sqlite.pragma("cache_size = -524288");
  try {
    return sqlite.transaction(fill)();
  } finally {
    for (const [pragma, value] of saved) sqlite.pragma(`${pragma} = ${value}`);
  }
}

/** What one submitted pairwise judgment stores: its assignment, the judgment and its preference pair. */
export interface SubmittedJudgment {
  batchId: string;
  itemId: string;
  promptId: string;
  reviewerId: string;
  /** The item's two responses, in dataset order. */
  responseIds: readonly string[];
  /** The one the pair stores as chosen; a tie is stored with its first response chosen, strength 0. */
  chosenIndex: number;
  tie: boolean;
  strength: number;
  /** Display order [1,0]: the item's second response was shown first. */
  flipped: boolean;
  leasedAt: number;
  doneAt: number;
  durationMs: number | null;
}

/**
 * The fixtures' INSERT statements, prepared once per setup. `newId` makes the row ids of
 * submitted judgments: db/ids' newId, or a seeded maker where the rows must be the same in
 * every run.
 */
export function fixtureInserts(sqlite: Sqlite, newId: () => string) {
  const user = sqlite.prepare<[id: string, username: string, displayName: string, passwordHash: string, createdAt: number]>(
    "INSERT INTO users (id, username, display_name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, 'reviewer', ?, 0, ?)",
  );
  const dataset = sqlite.prepare<[id: string, name: string, source: string, createdAt: number]>(
    "INSERT INTO datasets (id, name, description, source, created_at) VALUES (?, ?, '', ?, ?)",
  );
  const prompt = sqlite.prepare<[id: string, datasetId: string, externalId: string, messages: string]>(
    "INSERT INTO prompts (id, dataset_id, external_id, messages, metadata) VALUES (?, ?, ?, ?, '{}')",
  );
  const response = sqlite.prepare<[id: string, promptId: string, externalId: string, model: string, text: string, params: string]>(
    "INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, '{}')",
  );
  const batch = sqlite.prepare<[id: string, name: string, datasetId: string, config: string, overlap: number, createdAt: number]>(
    "INSERT INTO batches (id, name, dataset_id, task, config, overlap, status, created_by, created_at) VALUES (?, ?, ?, 'pairwise', ?, ?, 'active', NULL, ?)",
  );
  const reviewer = sqlite.prepare<[batchId: string, userId: string]>("INSERT INTO batch_reviewers (batch_id, user_id) VALUES (?, ?)");
  const item = sqlite.prepare<
    [id: string, batchId: string, promptId: string, responseIds: string, position: number, claims: number, submitted: number, open: number]
  >("INSERT INTO items (id, batch_id, prompt_id, response_ids, position, claims, submitted, open) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const assignment = sqlite.prepare<
    [id: string, itemId: string, batchId: string, reviewerId: string, doneAt: number, displayOrder: string, leasedAt: number, leaseExpiresAt: number]
  >(
    `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, done_at, display_order, leased_at, lease_expires_at)
     VALUES (?, ?, ?, ?, 'submitted', ?, ?, ?, ?)`,
  );
  const judgment = sqlite.prepare<
    [id: string, assignmentId: string, itemId: string, reviewerId: string, payload: string, durationMs: number | null, clientId: string, createdAt: number, updatedAt: number]
  >(
    `INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, rationale, duration_ms, client_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
  );
  const pair = sqlite.prepare<
    [
      id: string,
      judgmentId: string,
      batchId: string,
      itemId: string,
      reviewerId: string,
      promptId: string,
      chosenId: string,
      rejectedId: string,
      strength: number,
      shownChosenFirst: number,
    ]
  >(
    `INSERT INTO preference_pairs (id, judgment_id, batch_id, item_id, reviewer_id, prompt_id, chosen_id, rejected_id, strength, source, shown_chosen_first)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pairwise', ?)`,
  );

  return {
    user,
    dataset,
    prompt,
    response,
    batch,
    reviewer,
    item,
    /**
     * Reviewer accounts (no password), a dataset and a pairwise batch they are all assigned
     * to, with the default config; ids are drawn for the users, then the dataset.
     */
    reviewedBatch(b: { batchId: string; name: string; overlap: number; dataset: string; source: string; usernames: readonly string[]; createdAt: number }) {
      const reviewerIds = b.usernames.map((username) => {
        const id = newId();
        user.run(id, username, username, NO_PASSWORD, b.createdAt);
        return id;
      });
      const datasetId = newId();
      dataset.run(datasetId, b.dataset, b.source, b.createdAt);
      batch.run(b.batchId, b.name, datasetId, DEFAULT_CONFIG_JSON, b.overlap, b.createdAt);
      for (const id of reviewerIds) reviewer.run(b.batchId, id);
      return { reviewerIds, datasetId };
    },
    /** Stores one submitted judgment, its ids drawn in the order assignment, judgment, pair; returns the judgment's id. */
    submitted(j: SubmittedJudgment): string {
      const chosenId = j.responseIds[j.chosenIndex]!;
      const rejectedId = j.responseIds[1 - j.chosenIndex]!;
      const assignmentId = newId();
      assignment.run(assignmentId, j.itemId, j.batchId, j.reviewerId, j.doneAt, j.flipped ? "[1,0]" : "[0,1]", j.leasedAt, j.leasedAt + LEASE_MS);
      const judgmentId = newId();
      const payload = JSON.stringify({ task: "pairwise", preferred: j.tie ? "tie" : chosenId, strength: j.strength, bothBad: false });
      judgment.run(judgmentId, assignmentId, j.itemId, j.reviewerId, payload, j.durationMs, `bench-${judgmentId}`, j.doneAt, j.doneAt);
      // Shown first: display position 0 holds response (flipped ? 1 : 0).
      pair.run(newId(), judgmentId, j.batchId, j.itemId, j.reviewerId, j.promptId, chosenId, rejectedId, j.strength, (j.flipped ? 1 : 0) === j.chosenIndex ? 1 : 0);
      return judgmentId;
    },
  };
}

/**
 * A reviewer's verdict drawn uniformly: display order, preferred response and strength 1–3, in
 * that order from `random` (the export and review fixtures rely on that order for their rows).
 */
export function uniformVerdict(random: () => number): { flipped: boolean; chosenIndex: number; strength: number } {
  const flipped = random() < 0.5;
  const chosenIndex = random() < 0.5 ? 0 : 1;
  const strength = 1 + Math.floor(random() * 3);
  return { flipped, chosenIndex, strength };
}
