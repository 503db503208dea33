import { z } from "zod";

/** How much of a body a failure keeps: enough to see what went wrong, not a whole HTML page. */
export const SNIPPET_CHARS = 300;

export function snippet(text: string, chars = SNIPPET_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > chars ? `${flat.slice(0, chars)}…` : flat;
}

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }).loose(),
        finish_reason: z.string().nullable().optional(),
      }).loose(),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      total_tokens: z.number().optional(),
    })
    .loose()
    .nullable()
    .optional(),
}).loose();

/** Token counts an endpoint reported; the ones it left out are absent, not zero. */
export type TokenUsage = { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };

export interface Completion {
  text: string;
  finishReason: string | null;
  usage: TokenUsage | null;
}

/** The three counts of an endpoint's `usage` object (other keys dropped), or null without one. */
export function tokenUsage(usage: TokenUsage | null | undefined): TokenUsage | null {
  if (!usage) return null;
  return {
    ...(usage.prompt_tokens === undefined ? {} : { prompt_tokens: usage.prompt_tokens }),
    ...(usage.completion_tokens === undefined ? {} : { completion_tokens: usage.completion_tokens }),
    ...(usage.total_tokens === undefined ? {} : { total_tokens: usage.total_tokens }),
  };
}

export type ParsedCompletion = { ok: true; completion: Completion } | { ok: false; reason: string };

/** The first choice of a chat completion body, or why the body is not one (with a snippet of it). */
export function parseCompletion(body: string): ParsedCompletion {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: `the body is not JSON: ${snippet(body) || "(empty)"}` };
  }
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    const noChoices = !Array.isArray((json as { choices?: unknown } | null)?.choices) || (json as { choices: unknown[] }).choices.length === 0;
    return { ok: false, reason: `${noChoices ? "the body has no choices" : "the body is not a chat completion"}: ${snippet(body)}` };
  }
  const choice = parsed.data.choices[0]!;
  if (typeof choice.message.content !== "string") return { ok: false, reason: `the first choice has no text content: ${snippet(body)}` };
  const usage = parsed.data.usage;
  return {
    ok: true,
    completion: {
      text: choice.message.content,
      finishReason: choice.finish_reason ?? null,
      usage: tokenUsage(usage),
    },
  };
}
