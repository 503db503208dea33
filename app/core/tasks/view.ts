import type { BatchConfig, Task } from "./config";
import type { JudgmentPayload, JudgmentFlag } from "./judgment";

/** A chat turn as the judging screen and the API show it. */
export interface ViewMessage {
  role: "system" | "user" | "assistant";
  content: string;
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

/** The reviewer's view of a batch config (ReviewerConfig). */
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
  prompt: { id: string; external_id: string; messages: ViewMessage[] };
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
