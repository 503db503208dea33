/**
 * Browsing one dataset: its prompts a page at a time with their responses, found by words of
 * their text (FTS5 indexes of migration 0007), by a model that answered them or by a metadata
 * field, and per-model figures. Read-only, so nothing here is audited. The dataset page, the
 * CLI's `datasets show` and the bench call it.
 */
import type { JsonObject, StoredMessage } from "../../db/schema";
import { COUNT_CAP, metadataPath, pageSize, searchQuery } from "../core/datasets/browse";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFields } from "./validation.server";

export interface BrowseQuery {
  /** Words every match holds, in a prompt's messages or in one of its responses. */
  q?: string;
  /** Only prompts this model answered. */
  model?: string;
  /** Only prompts whose metadata `field` (dots step into objects) equals `value` (compared as text). */
  field?: string;
  value?: string;
  /** Keyset cursors: the page after / before this prompt's external id. */
  after?: string;
  before?: string;
  limit?: string | number;
}

export interface BrowsedResponse {
  id: string;
  external_id: string;
  model: string;
  text: string;
}

export interface BrowsedPrompt {
  id: string;
  external_id: string;
  messages: StoredMessage[];
  metadata: JsonObject;
  responses: BrowsedResponse[];
  /** The prompt's gold answer (gold.server.ts): `{best}` and/or `{scores}` by response id, or null. */
  gold_answer: JsonObject | null;
}

export interface BrowsePage {
  dataset: string;
  prompts: BrowsedPrompt[];
  /** Prompts matching the query: exact without filters, else counted up to COUNT_CAP. */
  total: number;
  /** False when `total` stopped at COUNT_CAP: there are more than that. */
  totalExact: boolean;
  /** The cursor of the next page (`after`) and of the previous one (`before`), null at either end. */
  next: string | null;
  previous: string | null;
  limit: number;
}

export interface ModelFigures {
  model: string;
  responses: number;
  /** Mean response length in characters. */
  mean_chars: number;
  /** Mean `usage.completion_tokens` of the responses' metadata, over those that carry it; null when none does. */
  mean_output_tokens: number | null;
}

function datasetId(name: string): string {
  const row = connection().sqlite.prepare<[string], { id: string }>("SELECT id FROM datasets WHERE name = ?").get(name);
  if (!row) throw new ServiceError("not_found", `no dataset named "${name}"`);
  return row.id;
}

interface Filter {
  /** The page's WHERE clause. */
  where: string;
  /** The count's: the same rows, written as the plan that counts them fastest (SEARCH_CLAUSES). */
  countWhere: string;
  params: Record<string, string>;
  filtered: boolean;
  /** Matches are counted this far. */
  countCap: number;
}

/**
 * A word search has two plans, both reading each index's matching rowids once (uncorrelated
 * subqueries). The page walks prompts in page order and asks, per prompt, whether one of its
 * responses is among the matches (`page`): it stops at the page's 21st match, so a word in most of
 * 400,000 responses costs about 65 ms instead of the ~800 ms of reading every matching response
 * for its prompt and sorting them all (`count`'s plan). The count, capped at COUNT_CAP, is the
 * other way round: listing the matches' prompts stops at the cap, while probing per prompt walks
 * all 200,000 prompts for a rare word (~200 ms). Measured by `npm run bench -- dataset-page`
 * (decision 26).
 */
export const SEARCH_CLAUSES = {
  page: `(p.rowid IN (SELECT rowid FROM prompt_search WHERE prompt_search MATCH @match)
        OR EXISTS (SELECT 1 FROM responses r WHERE r.prompt_id = p.id AND r.rowid IN (SELECT rowid FROM response_search WHERE response_search MATCH @match)))`,
  count: `(p.rowid IN (SELECT rowid FROM prompt_search WHERE prompt_search MATCH @match)
        OR p.id IN (SELECT r.prompt_id FROM responses r WHERE r.rowid IN (SELECT rowid FROM response_search WHERE response_search MATCH @match)))`,
} as const;
/** Index entries above which a model filter asks per prompt rather than listing the model's prompts. */
export const SEARCH_LIST_LIMIT = 5_000;
/**
 * The same choice for a model filter, both on the (model, prompt_id) index of migration 0007:
 * a rare model's prompts listed once, a common model's asked about per prompt.
 */
export const MODEL_CLAUSES = {
  listed: "p.id IN (SELECT r.prompt_id FROM responses r WHERE r.model = @model)",
  probed: "EXISTS (SELECT 1 FROM responses r WHERE r.model = @model AND r.prompt_id = p.id)",
} as const;

function modelAnswers(model: string): number {
  return connection()
    .sqlite.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM responses WHERE model = ? LIMIT ${SEARCH_LIST_LIMIT + 1})`)
    .get(model)!.n;
}

/** Values json_extract may have turned into this text from a number or a boolean (true is 1), which the JSON does not spell so. */
const NUMERIC = /^[-+\d.eE]+$/;

/**
 * A metadata field = value filter. For a string value, a substring test of the stored JSON for
 * the value as JSON spells it (`@needle`) comes first: it rules out most prompts without parsing
 * their metadata, which halves the scan a rare value's count needs (decision 26). The
 * json_extract comparison still decides.
 */
export function metadataFilter(value: string): { clause: string; needle?: string } {
  const exact = "CAST(json_extract(p.metadata, @path) AS TEXT) = @value";
  if (value === "" || NUMERIC.test(value)) return { clause: exact };
  return { clause: `instr(p.metadata, @needle) > 0 AND ${exact}`, needle: JSON.stringify(value).slice(1, -1) };
}

function filterOf(dataset: string, query: BrowseQuery): Filter {
  const fields: Record<string, string> = {};
  const clauses = ["p.dataset_id = @dataset"];
  const countClauses = ["p.dataset_id = @dataset"];
  const both = (clause: string) => {
    clauses.push(clause);
    countClauses.push(clause);
  };
  const params: Record<string, string> = { dataset };
  const q = query.q?.trim() ?? "";
  if (q) {
    const match = searchQuery(q);
    if (!match) fields.q = "type at least one word (letters or digits)";
    else {
      params.match = match;
      clauses.push(SEARCH_CLAUSES.page);
      countClauses.push(SEARCH_CLAUSES.count);
    }
  }
  if (query.model) {
    params.model = query.model;
    both(modelAnswers(query.model) > SEARCH_LIST_LIMIT ? MODEL_CLAUSES.probed : MODEL_CLAUSES.listed);
  }
  const field = query.field?.trim() ?? "";
  if (field) {
    const path = metadataPath(field);
    if (!path) fields.field = "a metadata field name: letters, digits, _ and -, with . for a nested field";
    else {
      params.path = path;
      params.value = query.value ?? "";
      const { clause, needle } = metadataFilter(params.value);
      both(clause);
      if (needle !== undefined) params.needle = needle;
    }
  } else if (query.value) fields.field = "name the metadata field the value is for";
  const refused = invalidFields(fields);
  if (refused) throw refused;
  return { where: clauses.join(" AND "), countWhere: countClauses.join(" AND "), params, filtered: clauses.length > 1, countCap: COUNT_CAP };
}

/** One page of a dataset's prompts matching `query`, in external id order, with all their responses. */
export function browseDataset(name: string, query: BrowseQuery = {}): BrowsePage {
  const { sqlite } = connection();
  const limit = pageSize(query.limit);
  if (limit === null) throw invalidFields({ limit: "a whole number from 1 to 100" })!;
  if (query.after && query.before) throw invalidFields({ after: "give after or before, not both" })!;
  const filter = filterOf(datasetId(name), query);
  const params = { ...filter.params, take: limit + 1 } as Record<string, string | number>;
  // Keyset paging on the (dataset_id, external_id) index: a deep page costs what the first does, and
  // a prompt imported meanwhile cannot shift a page boundary to show another prompt twice.
  let order = "ORDER BY p.external_id";
  let where = filter.where;
  if (query.after) {
    where += " AND p.external_id > @after";
    params.after = query.after;
  } else if (query.before) {
    where += " AND p.external_id < @before";
    params.before = query.before;
    order = "ORDER BY p.external_id DESC";
  }
  const rows = sqlite
    .prepare<Record<string, string | number>, { id: string; external_id: string; messages: string; metadata: string; gold_answer: string | null }>(
      `SELECT p.id, p.external_id, p.messages, p.metadata, p.gold_answer FROM prompts p WHERE ${where} ${order} LIMIT @take`,
    )
    .all(params);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (query.before) page.reverse();
  const backwards = Boolean(query.before);
  const next = backwards ? (page.length ? page[page.length - 1]!.external_id : null) : more ? page[page.length - 1]!.external_id : null;
  const previous = backwards ? (more ? page[0]!.external_id : null) : query.after && page.length ? page[0]!.external_id : null;

  const byPrompt = new Map<string, BrowsedResponse[]>();
  if (page.length) {
    const responseRows = sqlite
      .prepare<[string], BrowsedResponse & { prompt_id: string }>(
        "SELECT id, prompt_id, external_id, model, text FROM responses WHERE prompt_id IN (SELECT value FROM json_each(?)) ORDER BY prompt_id, external_id",
      )
      .all(JSON.stringify(page.map((p) => p.id)));
    for (const { prompt_id, ...response } of responseRows) {
      const list = byPrompt.get(prompt_id) ?? [];
      list.push(response);
      byPrompt.set(prompt_id, list);
    }
  }

  let total: number;
  let totalExact = true;
  if (!filter.filtered) {
    total = sqlite.prepare<[string], { n: number }>("SELECT count(*) AS n FROM prompts WHERE dataset_id = ?").get(filter.params.dataset!)!.n;
  } else {
    // Counting every match of a broad filter over 200,000 prompts costs more than the page itself; stop at the cap.
    total = sqlite
      .prepare<Record<string, string | number>, { n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM prompts p WHERE ${filter.countWhere} LIMIT @cap)`)
      .get({ ...filter.params, cap: filter.countCap + 1 })!.n;
    if (total > filter.countCap) {
      total = filter.countCap;
      totalExact = false;
    }
  }

  return {
    dataset: name,
    prompts: page.map((p) => ({
      id: p.id,
      external_id: p.external_id,
      messages: JSON.parse(p.messages) as StoredMessage[],
      metadata: JSON.parse(p.metadata) as JsonObject,
      responses: byPrompt.get(p.id) ?? [],
      gold_answer: p.gold_answer === null ? null : (JSON.parse(p.gold_answer) as JsonObject),
    })),
    total,
    totalExact,
    next,
    previous,
    limit,
  };
}

/**
 * The figures last computed per dataset, with the response_changes count they were computed at:
 * reading the length of every response of a 400,000-response dataset takes longer than a page may,
 * and the figures only change when a response does (migration 0007's triggers count that).
 */
const summaries = new Map<string, { changes: number; figures: ModelFigures[] }>();

/** Per model of a dataset: its responses, their mean length in characters and mean output tokens (when the metadata has usage). */
export function modelSummary(name: string): ModelFigures[] {
  const id = datasetId(name);
  const { sqlite } = connection();
  // Read before the figures: a write in between leaves figures newer than the count, so the next call recomputes, never the reverse.
  const changes = sqlite.prepare<[], { count: number }>("SELECT count FROM response_changes WHERE id = 1").get()?.count ?? -1;
  const cached = summaries.get(id);
  if (cached && cached.changes === changes) return cached.figures;
  const figures = computeModelSummary(id);
  summaries.set(id, { changes, figures });
  return figures;
}

function computeModelSummary(id: string): ModelFigures[] {
  const tokens = "CASE WHEN json_type(r.metadata, '$.usage.completion_tokens') IN ('integer', 'real') THEN json_extract(r.metadata, '$.usage.completion_tokens') END";
  return connection()
    .sqlite.prepare<[string], ModelFigures>(
      `SELECT r.model, count(*) AS responses, avg(length(r.text)) AS mean_chars, avg(${tokens}) AS mean_output_tokens
       FROM prompts p JOIN responses r ON r.prompt_id = p.id WHERE p.dataset_id = ? GROUP BY r.model ORDER BY r.model`,
    )
    .all(id);
}

/** Top-level metadata fields of a dataset's prompts, from its first 1,000 (suggestions for the filter). */
export function metadataFields(name: string): string[] {
  const id = datasetId(name);
  return connection()
    .sqlite.prepare<[string], { key: string }>(
      "SELECT DISTINCT j.key AS key FROM (SELECT metadata FROM prompts WHERE dataset_id = ? LIMIT 1000) p, json_each(p.metadata) j ORDER BY j.key LIMIT 50",
    )
    .all(id)
    .map((r) => r.key);
}
