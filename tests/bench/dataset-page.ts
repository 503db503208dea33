/**
 * `npm run bench -- dataset-page [--quick] [--keep] [--prompts N] [--runs R]`
 *
 * How fast the dataset page's query answers (browseDataset in app/services/dataset-browse.server.ts)
 * on a dataset of 200,000 prompts × 2 responses (the bench corpus: 200–400-character prompts,
 * 500–1,500-character responses), loaded with prepared statements in one transaction through the
 * app's migrations (so the search triggers index it as an import would). Each case is timed R
 * times after a warm-up: the first page, a deep page (keyset cursor 95% of the way in, beside the
 * OFFSET query it replaces), a word search (common and rare word), a model filter (common and
 * rare model) and a metadata filter (common and rare value), and the same SQL run with bare
 * better-sqlite3 prepared statements as a baseline (`ratio` = service p50 / raw p50). Also the
 * per-model figures computed and cached. Target: every case's p95 under 200 ms. Prints one JSON
 * object on stdout; progress goes to stderr. `--db FILE` times the database an earlier run left
 * with --keep instead of loading one (`--prompts` must match it).
 */
import { COUNT_CAP } from "../../app/core/datasets/browse";
import { openDatabase } from "../../db/client";
import { benchPrompts } from "./corpus";
import { bulkLoad } from "./bulk-load";
import { COMMON_FLAGS, finish, inScratchDir, log, parseFlags, positiveInt } from "./harness";
import { round, summarize } from "./stats";

export const DATASET_PAGE_USAGE = "dataset-page [--quick] [--keep] [--prompts N] [--runs R] [--db FILE]";

const TARGET_MS = 200;
const PAGE = 20;
/** One prompt in RARE gets the rare word, the rare model and the rare metadata value. */
const RARE = 1000;
const RARE_WORD = "zebrafish";
const TOPICS = 20;

interface Case {
  name: string;
  query: Record<string, string>;
  /** The same page read with bare statements: page rows, their responses and the count. */
  raw: () => void;
}

export async function runDatasetPageBench(args: string[]): Promise<number> {
  const values = parseFlags(args, { ...COMMON_FLAGS, prompts: { type: "string" }, runs: { type: "string" }, db: { type: "string" } });
  const promptCount = positiveInt("prompts", values.prompts, values.quick ? 20_000 : 200_000);
  const runs = positiveInt("runs", values.runs, values.quick ? 10 : 30);
  const existing = values.db;
  const inDir = existing ? (body: (scratch: { dbPath: string }) => Promise<number>) => body({ dbPath: existing }) : (body: (scratch: { dbPath: string }) => Promise<number>) => inScratchDir("dataset-page", values.keep, body);
  return inDir(async ({ dbPath }) => {
    const started = performance.now();
    const setup = openDatabase(dbPath);
    const loadStarted = performance.now();
    if (!existing) bulkLoad(setup.sqlite, () => {
      setup.sqlite.prepare("INSERT INTO datasets (id, name, source, created_at) VALUES ('bench-ds', 'bench', 'bench', 0)").run();
      const insertPrompt = setup.sqlite.prepare("INSERT INTO prompts (id, dataset_id, external_id, messages, metadata) VALUES (?, 'bench-ds', ?, ?, ?)");
      const insertResponse = setup.sqlite.prepare("INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, '{}', ?)");
      let i = 0;
      for (const prompt of benchPrompts(promptCount)) {
        const rare = i % RARE === 0;
        const id = `p-${i}`;
        insertPrompt.run(id, prompt.externalId, JSON.stringify([{ role: "user", content: prompt.content }]), JSON.stringify({ topic: `topic-${i % TOPICS}`, split: rare ? "holdout" : "train" }));
        for (const [n, response] of prompt.responses.entries()) {
          const model = rare && n === 1 ? "model-rare" : response.model;
          const text = rare && n === 0 ? `${response.text} ${RARE_WORD}` : response.text;
          insertResponse.run(`r-${i}-${n}`, id, String(n), model, text, JSON.stringify({ usage: { completion_tokens: Math.round(text.length / 4) } }));
        }
        if (++i % 20_000 === 0) log(`  loaded ${i} prompts`);
      }
    });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    setup.sqlite.pragma("optimize");
    setup.sqlite.close();
    log(`dataset-page bench: ${promptCount} prompts × 2 responses loaded in ${loadSeconds.toFixed(1)} s`);

    process.env.VERDICT_DB = dbPath;
    process.env.VERDICT_SEED = "none";
    const { browseDataset, modelSummary, MODEL_CLAUSES, SEARCH_CLAUSES, metadataFilter } = await import("../../app/services/dataset-browse.server");
    const { connection, closeConnection } = await import("../../app/services/database.server");
    const { sqlite } = connection();

    const deepCursor = sqlite
      .prepare<[number], { external_id: string }>("SELECT external_id FROM prompts WHERE dataset_id = 'bench-ds' ORDER BY external_id LIMIT 1 OFFSET ?")
      .get(Math.floor(promptCount * 0.95))!.external_id;

    // The baseline: the service's SQL, prepared once, without its parsing and shaping.
    const responsesOf = sqlite.prepare("SELECT id, prompt_id, external_id, model, text FROM responses WHERE prompt_id IN (SELECT value FROM json_each(?)) ORDER BY prompt_id, external_id");
    const rawCase = (where: string, params: Record<string, string>, extra = "", cap = COUNT_CAP, countAll = false, countWhere = where) => {
      const page = sqlite.prepare(`SELECT p.id, p.external_id, p.messages, p.metadata FROM prompts p WHERE p.dataset_id = 'bench-ds' ${where ? `AND ${where}` : ""} ${extra} LIMIT ${PAGE + 1}`);
      const count =
        where && !countAll
          ? sqlite.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM prompts p WHERE p.dataset_id = 'bench-ds' AND ${countWhere} LIMIT ${cap + 1})`)
          : sqlite.prepare("SELECT count(*) AS n FROM prompts WHERE dataset_id = 'bench-ds'");
      return () => {
        const rows = page.all(params) as Array<{ id: string; messages: string; metadata: string }>;
        for (const row of rows) JSON.parse(row.messages);
        responsesOf.all(JSON.stringify(rows.slice(0, PAGE).map((r) => r.id)));
        count.get(params);
      };
    };
    const byId = "ORDER BY p.external_id";
    const cases: Case[] = [
      { name: "first_page", query: {}, raw: rawCase("", {}, byId) },
      { name: "deep_page", query: { after: deepCursor }, raw: rawCase("p.external_id > @after", { after: deepCursor }, byId, COUNT_CAP, true) },
      { name: "search_common_word", query: { q: "kitchen" }, raw: rawCase(SEARCH_CLAUSES.page, { match: '"kitchen"*' }, byId, COUNT_CAP, false, SEARCH_CLAUSES.count) },
      { name: "search_rare_word", query: { q: RARE_WORD }, raw: rawCase(SEARCH_CLAUSES.page, { match: `"${RARE_WORD}"*` }, byId, COUNT_CAP, false, SEARCH_CLAUSES.count) },
      { name: "model_filter", query: { model: "model-b" }, raw: rawCase(MODEL_CLAUSES.probed, { model: "model-b" }, byId) },
      { name: "model_filter_rare", query: { model: "model-rare" }, raw: rawCase(MODEL_CLAUSES.listed, { model: "model-rare" }, byId) },
      { name: "metadata_filter", query: { field: "topic", value: "topic-7" }, raw: rawCase(metadataFilter("topic-7").clause, { path: '$."topic"', value: "topic-7", needle: metadataFilter("topic-7").needle! }, byId) },
      { name: "metadata_filter_rare", query: { field: "split", value: "holdout" }, raw: rawCase(metadataFilter("holdout").clause, { path: '$."split"', value: "holdout", needle: metadataFilter("holdout").needle! }, byId) },
    ];
    const time = (fn: () => unknown) => {
      fn();
      fn();
      const samples: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        fn();
        samples.push(performance.now() - t);
      }
      return summarize(samples);
    };
    const failures: string[] = [];
    const results: Record<string, unknown> = {};
    let worstP95 = 0;
    for (const c of cases) {
      const page = browseDataset("bench", { ...c.query, limit: PAGE });
      if (page.prompts.length === 0) failures.push(`${c.name}: no prompts on the page`);
      const service = time(() => browseDataset("bench", { ...c.query, limit: PAGE }));
      const raw = time(c.raw);
      worstP95 = Math.max(worstP95, service.p95);
      results[c.name] = {
        p50_ms: round(service.p50, 2),
        p95_ms: round(service.p95, 2),
        raw_p50_ms: round(raw.p50, 2),
        raw_p95_ms: round(raw.p95, 2),
        ratio: round(service.p50 / raw.p50, 2),
        prompts_on_page: page.prompts.length,
        total: page.totalExact ? page.total : `more than ${page.total}`,
      };
      log(`  ${c.name}: p50 ${service.p50.toFixed(1)} ms, p95 ${service.p95.toFixed(1)} ms (raw p50 ${raw.p50.toFixed(1)} ms)`);
    }
    // What keyset paging replaces: the same deep page by OFFSET.
    const offsetDeep = sqlite.prepare(`SELECT p.id FROM prompts p WHERE p.dataset_id = 'bench-ds' ORDER BY p.external_id LIMIT ${PAGE} OFFSET ?`);
    const offset = time(() => offsetDeep.all(Math.floor(promptCount * 0.95)));
    // A bumped change count makes the next call read every response again, as after an import.
    sqlite.prepare("UPDATE response_changes SET count = count + 1 WHERE id = 1").run();
    const coldStarted = performance.now();
    modelSummary("bench");
    const summaryCold = performance.now() - coldStarted;
    const summaryCached = time(() => modelSummary("bench"));
    closeConnection();
    const meets = worstP95 < TARGET_MS;
    const result = {
      bench: "dataset-page",
      prompts: promptCount,
      responses_per_prompt: 2,
      page_size: PAGE,
      runs,
      load_seconds: round(loadSeconds, 1),
      cases: results,
      offset_deep_page_raw: { p50_ms: round(offset.p50, 2), p95_ms: round(offset.p95, 2) },
      model_summary: { computed_ms: round(summaryCold, 1), cached_p50_ms: round(summaryCached.p50, 3) },
      seconds: round((performance.now() - started) / 1000, 1),
      target_p95_ms: TARGET_MS,
      worst_p95_ms: round(worstP95, 2),
      meets_targets: meets && failures.length === 0,
    };
    return finish("dataset-page", result, failures);
  });
}
