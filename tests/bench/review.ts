/**
 * `npm run bench -- review [--quick] [--items N] [--keep] [--no-build]`
 *
 * With N items (200,000 by default, 20,000 with --quick) and 1.5 × N judgments already stored
 * in a pairwise batch with overlap 3, measures:
 *  - in-process (a child process calling the services): the time of nextAssignment and of
 *    submitJudgment (p50/p95), beside bare better-sqlite3 statements doing the same selection
 *    and writes on the same database in the same run;
 *  - over loopback HTTP against `node server.js`: 50 concurrent API reviewers (next →
 *    judgment) for 15 s (5 s with --quick): judgments/s, latency, errors;
 *  - in Debian's Chromium: Enter on the judging screen → next item painted (the next item is
 *    prefetched), and the JavaScript the judging route needs, gzipped;
 *  - afterwards, in SQL: that no item holds more claims or judgments than the overlap.
 * Prints one JSON object on stdout; progress goes to stderr. Exit 0 whether or not the
 * targets are met; exit 1 if a part failed or could not run (the JSON says which, with null
 * figures).
 */
import { openDatabase } from "../../db/client";
import { DEFAULT_SEED } from "./corpus";
import { measureBrowser, routeJsSize, type BrowserResult, type RouteJs } from "./review-browser";
import { ensureBuild, runApiLoad, startServer, type ApiResult, type RunningServer } from "./review-server";
import { BROWSER_USER, OVERLAP } from "./review-shared";
import type { ServiceResult, SetupResult } from "./review-worker";
import { round, summarize } from "./stats";
import { BenchUsageError, benchWorker, COMMON_FLAGS, errorMessage as message, finish, inScratchDir, log, parseFlags, positiveInt, projectRoot } from "./harness";

export const REVIEW_USAGE = "review [--quick] [--items N] [--keep] [--no-build]";

const FULL = { items: 200_000, iterations: 2000, warmup: 200, apiSeconds: 15, browserItems: 40 } as const;
const QUICK = { items: 20_000, iterations: 300, warmup: 50, apiSeconds: 5, browserItems: 10 } as const;
const API_WARMUP_SECONDS = 1;
const TARGETS = {
  next_p95_ms: 10,
  submit_p95_ms: 10,
  errors: 0,
  overlap_exceeded: 0,
  submit_to_next_p95_ms: 150,
  route_js_gzip_kb: 250,
} as const;
const JUDGING_ROUTE = "routes/review.$batchId.tsx";

const runWorker = benchWorker("review-worker.ts");

interface Integrity {
  judgments: number;
  max_judgments_per_item: number;
  /** Items with more judgments, or more live claims (leased + submitted assignments), than the overlap. */
  overlap_exceeded: number;
  /** Items whose claims/submitted/open counters disagree with their assignments and judgments. */
  counters_inconsistent: number;
}

/** Counts, from the rows themselves, what the counters and the overlap rule promise. */
function checkIntegrity(dbPath: string, batchId: string): Integrity {
  const { sqlite } = openDatabase(dbPath, { migrate: false });
  try {
    const row = sqlite
      .prepare<{ batch: string; overlap: number }, Integrity>(
        `WITH counted AS (
           SELECT i.claims, i.submitted, i.open,
             (SELECT count(*) FROM judgments j WHERE j.item_id = i.id) AS judged,
             (SELECT count(*) FROM assignments a WHERE a.item_id = i.id AND a.status IN ('leased', 'submitted')) AS live
           FROM items i WHERE i.batch_id = @batch)
         SELECT coalesce(sum(judged), 0) AS judgments,
           coalesce(max(judged), 0) AS max_judgments_per_item,
           coalesce(sum(judged > @overlap OR live > @overlap), 0) AS overlap_exceeded,
           coalesce(sum(claims != live OR submitted != judged OR open != (claims < @overlap)), 0) AS counters_inconsistent
         FROM counted`,
      )
      .get({ batch: batchId, overlap: OVERLAP })!;
    return row;
  } finally {
    sqlite.close();
  }
}

/** Returns the process exit code. */
export async function runReviewBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    items: { type: "string" },
    "no-build": { type: "boolean", default: false },
  });
  const plan = values.quick ? QUICK : FULL;
  const items = positiveInt("items", values.items, plan.items);
  if (items < 1000) throw new BenchUsageError("--items must be at least 1000");

  /** Parts that failed or could not run, by name. */
  const failures: Record<string, string> = {};
  let setup: SetupResult | undefined;
  let service: ServiceResult | undefined;
  let api: ApiResult | undefined;
  let browser: BrowserResult | undefined;
  let routeJs: RouteJs | undefined;
  let integrity: Integrity | undefined;
  let server: RunningServer | undefined;
  await inScratchDir(
    "review",
    values.keep,
    async ({ dir, dbPath, env }) => {
      try {
        log(`review bench: ${items} items, ${items * 1.5} stored judgments, overlap ${OVERLAP}, in ${dir}`);
        setup = await runWorker<SetupResult>(["setup", String(items), String(DEFAULT_SEED)], env);
        log(`  setup: ${setup.items} items, ${setup.judgments} judgments in ${setup.seconds.toFixed(1)} s (not timed)`);

        log(`  in-process: ${plan.iterations} × (nextAssignment, submitJudgment) and the raw baseline, after ${plan.warmup} warm-up …`);
        try {
          service = await runWorker<ServiceResult>(["service", setup.batch_id, String(plan.iterations), String(plan.warmup)], env);
          log(`  next p95 ${service.next_ms.p95.toFixed(2)} ms (raw ${service.raw_next_ms.p95.toFixed(2)}), submit p95 ${service.submit_ms.p95.toFixed(2)} ms (raw ${service.raw_submit_ms.p95.toFixed(2)})`);
        } catch (error) {
          failures.service = message(error);
        }

        let built = false;
        if (values["no-build"]) built = true;
        else {
          try {
            await ensureBuild(projectRoot);
            built = true;
          } catch (error) {
            failures.build = message(error);
          }
        }
        if (!built) {
          failures.api = failures.browser = failures.route_js = "not run: no current build";
        } else {
          try {
            routeJs = routeJsSize(projectRoot, JUDGING_ROUTE);
            log(`  judging route JS: ${routeJs.gzip_kb.toFixed(1)} KiB gzipped in ${routeJs.files.length} files (${routeJs.source})`);
          } catch (error) {
            failures.route_js = message(error);
          }
          try {
            server = await startServer(projectRoot, dbPath);
            log(`  server: ${server.url} (pid ${server.pid})`);
          } catch (error) {
            failures.api = failures.browser = `not run: the server did not start: ${message(error)}`;
          }
        }
        if (server) {
          try {
            log(`  API: ${setup.reviewers.length} reviewers for ${API_WARMUP_SECONDS} s warm-up + ${plan.apiSeconds} s …`);
            api = await runApiLoad({
              url: server.url,
              batchId: setup.batch_id,
              tokens: setup.reviewers.map((r) => r.token),
              seconds: plan.apiSeconds,
              warmupSeconds: API_WARMUP_SECONDS,
              maxJudgments: items,
              serverPid: server.pid,
            });
            log(
              `  API: ${api.judgments_per_s.toFixed(0)} judgments/s, p95 ${api.latency_ms.p95.toFixed(1)} ms, ${api.errors} errors` +
                ` (server CPU ${api.server_cpu_pct?.toFixed(0) ?? "?"}%, client CPU ${api.client_cpu_pct.toFixed(0)}%)`,
            );
            for (const sample of api.error_samples) log(`    API error: ${sample}`);
          } catch (error) {
            failures.api = message(error);
          }
          try {
            log(`  browser: ${plan.browserItems} items in Chromium …`);
            browser = await measureBrowser({ url: server.url, batchId: setup.batch_id, items: plan.browserItems, ...BROWSER_USER });
            if (browser.stopped) failures.browser = browser.stopped;
            for (const sample of browser.error_samples) log(`    browser error: ${sample}`);
          } catch (error) {
            failures.browser = message(error);
          }
          await server.stop();
          server = undefined;
        }
        integrity = checkIntegrity(dbPath, setup.batch_id);
        log(`  integrity: ${integrity.judgments} judgments, at most ${integrity.max_judgments_per_item} per item, ${integrity.overlap_exceeded} over the overlap`);
      } catch (error) {
        failures.run = message(error);
      }
    },
    // The server holds the database open: stop it first, also on Ctrl-C.
    async () => {
      await server?.stop();
    },
  );

  const ms = (value: number | undefined) => (value === undefined ? null : round(value, 3));
  const toNext = browser && browser.samples_ms.length ? summarize(browser.samples_ms) : undefined;
  const errors = api || browser ? (api?.errors ?? 0) + (browser?.errors ?? 0) : null;
  const figures = {
    next_p95_ms: ms(service?.next_ms.p95),
    submit_p95_ms: ms(service?.submit_ms.p95),
    errors,
    overlap_exceeded: integrity?.overlap_exceeded ?? null,
    submit_to_next_p95_ms: ms(toNext?.p95),
    route_js_gzip_kb: routeJs ? round(routeJs.gzip_kb, 1) : null,
  };
  const meets = (Object.keys(TARGETS) as Array<keyof typeof TARGETS>).every((key) => {
    const value = figures[key];
    if (value === null) return false;
    return key === "errors" || key === "overlap_exceeded" ? value <= TARGETS[key] : value < TARGETS[key];
  });
  const result = {
    bench: "review",
    items: setup?.items ?? items,
    judgments: setup?.judgments ?? null,
    overlap: OVERLAP,
    setup_seconds: setup ? round(setup.seconds, 1) : null,
    iterations: service?.iterations ?? null,
    next_p50_ms: ms(service?.next_ms.p50),
    next_p95_ms: figures.next_p95_ms,
    next_max_ms: ms(service?.next_ms.max),
    submit_p50_ms: ms(service?.submit_ms.p50),
    submit_p95_ms: figures.submit_p95_ms,
    submit_max_ms: ms(service?.submit_ms.max),
    raw_next_p50_ms: ms(service?.raw_next_ms.p50),
    raw_next_p95_ms: ms(service?.raw_next_ms.p95),
    raw_submit_p95_ms: ms(service?.raw_submit_ms.p95),
    next_ratio_to_raw: service ? round(service.raw_next_ms.p95 / service.next_ms.p95, 3) : null,
    submit_ratio_to_raw: service ? round(service.raw_submit_ms.p95 / service.submit_ms.p95, 3) : null,
    progress_p50_ms: ms(service?.progress_ms.p50),
    progress_p95_ms: ms(service?.progress_ms.p95),
    judge_action_p95_ms: ms(service?.judge_action_ms.p95),
    api_reviewers: api?.reviewers ?? setup?.reviewers.length ?? null,
    api_seconds: api ? round(api.seconds, 2) : null,
    api_judgments: api?.judgments ?? null,
    api_judgments_per_s: api ? round(api.judgments_per_s, 1) : null,
    api_p50_ms: ms(api?.latency_ms.p50),
    api_p95_ms: ms(api?.latency_ms.p95),
    api_next_p95_ms: ms(api?.next_ms.p95),
    api_judgment_p95_ms: ms(api?.judgment_ms.p95),
    api_server_cpu_pct: api?.server_cpu_pct != null ? round(api.server_cpu_pct, 0) : null,
    api_client_cpu_pct: api ? round(api.client_cpu_pct, 0) : null,
    api_exhausted_reviewers: api?.exhausted ?? null,
    errors,
    error_samples: [...(api?.error_samples ?? []), ...(browser?.error_samples ?? [])].slice(0, 10),
    overlap_exceeded: figures.overlap_exceeded,
    counters_inconsistent: integrity?.counters_inconsistent ?? null,
    max_judgments_per_item: integrity?.max_judgments_per_item ?? null,
    final_judgments: integrity?.judgments ?? null,
    submit_to_next_samples: browser?.samples_ms.length ?? null,
    submit_to_next_p50_ms: ms(toNext?.p50),
    submit_to_next_p95_ms: figures.submit_to_next_p95_ms,
    submit_to_next_max_ms: ms(toNext?.max),
    browser_js_encoded_kb: browser?.js_encoded_kb != null ? round(browser.js_encoded_kb, 1) : null,
    route_js_gzip_kb: figures.route_js_gzip_kb,
    route_js_raw_kb: routeJs ? round(routeJs.raw_kb, 1) : null,
    route_js_files: routeJs?.files ?? null,
    route_js_source: routeJs?.source ?? null,
    failures,
    targets: TARGETS,
    meets_targets: meets,
  };
  return finish("review", result, failures);
}
