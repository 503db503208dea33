/**
 * A Hugging Face dataset card (README.md with a YAML header) for an export, so the file can be
 * pushed to the Hub as it is and says how it was made.
 * Header keys: https://huggingface.co/docs/hub/datasets-cards
 */
import { DEFAULT_LICENSE } from "./licenses";

export interface CardInput {
  title: string;
  dataFile: string;
  format: string;
  rows: number;
  sha256: string;
  createdAt: Date;
  options: Record<string, unknown>;
  batch: { id: string; name: string; task: string; overlap: number; dataset: string; items: number; judgments: number; reviewers: number };
  /** A Hub licence identifier (licenses.ts); absent means `unknown`, never a silent `other`. */
  license?: string;
  /** For `license: other` only: the licence's id and where its text is (validated by licenseProblems). */
  licenseName?: string;
  licenseLink?: string;
  /** Agreement figures, when the statistics are available: label → value. */
  agreement?: Record<string, number | null>;
}

/** Hugging Face's size buckets. */
export function sizeCategory(rows: number): string {
  const buckets: Array<[number, string]> = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
    [1e9, "100M<n<1B"],
    [1e10, "1B<n<10B"],
    [1e11, "10B<n<100B"],
    [1e12, "100B<n<1T"],
  ];
  return buckets.find(([limit]) => rows < limit)?.[1] ?? "n>1T";
}

const YAML_WORDS = new Set(["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]);

/** YAML needs quoting for strings that could read as something else (booleans, numbers, nulls, block indicators). */
function yamlString(value: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_./<>-]*$/.test(value) && !YAML_WORDS.has(value.toLowerCase());
  return plain ? value : JSON.stringify(value);
}

/** What the rows are, by whose judgments the export read (`judged_by`). */
const DATA_WORDS: Record<string, string> = {
  human: "Human preference data",
  "llm-judge": "Preference data from an LLM judge's verdicts (no human judgments)",
  both: "Human and LLM-judge preference data",
};

export function datasetCard(input: CardInput): string {
  const header = [
    "---",
    `license: ${yamlString(input.license ?? DEFAULT_LICENSE)}`,
    ...(input.license === "other"
      ? [`license_name: ${yamlString(input.licenseName ?? "")}`, `license_link: ${yamlString(input.licenseLink ?? "")}`]
      : []),
    "task_categories:",
    "- text-generation",
    "tags:",
    "- rlhf",
    "- preference",
    ...(input.options.judged_by === "llm-judge" ? ["- llm-as-a-judge"] : input.options.judged_by === "both" ? ["- human-feedback", "- llm-as-a-judge"] : ["- human-feedback"]),
    `- ${yamlString(input.format)}`,
    "size_categories:",
    `- ${yamlString(sizeCategory(input.rows))}`,
    "configs:",
    "- config_name: default",
    "  data_files:",
    "  - split: train",
    `    path: ${yamlString(input.dataFile)}`,
    "---",
  ];
  const options = Object.entries(input.options)
    .map(([key, value]) => `| \`${key}\` | \`${JSON.stringify(value)}\` |`)
    .join("\n");
  const agreement = input.agreement
    ? ["", "## Agreement", "", "| statistic | value |", "| --- | --- |", ...Object.entries(input.agreement).map(([k, v]) => `| ${k} | ${v === null ? "undefined" : v.toFixed(3)} |`)]
    : [];
  const b = input.batch;
  return [
    ...header,
    "",
    `# ${input.title}`,
    "",
    `${DATA_WORDS[String(input.options.judged_by)] ?? DATA_WORDS.human} exported by Verdict from batch “${b.name}” (\`${b.id}\`) of dataset “${b.dataset}”, in the \`${input.format}\` format.`,
    "",
    "| | |",
    "| --- | --- |",
    `| task | ${b.task} |`,
    `| items | ${b.items} |`,
    `| judgments | ${b.judgments} |`,
    `| reviewers | ${b.reviewers} (pseudonymized) |`,
    `| overlap | ${b.overlap} |`,
    `| rows | ${input.rows} |`,
    `| file | \`${input.dataFile}\` |`,
    `| sha256 | \`${input.sha256}\` |`,
    `| exported | ${input.createdAt.toISOString()} |`,
    "",
    "## Export options",
    "",
    "| option | value |",
    "| --- | --- |",
    options,
    ...agreement,
    "",
  ].join("\n");
}
