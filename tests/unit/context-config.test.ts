import { describe, expect, it } from "vitest";
import { batchFromForm, formFieldOf, rubricRows, type BatchFormValues } from "../../app/core/tasks/batch-form";
import { batchConfigSchema, DEFAULT_ASPECTS, DEFAULT_FLAGS, UNSUPPORTED_CLAIM_FLAG } from "../../app/core/tasks/config";
import { reviewerConfig } from "../../app/core/tasks/view";

// The per-batch option "Ask reviewers to mark claims not supported by the context" (issue 13).

describe("batchConfigSchema: unsupportedClaims", () => {
  it("is off by default and adds no flag", () => {
    const config = batchConfigSchema.parse({});
    expect(config.unsupportedClaims).toBe(false);
    expect(config.flags).toEqual([...DEFAULT_FLAGS]);
  });

  it("when on, appends unsupported_claim to the flag list, the default one or a given one", () => {
    expect(batchConfigSchema.parse({ unsupportedClaims: true }).flags).toEqual([...DEFAULT_FLAGS, UNSUPPORTED_CLAIM_FLAG]);
    expect(batchConfigSchema.parse({ unsupportedClaims: true, flags: ["toxic"] }).flags).toEqual(["toxic", UNSUPPORTED_CLAIM_FLAG]);
    expect(batchConfigSchema.parse({ unsupportedClaims: true, flags: [] }).flags).toEqual([UNSUPPORTED_CLAIM_FLAG]);
  });

  it("keeps a list that has the flag already as it is (and parsing twice changes nothing)", () => {
    const given = { unsupportedClaims: true, flags: [UNSUPPORTED_CLAIM_FLAG, "toxic"] };
    const once = batchConfigSchema.parse(given);
    expect(once.flags).toEqual([UNSUPPORTED_CLAIM_FLAG, "toxic"]);
    expect(batchConfigSchema.parse(batchConfigSchema.parse({ unsupportedClaims: true }))).toEqual(batchConfigSchema.parse({ unsupportedClaims: true }));
  });

  it("leaves a batch without the option alone, even when it lists the flag itself", () => {
    expect(batchConfigSchema.parse({ flags: [UNSUPPORTED_CLAIM_FLAG] }).flags).toEqual([UNSUPPORTED_CLAIM_FLAG]);
    expect(batchConfigSchema.parse({ unsupportedClaims: false, flags: ["toxic"] }).flags).toEqual(["toxic"]);
  });

  it("refuses 20 other flags, which leave no room for it, and names why", () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `flag_${i}`);
    const result = batchConfigSchema.safeParse({ unsupportedClaims: true, flags: twenty });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["flags", "20 flags leave no room for unsupported_claim, which marking unsupported claims adds: at most 19"],
    ]);
    expect(batchConfigSchema.parse({ unsupportedClaims: true, flags: twenty.slice(0, 19) }).flags).toHaveLength(20);
    expect(batchConfigSchema.parse({ unsupportedClaims: true, flags: [...twenty.slice(0, 19), UNSUPPORTED_CLAIM_FLAG] }).flags).toHaveLength(20);
  });

  it("refuses a value that is not a boolean", () => {
    expect(batchConfigSchema.safeParse({ unsupportedClaims: "yes" }).success).toBe(false);
  });

  it("stays an object schema (its fields are still reachable one by one)", () => {
    expect(batchConfigSchema.shape.unsupportedClaims.parse(undefined)).toBe(false);
  });
});

describe("reviewerConfig", () => {
  it("passes unsupportedClaims and the flag it added to the reviewer, without the quality checks", () => {
    const shown = reviewerConfig(batchConfigSchema.parse({ unsupportedClaims: true, gold: { rate: 0.2 } }));
    expect(shown.unsupportedClaims).toBe(true);
    expect(shown.flags).toContain(UNSUPPORTED_CLAIM_FLAG);
    expect(shown).not.toHaveProperty("gold");
    expect(shown).not.toHaveProperty("selfConsistency");
    expect(reviewerConfig(batchConfigSchema.parse({})).unsupportedClaims).toBe(false);
  });
});

const form = (over: Partial<BatchFormValues> = {}): BatchFormValues => ({
  name: "Grounded",
  dataset: "docs",
  task: "pairwise",
  overlap: "1",
  reviewers: ["ann"],
  pairing: "first-two",
  models: "",
  scale: "7-point",
  flags: "hallucination, unsafe",
  rationaleRequired: false,
  rationaleMinLength: "",
  showModelNames: false,
  guidelines: "",
  rubric: rubricRows(DEFAULT_ASPECTS),
  overallRow: "0",
  advanced: "",
  ...over,
});

describe("batchFromForm: the unsupported-claims checkbox", () => {
  it("sets unsupportedClaims when ticked, for every task; the schema then adds the flag", () => {
    for (const task of ["pairwise", "ranking", "rating"]) {
      const result = batchFromForm(form({ task, unsupportedClaims: true }));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.batch.config.unsupportedClaims).toBe(true);
      expect(batchConfigSchema.parse(result.batch.config).flags).toEqual(["hallucination", "unsafe", UNSUPPORTED_CLAIM_FLAG]);
    }
  });

  it("leaves it out when not ticked or absent (the schema's default is off)", () => {
    for (const values of [form({ unsupportedClaims: false }), form()]) {
      const result = batchFromForm(values);
      expect(result.ok && result.batch.config).not.toHaveProperty("unsupportedClaims");
    }
  });

  it("says at the flags field when the flags leave no room for it", () => {
    const flags = Array.from({ length: 20 }, (_, i) => `flag_${i}`).join(",");
    const result = batchFromForm(form({ flags, unsupportedClaims: true }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.fields).toEqual({ flags: "20 flags leave no room for unsupported_claim, which marking unsupported claims adds: at most 19" });
  });

  it("the advanced JSON may set it too, and a service message about it lands at its checkbox", () => {
    const result = batchFromForm(form({ advanced: JSON.stringify({ unsupportedClaims: true }) }));
    expect(result.ok && result.batch.config.unsupportedClaims).toBe(true);
    expect(formFieldOf("config.unsupportedClaims", [])).toBe("unsupportedClaims");
    expect(formFieldOf("config.unsupportedClaims", ["unsupportedClaims"])).toBe("advanced");
  });
});
