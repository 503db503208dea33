import { z } from "zod";
import { describeIssues, type LineResult } from "./import-unit";
import { contextFromCell, contextSchema, referenceSchema } from "./sources";

/**
 * Flat rows (JSONL objects or CSV records): `prompt_id, prompt, model, response`, one row per
 * response; rows sharing a `prompt_id` belong to one prompt. An optional `response_id` tells
 * two responses of one model apart (it defaults to the model name). Optional `reference` and
 * `context` columns are the prompt's sources of truth (sources.ts): `context` holds a JSON list
 * of documents, or plain text (one document titled "Context"); in a JSONL row it may also be the
 * list itself. A blank cell gives none. Other columns are kept as the response's metadata.
 */
export const FLAT_COLUMNS = ["prompt_id", "prompt", "model", "response"] as const;

const cell = z.union([z.string(), z.number()]).transform(String);

export const flatRowSchema = z.looseObject({
  prompt_id: cell.pipe(z.string().min(1, "must not be empty")),
  prompt: z.string(),
  model: cell.pipe(z.string().min(1, "must not be empty")),
  response: z.string(),
  // An empty CSV cell means the column was left blank: no response id.
  response_id: z.preprocess((v) => (v === "" || v === null ? undefined : v), cell.optional()),
  reference: z.preprocess((v) => (v === "" || v === null ? undefined : v), referenceSchema.optional()),
  context: z.preprocess((v) => (typeof v === "string" ? contextFromCell(v) : v === null ? undefined : v), contextSchema.optional()),
});

const KNOWN = new Set<string>([...FLAT_COLUMNS, "response_id", "reference", "context"]);

export function parseFlatRow(value: unknown): LineResult {
  const parsed = flatRowSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: describeIssues(parsed.error) };
  const row = parsed.data;
  const metadata = Object.fromEntries(Object.entries(row).filter(([key]) => !KNOWN.has(key)));
  return {
    ok: true,
    unit: {
      externalId: row.prompt_id,
      messages: [{ role: "user", content: row.prompt }],
      metadata: {},
      mergeByPromptId: true,
      ...(row.reference && { reference: row.reference }),
      ...(row.context && { context: row.context }),
      responses: [
        { externalId: row.response_id ?? row.model, model: row.model, text: row.response, params: {}, metadata },
      ],
    },
  };
}

/** The header's missing required columns, for a clear error before any row is read. */
export function missingFlatColumns(header: readonly string[]): string[] {
  return FLAT_COLUMNS.filter((column) => !header.includes(column));
}
