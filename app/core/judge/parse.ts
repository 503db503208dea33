/**
 * Reading an LLM judge's answer (issue 13): the judge is asked to answer the batch's own task
 * about responses labelled A, B, C…, and may answer with a JSON object, a JSON object inside a
 * code fence, or prose ending in a verdict line (MT-Bench's `[[A]]`, `[[B]]`, `[[C]]` for a tie,
 * or `Verdict: A`). Pure: no I/O. What it returns names responses by label; the caller maps the
 * labels to response ids through the display order it showed the judge.
 */
import { z } from "zod";

export type JudgeTask = "pairwise" | "ranking" | "rating";

/** A judge's answer, by response label ("A", "B", …). */
export type JudgeVerdict =
  | { task: "pairwise"; preferred: string | "tie"; strength: 0 | 1 | 2 | 3; flags: JudgeFlag[]; rationale: string }
  | { task: "ranking"; tiers: string[][]; flags: JudgeFlag[]; rationale: string }
  | { task: "rating"; scores: Record<string, Record<string, number>>; flags: JudgeFlag[]; rationale: string };

export interface JudgeFlag {
  response: string;
  flag: string;
}

export type JudgeParse = { ok: true; verdict: JudgeVerdict; style: "json" | "fenced-json" | "verdict-line" } | { ok: false; reason: string };

/** The labels of `count` responses: A, B, C, … */
export function responseLabels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String.fromCharCode(65 + i));
}

const label = z.string().trim().toUpperCase();
const flagsSchema = z
  .array(z.object({ response: label, flag: z.string().trim().min(1) }))
  .default([]);
const rationale = z.string().default("");

const pairwiseSchema = z.object({
  preferred: label,
  strength: z.coerce.number().int().min(0).max(3).optional(),
  flags: flagsSchema,
  rationale,
});
const rankingSchema = z.object({
  ranking: z.union([z.string(), z.array(z.union([z.string(), z.array(z.string())]))]),
  flags: flagsSchema,
  rationale,
});
const ratingSchema = z.object({
  scores: z.record(z.string(), z.union([z.number(), z.record(z.string(), z.number())])),
  flags: flagsSchema,
  rationale,
});

/** The JSON objects an answer holds: the whole text, then each fenced block, then the last {...} span. */
function jsonCandidates(text: string): Array<{ value: unknown; style: "json" | "fenced-json" }> {
  const found: Array<{ value: unknown; style: "json" | "fenced-json" }> = [];
  const tryParse = (source: string, style: "json" | "fenced-json") => {
    try {
      const value: unknown = JSON.parse(source);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) found.push({ value, style });
    } catch {
      // not JSON: another candidate may be
    }
  };
  tryParse(text.trim(), "json");
  for (const match of text.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) tryParse(match[1]!.trim(), "fenced-json");
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (found.length === 0 && first >= 0 && last > first) tryParse(text.slice(first, last + 1), "json");
  return found;
}

/** The last verdict line of a prose answer: `[[A]]`, `[[C]]` (a tie, for two responses) or `Verdict: A|tie`. */
function verdictLine(text: string, labels: readonly string[]): string | null {
  const bracketed = [...text.matchAll(/\[\[\s*([A-Za-z]+)\s*\]\]/g)].map((m) => m[1]!.toUpperCase());
  const stated = [...text.matchAll(/(?:final\s+)?verdict\s*[:：-]\s*\**\s*(tie|[A-Za-z])\b/gi)].map((m) => m[1]!.toUpperCase());
  const last = [...bracketed, ...stated].pop();
  if (last === undefined) return null;
  if (last === "TIE" || (labels.length === 2 && last === "C")) return "tie";
  return labels.includes(last) ? last : null;
}

function checkFlags(flags: JudgeFlag[], labels: readonly string[], allowed: readonly string[]): string | null {
  for (const f of flags) {
    if (!labels.includes(f.response)) return `flag on response ${JSON.stringify(f.response)}, which is not one of ${labels.join(", ")}`;
    if (!allowed.includes(f.flag)) return `flag ${JSON.stringify(f.flag)} is not one of this batch's flags (${allowed.join(", ")})`;
  }
  return null;
}

/** "B>A=C" or [["B"], ["A", "C"]] or ["B", "A", "C"] as tiers of labels. */
function tiersOf(ranking: string | Array<string | string[]>): string[][] {
  if (typeof ranking === "string") return ranking.split(">").map((tier) => tier.split("=").map((l) => l.trim().toUpperCase()).filter(Boolean));
  return ranking.map((tier) => (Array.isArray(tier) ? tier : [tier]).map((l) => l.trim().toUpperCase()));
}

/**
 * Reads a judge's answer for a task about `count` responses.
 *
 * Accepted, in this order: the whole answer as a JSON object; a JSON object in a code fence (the
 * last one that fits wins when several do); the outermost `{…}` span; for pairwise, a verdict
 * line (`[[A]]`, `[[B]]`, `[[C]]`/`Verdict: tie` for a tie; the last such line counts, and its
 * strength is 1, the least). JSON shapes: pairwise `{"preferred": "A"|"B"|"tie", "strength"?: 0–3}`,
 * ranking `{"ranking": "B>A=C"}` (or nested arrays, best first), rating `{"scores": {"A":
 * {"overall": 4}, …}}` (a bare number is the `overallAspect` score); each may carry `"flags":
 * [{"response": "A", "flag": "hallucination"}]` and `"rationale"`.
 *
 * Undefined: an answer none of these read, or one naming responses or flags that do not exist,
 * is `{ok: false, reason}`: the caller retries it, then records it as a failure with the text.
 */
export function parseJudgeAnswer(
  text: string,
  context: { task: JudgeTask; count: number; flags: readonly string[]; overallAspect: string },
): JudgeParse {
  const labels = responseLabels(context.count);
  let lastReason = "the answer holds no JSON object and no verdict line";
  const candidates = jsonCandidates(text).reverse();
  for (const { value, style } of candidates) {
    const read = readJson(value, context, labels);
    if (read.ok) return { ok: true, verdict: read.verdict, style };
    lastReason = read.reason;
  }
  if (context.task === "pairwise") {
    const preferred = verdictLine(text, labels);
    if (preferred !== null) {
      return { ok: true, style: "verdict-line", verdict: { task: "pairwise", preferred, strength: preferred === "tie" ? 0 : 1, flags: [], rationale: text.trim() } };
    }
  }
  return { ok: false, reason: lastReason };
}

function readJson(value: unknown, context: { task: JudgeTask; flags: readonly string[]; overallAspect: string }, labels: readonly string[]): { ok: true; verdict: JudgeVerdict } | { ok: false; reason: string } {
  const issue = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "answer"}: ${i.message}`).join("; ");
  if (context.task === "pairwise") {
    const parsed = pairwiseSchema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: issue(parsed.error) };
    const preferred = parsed.data.preferred === "TIE" ? "tie" : parsed.data.preferred;
    if (preferred !== "tie" && !labels.includes(preferred)) return { ok: false, reason: `preferred ${JSON.stringify(preferred)} is not one of ${labels.join(", ")} or "tie"` };
    const flagProblem = checkFlags(parsed.data.flags, labels, context.flags);
    if (flagProblem) return { ok: false, reason: flagProblem };
    const strength = (preferred === "tie" ? 0 : (parsed.data.strength ?? 1)) as 0 | 1 | 2 | 3;
    return { ok: true, verdict: { task: "pairwise", preferred, strength, flags: parsed.data.flags, rationale: parsed.data.rationale } };
  }
  if (context.task === "ranking") {
    const parsed = rankingSchema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: issue(parsed.error) };
    const tiers = tiersOf(parsed.data.ranking);
    const named = tiers.flat();
    if (named.length !== labels.length || new Set(named).size !== named.length || !named.every((l) => labels.includes(l))) {
      return { ok: false, reason: `the ranking must name each of ${labels.join(", ")} once (got ${JSON.stringify(parsed.data.ranking)})` };
    }
    const flagProblem = checkFlags(parsed.data.flags, labels, context.flags);
    if (flagProblem) return { ok: false, reason: flagProblem };
    return { ok: true, verdict: { task: "ranking", tiers, flags: parsed.data.flags, rationale: parsed.data.rationale } };
  }
  const parsed = ratingSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: issue(parsed.error) };
  const scores: Record<string, Record<string, number>> = {};
  for (const [key, score] of Object.entries(parsed.data.scores)) {
    const l = key.trim().toUpperCase();
    if (!labels.includes(l)) return { ok: false, reason: `scores for ${JSON.stringify(key)}, which is not one of ${labels.join(", ")}` };
    scores[l] = typeof score === "number" ? { [context.overallAspect]: score } : score;
  }
  const missing = labels.filter((l) => !(l in scores));
  if (missing.length) return { ok: false, reason: `no scores for ${missing.join(", ")}` };
  const flagProblem = checkFlags(parsed.data.flags, labels, context.flags);
  if (flagProblem) return { ok: false, reason: flagProblem };
  return { ok: true, verdict: { task: "rating", scores, flags: parsed.data.flags, rationale: parsed.data.rationale } };
}
