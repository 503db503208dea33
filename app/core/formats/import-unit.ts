import type { z } from "zod";
import type { ChatMessage, Metadata } from "./messages";
import type { ContextDocument } from "./sources";

/** A response as an import format yields it, before it gets a database id. */
export interface ResponseInput {
  /** Unique within its prompt; the handle pairs and upserts refer to. */
  externalId: string;
  model: string;
  text: string;
  params: Metadata;
  metadata: Metadata;
}

/**
 * What one line (or CSV record) of any import format becomes: a prompt with its responses,
 * and, for preference formats, the dataset's own preference between two of them.
 */
export interface ImportUnit {
  externalId: string;
  messages: ChatMessage[];
  metadata: Metadata;
  responses: ResponseInput[];
  /** Response external ids of the dataset's own chosen/rejected pair, stored with source `imported`. */
  preference?: { chosen: string; rejected: string };
  /** The prompt's gold answer (native key `gold`), naming responses by their external ids. */
  gold?: { best?: string; scores?: Record<string, number> };
  /**
   * Sources of truth (native and flat keys `reference`, `context`), stored in prompts.reference
   * and prompts.context; absent (or null) is none. The line that writes a prompt gives all of
   * them, so an upsert without them clears them, as it replaces the metadata. A later flat row
   * of the same prompt with a blank cell says nothing; one with a value gives it, or must repeat
   * the one an earlier row gave.
   */
  reference?: string | null;
  context?: ContextDocument[] | null;
  /**
   * Flat files give one response per row, so rows sharing a prompt id add to the same prompt
   * instead of being duplicates.
   */
  mergeByPromptId?: boolean;
}

/** A line either maps to a unit or to the field-level reasons it cannot. */
export type LineResult = { ok: true; unit: ImportUnit } | { ok: false; errors: string[] };

/** `field: reason` strings from a zod error, one per issue; the path is dotted (`responses.0.text`). */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "line"}: ${issue.message}`);
}

/**
 * Gives each response without an explicit id the model name as its id, numbering repeats
 * (`gpt-4o`, `gpt-4o#2`) so two samples of one model under one prompt stay distinct.
 */
export function assignResponseIds(
  responses: Array<Omit<ResponseInput, "externalId"> & { externalId?: string }>,
): ResponseInput[] {
  const used = new Set(responses.flatMap((r) => (r.externalId === undefined ? [] : [r.externalId])));
  return responses.map((r) => {
    if (r.externalId !== undefined) return { ...r, externalId: r.externalId };
    let candidate = r.model;
    for (let n = 2; used.has(candidate); n++) candidate = `${r.model}#${n}`;
    used.add(candidate);
    return { ...r, externalId: candidate };
  });
}
