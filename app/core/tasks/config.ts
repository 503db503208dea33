import { z } from "zod";

/**
 * A batch's configuration (DESIGN.md §3), stored as JSON on the batch and validated here:
 * the strength scale, the flag list, rubric aspects for rating, the rationale rule,
 * blinding and the guidelines shown to reviewers.
 */
export const TASKS = ["pairwise", "ranking", "rating"] as const;
export type Task = (typeof TASKS)[number];

export const DEFAULT_FLAGS = ["hallucination", "unsafe", "refusal", "incomplete", "off_topic", "pii"] as const;

const slug = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "lower-case letters, digits and '_', starting with a letter");

export const aspectSchema = z.object({
  key: slug,
  label: z.string().min(1).max(60),
  min: z.number().int().default(1),
  max: z.number().int().default(5),
});
export type Aspect = z.infer<typeof aspectSchema>;

export const DEFAULT_ASPECTS: Aspect[] = [
  { key: "overall", label: "Overall", min: 1, max: 5 },
  { key: "helpfulness", label: "Helpfulness", min: 1, max: 5 },
  { key: "honesty", label: "Honesty", min: 1, max: 5 },
  { key: "harmlessness", label: "Harmlessness", min: 1, max: 5 },
];

export const batchConfigSchema = z
  .object({
    /** 7-point: A much/clearly/slightly better, tie, B slightly/clearly/much (strength 3/2/1/0); 3-point: A, tie, B (strength 1/0). */
    scale: z.enum(["7-point", "3-point"]).default("7-point"),
    flags: z.array(slug).max(20).default([...DEFAULT_FLAGS]),
    aspects: z.array(aspectSchema).min(1).max(8).default(() => DEFAULT_ASPECTS.map((a) => ({ ...a }))),
    /** The aspect whose score differences become preference pairs in rating batches. */
    overallAspect: slug.default("overall"),
    rationale: z
      .object({ required: z.boolean().default(false), minLength: z.number().int().min(0).max(5000).default(0) })
      .default({ required: false, minLength: 0 }),
    showModelNames: z.boolean().default(false),
    guidelines: z.string().max(50_000).default(""),
    leaseMinutes: z.number().int().min(1).max(7 * 24 * 60).default(30),
  })
  .refine((c) => c.aspects.some((a) => a.key === c.overallAspect), {
    message: "overallAspect must be one of the aspects",
    path: ["overallAspect"],
  })
  .refine((c) => c.aspects.every((a) => a.min < a.max), { message: "each aspect needs min < max", path: ["aspects"] })
  .refine((c) => new Set(c.aspects.map((a) => a.key)).size === c.aspects.length, { message: "aspect keys must be unique", path: ["aspects"] });

export type BatchConfig = z.infer<typeof batchConfigSchema>;

/** Largest number of responses a ranking item may hold (one key per response on the keyboard). */
export const MAX_RANKING_RESPONSES = 9;
