import type { JudgmentPayload } from "../../tasks/judgment";
import type { ChatMessage } from "../messages";
import type { ContextDocument } from "../sources";

/**
 * A prompt's sources of truth (prompts.reference, prompts.context), read only when an export
 * asks for them (`include_context`); each is null when the prompt has none.
 */
export interface PromptSources {
  reference: string | null;
  context: ContextDocument[] | null;
}

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
  /** Present when the export carries the prompt's sources (`include_context`). */
  sources?: PromptSources;
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
  sources?: PromptSources;
}

/** A prompt of the batch, for the prompt-only format. */
export interface ExportPrompt {
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  textPrompt: boolean;
  sources?: PromptSources;
}

/**
 * One judgment (or, with `include_skipped`, one skipped assignment) for the `rankings` and
 * `judgments` formats. Every response id here is internal; the mappers write the dataset's own.
 */
export interface ExportJudgment {
  /** "" for a skipped assignment: there is no judgment. */
  judgmentId: string;
  itemId: string;
  promptId: string;
  promptExternalId: string;
  messages: ChatMessage[];
  task: "pairwise" | "ranking" | "rating";
  /** The item's responses in dataset order. */
  responses: ExportResponse[];
  /** Internal response ids in the order this reviewer was shown them. */
  shownOrder: string[];
  /** Best first; responses in one tier are tied (empty when skipped). */
  tiers: string[][];
  /** What the reviewer submitted; null when they skipped the item. */
  payload: JudgmentPayload | null;
  flags: Array<{ response_id: string; flag: string; note: string }>;
  rationale: string;
  reviewer: string;
  /** A reviewer's judgment, an admin's verdict on a disputed item, or an LLM judge's verdict (`judged_by`). */
  source: "reviewer" | "adjudicated" | "llm-judge";
  /** For an LLM judge's verdict: the run's model and template, and whether the sides were swapped. */
  judge?: { model: string; templateHash: string; swapped: boolean };
  sources?: PromptSources;
  durationMs: number | null;
  /** For a skipped assignment both are when it was skipped. */
  createdAt: number;
  updatedAt: number;
}

/** What the judgment formats' mappers are told besides the row. */
export interface JudgmentRowOptions {
  /** Also write the prompt messages and each response's text (the `with_text` option). */
  withText: boolean;
  /**
   * Also write `judge_model`, `template_hash` and `swapped` (the export reads an LLM judge's
   * verdicts, `judged_by` llm-judge or both); a reviewer's row has "", "" and false there.
   */
  judgeColumns?: boolean;
}
