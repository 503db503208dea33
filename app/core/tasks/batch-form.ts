import { batchConfigSchema, TASKS, type Task } from "./config";

/**
 * The new-batch form as a batch: only the fields of the chosen task count (the scale for
 * pairwise, the rubric for rating, neither for ranking), the rubric rows become aspects, and
 * the advanced JSON, when given, is laid over the result key by key. The config is checked
 * with the same schema the service uses, so each message lands next to the form field it is
 * about; the service checks everything again and stays the source of truth.
 */
export interface RubricRowValues {
  key: string;
  label: string;
  min: string;
  max: string;
}

export interface BatchFormValues {
  name: string;
  dataset: string;
  task: string;
  overlap: string;
  reviewers: string[];
  pairing: string;
  models: string;
  /** K of `random:K`, read when the pairing is "random". */
  pairs?: string;
  /** Prompts to draw; blank = all. */
  sample?: string;
  /** Metadata field to stratify by; blank = none. */
  stratify?: string;
  /** Blank = the default seed. */
  seed?: string;
  /** Adaptive pairing: items per round and the most items in all; blank = the service's defaults. */
  roundSize?: string;
  adaptiveItems?: string;
  scale: string;
  flags: string;
  rationaleRequired: boolean;
  rationaleMinLength: string;
  showModelNames: boolean;
  /** "Ask reviewers to mark claims not supported by the context"; absent = off. */
  unsupportedClaims?: boolean;
  guidelines: string;
  rubric: RubricRowValues[];
  /** Index in `rubric` of the row whose scores become preference pairs. */
  overallRow: string;
  /** Quality checks (gold items, self-consistency); blank = the schema's default. */
  goldRate?: string;
  goldThreshold?: string;
  goldMinItems?: string;
  goldTolerance?: string;
  selfConsistencyShare?: string;
  advanced: string;
}

/** The quality-check fields of the form, with the config keys they set. */
const QUALITY_FIELDS = [
  ["goldRate", "gold", "rate", "the gold rate"],
  ["goldThreshold", "gold", "threshold", "the gold threshold"],
  ["goldMinItems", "gold", "minItems", "the number of gold items"],
  ["goldTolerance", "gold", "tolerance", "the rating tolerance"],
  ["selfConsistencyShare", "selfConsistency", "share", "the repeated share"],
] as const;

export interface BatchFromForm {
  name: string;
  dataset: string;
  task: Task;
  overlap: number;
  reviewers: string[];
  pairing: string;
  sample?: number;
  stratify?: string;
  seed?: number;
  roundSize?: number;
  adaptiveItems?: number;
  config: Record<string, unknown>;
}

export type BatchFormResult =
  | {
      ok: true;
      batch: BatchFromForm;
      /** The form field a message of the service (`details.fields`) belongs to. */
      fieldOf: (serviceField: string) => string;
    }
  | { ok: false; fields: Record<string, string> };

/** The rubric the form starts with: DEFAULT_ASPECTS as rows. */
export function rubricRows(aspects: ReadonlyArray<{ key: string; label: string; min: number; max: number }>): RubricRowValues[] {
  return aspects.map((a) => ({ key: a.key, label: a.label, min: String(a.min), max: String(a.max) }));
}

function wholeNumber(text: string, what: string): { value: number } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { error: `${what} is required` };
  if (!/^-?\d+$/.test(trimmed)) return { error: `${what} ${JSON.stringify(text)} is not a whole number` };
  return { value: Number(trimmed) };
}

const isBlank = (row: RubricRowValues) => !row.key.trim() && !row.label.trim() && !row.min.trim() && !row.max.trim();

export function batchFromForm(values: BatchFormValues): BatchFormResult {
  const fields: Record<string, string> = {};
  if (!values.name.trim()) fields.name = "enter a name";
  if (!values.dataset) fields.dataset = "choose a dataset";
  const task = TASKS.find((t) => t === values.task);
  if (!task) fields.task = `${JSON.stringify(values.task)} is not a task: use ${TASKS.join(", ")}`;
  const overlap = wholeNumber(values.overlap, "overlap");
  if ("error" in overlap) fields.overlap = overlap.error;
  if (values.reviewers.length === 0) fields.reviewers = "choose at least one reviewer";

  let pairing = values.pairing;
  if (values.pairing === "models") {
    const models = values.models.split(",").map((m) => m.trim()).filter(Boolean);
    if (models.length < 2) {
      fields.models = `enter at least two model names, comma-separated${models.length ? ` (got only ${JSON.stringify(models[0])})` : ""}`;
    }
    pairing = `models:${models.join(",")}`;
  }
  if (values.pairing === "random") {
    const k = wholeNumber(values.pairs ?? "", "the number of pairs");
    if ("error" in k) fields.pairs = k.error;
    else pairing = `random:${k.value}`;
  }
  // The selection: blank means "not asked for"; the service checks the values' ranges.
  const selection: { sample?: number; stratify?: string; seed?: number; roundSize?: number; adaptiveItems?: number } = {};
  for (const [key, what] of [["sample", "the sample"], ["seed", "the seed"]] as const) {
    if (!values[key]?.trim()) continue;
    const n = wholeNumber(values[key], what);
    if ("error" in n) fields[key] = n.error;
    else selection[key] = n.value;
  }
  if (values.stratify?.trim()) selection.stratify = values.stratify.trim();
  if (values.pairing === "adaptive") {
    for (const [key, what] of [["roundSize", "the round size"], ["adaptiveItems", "the number of items"]] as const) {
      if (!values[key]?.trim()) continue;
      const n = wholeNumber(values[key], what);
      if ("error" in n) fields[key] = n.error;
      else selection[key] = n.value;
    }
  }

  const config: Record<string, unknown> = {
    flags: values.flags.split(",").map((s) => s.trim()).filter(Boolean),
    showModelNames: values.showModelNames,
    guidelines: values.guidelines,
  };
  // Only when ticked: off is the schema's default, and the schema adds the unsupported_claim flag.
  if (values.unsupportedClaims) config.unsupportedClaims = true;
  const minLength = values.rationaleMinLength.trim() === "" ? { value: 0 } : wholeNumber(values.rationaleMinLength, "the minimum length");
  if ("error" in minLength) fields.rationaleMinLength = minLength.error;
  else config.rationale = { required: values.rationaleRequired, minLength: minLength.value };
  if (task === "pairwise") config.scale = values.scale;
  // Quality checks: a number per filled field, laid over the schema's defaults by the schema.
  for (const [field, group, key, what] of QUALITY_FIELDS) {
    const text = values[field]?.trim();
    if (!text) continue;
    const n = Number(text);
    if (!Number.isFinite(n)) {
      fields[field] = `${what} ${JSON.stringify(values[field])} is not a number`;
      continue;
    }
    const defaults = batchConfigSchema.parse({})[group] as Record<string, number>;
    config[group] = { ...defaults, ...(config[group] as Record<string, number> | undefined), [key]: n };
  }

  // Rating: each filled row is an aspect; rowOf maps an aspect back to its row for messages.
  const rowOf: number[] = [];
  if (task === "rating") {
    const aspects: Array<Record<string, unknown>> = [];
    values.rubric.forEach((row, i) => {
      if (isBlank(row)) return;
      const aspect: Record<string, unknown> = { key: row.key.trim(), label: row.label.trim() };
      for (const bound of ["min", "max"] as const) {
        const parsed = wholeNumber(row[bound], bound);
        if ("error" in parsed) fields[`rubric.${i}.${bound}`] = parsed.error;
        else aspect[bound] = parsed.value;
      }
      rowOf.push(i);
      aspects.push(aspect);
    });
    if (aspects.length === 0) fields.rubric = "add at least one aspect";
    config.aspects = aspects;
    const overall = values.rubric[Number(values.overallRow)];
    if (!/^\d+$/.test(values.overallRow) || !overall || isBlank(overall)) fields.overallAspect = "choose which aspect is overall";
    else config.overallAspect = overall.key.trim();
  }

  let advanced: Record<string, unknown> = {};
  if (values.advanced.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.advanced);
    } catch (error) {
      fields.advanced = `not valid JSON: ${(error as Error).message}`;
    }
    if (parsed !== undefined) {
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) advanced = parsed as Record<string, unknown>;
      else fields.advanced = `${JSON.stringify(parsed).slice(0, 40)} is not a JSON object`;
    }
  }
  const advancedKeys = Object.keys(advanced);
  Object.assign(config, advanced);

  if (Object.keys(fields).length === 0) {
    const checked = batchConfigSchema.safeParse(config);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = formFieldOf(["config", ...issue.path.map(String)].join("."), advancedKeys, rowOf);
        fields[field] ??= field === "advanced" ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
      }
    }
  }
  if (Object.keys(fields).length > 0 || !task || "error" in overlap) return { ok: false, fields };
  return {
    ok: true,
    fieldOf: (serviceField) => {
      const field = formFieldOf(serviceField, advancedKeys, rowOf);
      if (field !== "pairing") return field;
      return values.pairing === "models" ? "models" : values.pairing === "random" ? "pairs" : field;
    },
    batch: { name: values.name.trim(), dataset: values.dataset, task, overlap: overlap.value, reviewers: values.reviewers, pairing, ...selection, config },
  };
}

/**
 * The form field a service field message belongs to (`config.aspects.1.max` → `rubric.3.max`
 * when the rubric's fourth row became the second aspect). Whatever the advanced JSON set is
 * reported at the advanced field.
 */
export function formFieldOf(serviceField: string, advancedKeys: readonly string[], rowOf: readonly number[] = []): string {
  const [head, key, ...rest] = serviceField.split(".");
  if (head !== "config") return serviceField;
  if (key === undefined || advancedKeys.includes(key)) return "advanced";
  if (key === "aspects") {
    const [index, part] = rest;
    const row = index === undefined ? undefined : rowOf[Number(index)];
    return row === undefined || part === undefined ? "rubric" : `rubric.${row}.${part}`;
  }
  if (key === "rationale") return "rationaleMinLength";
  const quality = QUALITY_FIELDS.find(([, group, part]) => group === key && part === rest[0]);
  if (quality) return quality[0];
  if (key === "flags" || key === "scale" || key === "overallAspect" || key === "guidelines" || key === "unsupportedClaims") return key;
  return "advanced";
}
