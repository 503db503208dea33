import type { ExportFormat } from "./mappers";

/**
 * Tabular export files (CSV, Parquet): each export format's rows as one fixed list of columns.
 *
 * The columns come from the format, not from the first row, so every file of a format has the
 * same header or schema whatever its rows hold, and an export with no rows still has one. A
 * value that is not flat (a message list, a payload object) is one cell holding its JSON text.
 * A unit test holds each list to the keys its mapper writes; a row with a key the list lacks
 * is refused rather than silently cut.
 */
export type CellKind = "text" | "json" | "integer" | "boolean";

export interface TabularColumn {
  name: string;
  kind: CellKind;
  /** The value may be null (an empty CSV cell, a Parquet null). */
  nullable?: boolean;
}

const text = (name: string): TabularColumn => ({ name, kind: "text" });
const json = (name: string): TabularColumn => ({ name, kind: "json" });

const integer = (name: string): TabularColumn => ({ name, kind: "integer" });
const boolean = (name: string): TabularColumn => ({ name, kind: "boolean" });

/** Each format's own columns, without the option-dependent ones (`tabularColumns` adds them). */
export const TABULAR_COLUMNS: Record<ExportFormat, readonly TabularColumn[]> = {
  "trl-preference": [text("prompt"), text("chosen"), text("rejected")],
  "trl-preference-chat": [json("prompt"), json("chosen"), json("rejected")],
  "trl-reward": [json("chosen"), json("rejected"), integer("margin")],
  "trl-kto": [text("prompt"), text("completion"), boolean("label")],
  "trl-kto-chat": [json("prompt"), json("completion"), boolean("label")],
  "trl-sft": [text("prompt"), text("completion")],
  "trl-sft-chat": [json("prompt"), json("completion")],
  prompts: [json("prompt")],
  "openai-dpo": [json("input"), json("preferred_output"), json("non_preferred_output")],
  "hh-rlhf": [text("chosen"), text("rejected")],
  rankings: [text("prompt_id"), json("prompt"), json("responses"), json("tiers"), text("reviewer"), text("source")],
  judgments: [
    text("judgment_id"),
    text("item_id"),
    text("prompt_id"),
    text("task"),
    text("reviewer"),
    text("source"),
    boolean("skipped"),
    json("responses"),
    json("shown_order"),
    text("preferred"),
    integer("strength"),
    boolean("both_bad"),
    json("tiers"),
    json("scores"),
    json("flags"),
    text("rationale"),
    { name: "duration_ms", kind: "integer", nullable: true },
    text("created_at"),
    text("updated_at"),
  ],
};

/** The `--with-ids` columns (mappers.ts `pairTrace`, `bestTrace`, `promptTrace`), by the kind of row. */
const PAIR_TRACE = [text("prompt_id"), text("chosen_model"), text("rejected_model"), integer("strength"), json("reviewers"), text("batch_id")];
const BEST_TRACE = [text("prompt_id"), text("model"), integer("strength"), json("reviewers"), text("batch_id")];
const PROMPT_TRACE = [text("prompt_id"), text("batch_id")];
const TRACE: Partial<Record<ExportFormat, readonly TabularColumn[]>> = {
  "trl-preference": PAIR_TRACE,
  "trl-preference-chat": PAIR_TRACE,
  "trl-reward": PAIR_TRACE,
  "trl-kto": PAIR_TRACE,
  "trl-kto-chat": PAIR_TRACE,
  "openai-dpo": PAIR_TRACE,
  "hh-rlhf": PAIR_TRACE,
  "trl-sft": BEST_TRACE,
  "trl-sft-chat": BEST_TRACE,
  prompts: PROMPT_TRACE,
};

/** The `judged_by` llm-judge / both columns of `judgments` (mappers.ts `judgments`, `judgeColumns`). */
const JUDGE_COLUMNS = [text("judge_model"), text("template_hash"), boolean("swapped")];
/** The `include_context` columns (mappers.ts `sourcesColumns`), last on every format. */
const SOURCE_COLUMNS: readonly TabularColumn[] = [{ name: "reference", kind: "text", nullable: true }, json("context")];

export interface TabularOptions {
  withIds: boolean;
  withText: boolean;
  /** `include_context`: the prompt's reference and context documents. */
  includeContext?: boolean;
  /** `judged_by` llm-judge or both: `judgments` rows say which judge, and whether swapped. */
  judgeColumns?: boolean;
}

/**
 * A format's columns under the options that add keys: `with_ids` appends the trace columns,
 * `with_text` puts `prompt` into `judgments` after `skipped` (where the mapper writes it),
 * `judged_by` other than human appends the judge columns to `judgments`, and `include_context`
 * appends `reference` and `context` to every format.
 */
export function tabularColumns(format: ExportFormat, options: TabularOptions): readonly TabularColumn[] {
  let columns = TABULAR_COLUMNS[format];
  if (format === "judgments" && options.withText) {
    const at = columns.findIndex((c) => c.name === "skipped") + 1;
    columns = [...columns.slice(0, at), json("prompt"), ...columns.slice(at)];
  } else if (options.withIds) {
    columns = [...columns, ...(TRACE[format] ?? [])];
  }
  if (format === "judgments" && options.judgeColumns) columns = [...columns, ...JUDGE_COLUMNS];
  if (options.includeContext) columns = [...columns, ...SOURCE_COLUMNS];
  return columns;
}

/**
 * Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
 * return, that hide one): OWASP's CSV injection list.
 */
const FORMULA_START = new Set(["=", "+", "-", "@", "\t", "\r"]);

/**
 * A text cell a spreadsheet will show as text: a cell starting with a formula character gets
 * a single quote in front, as OWASP recommends, so `=HYPERLINK(…)` in a model's response
 * stays a string and never runs.
 */
export function neutralizeFormula(value: string): string {
  return value.length > 0 && FORMULA_START.has(value[0]!) ? `'${value}` : value;
}

/** The row's values in column order, each checked against its column's kind. */
export function rowValues(columns: readonly TabularColumn[], row: unknown): unknown[] {
  if (row === null || typeof row !== "object" || Array.isArray(row)) throw new Error("a tabular export row must be an object");
  const record = row as Record<string, unknown>;
  const known = new Set(columns.map((c) => c.name));
  const extra = Object.keys(record).find((key) => !known.has(key));
  // A programming error (a mapper wrote a key its column list lacks): refuse rather than drop data.
  if (extra !== undefined) throw new Error(`export row has a column "${extra}" the tabular column list does not name`);
  return columns.map((column) => checkedValue(column, record[column.name]));
}

function checkedValue(column: TabularColumn, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (column.nullable || column.kind === "json") return null;
    throw new Error(`export column "${column.name}" has no value`);
  }
  const ok =
    column.kind === "json" ||
    (column.kind === "text" && typeof value === "string") ||
    (column.kind === "integer" && Number.isSafeInteger(value)) ||
    (column.kind === "boolean" && typeof value === "boolean");
  if (!ok) throw new Error(`export column "${column.name}" expects ${column.kind}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * One CSV cell: text as it is (formula characters neutralised), nested values as their JSON
 * text (neutralised too, though JSON never starts with one), numbers and booleans as JSON
 * writes them, null as an empty cell.
 */
export function csvCell(column: TabularColumn, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (column.kind === "text") return neutralizeFormula(value as string);
  if (column.kind === "json") return neutralizeFormula(JSON.stringify(value));
  return String(value);
}

/** A row as CSV cells, in column order. */
export function csvRecord(columns: readonly TabularColumn[], row: unknown): string[] {
  const values = rowValues(columns, row);
  return values.map((value, i) => csvCell(columns[i]!, value));
}

/**
 * A rough size of a value in bytes (string lengths, 8 per other leaf), cheap enough to run on
 * every row: Parquet row groups are cut by it so memory stays bounded however long the texts.
 */
export function approximateBytes(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || typeof value !== "object") return 8;
  let total = 8;
  if (Array.isArray(value)) for (const v of value) total += approximateBytes(v);
  else for (const [k, v] of Object.entries(value)) total += k.length + approximateBytes(v);
  return total;
}
