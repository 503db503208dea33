/**
 * The pure half of the dataset page: turning what an admin typed into a safe FTS5 query and a
 * JSON path, and the page size. app/services/dataset-browse.server.ts runs them.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Filtered totals are counted up to this many; past it the page says "more than". */
export const COUNT_CAP = 1_000;

/**
 * An FTS5 query matching text that holds every word of `input` (each as a prefix, so "sum"
 * finds "summary"), or null when there is no word. Each word is quoted, so FTS5 syntax an
 * admin types (AND, NEAR, column:, *, quotes) is searched for as text, never interpreted.
 */
export function searchQuery(input: string): string | null {
  const words = input.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return null;
  return words.map((word) => `"${word}"*`).join(" ");
}

/** Metadata field names: letters, digits, `_` and `-`, with `.` stepping into a nested object. */
const FIELD = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The SQLite JSON path of a metadata field (`topic` → `$."topic"`, `a.b` → `$."a"."b"`), or null when the name is not allowed. */
export function metadataPath(field: string): string | null {
  if (!FIELD.test(field)) return null;
  return `$${field
    .split(".")
    .map((part) => `."${part}"`)
    .join("")}`;
}

/** The page size asked for, or null when it is not a whole number from 1 to MAX_PAGE_SIZE. */
export function pageSize(input: string | number | undefined): number | null {
  if (input === undefined || input === "") return DEFAULT_PAGE_SIZE;
  const n = typeof input === "number" ? input : Number(input);
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE ? n : null;
}
