/**
 * The single source of truth for Verdict's tables (DESIGN.md §2).
 * Migrations in ../migrations are generated from this file by `npm run db:generate`.
 *
 * Conventions: ids are text (time-ordered, see ./ids.ts); times are integer epoch ms;
 * JSON columns hold zod-validated values whose TypeScript type is given by `$type`.
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

export type Role = "admin" | "reviewer";
export type ChatRole = "system" | "user" | "assistant";
export type StoredMessage = { role: ChatRole; content: string };
export type JsonObject = Record<string, unknown>;
/** A document a prompt's responses should be grounded in (issue 13's sources of truth). */
export type ContextDocument = { title: string; text: string };

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull().unique(),
    displayName: text("display_name").notNull(),
    role: text("role").$type<Role>().notNull(),
    passwordHash: text("password_hash").notNull(),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [check("users_role_check", sql`${t.role} in ('admin', 'reviewer')`)],
);

/** The cookie holds a random token; only its SHA-256 is stored, so a leaked database opens no session. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/**
 * One-time links that let a user set a new password (issue 12): an admin makes one, it is shown
 * once, and it works once within 24 hours. Only the token's SHA-256 is stored, as for sessions.
 */
export const passwordResets = sqliteTable(
  "password_resets",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdBy: text("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("password_resets_user_idx").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);

export const datasets = sqliteTable("datasets", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** Where the data came from, e.g. the imported file's name and format. */
  source: text("source").notNull().default(""),
  /** The data's licence as a Hub identifier (core/formats/export/licenses.ts), given at import; null when nobody said. Exports' cards default to it. */
  license: text("license"),
  createdAt: integer("created_at").notNull(),
});

export const prompts = sqliteTable(
  "prompts",
  {
    id: text("id").primaryKey(),
    datasetId: text("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    /** The chat messages that precede the responses. */
    messages: text("messages", { mode: "json" }).$type<StoredMessage[]>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull().default(sql`'{}'`),
    /**
     * The expected answer when the prompt is a gold (check) question (issue 12), from the import's
     * `gold` key or the dataset page: `{ best: responseId | "tie" }` and/or
     * `{ scores: { responseId: number } }` on the overall aspect. Batches made from the dataset turn
     * it into their items' gold answers.
     */
    goldAnswer: text("gold_answer", { mode: "json" }).$type<JsonObject>(),
    /**
     * Sources of truth (issue 13): a reference answer or reference material, and context
     * documents the responses should be grounded in. Reviewers see them beside the prompt, the
     * judge's template quotes them, exports can carry them (`include_context`).
     */
    reference: text("reference"),
    context: text("context", { mode: "json" }).$type<ContextDocument[]>(),
  },
  (t) => [uniqueIndex("prompts_dataset_external_idx").on(t.datasetId, t.externalId)],
);

export const responses = sqliteTable(
  "responses",
  {
    id: text("id").primaryKey(),
    promptId: text("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    model: text("model").notNull(),
    text: text("text").notNull(),
    params: text("params", { mode: "json" }).$type<JsonObject>().notNull().default(sql`'{}'`),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull().default(sql`'{}'`),
  },
  (t) => [uniqueIndex("responses_prompt_external_idx").on(t.promptId, t.externalId)],
);

export type BatchTask = "pairwise" | "ranking" | "rating";
export type BatchStatus = "draft" | "active" | "paused" | "closed";

export const batches = sqliteTable(
  "batches",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    datasetId: text("dataset_id")
      .notNull()
      .references(() => datasets.id),
    task: text("task").$type<BatchTask>().notNull(),
    /** zod-validated per task: scale, flags, rubric aspects, rationale rule, blinding, guidelines. */
    config: text("config", { mode: "json" }).$type<JsonObject>().notNull(),
    overlap: integer("overlap").notNull().default(1),
    status: text("status").$type<BatchStatus>().notNull().default("draft"),
    createdBy: text("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("batches_dataset_idx").on(t.datasetId),
    check("batches_task_check", sql`${t.task} in ('pairwise', 'ranking', 'rating')`),
    check("batches_status_check", sql`${t.status} in ('draft', 'active', 'paused', 'closed')`),
  ],
);

export const batchReviewers = sqliteTable(
  "batch_reviewers",
  {
    batchId: text("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The reviewer collapsed the batch's guidelines on the judging screen; they are open until then. */
    guidelinesCollapsed: integer("guidelines_collapsed", { mode: "boolean" }).notNull().default(false),
    /**
     * Set when the reviewer's gold accuracy fell below the batch's threshold (issue 12): they get
     * no more items in this batch until an admin resumes them, and exports can leave their
     * judgments out. The reason is the message the reviewer is shown.
     */
    pausedAt: integer("paused_at"),
    pausedReason: text("paused_reason"),
    /** When an admin last resumed them (issue 12): only gold judgments after it count toward the next pause. */
    resumedAt: integer("resumed_at"),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.userId] }), index("batch_reviewers_user_idx").on(t.userId)],
);

export const items = sqliteTable(
  "items",
  {
    id: text("id").primaryKey(),
    batchId: text("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "cascade" }),
    promptId: text("prompt_id")
      .notNull()
      .references(() => prompts.id),
    /** 2..K response ids in the dataset's order. */
    responseIds: text("response_ids", { mode: "json" }).$type<string[]>().notNull(),
    isGold: integer("is_gold", { mode: "boolean" }).notNull().default(false),
    goldAnswer: text("gold_answer", { mode: "json" }).$type<JsonObject>(),
    /** Order of the item in its batch. */
    position: integer("position").notNull(),
    /**
     * Counters kept by the assignment service in the same transactions that change
     * assignments: live claims (unexpired leases + submitted judgments), submitted judgments,
     * and whether claims are still below the batch's overlap. They let `next` find an open
     * item through one index instead of counting assignments for every item.
     */
    claims: integer("claims").notNull().default(0),
    submitted: integer("submitted").notNull().default(0),
    open: integer("open", { mode: "boolean" }).notNull().default(true),
    /** Reviewers added to this item beyond the batch's overlap ("send to K more reviewers" on a dispute). */
    extraOverlap: integer("extra_overlap").notNull().default(0),
  },
  (t) => [
    index("items_batch_idx").on(t.batchId, t.position),
    // `next` walks open items, partly judged first, in batch order: this index is that order.
    index("items_open_idx").on(t.batchId, t.open, sql`${t.submitted} DESC`, t.position),
    // An upsert asks whether a prompt has been judged in any batch (imports.server.ts).
    index("items_prompt_idx").on(t.promptId),
    // Gold items are mixed into every reviewer's stream apart from the overlap-driven order.
    index("items_gold_idx").on(t.batchId, t.isGold),
  ],
);

export type AssignmentStatus = "leased" | "submitted" | "skipped" | "expired";
/**
 * review: the item handed out under the batch's overlap; repeat: the same item shown to the same
 * reviewer again later with the sides swapped (self-consistency); adjudication: an admin's
 * verdict on a disputed item. Only `review` assignments count towards an item's claims.
 */
export type AssignmentKind = "review" | "repeat" | "adjudication";

export const assignments = sqliteTable(
  "assignments",
  {
    id: text("id").primaryKey(),
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    /** Denormalized from the item: a reviewer's progress in a batch is one index range. */
    batchId: text("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "cascade" }),
    reviewerId: text("reviewer_id")
      .notNull()
      .references(() => users.id),
    status: text("status").$type<AssignmentStatus>().notNull(),
    /** When the reviewer submitted or skipped; orders "go back to the previous item". */
    doneAt: integer("done_at"),
    /** The permutation of the item's response ids shown to this reviewer. */
    displayOrder: text("display_order", { mode: "json" }).$type<number[]>().notNull(),
    leasedAt: integer("leased_at").notNull(),
    leaseExpiresAt: integer("lease_expires_at").notNull(),
    kind: text("kind").$type<AssignmentKind>().notNull().default("review"),
  },
  (t) => [
    uniqueIndex("assignments_item_reviewer_kind_idx").on(t.itemId, t.reviewerId, t.kind),
    index("assignments_reviewer_batch_idx").on(t.reviewerId, t.batchId, t.status),
    index("assignments_lease_idx").on(t.status, t.leaseExpiresAt),
    check("assignments_status_check", sql`${t.status} in ('leased', 'submitted', 'skipped', 'expired')`),
  ],
);

export type JudgmentSource = "reviewer" | "repeat" | "adjudicated";

export const judgments = sqliteTable(
  "judgments",
  {
    id: text("id").primaryKey(),
    assignmentId: text("assignment_id")
      .notNull()
      .unique()
      .references(() => assignments.id, { onDelete: "cascade" }),
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    reviewerId: text("reviewer_id")
      .notNull()
      .references(() => users.id),
    /** zod-validated per task. */
    payload: text("payload", { mode: "json" }).$type<JsonObject>().notNull(),
    rationale: text("rationale").notNull().default(""),
    durationMs: integer("duration_ms"),
    /** Idempotency key from the form: a repeated submission returns the stored judgment. */
    clientId: text("client_id").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /**
     * Who or what gave it: `reviewer` (the ordinary case), `repeat` (a self-consistency repeat:
     * read by self-agreement only, no preference pairs), `adjudicated` (an admin's verdict on a
     * dispute: no preference pairs; every consensus policy takes it as the item's answer).
     * Every statistic over reviewers reads `reviewer` judgments only. No CHECK constraint, so
     * later sources (issue 13's `llm-judge`) need no table rebuild; the services write only these.
     */
    source: text("source").$type<JudgmentSource>().notNull().default("reviewer"),
  },
  (t) => [index("judgments_item_idx").on(t.itemId), index("judgments_reviewer_idx").on(t.reviewerId)],
);

export const judgmentFlags = sqliteTable(
  "judgment_flags",
  {
    judgmentId: text("judgment_id")
      .notNull()
      .references(() => judgments.id, { onDelete: "cascade" }),
    responseId: text("response_id")
      .notNull()
      .references(() => responses.id),
    flag: text("flag").notNull(),
    note: text("note").notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.judgmentId, t.responseId, t.flag] })],
);

export type PairSource = "pairwise" | "ranking" | "rating" | "imported";

/**
 * The normalized preference: what exports and statistics read.
 * Imported pairs (a dataset's own chosen/rejected) have no judgment, batch, item or reviewer.
 */
export const preferencePairs = sqliteTable(
  "preference_pairs",
  {
    id: text("id").primaryKey(),
    judgmentId: text("judgment_id").references(() => judgments.id, { onDelete: "cascade" }),
    batchId: text("batch_id").references(() => batches.id, { onDelete: "cascade" }),
    itemId: text("item_id").references(() => items.id, { onDelete: "cascade" }),
    reviewerId: text("reviewer_id").references(() => users.id),
    /** Denormalized so dataset-level exports and the leaderboard need no join through items. */
    promptId: text("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    chosenId: text("chosen_id")
      .notNull()
      .references(() => responses.id, { onDelete: "cascade" }),
    rejectedId: text("rejected_id")
      .notNull()
      .references(() => responses.id, { onDelete: "cascade" }),
    /** 0 = tie, 1..3 = slightly, clearly, much better. */
    strength: integer("strength").notNull(),
    source: text("source").$type<PairSource>().notNull(),
    shownChosenFirst: integer("shown_chosen_first", { mode: "boolean" }),
  },
  (t) => [
    index("pairs_batch_idx").on(t.batchId),
    index("pairs_prompt_idx").on(t.promptId),
    index("pairs_judgment_idx").on(t.judgmentId),
    check("pairs_strength_check", sql`${t.strength} between 0 and 3`),
    check("pairs_source_check", sql`${t.source} in ('pairwise', 'ranking', 'rating', 'imported')`),
  ],
);

/**
 * What a model costs (issue 11): USD per million input and output tokens, by the model name
 * responses carry. Leaderboards turn it and the responses' token usage into a cost per 1,000
 * responses.
 */
export const modelPrices = sqliteTable("model_prices", {
  model: text("model").primaryKey(),
  inputUsdPerMtok: real("input_usd_per_mtok").notNull(),
  outputUsdPerMtok: real("output_usd_per_mtok").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const exports = sqliteTable("exports", {
  id: text("id").primaryKey(),
  batchId: text("batch_id").references(() => batches.id, { onDelete: "set null" }),
  format: text("format").notNull(),
  options: text("options", { mode: "json" }).$type<JsonObject>().notNull(),
  rowCount: integer("row_count").notNull(),
  sha256: text("sha256").notNull(),
  createdBy: text("created_by").references(() => users.id),
  createdAt: integer("created_at").notNull(),
});

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id),
    action: text("action").notNull(),
    subject: text("subject").notNull().default(""),
    detail: text("detail", { mode: "json" }).$type<JsonObject>().notNull().default(sql`'{}'`),
    at: integer("at").notNull(),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

export type SamplingJobStatus = "running" | "done" | "failed" | "cancelled";

/**
 * A run of sampling responses from an OpenAI-compatible endpoint into a dataset (the CLI's
 * `sample`, later the browser's). `options` hold everything needed to run it again except the
 * API key, which is never stored: only the name of the environment variable that held it.
 * Counts are updated in the transaction of each answer, so they stay true after a crash.
 */
export const samplingJobs = sqliteTable(
  "sampling_jobs",
  {
    id: text("id").primaryKey(),
    datasetId: text("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    /** The responses' model column: the --label, or the model name. */
    label: text("label").notNull(),
    options: text("options", { mode: "json" }).$type<JsonObject>().notNull(),
    status: text("status").$type<SamplingJobStatus>().notNull(),
    /** Samples the job wants in all (prompts × n), missing ones found at start, answered, failed. */
    requested: integer("requested").notNull().default(0),
    alreadyPresent: integer("already_present").notNull().default(0),
    sampled: integer("sampled").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    createdBy: text("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    index("sampling_jobs_dataset_idx").on(t.datasetId, t.createdAt),
    check("sampling_jobs_status_check", sql`${t.status} in ('running', 'done', 'failed', 'cancelled')`),
  ],
);

/** A sample a job gave up on, and why (status, a snippet of the body; never the key). */
export const samplingFailures = sqliteTable(
  "sampling_failures",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => samplingJobs.id, { onDelete: "cascade" }),
    promptId: text("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    sampleIndex: integer("sample_index").notNull(),
    /** The HTTP status of the last attempt, null for a connection error or timeout. */
    status: integer("status"),
    reason: text("reason").notNull(),
    attempts: integer("attempts").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.promptId, t.sampleIndex] })],
);

export type JudgeRunStatus = "running" | "done" | "failed" | "cancelled";

/**
 * A run of an LLM judge over a batch (issue 13): the judge answers the batch's own task about
 * each item, through a prompt template (stored whole, with its SHA-256, so every verdict says
 * exactly what the judge was asked). Like a sampling job, `options` hold all but the API key,
 * and running it again asks only for the verdicts it is missing. Token counts are summed in the
 * transaction of each answer.
 */
export const judgeRuns = sqliteTable(
  "judge_runs",
  {
    id: text("id").primaryKey(),
    batchId: text("batch_id")
      .notNull()
      .references(() => batches.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    templateName: text("template_name").notNull(),
    template: text("template").notNull(),
    templateHash: text("template_hash").notNull(),
    options: text("options", { mode: "json" }).$type<JsonObject>().notNull(),
    status: text("status").$type<JudgeRunStatus>().notNull(),
    /** Verdicts the run wants (items, twice for swapped pairwise items), answered, failed. */
    requested: integer("requested").notNull().default(0),
    judged: integer("judged").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    /** Sum of the answers' latencies, for the seconds per item shown beside the humans'. */
    latencyMs: integer("latency_ms").notNull().default(0),
    createdBy: text("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    index("judge_runs_batch_idx").on(t.batchId, t.createdAt),
    check("judge_runs_status_check", sql`${t.status} in ('running', 'done', 'failed', 'cancelled')`),
  ],
);

/**
 * One answer of a judge run about one item, in one presentation (`swapped` = 1: a pairwise
 * item's responses shown in reverse, for position bias). Kept apart from `judgments`, which
 * belong to an assignment and a user and are read by every human statistic: a judge's verdict
 * enters nothing unless a reader asks for source `llm-judge`. `payload` is in the judgment
 * payload format (response ids), `flags` are `{response_id, flag}`; a failed answer keeps the
 * raw text and the reason instead.
 */
export const judgeVerdicts = sqliteTable(
  "judge_verdicts",
  {
    runId: text("run_id")
      .notNull()
      .references(() => judgeRuns.id, { onDelete: "cascade" }),
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    swapped: integer("swapped", { mode: "boolean" }).notNull(),
    /** The response ids in the order shown to the judge as A, B, C… */
    displayOrder: text("display_order", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status").$type<"ok" | "failed">().notNull(),
    payload: text("payload", { mode: "json" }).$type<JsonObject>(),
    flags: text("flags", { mode: "json" }).$type<Array<{ response_id: string; flag: string }>>().notNull().default(sql`'[]'`),
    rationale: text("rationale").notNull().default(""),
    raw: text("raw").notNull().default(""),
    /** How the answer was read: json, fenced-json or verdict-line; null when it could not be. */
    style: text("style"),
    reason: text("reason"),
    attempts: integer("attempts").notNull(),
    promptTokens: integer("prompt_tokens"),
    completionTokens: integer("completion_tokens"),
    latencyMs: integer("latency_ms"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.itemId, t.swapped] }),
    index("judge_verdicts_item_idx").on(t.itemId),
    check("judge_verdicts_status_check", sql`${t.status} in ('ok', 'failed')`),
  ],
);
