import { z } from "zod";
import { describeIssues, type ImportUnit, type LineResult } from "./import-unit";
import { chatMessageSchema, type ChatMessage, type Metadata } from "./messages";

/**
 * TRL preference JSONL (https://huggingface.co/docs/trl/dataset_formats):
 * - explicit prompt: `{"prompt", "chosen", "rejected"}`, all strings or all message lists;
 * - implicit prompt: `{"chosen", "rejected"}` where both hold the whole conversation and the
 *   prompt is their common start, extracted the way TRL's `extract_prompt` does.
 * Each line becomes a prompt with responses `chosen` and `rejected` and the line's own
 * preference between them. Extra keys are kept as prompt metadata.
 */
const messageList = z.array(chatMessageSchema);
const side = z.union([z.string(), messageList]);

export const trlLineSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int()]).transform(String).optional(),
  prompt: side.optional(),
  chosen: side,
  rejected: side,
});

const KNOWN = new Set(["id", "prompt", "chosen", "rejected"]);
export const UNKNOWN_MODEL = "unknown";

function completionText(list: ChatMessage[], field: "chosen" | "rejected"): string | { error: string } {
  if (list.length !== 1 || list[0]!.role !== "assistant") {
    return { error: `${field}: expected exactly one assistant message after the prompt, got ${list.length}` };
  }
  return list[0]!.content;
}

/** TRL's extract_prompt: the longest common start; for strings, a space before the split point goes with the completion. */
function commonPrefixLength<T>(a: readonly T[] | string, b: readonly T[] | string, same: (x: T | string, y: T | string) => boolean): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && same(a[i]!, b[i]!)) i++;
  if (i < n && typeof a === "string" && i > 0 && a[i - 1] === " ") i--;
  return i;
}

const sameMessage = (x: unknown, y: unknown) => {
  const a = x as ChatMessage;
  const b = y as ChatMessage;
  return a.role === b.role && a.content === b.content;
};

export function parseTrlLine(value: unknown, lineNumber: number): LineResult {
  const parsed = trlLineSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: describeIssues(parsed.error) };
  const { prompt, chosen, rejected } = parsed.data;
  const metadata: Metadata = Object.fromEntries(Object.entries(parsed.data).filter(([k]) => !KNOWN.has(k)));
  const externalId = parsed.data.id ?? String(lineNumber);

  if (typeof chosen !== typeof rejected || (prompt !== undefined && typeof prompt !== typeof chosen)) {
    return { ok: false, errors: ["line: prompt, chosen and rejected must be all strings or all message lists"] };
  }

  let messages: ChatMessage[];
  let chosenText: string;
  let rejectedText: string;
  if (typeof chosen === "string" && typeof rejected === "string") {
    // A string prompt is plain text that the completions continue, not a chat turn: exports
    // of plain-text formats give it back verbatim (see formats/export/mappers.ts).
    metadata.text_prompt = true;
    if (typeof prompt === "string") {
      messages = [{ role: "user", content: prompt }];
      chosenText = chosen;
      rejectedText = rejected;
    } else {
      const cut = commonPrefixLength(chosen, rejected, (x, y) => x === y);
      const implicitPrompt = chosen.slice(0, cut);
      messages = implicitPrompt ? [{ role: "user", content: implicitPrompt }] : [];
      chosenText = chosen.slice(cut);
      rejectedText = rejected.slice(cut);
      metadata.trl_implicit_prompt = true;
    }
  } else {
    const chosenList = chosen as ChatMessage[];
    const rejectedList = rejected as ChatMessage[];
    let cut = 0;
    if (Array.isArray(prompt)) {
      messages = prompt;
    } else {
      cut = commonPrefixLength(chosenList, rejectedList, sameMessage);
      messages = chosenList.slice(0, cut);
    }
    const c = completionText(chosenList.slice(cut), "chosen");
    const r = completionText(rejectedList.slice(cut), "rejected");
    const errors = [c, r].flatMap((x) => (typeof x === "string" ? [] : [x.error]));
    if (errors.length) return { ok: false, errors };
    chosenText = c as string;
    rejectedText = r as string;
  }
  return { ok: true, unit: preferenceUnit(externalId, messages, metadata, chosenText, rejectedText) };
}

/** The unit both preference formats produce: responses `chosen` and `rejected`, chosen preferred. */
export function preferenceUnit(
  externalId: string,
  messages: ChatMessage[],
  metadata: Metadata,
  chosen: string,
  rejected: string,
): ImportUnit {
  return {
    externalId,
    messages,
    metadata,
    responses: [
      { externalId: "chosen", model: UNKNOWN_MODEL, text: chosen, params: {}, metadata: {} },
      { externalId: "rejected", model: UNKNOWN_MODEL, text: rejected, params: {}, metadata: {} },
    ],
    preference: { chosen: "chosen", rejected: "rejected" },
  };
}
