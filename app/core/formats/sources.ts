import { z } from "zod";

/**
 * Sources of truth a prompt may carry (issue 13): a reference answer or reference material
 * (`reference`), and context documents the responses should be grounded in (`context`). Both
 * import formats that can give them (native, flat) read them here, so the limits and the
 * messages are the same wherever they come from. Pure: no I/O.
 */
export interface ContextDocument {
  title: string;
  text: string;
}

export const MAX_REFERENCE_CHARS = 100_000;
export const MAX_CONTEXT_DOCUMENTS = 20;
export const MAX_CONTEXT_TEXT_CHARS = 100_000;
export const MAX_CONTEXT_TITLE_CHARS = 1_000;

const figure = (n: number) => n.toLocaleString("en-US");

/** The title a document without one gets: "Document 1", "Document 2", … by its place in the list. */
export const defaultContextTitle = (index: number) => `Document ${index + 1}`;
/** The title of a context given as plain text (a flat file's `context` cell that is not a JSON list). */
export const PLAIN_CONTEXT_TITLE = "Context";

const requiredString = (what = "a string") =>
  z.string({ error: (issue) => (issue.input === undefined ? "required" : `expected ${what}`) });

/** A reference: text of at most 100,000 characters; "" and null mean none. */
export const referenceSchema = z
  .union([z.string(), z.null()], { error: "expected a string" })
  .refine((v) => v === null || v.length <= MAX_REFERENCE_CHARS, `at most ${figure(MAX_REFERENCE_CHARS)} characters`)
  .transform((v): string | null => (v === null || v === "" ? null : v));

const documentSchema = z.strictObject(
  {
    title: requiredString().max(MAX_CONTEXT_TITLE_CHARS, `at most ${figure(MAX_CONTEXT_TITLE_CHARS)} characters`).optional(),
    text: requiredString().min(1, "must not be empty").max(MAX_CONTEXT_TEXT_CHARS, `at most ${figure(MAX_CONTEXT_TEXT_CHARS)} characters`),
  },
  {
    error: (issue) => {
      if (issue.code === "invalid_type") return 'expected a string or an object {"title", "text"}';
      if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (a document has "title" and "text")`;
      return undefined;
    },
  },
);

const bareTextSchema = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_CONTEXT_TEXT_CHARS, `at most ${figure(MAX_CONTEXT_TEXT_CHARS)} characters`);

/**
 * Context documents: a list of `{"title", "text"}` objects, or of bare strings (titled
 * "Document 1", "Document 2", … by place; an object without a title is titled so too), at most
 * 20, each text non-empty and at most 100,000 characters. An empty list and null mean none.
 * Anything else is refused with the element's path (`context.0.text: required`).
 */
export const contextSchema = z
  .union([z.array(z.unknown()), z.null()], { error: "expected a list of documents (strings or {\"title\", \"text\"} objects)" })
  .transform((list, ctx): ContextDocument[] | null => {
    if (list === null || list.length === 0) return null;
    if (list.length > MAX_CONTEXT_DOCUMENTS) {
      ctx.issues.push({ code: "custom", message: `at most ${MAX_CONTEXT_DOCUMENTS} documents, got ${list.length}`, input: list });
      return z.NEVER;
    }
    const documents: ContextDocument[] = [];
    let failed = false;
    list.forEach((entry, index) => {
      const parsed = typeof entry === "string" ? bareTextSchema.safeParse(entry) : documentSchema.safeParse(entry);
      if (!parsed.success) {
        failed = true;
        for (const issue of parsed.error.issues) ctx.issues.push({ code: "custom", message: issue.message, path: [index, ...issue.path], input: entry });
        return;
      }
      const value = parsed.data;
      documents.push(typeof value === "string" ? { title: defaultContextTitle(index), text: value } : { title: value.title ?? defaultContextTitle(index), text: value.text });
    });
    return failed ? z.NEVER : documents;
  });

/**
 * A flat file's `context` cell: a JSON list as `contextSchema` reads it, or plain text, which
 * is one document titled "Context". A cell that starts with `[` but is not JSON is plain text.
 * An empty cell is no context (undefined: the row does not say).
 */
export function contextFromCell(cell: string): unknown {
  if (cell.trim() === "") return undefined;
  if (cell.trimStart().startsWith("[")) {
    try {
      const value: unknown = JSON.parse(cell);
      if (Array.isArray(value)) return value;
    } catch {
      // Not JSON: the cell is the text itself.
    }
  }
  return [{ title: PLAIN_CONTEXT_TITLE, text: cell }];
}
