import type { ChatMessage } from "../messages";

/** A response as exports see it. */
export interface ExportResponse {
  id: string;
  external_id: string;
  model: string;
  text: string;
}

/**
 * One preference after the consensus policy: what every pair format maps from.
 * `strength` is 0 for a tie, 1..3 otherwise (the median of the winning side under `majority`).
 */
export interface ExportPair {
  itemId: string | null;
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  /** The prompt was imported as plain text (TRL string form): completions continue it verbatim. */
  textPrompt: boolean;
  chosen: ExportResponse;
  rejected: ExportResponse;
  strength: 0 | 1 | 2 | 3;
  /** Pseudonymous reviewers on the winning side (empty for imported pairs). */
  reviewers: string[];
  /** Share of the item's reviewers on the winning side, in [0, 1] (1 for imported pairs). */
  agreement: number;
  source: "judgments" | "imported";
}

/** An item's best response under the consensus (`bestResponse`), for the SFT formats. */
export interface ExportBest {
  itemId: string | null;
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  textPrompt: boolean;
  response: ExportResponse;
  /** The weakest strength among the rows the response won. */
  strength: number;
  /** Pseudonymous reviewers who preferred it. */
  reviewers: string[];
}

/** A prompt of the batch, for the prompt-only format. */
export interface ExportPrompt {
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  textPrompt: boolean;
}

/** One judgment for the `rankings` and `judgments` formats. */
export interface ExportJudgment {
  judgmentId: string;
  itemId: string;
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  task: "pairwise" | "ranking" | "rating";
  /** The item's responses in dataset order. */
  responses: ExportResponse[];
  /** Best first; responses in one tier are tied. */
  tiers: string[][];
  payload: Record<string, unknown>;
  flags: Array<{ response_id: string; flag: string; note: string }>;
  rationale: string;
  reviewer: string;
  durationMs: number | null;
  createdAt: number;
  updatedAt: number;
}
