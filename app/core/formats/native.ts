import { z } from "zod";
import { assignResponseIds, describeIssues, type LineResult } from "./import-unit";
import { chatMessagesSchema, metadataSchema } from "./messages";
import { goldAnswerResponses, goldAnswerSchema } from "../quality/gold";
import { contextSchema, referenceSchema } from "./sources";

/**
 * Native JSONL: `{"id", "messages" | "prompt", "responses"?: [{"id"?, "model", "text", "params"?}], "metadata"?, "gold"?}`.
 * `gold` makes the prompt a gold (check) question: `{"best": RESPONSE_ID | "tie"}` and/or
 * `{"scores": {RESPONSE_ID: score}}`, naming responses by their ids in the line.
 * `responses` may be absent for prompts that will be sampled later. A bare `prompt` string
 * is one user message. `reference` (text) and `context` (a list of `{"title", "text"}` documents,
 * or of bare strings) are the prompt's sources of truth (sources.ts).
 */
const externalIdSchema = z
  .union([z.string().min(1, "must not be empty"), z.number().int()], {
    error: (issue) => (issue.input === undefined ? "required" : "expected a string or an integer"),
  })
  .transform(String);

export const nativeResponseSchema = z.object({
  id: externalIdSchema.optional(),
  model: z.string().min(1, "must not be empty"),
  text: z.string(),
  params: metadataSchema.optional(),
  metadata: metadataSchema.optional(),
});

export const nativeLineSchema = z
  .object({
    id: externalIdSchema,
    messages: chatMessagesSchema.optional(),
    prompt: z.string().optional(),
    responses: z.array(nativeResponseSchema).optional(),
    metadata: metadataSchema.optional(),
    gold: goldAnswerSchema.optional(),
    reference: referenceSchema.optional(),
    context: contextSchema.optional(),
  })
  .refine((line) => (line.messages === undefined) !== (line.prompt === undefined), {
    message: 'expected exactly one of "messages" or "prompt"',
    path: ["messages"],
  })
  .refine((line) => new Set((line.responses ?? []).flatMap((r) => (r.id ? [r.id] : []))).size === (line.responses ?? []).filter((r) => r.id).length, {
    message: "response ids must be unique within a prompt",
    path: ["responses"],
  });

export function parseNativeLine(value: unknown): LineResult {
  const parsed = nativeLineSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: describeIssues(parsed.error) };
  const line = parsed.data;
  const responses = assignResponseIds(
    (line.responses ?? []).map((r) => ({
      externalId: r.id,
      model: r.model,
      text: r.text,
      params: r.params ?? {},
      metadata: r.metadata ?? {},
    })),
  );
  if (line.gold) {
    const ids = new Set(responses.map((r) => r.externalId));
    const unknown = goldAnswerResponses(line.gold).filter((id) => !ids.has(id));
    if (unknown.length > 0) {
      return { ok: false, errors: [`gold: ${unknown.map((id) => JSON.stringify(id)).join(", ")} is not the id of one of this line's responses (${[...ids].map((id) => JSON.stringify(id)).join(", ") || "none"})`] };
    }
  }
  return {
    ok: true,
    unit: {
      externalId: line.id,
      messages: line.messages ?? [{ role: "user", content: line.prompt ?? "" }],
      metadata: line.metadata ?? {},
      responses,
      ...(line.gold && { gold: line.gold }),
      ...(line.reference && { reference: line.reference }),
      ...(line.context && { context: line.context }),
    },
  };
}
