import type { BatchConfig, Task } from "./config";
import type { JudgmentPayload, JudgmentFlag } from "./judgment";

/** A chat turn as the judging screen and the API show it. */
export interface ViewMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A context document of a prompt (issue 13): what the responses should be grounded in. */
export interface ViewDocument {
  title: string;
  text: string;
}

/**
 * A prompt as the judging screen and the API show it: its turns and its sources of truth, the
 * reference answer (or reference material) and the context documents, in the order imported.
 */
export interface ViewPrompt {
  id: string;
  external_id: string;
  messages: ViewMessage[];
  /**
   * Always set by the server (null and [] when the prompt has none); optional only for views a
   * client builds itself (the arena's battles), which have no sources.
   */
  reference: string | null;
  context: ViewDocument[];
}

/**
 * The context documents stored on a prompt (`prompts.context`, JSON), as the judging screen
 * shows them: entries without text are left out, a missing title is "", anything that is not a
 * list of documents (null, bad JSON) is no documents.
 */
export function contextDocuments(stored: string | null | undefined): ViewDocument[] {
  if (!stored) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry: unknown) => {
    if (entry === null || typeof entry !== "object") return [];
    const { title, text } = entry as { title?: unknown; text?: unknown };
    if (typeof text !== "string" || text.trim() === "") return [];
    return [{ title: typeof title === "string" ? title.trim() : "", text }];
  });
}

/** The stored reference (`prompts.reference`) as shown: null when absent or blank. */
export function referenceText(stored: string | null | undefined): string | null {
  return typeof stored === "string" && stored.trim() !== "" ? stored : null;
}

/** A response as shown to a reviewer: in display order; `model` only when the batch shows model names. */
export interface ViewResponse {
  id: string;
  external_id: string;
  text: string;
  model?: string;
}

/**
 * The batch config a reviewer is sent: everything the judging screen needs, without the quality
 * checks (gold rate and threshold, self-consistency share), so nothing tells a reviewer how
 * often they are being checked.
 */
export type ReviewerConfig = Omit<BatchConfig, "gold" | "selfConsistency">;

/**
 * The reviewer's view of a batch config (ReviewerConfig): every other field passes, among them
 * `unsupportedClaims` (the screen offers marking unsupported words) and the flags it added.
 */
export function reviewerConfig(config: BatchConfig): ReviewerConfig {
  const { gold, selfConsistency, ...rest } = config;
  void gold;
  void selfConsistency;
  return rest;
}

/**
 * One leased assignment as the API's `next` returns it and the judging screen renders it.
 * `responses` are in this reviewer's display order (position 0 is "A", left or top).
 */
export interface AssignmentView {
  id: string;
  item_id: string;
  batch_id: string;
  task: Task;
  config: ReviewerConfig;
  prompt: ViewPrompt;
  responses: ViewResponse[];
  lease_expires_at: number;
  /** The reviewer's stored judgment when the assignment is being edited. */
  judgment?: { payload: JudgmentPayload; flags: JudgmentFlag[]; rationale: string } | null;
}

/** How far a reviewer is in a batch. */
export interface ReviewProgress {
  /** Judgments this reviewer has submitted in the batch. */
  mine: number;
  /** Items in the batch this reviewer may still get, including the current one. */
  left: number;
  /** Items this reviewer skipped (they may take one back while it still needs a judgment). */
  skipped: number;
  /** Items in the batch. */
  items: number;
  /** Judgments in the batch overall, and the number needed (items × overlap). */
  judgments: number;
  needed: number;
}
