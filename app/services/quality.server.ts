/**
 * Quality monitoring over a dataset and over time (issue 13 point 5; README: Quality
 * monitoring): per model, the share of its responses the reviewers and the LLM judges flag,
 * its win rate, the same by day, and the most-flagged responses, for the page
 * /admin/datasets/:dataset/quality and its CSV/JSONL download. The statistics are
 * app/core/quality/monitoring.ts; this file reads the rows.
 *
 * Reads only: reviewer judgments (`judgments.source = 'reviewer'`), their flags and the
 * reviewers' preference pairs, and ok judge verdicts (`judge_verdicts.status = 'ok'`), of the
 * dataset's batches (or one of them). A response's date is its `metadata.sampled_at`, or the
 * dataset's creation for imported responses.
 */
import { stringify } from "csv-stringify/sync";
import { and, desc, eq, inArray, lt, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { batches, datasets, items, judgeRuns, judgeVerdicts, judgmentFlags, judgments, preferencePairs, prompts, responses } from "../../db/schema";
import { neutralizeFormula } from "../core/formats/export/tabular";
import {
  isDay,
  qualitySummary,
  responseDay,
  TOP_FLAGGED,
  type FlaggedResponse,
  type FlagObservation,
  type JudgeVerdictRow,
  type ModelQuality,
  type QualityResponse,
  type TimelineDay,
} from "../core/quality/monitoring";
import { batchConfigSchema, DEFAULT_FLAGS } from "../core/tasks/config";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const day = z.preprocess(
  blank,
  z
    .string()
    .trim()
    .refine(isDay, { error: (issue) => `${JSON.stringify(issue.input)} is not a date: use YYYY-MM-DD` })
    .optional(),
);
const name = z.preprocess(blank, z.string().trim().max(200, "at most 200 characters").optional());

/** The page's and the download's filters (query parameters; blank ones are absent). */
export const qualityQuerySchema = z
  .object({
    /** Responses dated from this day (YYYY-MM-DD, UTC), included. */
    from: day,
    /** Responses dated up to this day, included. */
    to: day,
    /** One batch of the dataset (its id) instead of all of them. */
    batch: name,
    /** One judge model instead of every judge run's. */
    judge: name,
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { path: ["to"], error: "the end is before the start" });
export type QualityQuery = z.infer<typeof qualityQuerySchema>;

/** The filters of `input` (a query string's parameters), or a 400 naming each bad one. */
export function parseQualityQuery(input: unknown): QualityQuery {
  const parsed = qualityQuerySchema.safeParse(input ?? {});
  if (!parsed.success) throw invalidFrom(parsed.error);
  return parsed.data;
}

/** A flagged response as the page and the download show it. */
export interface QualityRow {
  response_id: string;
  response_external_id: string;
  prompt_external_id: string;
  model: string;
  date: string;
  reviewer_judgments: number;
  reviewer_flags: Array<{ flag: string; count: number; notes: string[] }>;
  judge_verdicts: number;
  judge_flags: Array<{ flag: string; count: number }>;
  reviewer_total: number;
  judge_total: number;
  total: number;
  /** The dataset page showing this prompt (first, one a page). */
  prompt_link: string;
}

export interface QualityReport {
  dataset: string;
  query: QualityQuery;
  batches: Array<{ id: string; name: string }>;
  /** The judge models of the batches' runs, by name. */
  judges: string[];
  flags: string[];
  models: ModelQuality[];
  timeline: TimelineDay[];
  /** The most-flagged responses, at most TOP_FLAGGED. */
  flagged: QualityRow[];
  /** How many responses are flagged in all (the download's rows). */
  flagged_total: number;
  totals: { responses: number; reviewer_judgments: number; judge_verdicts: number };
}

interface Gathered {
  dataset: { id: string; name: string };
  query: QualityQuery;
  batches: Array<{ id: string; name: string }>;
  judges: string[];
  summary: ReturnType<typeof qualitySummary>;
  responses: Map<string, { externalId: string; promptExternalId: string }>;
  totals: QualityReport["totals"];
}

/** The dataset's rows in the query's scope, summarized. */
function gather(datasetName: string, rawQuery: unknown): Gathered {
  const query = parseQualityQuery(rawQuery);
  const { db } = connection();
  const dataset = db
    .select({ id: datasets.id, name: datasets.name, createdAt: datasets.createdAt })
    .from(datasets)
    .where(or(eq(datasets.name, datasetName), eq(datasets.id, datasetName)))
    .get();
  if (!dataset) throw new ServiceError("not_found", `no dataset "${datasetName}"`);

  const allBatches = db
    .select({ id: batches.id, name: batches.name, config: batches.config })
    .from(batches)
    .where(eq(batches.datasetId, dataset.id))
    .orderBy(batches.createdAt, batches.id)
    .all();
  if (query.batch !== undefined && !allBatches.some((b) => b.id === query.batch)) {
    throw new ServiceError("invalid", `batch: not a batch of dataset "${dataset.name}"`, { fields: { batch: `not a batch of dataset "${dataset.name}"` } });
  }
  const scope = allBatches.filter((b) => query.batch === undefined || b.id === query.batch);
  const scopeIds = scope.map((b) => b.id);
  const configOf = new Map(scope.map((b) => [b.id, batchConfigSchema.safeParse(b.config)]));
  const configuredFlags = scope.length
    ? scope.flatMap((b) => {
        const c = configOf.get(b.id)!;
        return c.success ? c.data.flags : [...DEFAULT_FLAGS];
      })
    : [...DEFAULT_FLAGS];
  const overallOf = (batchId: string) => {
    const c = configOf.get(batchId);
    return c?.success ? c.data.overallAspect : "overall";
  };

  const responseRows = db
    .select({
      id: responses.id,
      externalId: responses.externalId,
      model: responses.model,
      promptExternalId: prompts.externalId,
      sampledAt: sql<unknown>`json_extract(${responses.metadata}, '$.sampled_at')`,
    })
    .from(responses)
    .innerJoin(prompts, eq(prompts.id, responses.promptId))
    .where(eq(prompts.datasetId, dataset.id))
    .all();
  // Sampled responses share few distinct times' days; parse each once.
  const days = new Map<unknown, string>();
  const dayOf = (sampledAt: unknown) => {
    let d = days.get(sampledAt);
    if (d === undefined) days.set(sampledAt, (d = responseDay(sampledAt, dataset.createdAt)));
    return d;
  };
  const quality: QualityResponse[] = responseRows.map((r) => ({ id: r.id, model: r.model, day: dayOf(r.sampledAt) }));

  const runs = scopeIds.length ? db.select({ id: judgeRuns.id, batchId: judgeRuns.batchId, model: judgeRuns.model }).from(judgeRuns).where(inArray(judgeRuns.batchId, scopeIds)).all() : [];
  const judges = [...new Set(runs.map((r) => r.model))].sort();
  if (query.judge !== undefined && !judges.includes(query.judge)) {
    throw new ServiceError("invalid", `judge: no judge run of model "${query.judge}" in this scope`, { fields: { judge: `no judge run of model "${query.judge}" in this scope` } });
  }

  let reviewerJudgments: FlagObservation[] = [];
  let reviewerPairs: Array<{ chosenId: string; rejectedId: string; strength: number }> = [];
  let verdictRows: Array<JudgeVerdictRow & FlagObservation> = [];
  if (scopeIds.length) {
    const itemRows = db.select({ id: items.id, batchId: items.batchId, responseIds: items.responseIds }).from(items).where(inArray(items.batchId, scopeIds)).all();
    const itemById = new Map(itemRows.map((i) => [i.id, i]));
    const inScope = and(inArray(items.batchId, scopeIds), eq(judgments.source, "reviewer"));
    const judgmentRows = db.select({ id: judgments.id, itemId: judgments.itemId }).from(judgments).innerJoin(items, eq(items.id, judgments.itemId)).where(inScope).all();
    const flagRows = db
      .select({ judgmentId: judgmentFlags.judgmentId, responseId: judgmentFlags.responseId, flag: judgmentFlags.flag, note: judgmentFlags.note })
      .from(judgmentFlags)
      .innerJoin(judgments, eq(judgments.id, judgmentFlags.judgmentId))
      .innerJoin(items, eq(items.id, judgments.itemId))
      .where(inScope)
      .all();
    const flagsOf = new Map<string, FlagObservation["flags"][number][]>();
    for (const f of flagRows) {
      const list = flagsOf.get(f.judgmentId) ?? [];
      list.push({ responseId: f.responseId, flag: f.flag, note: f.note });
      flagsOf.set(f.judgmentId, list);
    }
    reviewerJudgments = judgmentRows.map((j) => ({ responseIds: itemById.get(j.itemId)?.responseIds ?? [], flags: flagsOf.get(j.id) ?? [] }));
    reviewerPairs = db
      .select({ chosenId: preferencePairs.chosenId, rejectedId: preferencePairs.rejectedId, strength: preferencePairs.strength })
      .from(preferencePairs)
      .innerJoin(judgments, eq(judgments.id, preferencePairs.judgmentId))
      .where(and(inArray(preferencePairs.batchId, scopeIds), ne(preferencePairs.source, "imported"), eq(judgments.source, "reviewer")))
      .all();
    const chosenRuns = runs.filter((r) => query.judge === undefined || r.model === query.judge);
    const batchOfRun = new Map(chosenRuns.map((r) => [r.id, r.batchId]));
    const verdicts = chosenRuns.length
      ? db
          .select({ runId: judgeVerdicts.runId, itemId: judgeVerdicts.itemId, swapped: judgeVerdicts.swapped, payload: judgeVerdicts.payload, flags: judgeVerdicts.flags })
          .from(judgeVerdicts)
          .where(and(inArray(judgeVerdicts.runId, [...batchOfRun.keys()]), eq(judgeVerdicts.status, "ok")))
          .all()
      : [];
    verdictRows = verdicts.flatMap((v) => {
      const item = itemById.get(v.itemId);
      if (!item || !v.payload) return [];
      return [
        {
          key: `${v.runId}\u0000${v.itemId}`,
          swapped: v.swapped,
          responseIds: item.responseIds,
          payload: v.payload as JudgmentPayload,
          overallAspect: overallOf(batchOfRun.get(v.runId)!),
          flags: (Array.isArray(v.flags) ? v.flags : []).map((f) => ({ responseId: f.response_id, flag: f.flag })),
        },
      ];
    });
  }

  const range = { from: query.from, to: query.to };
  const summary = qualitySummary({ responses: quality, range, configuredFlags, reviewerJudgments, reviewerPairs, judgeVerdicts: verdictRows });
  return {
    dataset: { id: dataset.id, name: dataset.name },
    query,
    batches: allBatches.map((b) => ({ id: b.id, name: b.name })),
    judges,
    summary,
    responses: new Map(responseRows.map((r) => [r.id, { externalId: r.externalId, promptExternalId: r.promptExternalId }])),
    totals: { responses: summary.models.reduce((s, m) => s + m.responses, 0), reviewer_judgments: reviewerJudgments.length, judge_verdicts: verdictRows.length },
  };
}

/** The rows of flagged responses with their ids and the link to their prompt. */
function rowsOf(g: Gathered, flagged: readonly FlaggedResponse[]): QualityRow[] {
  const { db } = connection();
  // The dataset page pages by external id after a cursor: the prompt before this one opens a page that starts with it.
  const previous = db
    .select({ externalId: prompts.externalId })
    .from(prompts)
    .where(and(eq(prompts.datasetId, sql.placeholder("dataset")), lt(prompts.externalId, sql.placeholder("externalId"))))
    .orderBy(desc(prompts.externalId))
    .limit(1)
    .prepare();
  const base = `/admin/datasets/${encodeURIComponent(g.dataset.name)}`;
  const links = new Map<string, string>();
  return flagged.map((f) => {
    const ids = g.responses.get(f.responseId)!;
    let link = links.get(ids.promptExternalId);
    if (link === undefined) {
      const before = previous.get({ dataset: g.dataset.id, externalId: ids.promptExternalId }) as { externalId: string } | undefined;
      const params = new URLSearchParams();
      if (before) params.set("after", before.externalId);
      params.set("limit", "1");
      link = `${base}?${params}`;
      links.set(ids.promptExternalId, link);
    }
    const reviewerTotal = f.reviewerFlags.reduce((s, x) => s + x.count, 0);
    return {
      response_id: f.responseId,
      response_external_id: ids.externalId,
      prompt_external_id: ids.promptExternalId,
      model: f.model,
      date: f.day,
      reviewer_judgments: f.reviewerJudgments,
      reviewer_flags: f.reviewerFlags,
      judge_verdicts: f.judgeVerdicts,
      judge_flags: f.judgeFlags,
      reviewer_total: reviewerTotal,
      judge_total: f.total - reviewerTotal,
      total: f.total,
      prompt_link: link,
    };
  });
}

/**
 * The quality page's figures for a dataset (by name or id): per model, the share of judged
 * responses flagged by the reviewers and by the judge (each flag and any, 95% Wilson
 * intervals), win rates from both, flag rates by day, and the most-flagged responses.
 * `rawQuery`: from, to (YYYY-MM-DD), batch (an id), judge (a judge model); 400 when one is bad.
 */
export function qualityReport(datasetName: string, rawQuery: unknown = {}): QualityReport {
  const g = gather(datasetName, rawQuery);
  return {
    dataset: g.dataset.name,
    query: g.query,
    batches: g.batches,
    judges: g.judges,
    flags: g.summary.flags,
    models: g.summary.models,
    timeline: g.summary.timeline,
    flagged: rowsOf(g, g.summary.flagged.slice(0, TOP_FLAGGED)),
    flagged_total: g.summary.flagged.length,
    totals: g.totals,
  };
}

/** A flagged response as one line of the download: the page's row with the response's text. */
export type QualityDownloadRow = Omit<QualityRow, "prompt_link"> & { text: string };

/** Every flagged response in the query's scope, most flags first, with its text. */
export function qualityDownloadRows(datasetName: string, rawQuery: unknown = {}): QualityDownloadRow[] {
  const g = gather(datasetName, rawQuery);
  const rows = rowsOf(g, g.summary.flagged);
  const { db } = connection();
  const texts = new Map<string, string>();
  const ids = rows.map((r) => r.response_id);
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of db.select({ id: responses.id, text: responses.text }).from(responses).where(inArray(responses.id, ids.slice(i, i + 500))).all()) texts.set(r.id, r.text);
  }
  return rows.map(({ prompt_link: _link, ...row }) => ({ ...row, text: texts.get(row.response_id) ?? "" }));
}

export const QUALITY_FORMATS = ["csv", "jsonl"] as const;
const formatSchema = z.object({ format: z.preprocess(blank, z.enum(QUALITY_FORMATS, { error: "use csv or jsonl" }).default("csv")) });

/** The download's columns, in order (CSV header; JSONL keys). */
export const QUALITY_COLUMNS = [
  "prompt_external_id",
  "response_external_id",
  "response_id",
  "model",
  "date",
  "reviewer_judgments",
  "reviewer_flags",
  "reviewer_total",
  "judge_verdicts",
  "judge_flags",
  "judge_total",
  "total",
  "text",
] as const satisfies ReadonlyArray<keyof QualityDownloadRow>;

/** A file name made only of safe characters. */
const safeName = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "") || "dataset";

/**
 * The download: every flagged response (not just the page's top 200) as CSV (a header row;
 * flag lists as JSON text; cells starting with a formula character escaped with a quote) or
 * JSONL, with the same filters as the page, named `<dataset>-quality[-<from>][-<to>].<ext>`.
 */
export function qualityDownload(datasetName: string, raw: Record<string, unknown>): Response {
  const parsed = formatSchema.safeParse(raw);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { format: _format, ...rawQuery } = raw;
  const format = parsed.data.format;
  const rows = qualityDownloadRows(datasetName, rawQuery);
  const query = parseQualityQuery(rawQuery);
  const fileName = [safeName(datasetName), "quality", query.from, query.to].filter(Boolean).join("-") + `.${format}`;
  let body: string;
  if (format === "jsonl") {
    body = rows.map((row) => JSON.stringify(Object.fromEntries(QUALITY_COLUMNS.map((c) => [c, row[c]])))).join("\n") + (rows.length ? "\n" : "");
  } else {
    const cell = (value: unknown) => (typeof value === "string" ? neutralizeFormula(value) : typeof value === "number" ? String(value) : neutralizeFormula(JSON.stringify(value)));
    body = stringify([[...QUALITY_COLUMNS], ...rows.map((row) => QUALITY_COLUMNS.map((c) => cell(row[c])))], { record_delimiter: "windows" });
  }
  return new Response(body, {
    headers: {
      "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
