import { z } from "zod";
import type { BatchConfig, Task } from "./config";

/**
 * A judgment as the browser form and the API send it (snake_case, as in the API), and the
 * checks that need the item and the batch: response ids, flags, scores, the rationale rule.
 */
export const judgmentInputSchema = z.object({
  client_id: z.string().min(1, "required").max(100),
  preferred: z.string().min(1).optional(),
  strength: z.number().int().min(1).max(3).optional(),
  both_bad: z.boolean().optional(),
  tiers: z.array(z.array(z.string()).min(1, "a tier holds at least one response")).optional(),
  scores: z.record(z.string(), z.record(z.string(), z.number().int())).optional(),
  flags: z
    .array(z.object({ response_id: z.string(), flag: z.string(), note: z.string().max(2000).optional() }))
    .max(200)
    .default([]),
  rationale: z.string().max(20_000).default(""),
  duration_ms: z.number().int().min(0).max(24 * 3600_000).optional(),
});
export type JudgmentInput = z.input<typeof judgmentInputSchema>;

/**
 * The same, refusing keys it does not know (`strength` mistyped `strenght` is a 400, not a
 * judgment without a strength): what the server takes from a client. The judging screen sends
 * what judgmentInputSchema gave it, so it never has extra keys.
 */
export const strictJudgmentInputSchema = judgmentInputSchema.extend({
  flags: z
    .array(z.strictObject({ response_id: z.string(), flag: z.string(), note: z.string().max(2000).optional() }))
    .max(200)
    .default([]),
}).strict();

export type JudgmentPayload =
  | { task: "pairwise"; preferred: string | "tie"; strength: 0 | 1 | 2 | 3; bothBad: boolean }
  | { task: "ranking"; tiers: string[][] }
  | { task: "rating"; scores: Record<string, Record<string, number>> };

export interface JudgmentFlag {
  responseId: string;
  flag: string;
  note: string;
}

export interface CheckedJudgment {
  clientId: string;
  payload: JudgmentPayload;
  flags: JudgmentFlag[];
  rationale: string;
  durationMs: number | null;
}

export type JudgmentCheck = { ok: true; judgment: CheckedJudgment } | { ok: false; fields: Record<string, string> };

/** Validates a parsed judgment against the item's responses and the batch's config. */
export function checkJudgment(
  input: z.output<typeof judgmentInputSchema>,
  context: { task: Task; config: Pick<BatchConfig, "scale" | "aspects" | "flags" | "rationale">; responseIds: readonly string[] },
): JudgmentCheck {
  const fields: Record<string, string> = {};
  const ids = new Set(context.responseIds);
  let payload: JudgmentPayload | null = null;

  if (context.task === "pairwise") {
    const { preferred } = input;
    if (preferred === undefined) fields.preferred = 'required: a response id or "tie"';
    else if (preferred !== "tie" && !ids.has(preferred)) fields.preferred = `not a response of this item: ${preferred}`;
    const maxStrength = context.config.scale === "3-point" ? 1 : 3;
    let strength: 0 | 1 | 2 | 3 = 0;
    if (preferred !== undefined && preferred !== "tie") {
      if (input.strength === undefined) {
        if (maxStrength === 1) strength = 1;
        else fields.strength = "required: 1, 2 or 3";
      } else if (input.strength > maxStrength) fields.strength = `at most ${maxStrength} on a ${context.config.scale} scale`;
      else strength = input.strength as 1 | 2 | 3;
    }
    if (!fields.preferred && !fields.strength) payload = { task: "pairwise", preferred: preferred!, strength, bothBad: input.both_bad ?? false };
  } else if (context.task === "ranking") {
    const tiers = input.tiers;
    if (!tiers) fields.tiers = "required: a list of tiers, best first, each a list of response ids";
    else {
      const placed = tiers.flat();
      const unknown = placed.filter((id) => !ids.has(id));
      const missing = context.responseIds.filter((id) => !placed.includes(id));
      if (unknown.length) fields.tiers = `not responses of this item: ${unknown.join(", ")}`;
      else if (placed.length !== new Set(placed).size) fields.tiers = "each response may appear in only one tier, once";
      else if (missing.length) fields.tiers = `every response must be ranked; missing: ${missing.join(", ")}`;
      else payload = { task: "ranking", tiers: tiers.map((t) => [...t]) };
    }
  } else {
    const scores = input.scores;
    if (!scores) fields.scores = "required: a score for each aspect of each response";
    else {
      const problems: string[] = [];
      for (const id of context.responseIds) {
        for (const aspect of context.config.aspects) {
          const value = scores[id]?.[aspect.key];
          if (value === undefined) problems.push(`${id}.${aspect.key} is missing`);
          else if (value < aspect.min || value > aspect.max) problems.push(`${id}.${aspect.key} must be ${aspect.min}–${aspect.max}`);
        }
      }
      const extra = Object.keys(scores).filter((id) => !ids.has(id));
      if (extra.length) problems.push(`not responses of this item: ${extra.join(", ")}`);
      if (problems.length) fields.scores = problems.join("; ");
      else {
        const clean: Record<string, Record<string, number>> = {};
        for (const id of context.responseIds) {
          clean[id] = Object.fromEntries(context.config.aspects.map((a) => [a.key, scores[id]![a.key]!]));
        }
        payload = { task: "rating", scores: clean };
      }
    }
  }

  const flags: JudgmentFlag[] = [];
  const seenFlags = new Set<string>();
  for (const [i, f] of input.flags.entries()) {
    if (!ids.has(f.response_id)) fields[`flags.${i}.response_id`] = `not a response of this item: ${f.response_id}`;
    else if (!context.config.flags.includes(f.flag)) fields[`flags.${i}.flag`] = `not a flag of this batch: ${f.flag} (flags: ${context.config.flags.join(", ")})`;
    else if (!seenFlags.has(`${f.response_id}\u0000${f.flag}`)) {
      seenFlags.add(`${f.response_id}\u0000${f.flag}`);
      flags.push({ responseId: f.response_id, flag: f.flag, note: f.note ?? "" });
    }
  }

  const rationale = input.rationale.trim();
  const rule = context.config.rationale;
  if (rule.required && rationale.length < Math.max(1, rule.minLength)) {
    fields.rationale = rule.minLength > 1 ? `required: at least ${rule.minLength} characters` : "required";
  }

  if (Object.keys(fields).length > 0 || payload === null) return { ok: false, fields };
  return { ok: true, judgment: { clientId: input.client_id, payload, flags, rationale, durationMs: input.duration_ms ?? null } };
}
