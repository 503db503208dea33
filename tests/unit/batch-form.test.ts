import { describe, expect, it } from "vitest";
import { batchFromForm, formFieldOf, rubricRows, type BatchFormValues } from "../../app/core/tasks/batch-form";
import { DEFAULT_ASPECTS } from "../../app/core/tasks/config";

const form = (over: Partial<BatchFormValues> = {}): BatchFormValues => ({
  name: "  Trial ",
  dataset: "demo",
  task: "pairwise",
  overlap: "2",
  reviewers: ["ann", "bob"],
  pairing: "first-two",
  models: "",
  scale: "3-point",
  flags: "hallucination, unsafe,,",
  rationaleRequired: true,
  rationaleMinLength: "20",
  showModelNames: false,
  guidelines: "Be fair.",
  rubric: rubricRows(DEFAULT_ASPECTS),
  overallRow: "0",
  advanced: "",
  ...over,
});

function fieldsOf(values: BatchFormValues): Record<string, string> {
  const result = batchFromForm(values);
  if (result.ok) throw new Error(`expected the form to be refused: ${JSON.stringify(result.batch)}`);
  return result.fields;
}

function batchOf(values: BatchFormValues) {
  const result = batchFromForm(values);
  if (!result.ok) throw new Error(`expected the form to pass: ${JSON.stringify(result.fields)}`);
  return result;
}

describe("batchFromForm: the fields of the chosen task", () => {
  it("pairwise takes the scale and ignores the rubric, even a broken one", () => {
    const { batch } = batchOf(form({ rubric: [{ key: "Bad Key", label: "", min: "x", max: "" }] }));
    expect(batch).toEqual({
      name: "Trial",
      dataset: "demo",
      task: "pairwise",
      overlap: 2,
      reviewers: ["ann", "bob"],
      pairing: "first-two",
      config: { flags: ["hallucination", "unsafe"], showModelNames: false, guidelines: "Be fair.", rationale: { required: true, minLength: 20 }, scale: "3-point" },
    });
  });

  it("ranking takes neither the scale nor the rubric", () => {
    const { config } = batchOf(form({ task: "ranking", rubric: [] })).batch;
    expect(config).not.toHaveProperty("scale");
    expect(config).not.toHaveProperty("aspects");
    expect(config).not.toHaveProperty("overallAspect");
  });

  it("rating turns the filled rubric rows into aspects, leaves out blank rows and takes the overall row's key", () => {
    const rubric = [
      { key: "clarity", label: "Clarity", min: "1", max: "7" },
      { key: "", label: "", min: "", max: "" },
      { key: " correct ", label: " Correct ", min: "0", max: "3" },
    ];
    const { config } = batchOf(form({ task: "rating", rubric, overallRow: "2" })).batch;
    expect(config.aspects).toEqual([
      { key: "clarity", label: "Clarity", min: 1, max: 7 },
      { key: "correct", label: "Correct", min: 0, max: 3 },
    ]);
    expect(config.overallAspect).toBe("correct");
    expect(config).not.toHaveProperty("scale");
  });
});

describe("batchFromForm: messages next to the fields, naming the bad value", () => {
  it("names rubric values at their row, counting blank rows", () => {
    const rubric = [
      { key: "clarity", label: "Clarity", min: "one", max: "5" },
      { key: "", label: "", min: "", max: "" },
      { key: "tone", label: "Tone", min: "4", max: "2" },
    ];
    expect(fieldsOf(form({ task: "rating", rubric }))).toEqual({ "rubric.0.min": 'min "one" is not a whole number' });
    rubric[0]!.min = "1";
    expect(fieldsOf(form({ task: "rating", rubric }))).toEqual({ "rubric.2.max": 'aspect "tone": max 2 must be greater than min 4' });
    rubric[2] = { key: "Clarity", label: "Again", min: "1", max: "5" };
    expect(fieldsOf(form({ task: "rating", rubric }))["rubric.2.key"]).toBe(
      "\"Clarity\" is not a valid key: use lower-case letters, digits and '_', starting with a letter (at most 32)",
    );
    rubric[2] = { key: "clarity", label: "Again", min: "1", max: "5" };
    expect(fieldsOf(form({ task: "rating", rubric }))).toEqual({ "rubric.2.key": 'aspect key "clarity" is used twice' });
    rubric[2] = { key: "extra", label: "", min: "1", max: "5" };
    expect(fieldsOf(form({ task: "rating", rubric }))).toEqual({ "rubric.2.label": "a label is required" });
  });

  it("asks for an overall aspect and at least one aspect", () => {
    const rubric = [
      { key: "clarity", label: "Clarity", min: "1", max: "5" },
      { key: "", label: "", min: "", max: "" },
    ];
    expect(fieldsOf(form({ task: "rating", rubric, overallRow: "1" }))).toEqual({ overallAspect: "choose which aspect is overall" });
    expect(fieldsOf(form({ task: "rating", rubric, overallRow: "" }))).toEqual({ overallAspect: "choose which aspect is overall" });
    expect(fieldsOf(form({ task: "rating", rubric: [rubric[1]!], overallRow: "0" }))).toMatchObject({ rubric: "add at least one aspect" });
  });

  it("names the overlap, the minimum length, the flags, the task and the models", () => {
    expect(fieldsOf(form({ overlap: "two" }))).toEqual({ overlap: 'overlap "two" is not a whole number' });
    expect(fieldsOf(form({ overlap: " " }))).toEqual({ overlap: "overlap is required" });
    expect(fieldsOf(form({ rationaleMinLength: "1.5" }))).toEqual({ rationaleMinLength: 'the minimum length "1.5" is not a whole number' });
    expect(fieldsOf(form({ rationaleMinLength: "-3" }))).toEqual({ rationaleMinLength: "-3 is below 0" });
    expect(fieldsOf(form({ flags: "unsafe, Off Topic" }))).toEqual({
      flags: "\"Off Topic\" is not a valid key: use lower-case letters, digits and '_', starting with a letter (at most 32)",
    });
    expect(fieldsOf(form({ task: "survey" }))).toEqual({ task: '"survey" is not a task: use pairwise, ranking, rating' });
    expect(fieldsOf(form({ pairing: "models", models: " atlas-7b, " }))).toEqual({ models: 'enter at least two model names, comma-separated (got only "atlas-7b")' });
    expect(fieldsOf(form({ pairing: "models", models: " " }))).toEqual({ models: "enter at least two model names, comma-separated" });
    expect(fieldsOf(form({ name: " ", reviewers: [] }))).toEqual({ name: "enter a name", reviewers: "choose at least one reviewer" });
  });

  it("builds the models pairing from the list", () => {
    expect(batchOf(form({ pairing: "models", models: "atlas-7b, nonexistent-model" })).batch.pairing).toBe("models:atlas-7b,nonexistent-model");
  });
});

describe("batchFromForm: random pairs, sample, strata and seed", () => {
  it("builds random:K and passes the selection on as numbers; blank fields ask for nothing", () => {
    const { batch } = batchOf(form({ pairing: "random", pairs: " 3 ", sample: "50", stratify: " topic ", seed: "7" }));
    expect(batch).toMatchObject({ pairing: "random:3", sample: 50, stratify: "topic", seed: 7 });
    const plain = batchOf(form({ pairs: "x", sample: " ", stratify: "", seed: "" })).batch;
    expect(plain.pairing).toBe("first-two");
    expect(plain).not.toHaveProperty("sample");
    expect(plain).not.toHaveProperty("stratify");
    expect(plain).not.toHaveProperty("seed");
  });

  it("names a K, sample or seed that is not a whole number at its field", () => {
    expect(fieldsOf(form({ pairing: "random", pairs: "two" }))).toEqual({ pairs: 'the number of pairs "two" is not a whole number' });
    expect(fieldsOf(form({ pairing: "random", pairs: "" }))).toEqual({ pairs: "the number of pairs is required" });
    expect(fieldsOf(form({ sample: "1e3", seed: "4.5" }))).toEqual({ sample: 'the sample "1e3" is not a whole number', seed: 'the seed "4.5" is not a whole number' });
  });

  it("puts the service's pairing message at the K field for random pairs, and its selection messages at their fields", () => {
    const result = batchOf(form({ pairing: "random", pairs: "0" }));
    expect(result.fieldOf("pairing")).toBe("pairs");
    expect(result.fieldOf("stratify")).toBe("stratify");
    expect(result.fieldOf("sample")).toBe("sample");
  });
});

describe("batchFromForm: adaptive pairing", () => {
  it("passes the round size and the budget on as numbers, blank ones not at all, and ignores them for other pairings", () => {
    const { batch } = batchOf(form({ pairing: "adaptive", roundSize: " 20 ", adaptiveItems: "200" }));
    expect(batch).toMatchObject({ pairing: "adaptive", roundSize: 20, adaptiveItems: 200 });
    const defaults = batchOf(form({ pairing: "adaptive", roundSize: "", adaptiveItems: " " })).batch;
    expect(defaults).not.toHaveProperty("roundSize");
    expect(defaults).not.toHaveProperty("adaptiveItems");
    expect(batchOf(form({ pairing: "all-pairs", roundSize: "20" })).batch).not.toHaveProperty("roundSize");
  });

  it("names a round size or budget that is not a whole number at its field", () => {
    expect(fieldsOf(form({ pairing: "adaptive", roundSize: "ten", adaptiveItems: "2.5" }))).toEqual({
      roundSize: 'the round size "ten" is not a whole number',
      adaptiveItems: 'the number of items "2.5" is not a whole number',
    });
  });
});

describe("batchFromForm: the advanced JSON", () => {
  it("is laid over the form's config key by key", () => {
    const { config } = batchOf(form({ advanced: '{"scale": "7-point", "leaseMinutes": 90}' })).batch;
    expect(config.scale).toBe("7-point");
    expect(config.leaseMinutes).toBe(90);
    expect(config.flags).toEqual(["hallucination", "unsafe"]);
  });

  it("reports what it set at the advanced field, with the path", () => {
    expect(fieldsOf(form({ advanced: '{"leaseMinutes": 0}' }))).toEqual({ advanced: "leaseMinutes: 0 minutes is below 1" });
    expect(fieldsOf(form({ task: "rating", advanced: '{"aspects": [{"key": "overall", "label": "O", "min": 3, "max": 3}]}' }))).toEqual({
      advanced: 'aspects.0.max: aspect "overall": max 3 must be greater than min 3',
    });
  });

  it("names JSON that is not an object", () => {
    expect(fieldsOf(form({ advanced: "[1, 2]" }))).toEqual({ advanced: "[1,2] is not a JSON object" });
    expect(fieldsOf(form({ advanced: "{scale: 3}" })).advanced).toMatch(/^not valid JSON: /);
  });
});

describe("where service messages go", () => {
  it("maps config paths to form fields, rubric rows through the blank rows", () => {
    expect(formFieldOf("config.aspects.1.max", [], [0, 2])).toBe("rubric.2.max");
    expect(formFieldOf("config.aspects", [], [0, 2])).toBe("rubric");
    expect(formFieldOf("config.aspects.1.max", ["aspects"], [0, 2])).toBe("advanced");
    expect(formFieldOf("config.rationale.minLength", [])).toBe("rationaleMinLength");
    expect(formFieldOf("config.flags.3", [])).toBe("flags");
    expect(formFieldOf("config.leaseMinutes", [])).toBe("advanced");
    expect(formFieldOf("overlap", [])).toBe("overlap");
  });

  it("puts a pairing message at the models field when the form chose models", () => {
    expect(batchOf(form({ pairing: "models", models: "a,b" })).fieldOf("pairing")).toBe("models");
    expect(batchOf(form({ pairing: "all-pairs" })).fieldOf("pairing")).toBe("pairing");
  });
});

describe("batchFromForm: quality checks", () => {
  it("leaves the config's gold and self-consistency to the schema's defaults when the fields are blank", () => {
    const { batch } = batchOf(form());
    expect(batch.config.gold).toBeUndefined();
    expect(batch.config.selfConsistency).toBeUndefined();
  });

  it("lays each filled field over the defaults", () => {
    const { batch } = batchOf(form({ goldRate: "0.2", goldMinItems: "3", selfConsistencyShare: "0.05" }));
    expect(batch.config.gold).toEqual({ rate: 0.2, threshold: 0.7, minItems: 3, tolerance: 0 });
    expect(batch.config.selfConsistency).toEqual({ share: 0.05 });
  });

  it("puts each message next to its field", () => {
    expect(fieldsOf(form({ goldThreshold: "most" }))).toEqual({ goldThreshold: 'the gold threshold "most" is not a number' });
    expect(fieldsOf(form({ goldRate: "0.9" }))).toEqual({ goldRate: expect.stringMatching(/more than 0.5: at most half/) });
    expect(fieldsOf(form({ selfConsistencyShare: "0.6" }))).toEqual({ selfConsistencyShare: expect.stringMatching(/more than 0.5/) });
    expect(formFieldOf("config.gold.minItems", [])).toBe("goldMinItems");
    expect(formFieldOf("config.gold.minItems", ["gold"])).toBe("advanced");
  });
});
