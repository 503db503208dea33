import { describe, expect, it } from "vitest";
import {
  DEFAULT_ASPECTS,
  DEFAULT_FLAGS,
  MAX_RANKING_RESPONSES,
  TASKS,
  aspectSchema,
  batchConfigSchema,
} from "../../app/core/tasks/config";

/** The slug message names the refused value. */
const slugMessage = (value: string) => `${JSON.stringify(value)} is not a valid key: use lower-case letters, digits and '_', starting with a letter (at most 32)`;

/** The issues of a failed parse as plain {path, message} pairs. */
function issuesOf(input: unknown): { path: PropertyKey[]; message: string }[] {
  const result = batchConfigSchema.safeParse(input);
  if (result.success) throw new Error(`expected the config to be refused: ${JSON.stringify(input)}`);
  return result.error.issues.map((i) => ({ path: i.path, message: i.message }));
}

function customIssuesOf(input: unknown): { path: PropertyKey[]; message: string }[] {
  const result = batchConfigSchema.safeParse(input);
  if (result.success) throw new Error(`expected the config to be refused: ${JSON.stringify(input)}`);
  return result.error.issues.filter((i) => i.code === "custom").map((i) => ({ path: i.path, message: i.message }));
}

describe("constants", () => {
  it("lists the three tasks", () => {
    expect(TASKS).toEqual(["pairwise", "ranking", "rating"]);
  });

  it("has the six default flags of DESIGN.md §3", () => {
    expect(DEFAULT_FLAGS).toEqual(["hallucination", "unsafe", "refusal", "incomplete", "off_topic", "pii"]);
  });

  it("has four default aspects on a 1–5 scale, overall first", () => {
    expect(DEFAULT_ASPECTS).toEqual([
      { key: "overall", label: "Overall", min: 1, max: 5 },
      { key: "helpfulness", label: "Helpfulness", min: 1, max: 5 },
      { key: "honesty", label: "Honesty", min: 1, max: 5 },
      { key: "harmlessness", label: "Harmlessness", min: 1, max: 5 },
    ]);
  });

  it("allows at most 9 responses in a ranking item", () => {
    expect(MAX_RANKING_RESPONSES).toBe(9);
  });
});

describe("batchConfigSchema defaults", () => {
  it("fills every field when given {}", () => {
    expect(batchConfigSchema.parse({})).toEqual({
      scale: "7-point",
      flags: ["hallucination", "unsafe", "refusal", "incomplete", "off_topic", "pii"],
      aspects: [
        { key: "overall", label: "Overall", min: 1, max: 5 },
        { key: "helpfulness", label: "Helpfulness", min: 1, max: 5 },
        { key: "honesty", label: "Honesty", min: 1, max: 5 },
        { key: "harmlessness", label: "Harmlessness", min: 1, max: 5 },
      ],
      overallAspect: "overall",
      rationale: { required: false, minLength: 0 },
      showModelNames: false,
      guidelines: "",
      gold: { rate: 0.1, threshold: 0.7, minItems: 5, tolerance: 0 },
      selfConsistency: { share: 0 },
      leaseMinutes: 30,
      unsupportedClaims: false,
    });
  });

  it("fills the missing half of a partial rationale rule", () => {
    expect(batchConfigSchema.parse({ rationale: { required: true } }).rationale).toEqual({ required: true, minLength: 0 });
    expect(batchConfigSchema.parse({ rationale: { minLength: 40 } }).rationale).toEqual({ required: false, minLength: 40 });
  });

  it("defaults an aspect's min to 1 and max to 5", () => {
    expect(batchConfigSchema.parse({ aspects: [{ key: "overall", label: "Overall" }] }).aspects).toEqual([
      { key: "overall", label: "Overall", min: 1, max: 5 },
    ]);
    expect(aspectSchema.parse({ key: "tone", label: "Tone", max: 7 })).toEqual({ key: "tone", label: "Tone", min: 1, max: 7 });
  });

  it("keeps given values instead of the defaults", () => {
    const config = batchConfigSchema.parse({
      scale: "3-point",
      flags: ["toxic"],
      aspects: [
        { key: "quality", label: "Quality", min: 0, max: 10 },
        { key: "style", label: "Style", min: -2, max: 2 },
      ],
      overallAspect: "quality",
      rationale: { required: true, minLength: 20 },
      showModelNames: true,
      guidelines: "Be kind.",
      gold: { rate: 0.25, threshold: 0.8, minItems: 3, tolerance: 1 },
      selfConsistency: { share: 0.2 },
      leaseMinutes: 90,
      unsupportedClaims: false,
    });
    expect(config).toEqual({
      scale: "3-point",
      flags: ["toxic"],
      aspects: [
        { key: "quality", label: "Quality", min: 0, max: 10 },
        { key: "style", label: "Style", min: -2, max: 2 },
      ],
      overallAspect: "quality",
      rationale: { required: true, minLength: 20 },
      showModelNames: true,
      guidelines: "Be kind.",
      gold: { rate: 0.25, threshold: 0.8, minItems: 3, tolerance: 1 },
      selfConsistency: { share: 0.2 },
      leaseMinutes: 90,
      unsupportedClaims: false,
    });
  });

  it("accepts an empty flag list", () => {
    expect(batchConfigSchema.parse({ flags: [] }).flags).toEqual([]);
  });
});

describe("batchConfigSchema refinements", () => {
  it("refuses an overallAspect that is not one of the aspects, at path overallAspect, naming it and the aspects", () => {
    expect(issuesOf({ overallAspect: "clarity" })).toEqual([
      { path: ["overallAspect"], message: 'overallAspect "clarity" is not one of the aspects (overall, helpfulness, honesty, harmlessness)' },
    ]);
  });

  it("refuses custom aspects without 'overall' when overallAspect is left at its default", () => {
    expect(issuesOf({ aspects: [{ key: "quality", label: "Quality" }] })).toEqual([
      { path: ["overallAspect"], message: 'overallAspect "overall" is not one of the aspects (quality)' },
    ]);
  });

  it("refuses an aspect whose min equals its max, at that aspect's max", () => {
    expect(
      issuesOf({
        aspects: [
          { key: "overall", label: "Overall" },
          { key: "tone", label: "Tone", min: 3, max: 3 },
        ],
      }),
    ).toEqual([{ path: ["aspects", 1, "max"], message: 'aspect "tone": max 3 must be greater than min 3' }]);
  });

  it("refuses an aspect whose min exceeds its max (including against the default max of 5)", () => {
    expect(issuesOf({ aspects: [{ key: "overall", label: "Overall", min: 5, max: 1 }] })).toEqual([
      { path: ["aspects", 0, "max"], message: 'aspect "overall": max 1 must be greater than min 5' },
    ]);
    expect(issuesOf({ aspects: [{ key: "overall", label: "Overall", min: 6 }] })).toEqual([
      { path: ["aspects", 0, "max"], message: 'aspect "overall": max 5 must be greater than min 6' },
    ]);
  });

  it("accepts min one below max", () => {
    expect(batchConfigSchema.parse({ aspects: [{ key: "overall", label: "Overall", min: 0, max: 1 }] }).aspects).toEqual([
      { key: "overall", label: "Overall", min: 0, max: 1 },
    ]);
  });

  it("refuses duplicate aspect keys, at the second one's key", () => {
    expect(
      issuesOf({
        aspects: [
          { key: "overall", label: "Overall" },
          { key: "overall", label: "Overall again" },
        ],
      }),
    ).toEqual([{ path: ["aspects", 1, "key"], message: 'aspect key "overall" is used twice' }]);
  });

  it("reports every failing refinement at once", () => {
    expect(
      issuesOf({
        aspects: [
          { key: "tone", label: "Tone", min: 4, max: 2 },
          { key: "tone", label: "Tone 2" },
        ],
      }),
    ).toEqual([
      { path: ["overallAspect"], message: 'overallAspect "overall" is not one of the aspects (tone, tone)' },
      { path: ["aspects", 0, "max"], message: 'aspect "tone": max 2 must be greater than min 4' },
      { path: ["aspects", 1, "key"], message: 'aspect key "tone" is used twice' },
    ]);
  });
});

describe("batchConfigSchema slugs", () => {
  it.each(["a", "off_topic", "pii", "x9", "a_b_c_1", "a".repeat(32)])("accepts the flag %j", (flag) => {
    expect(batchConfigSchema.parse({ flags: [flag] }).flags).toEqual([flag]);
  });

  it.each(["", "Unsafe", "9lives", "_hidden", "off-topic", "off topic", "é", "a".repeat(33), "unsafe!"])(
    "refuses the flag %j with the slug message naming it, at its index",
    (flag) => {
      expect(issuesOf({ flags: ["unsafe", flag] })).toEqual([{ path: ["flags", 1], message: slugMessage(flag) }]);
    },
  );

  it.each(["overall_2", "q"])("accepts the aspect key %j", (key) => {
    const config = batchConfigSchema.parse({ aspects: [{ key, label: "L" }], overallAspect: key });
    expect(config.aspects[0]!.key).toBe(key);
    expect(config.overallAspect).toBe(key);
  });

  it.each(["Overall", "1st", "help-fulness", "_x", "a".repeat(33)])(
    "refuses the aspect key %j with the slug message at aspects.N.key",
    (key) => {
      const issues = issuesOf({
        aspects: [
          { key: "overall", label: "Overall" },
          { key, label: "Bad" },
        ],
      });
      expect(issues).toContainEqual({ path: ["aspects", 1, "key"], message: slugMessage(key) });
      expect(issues.filter((i) => i.message.includes("is not a valid key"))).toHaveLength(1);
    },
  );

  it("refuses an overallAspect that is not a slug", () => {
    const issues = issuesOf({ aspects: [{ key: "overall", label: "Overall" }], overallAspect: "Overall" });
    expect(issues).toContainEqual({ path: ["overallAspect"], message: slugMessage("Overall") });
  });
});

describe("batchConfigSchema messages name the refused value", () => {
  it("for bounds, labels, numbers and the scale", () => {
    const flags = Array.from({ length: 21 }, (_, i) => `f${i}`);
    expect(issuesOf({ flags })).toEqual([{ path: ["flags"], message: "21 flags are more than 20" }]);
    expect(issuesOf({ aspects: [] })[0]).toEqual({ path: ["aspects"], message: "at least one aspect" });
    expect(issuesOf({ aspects: [{ key: "overall", label: "" }] })).toEqual([{ path: ["aspects", 0, "label"], message: "a label is required" }]);
    expect(issuesOf({ aspects: [{ key: "overall", label: "L".repeat(61) }] })[0]!.message).toBe(`label "${"L".repeat(61)}" is longer than 60 characters`);
    expect(issuesOf({ aspects: [{ key: "overall", label: "Overall", min: 1.5 }] })).toEqual([{ path: ["aspects", 0, "min"], message: "1.5 is not a whole number" }]);
    expect(issuesOf({ aspects: [{ key: "overall", label: "Overall", max: "7" }] })).toEqual([{ path: ["aspects", 0, "max"], message: '"7" is not a number' }]);
    expect(issuesOf({ scale: "5-point" })).toEqual([{ path: ["scale"], message: '"5-point" is not a scale: use 7-point or 3-point' }]);
    expect(issuesOf({ rationale: { minLength: -1 } })).toEqual([{ path: ["rationale", "minLength"], message: "-1 is below 0" }]);
    expect(issuesOf({ rationale: { minLength: 5001 } })).toEqual([{ path: ["rationale", "minLength"], message: "5001 is more than 5000 characters" }]);
    expect(issuesOf({ leaseMinutes: 0 })).toEqual([{ path: ["leaseMinutes"], message: "0 minutes is below 1" }]);
    expect(issuesOf({ guidelines: "g".repeat(50_001) })).toEqual([{ path: ["guidelines"], message: "the guidelines are 50,001 characters, more than 50,000" }]);
  });
});

describe("batchConfigSchema bounds", () => {
  it("accepts 20 flags and refuses 21", () => {
    const flags = Array.from({ length: 21 }, (_, i) => `f${i}`);
    expect(batchConfigSchema.parse({ flags: flags.slice(0, 20) }).flags).toHaveLength(20);
    expect(issuesOf({ flags }).map((i) => i.path)).toEqual([["flags"]]);
  });

  it("refuses an empty aspect list", () => {
    const result = batchConfigSchema.safeParse({ aspects: [] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.code, i.path])).toEqual([
      ["too_small", ["aspects"]],
      ["custom", ["overallAspect"]],
    ]);
  });

  it("accepts 8 aspects and refuses 9", () => {
    const aspects = Array.from({ length: 9 }, (_, i) => ({ key: i === 0 ? "overall" : `a${i}`, label: `A${i}` }));
    expect(batchConfigSchema.parse({ aspects: aspects.slice(0, 8) }).aspects).toHaveLength(8);
    const issues = issuesOf({ aspects });
    expect(issues.map((i) => i.path)).toEqual([["aspects"]]);
    expect(customIssuesOf({ aspects })).toEqual([]);
  });

  it("refuses an empty or over-long aspect label", () => {
    expect(issuesOf({ aspects: [{ key: "overall", label: "" }] }).map((i) => i.path)).toEqual([["aspects", 0, "label"]]);
    expect(batchConfigSchema.parse({ aspects: [{ key: "overall", label: "L".repeat(60) }] }).aspects[0]!.label).toHaveLength(60);
    expect(issuesOf({ aspects: [{ key: "overall", label: "L".repeat(61) }] }).map((i) => i.path)).toEqual([
      ["aspects", 0, "label"],
    ]);
  });

  it("refuses non-integer aspect bounds", () => {
    expect(issuesOf({ aspects: [{ key: "overall", label: "Overall", min: 1.5 }] }).map((i) => i.path)).toEqual([
      ["aspects", 0, "min"],
    ]);
  });

  it("refuses an unknown scale", () => {
    expect(issuesOf({ scale: "5-point" }).map((i) => i.path)).toEqual([["scale"]]);
  });

  it("bounds leaseMinutes to 1 minute .. 7 days, integers only", () => {
    expect(batchConfigSchema.parse({ leaseMinutes: 1 }).leaseMinutes).toBe(1);
    expect(batchConfigSchema.parse({ leaseMinutes: 10080 }).leaseMinutes).toBe(10080);
    expect(issuesOf({ leaseMinutes: 0 }).map((i) => i.path)).toEqual([["leaseMinutes"]]);
    expect(issuesOf({ leaseMinutes: 10081 }).map((i) => i.path)).toEqual([["leaseMinutes"]]);
    expect(issuesOf({ leaseMinutes: 2.5 }).map((i) => i.path)).toEqual([["leaseMinutes"]]);
  });

  it("bounds the rationale minLength to 0..5000", () => {
    expect(batchConfigSchema.parse({ rationale: { required: true, minLength: 5000 } }).rationale.minLength).toBe(5000);
    expect(issuesOf({ rationale: { minLength: 5001 } }).map((i) => i.path)).toEqual([["rationale", "minLength"]]);
    expect(issuesOf({ rationale: { minLength: -1 } }).map((i) => i.path)).toEqual([["rationale", "minLength"]]);
  });

  it("bounds the guidelines to 50 000 characters", () => {
    expect(batchConfigSchema.parse({ guidelines: "g".repeat(50_000) }).guidelines).toHaveLength(50_000);
    expect(issuesOf({ guidelines: "g".repeat(50_001) }).map((i) => i.path)).toEqual([["guidelines"]]);
  });
});
