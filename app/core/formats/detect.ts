/** The import formats a user can name; `auto` picks one from the first record. */
export const IMPORT_FORMATS = ["native", "flat", "trl", "hh-rlhf"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * Picks the format of a JSONL file from its first record's keys:
 * `prompt_id` + `response` → flat; `chosen` + `rejected` → HH-RLHF when they are
 * `\n\nHuman:` transcripts without a prompt, else TRL; `messages` or `prompt` with `id` → native.
 * Returns null (the caller asks for --format) when nothing fits.
 */
export function detectFormat(first: unknown): ImportFormat | null {
  if (typeof first !== "object" || first === null || Array.isArray(first)) return null;
  const record = first as Record<string, unknown>;
  if ("prompt_id" in record && "response" in record) return "flat";
  if ("chosen" in record && "rejected" in record) {
    const looksHh =
      !("prompt" in record) &&
      typeof record.chosen === "string" &&
      record.chosen.startsWith("\n\nHuman:");
    return looksHh ? "hh-rlhf" : "trl";
  }
  if ("id" in record && ("messages" in record || "prompt" in record)) return "native";
  return null;
}
