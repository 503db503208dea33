import { z } from "zod";
import { splitTranscripts } from "./hh-transcript";
import { describeIssues, type LineResult } from "./import-unit";
import { preferenceUnit } from "./trl";

/**
 * HH-RLHF JSONL (Anthropic's hh-rlhf repository): `{"chosen", "rejected"}`, each a whole
 * `\n\nHuman: …\n\nAssistant: …` transcript. The shared start becomes the conversation, the
 * two tails the responses (see splitTranscripts for the exact rule). Prompts are numbered by
 * line unless the line carries an `id`.
 */
export const hhLineSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int()]).transform(String).optional(),
  chosen: z.string(),
  rejected: z.string(),
});

export function parseHhLine(value: unknown, lineNumber: number): LineResult {
  const parsed = hhLineSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: describeIssues(parsed.error) };
  const { id, chosen, rejected, ...rest } = parsed.data;
  const split = splitTranscripts(chosen, rejected);
  if (!split.ok) return { ok: false, errors: [`${split.field}: ${split.reason}`] };
  return {
    ok: true,
    unit: preferenceUnit(id ?? String(lineNumber), split.conversation, rest, split.chosen, split.rejected),
  };
}
