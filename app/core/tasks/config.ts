import { z } from "zod";
import { formatFigure } from "../figures";

/**
 * A batch's configuration (DESIGN.md §3), stored as JSON on the batch and validated here:
 * the strength scale, the flag list, rubric aspects for rating, the rationale rule,
 * blinding and the guidelines shown to reviewers.
 */
export const TASKS = ["pairwise", "ranking", "rating"] as const;
export type Task = (typeof TASKS)[number];

export const DEFAULT_FLAGS = ["hallucination", "unsafe", "refusal", "incomplete", "off_topic", "pii"] as const;

/**
 * The flag a reviewer sets by marking words of a response that the prompt's context does not
 * support (issue 13); a batch with `unsupportedClaims` always has it in its flag list.
 */
export const UNSUPPORTED_CLAIM_FLAG = "unsupported_claim";

// Every message names the value it refuses: the same text reaches the form, the API and the CLI.
const quoted = (value: unknown) => JSON.stringify(value) ?? String(value);
const slug = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, {
  error: (issue) => `${quoted(issue.input)} is not a valid key: use lower-case letters, digits and '_', starting with a letter (at most 32)`,
});
const wholeNumber = z
  .number({ error: (issue) => `${quoted(issue.input)} is not a number` })
  .int({ error: (issue) => `${quoted(issue.input)} is not a whole number` });

export const aspectSchema = z.object({
  key: slug,
  label: z
    .string({ error: "a label is required" })
    .min(1, "a label is required")
    .max(60, { error: (issue) => `label ${quoted(issue.input)} is longer than 60 characters` }),
  min: wholeNumber.default(1),
  max: wholeNumber.default(5),
});
export type Aspect = z.infer<typeof aspectSchema>;

export const DEFAULT_ASPECTS: Aspect[] = [
  { key: "overall", label: "Overall", min: 1, max: 5 },
  { key: "helpfulness", label: "Helpfulness", min: 1, max: 5 },
  { key: "honesty", label: "Honesty", min: 1, max: 5 },
  { key: "harmlessness", label: "Harmlessness", min: 1, max: 5 },
];

/** A share between 0 and 1. */
const share = z
  .number({ error: (issue) => `${quoted(issue.input)} is not a number` })
  .min(0, { error: (issue) => `${quoted(issue.input)} is below 0` })
  .max(1, { error: (issue) => `${quoted(issue.input)} is more than 1` });

const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);

export const batchConfigSchema = z
  .object({
    /** 7-point: A much/clearly/slightly better, tie, B slightly/clearly/much (strength 3/2/1/0); 3-point: A, tie, B (strength 1/0). */
    scale: z.enum(["7-point", "3-point"], { error: (issue) => `${quoted(issue.input)} is not a scale: use 7-point or 3-point` }).default("7-point"),
    flags: z
      .array(slug)
      .max(20, { error: (issue) => `${count(issue.input)} flags are more than 20` })
      .default([...DEFAULT_FLAGS]),
    aspects: z
      .array(aspectSchema)
      .min(1, "at least one aspect")
      .max(8, { error: (issue) => `${count(issue.input)} aspects are more than 8` })
      .default(() => DEFAULT_ASPECTS.map((a) => ({ ...a }))),
    /** The aspect whose score differences become preference pairs in rating batches. */
    overallAspect: slug.default("overall"),
    rationale: z
      .object({
        required: z.boolean().default(false),
        minLength: wholeNumber
          .min(0, { error: (issue) => `${quoted(issue.input)} is below 0` })
          .max(5000, { error: (issue) => `${quoted(issue.input)} is more than 5000 characters` })
          .default(0),
      })
      .default({ required: false, minLength: 0 }),
    showModelNames: z.boolean().default(false),
    /**
     * Ask reviewers to mark claims not supported by the context (issue 13): the judging screen
     * lets a reviewer select words of a response and mark them, which sets the
     * `unsupported_claim` flag on it with the words as the flag's note. When on, the flag list
     * includes `unsupported_claim` (appended here when missing), so judgments carrying it are
     * checked like any other flag.
     */
    unsupportedClaims: z.boolean().default(false),
    guidelines: z
      .string()
      .max(50_000, { error: (issue) => `the guidelines are ${formatFigure(String(issue.input).length, "count")} characters, more than 50,000` })
      .default(""),
    /**
     * Gold (check) items (issue 12): mixed into each reviewer's stream at `rate` (the share of the
     * items they are handed while gold items they have not seen remain). A reviewer whose gold
     * accuracy is below `threshold` once they have answered `minItems` gold items is paused in the
     * batch. A rating counts as correct when every scored aspect is within `tolerance` points.
     */
    gold: z
      .object({
        rate: share.max(0.5, { error: (issue) => `${quoted(issue.input)} is more than 0.5: at most half a reviewer's items may be gold` }).default(0.1),
        threshold: share.default(0.7),
        minItems: wholeNumber.min(1, { error: (issue) => `${quoted(issue.input)} is below 1` }).max(1000, { error: (issue) => `${quoted(issue.input)} is more than 1000` }).default(5),
        tolerance: wholeNumber.min(0, { error: (issue) => `${quoted(issue.input)} is below 0` }).max(100, { error: (issue) => `${quoted(issue.input)} is more than 100` }).default(0),
      })
      .default({ rate: 0.1, threshold: 0.7, minItems: 5, tolerance: 0 }),
    /**
     * Self-consistency (issue 12): the share of a reviewer's judged items shown to them again
     * later with the sides swapped; 0 turns it off.
     */
    selfConsistency: z
      .object({
        share: share.max(0.5, { error: (issue) => `${quoted(issue.input)} is more than 0.5` }).default(0),
      })
      .default({ share: 0 }),
    leaseMinutes: wholeNumber
      .min(1, { error: (issue) => `${quoted(issue.input)} minutes is below 1` })
      .max(7 * 24 * 60, { error: (issue) => `${quoted(issue.input)} minutes is more than 7 days (10080)` })
      .default(30),
  })
  .superRefine((c, ctx) => {
    if (c.unsupportedClaims && !c.flags.includes(UNSUPPORTED_CLAIM_FLAG) && c.flags.length >= 20) {
      ctx.addIssue({ code: "custom", path: ["flags"], message: `${c.flags.length} flags leave no room for ${UNSUPPORTED_CLAIM_FLAG}, which marking unsupported claims adds: at most 19` });
    }
    const keys = c.aspects.map((a) => a.key);
    if (!keys.includes(c.overallAspect)) {
      ctx.addIssue({ code: "custom", path: ["overallAspect"], message: `overallAspect "${c.overallAspect}" is not one of the aspects (${keys.join(", ")})` });
    }
    c.aspects.forEach((a, i) => {
      if (a.min >= a.max) ctx.addIssue({ code: "custom", path: ["aspects", i, "max"], message: `aspect "${a.key}": max ${a.max} must be greater than min ${a.min}` });
    });
    keys.forEach((key, i) => {
      if (keys.indexOf(key) < i) ctx.addIssue({ code: "custom", path: ["aspects", i, "key"], message: `aspect key "${key}" is used twice` });
    });
  })
  // Marking unsupported claims sets a flag: the batch's flag list carries it, so the judgment
  // checks (core/tasks/judgment.ts), the judging screen and the exports need nothing else.
  .overwrite((c) => (c.unsupportedClaims && !c.flags.includes(UNSUPPORTED_CLAIM_FLAG) ? { ...c, flags: [...c.flags, UNSUPPORTED_CLAIM_FLAG] } : c));

export type BatchConfig = z.infer<typeof batchConfigSchema>;

/** Largest number of responses a ranking item may hold (one key per response on the keyboard). */
export const MAX_RANKING_RESPONSES = 9;
