import { renderTranscript } from "../hh-transcript";
import type { ChatMessage } from "../messages";
import type { ExportBest, ExportJudgment, ExportPair, ExportPrompt, JudgmentRowOptions, PromptSources } from "./rows";

/**
 * One pure mapper per export format (DESIGN.md §5). Plain-text formats join the conversation
 * the way HH-RLHF does: the prompt is `\n\nHuman: …\n\nAssistant:` and each completion starts
 * with the space that follows, so prompt + chosen is the whole HH transcript. A prompt imported
 * as plain text (TRL's string form) is kept as it was, with completions verbatim.
 */
export function plainPrompt(pair: { messages: readonly ChatMessage[]; textPrompt: boolean }): string {
  const only = pair.messages.length === 1 ? pair.messages[0] : undefined;
  if (pair.textPrompt && (pair.messages.length === 0 || only?.role === "user")) return only?.content ?? "";
  return `${renderTranscript(pair.messages)}\n\nAssistant:`;
}

export function plainCompletion(pair: { textPrompt: boolean }, text: string): string {
  return pair.textPrompt ? text : ` ${text}`;
}

/** The whole HH transcript of the conversation followed by one response. */
export function transcript(messages: readonly ChatMessage[], text: string): string {
  return `${renderTranscript(messages)}\n\nAssistant: ${text}`;
}

const assistant = (content: string): ChatMessage[] => [{ role: "assistant", content }];

export function trlPreference(pair: ExportPair) {
  return { prompt: plainPrompt(pair), chosen: plainCompletion(pair, pair.chosen.text), rejected: plainCompletion(pair, pair.rejected.text) };
}

export function trlPreferenceChat(pair: ExportPair) {
  return { prompt: pair.messages, chosen: assistant(pair.chosen.text), rejected: assistant(pair.rejected.text) };
}

/**
 * TRL reward modelling with an implicit prompt: whole conversations, and `margin` = the
 * judgment's strength (1 slightly, 2 clearly, 3 much better), which TRL's RewardTrainer
 * subtracts inside the loss.
 */
export function trlReward(pair: ExportPair) {
  return {
    chosen: [...pair.messages, ...assistant(pair.chosen.text)],
    rejected: [...pair.messages, ...assistant(pair.rejected.text)],
    margin: pair.strength,
  };
}

/**
 * TRL KTO, unpaired: each pair gives the chosen completion labelled true and the rejected one
 * false. The rows are laid out by `unpairedRows` (unpaired.ts) so adjacent rows differ in prompt.
 */
export function trlKto(pair: ExportPair) {
  const prompt = plainPrompt(pair);
  return {
    chosen: { prompt, completion: plainCompletion(pair, pair.chosen.text), label: true },
    rejected: { prompt, completion: plainCompletion(pair, pair.rejected.text), label: false },
  };
}

/** TRL KTO in the conversational form: the prompt's messages and the completion as one assistant turn. */
export function trlKtoChat(pair: ExportPair) {
  return {
    chosen: { prompt: pair.messages, completion: assistant(pair.chosen.text), label: true },
    rejected: { prompt: pair.messages, completion: assistant(pair.rejected.text), label: false },
  };
}

/** OpenAI preference fine-tuning (DPO) JSONL. */
export function openAiDpo(pair: ExportPair) {
  return { input: { messages: pair.messages }, preferred_output: assistant(pair.chosen.text), non_preferred_output: assistant(pair.rejected.text) };
}

export function hhRlhf(pair: ExportPair) {
  return { chosen: transcript(pair.messages, pair.chosen.text), rejected: transcript(pair.messages, pair.rejected.text) };
}

/**
 * The dataset's own id of each of a judgment's responses. Judgments are checked against their
 * item's responses, so an unknown id is a broken database: it fails the export rather than
 * writing an internal id nobody can join on.
 */
function externalIds(judgment: ExportJudgment): (id: string) => string {
  const byId = new Map(judgment.responses.map((r) => [r.id, r.external_id]));
  return (id) => {
    const external = byId.get(id);
    if (external === undefined) throw new Error(`judgment ${judgment.judgmentId}: ${id} is not a response of item ${judgment.itemId}`);
    return external;
  };
}

export function rankings(judgment: ExportJudgment, _options?: JudgmentRowOptions) {
  const external = externalIds(judgment);
  return {
    prompt_id: judgment.promptExternalId,
    prompt: judgment.messages,
    responses: judgment.responses.map((r) => ({ id: r.external_id, model: r.model, text: r.text })),
    tiers: judgment.tiers.map((tier) => tier.map(external)),
    reviewer: judgment.reviewer,
    source: judgment.source,
  };
}

/** One rating: a response's score on one aspect of the batch's rubric. */
export interface ExportScore {
  response_id: string;
  aspect: string;
  score: number;
}

/**
 * Every judgment, one typed column per answer whatever the task (README "The judgments
 * format"): a column a task does not use holds its neutral value ("", 0, false, []), and a
 * skipped assignment is a row whose answer columns are all neutral, so every key has one JSON
 * type on every row (only `duration_ms` may be null). Response ids are the dataset's own and
 * reviewers pseudonyms; `with_text` adds the prompt and the response texts the reviewer read.
 */
export function judgments(judgment: ExportJudgment, options: JudgmentRowOptions = { withText: false }) {
  const external = externalIds(judgment);
  const payload = judgment.payload;
  const pairwise = payload?.task === "pairwise" ? payload : null;
  const scores: ExportScore[] = [];
  if (payload?.task === "rating") {
    for (const r of judgment.responses) {
      for (const [aspect, score] of Object.entries(payload.scores[r.id] ?? {})) scores.push({ response_id: r.external_id, aspect, score });
    }
  }
  return {
    judgment_id: judgment.judgmentId,
    item_id: judgment.itemId,
    prompt_id: judgment.promptExternalId,
    task: judgment.task,
    reviewer: judgment.reviewer,
    source: judgment.source,
    skipped: payload === null,
    ...(options.withText ? { prompt: judgment.messages } : {}),
    responses: judgment.responses.map((r) => (options.withText ? { id: r.external_id, model: r.model, text: r.text } : { id: r.external_id, model: r.model })),
    shown_order: judgment.shownOrder.map(external),
    preferred: pairwise ? (pairwise.preferred === "tie" ? "tie" : external(pairwise.preferred)) : "",
    strength: pairwise?.strength ?? 0,
    both_bad: pairwise?.bothBad ?? false,
    tiers: judgment.tiers.map((tier) => tier.map(external)),
    scores,
    flags: judgment.flags.map((f) => ({ response_id: external(f.response_id), flag: f.flag, note: f.note })),
    rationale: judgment.rationale,
    duration_ms: judgment.durationMs,
    created_at: new Date(judgment.createdAt).toISOString(),
    updated_at: new Date(judgment.updatedAt).toISOString(),
    ...(options.judgeColumns
      ? { judge_model: judgment.judge?.model ?? "", template_hash: judgment.judge?.templateHash ?? "", swapped: judgment.judge?.swapped ?? false }
      : {}),
  };
}

/** TRL's prompt-completion format for SFTTrainer: the prompt and the item's best response. */
export function trlSft(best: ExportBest) {
  return { prompt: plainPrompt(best), completion: plainCompletion(best, best.response.text) };
}

export function trlSftChat(best: ExportBest) {
  return { prompt: best.messages, completion: assistant(best.response.text) };
}

/** TRL's prompt-only format (GRPO, RLOO, online DPO), conversational: the policy writes the answer. */
export function prompts(prompt: ExportPrompt) {
  return { prompt: prompt.messages };
}

export const PAIR_FORMATS = {
  "trl-preference": trlPreference,
  "trl-preference-chat": trlPreferenceChat,
  "trl-reward": trlReward,
  "openai-dpo": openAiDpo,
  "hh-rlhf": hhRlhf,
} as const;
/** Pair formats with one row per completion (a chosen and a rejected row per pair). */
export const UNPAIRED_FORMATS = { "trl-kto": trlKto, "trl-kto-chat": trlKtoChat } as const;
/** One row per item: its best response. */
export const BEST_FORMATS = { "trl-sft": trlSft, "trl-sft-chat": trlSftChat } as const;
export const PROMPT_FORMATS = { prompts } as const;
export const JUDGMENT_FORMATS = { rankings, judgments } as const;

export type PairFormat = keyof typeof PAIR_FORMATS;
export type UnpairedFormat = keyof typeof UNPAIRED_FORMATS;
export type BestFormat = keyof typeof BEST_FORMATS;
export type PromptFormat = keyof typeof PROMPT_FORMATS;
export type JudgmentFormat = keyof typeof JUDGMENT_FORMATS;
export type ExportFormat = PairFormat | UnpairedFormat | BestFormat | PromptFormat | JudgmentFormat;
/** Every format, in the order the export page, the CLI's help and the README list them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = [
  "trl-preference",
  "trl-preference-chat",
  "trl-reward",
  "trl-kto",
  "trl-kto-chat",
  "trl-sft",
  "trl-sft-chat",
  "prompts",
  "openai-dpo",
  "hh-rlhf",
  "rankings",
  "judgments",
];

/**
 * Formats whose rows hold message lists: their prompts must alternate roles (validity.ts).
 * The plain-text ones render every turn as text.
 */
export const CHAT_FORMATS: readonly ExportFormat[] = ["trl-preference-chat", "trl-reward", "openai-dpo", "trl-kto-chat", "trl-sft-chat", "prompts"];

/**
 * One line per format naming what reads it. The export page, the CLI's help and the README's
 * format table say the same (a unit test holds the README to it).
 */
export const EXPORT_FORMAT_DESCRIPTIONS: Record<ExportFormat, string> = {
  "trl-preference": "TRL DPOTrainer (and other preference trainers): prompt, chosen and rejected as plain text",
  "trl-preference-chat": "TRL DPOTrainer (and other preference trainers), conversational: prompt, chosen and rejected as messages",
  "trl-reward": "TRL RewardTrainer: whole chosen and rejected conversations, with the judgment's strength as margin",
  "trl-kto": "TRL KTOTrainer: unpaired, one completion a line labelled desirable (true) or not (false); no two adjacent lines share a prompt",
  "trl-kto-chat": "TRL KTOTrainer, conversational: prompt messages and the completion as an assistant turn, labelled true or false",
  "trl-sft": "TRL SFTTrainer (prompt-completion): each item's best response under the consensus, as plain text",
  "trl-sft-chat": "TRL SFTTrainer (prompt-completion), conversational: each item's best response as an assistant turn",
  prompts: "TRL GRPO, RLOO and online DPO (prompt-only): each prompt of the batch once, as messages",
  "openai-dpo": "OpenAI preference fine-tuning (DPO): input messages with a preferred and a non-preferred output",
  "hh-rlhf": "Anthropic HH-RLHF format: chosen and rejected Human/Assistant transcripts",
  rankings: "Raw, for analysis: each judgment as tiers of responses, best first",
  judgments: "Raw, for analysis: every judgment in typed columns, with flags, rationale and timing, joinable on the dataset's ids",
};

/** Formats that can write a skipped assignment as a row (`include_skipped`). */
export const SKIP_FORMATS: readonly ExportFormat[] = ["judgments"];

/** Formats that can say "these two are equally good"; the others must drop ties. */
export const TIE_FORMATS: readonly ExportFormat[] = ["rankings", "judgments"];


/**
 * `--with-ids` columns for pair and KTO rows, so each row traces back to its prompt, models and
 * reviewers (TRL keeps columns it does not use). KTO rows carry the ids of the pair they came from.
 */
export function pairTrace(pair: ExportPair, batchId: string) {
  return {
    prompt_id: pair.promptExternalId,
    chosen_model: pair.chosen.model,
    rejected_model: pair.rejected.model,
    strength: pair.strength,
    reviewers: pair.reviewers,
    batch_id: batchId,
  };
}

export function bestTrace(best: ExportBest, batchId: string) {
  return { prompt_id: best.promptExternalId, model: best.response.model, strength: best.strength, reviewers: best.reviewers, batch_id: batchId };
}

export function promptTrace(prompt: ExportPrompt, batchId: string) {
  return { prompt_id: prompt.promptExternalId, batch_id: batchId };
}

/**
 * `--include-context` columns, on every format's rows: the prompt's reference and context
 * documents, null when it has none. Trainers keep columns they do not use (TRL datasets), and
 * the reward or judge code that wants a source of truth finds it beside the row.
 */
export function sourcesColumns(row: { sources?: PromptSources }) {
  return { reference: row.sources?.reference ?? null, context: row.sources?.context ?? null };
}
