/**
 * `npm run bench -- soak [--seconds N] [--quick] [--reviewers R] [--keep] [--no-build]`
 *
 * Issue 14's soak: R (100) concurrent API reviewers on loopback against `node server.js`, each
 * in a loop of GET next → POST judgment, for N seconds (600; 60 with --quick) after a 2 s
 * warm-up; it stops by itself. Afterwards, with the server stopped, it checks in SQL that every
 * judgment the server acknowledged with a 2xx is stored (by client_id: `lost` counts those
 * missing) and that no item holds more claims or judgments than the overlap. The server's
 * resident memory is read from /proc at the start of the window, at its end, and every tenth of
 * it (`rss_mb_by_tenth`: a plateau, caches filling, from a leak).
 *
 * Prints one JSON object with judgments_per_s, p50_ms, p99_ms, errors, rss_mb_start,
 * rss_mb_end, lost and overlap_exceeded beside the targets; exit 0 whether or not they are met,
 * 1 if a part failed.
 */
import { readFileSync } from "node:fs";
import { openDatabase } from "../../db/client";
import { DEFAULT_SEED } from "./corpus";
import {
  BenchUsageError,
  benchWorker,
  COMMON_FLAGS,
  errorMessage as message,
  finish,
  inScratchDir,
  log,
  parseFlags,
  positiveInt,
  projectRoot,
} from "./harness";
import {
  ensureBuild,
  runApiLoad,
  startServer,
  type ApiResult,
  type RunningServer,
} from "./review-server";
import { OVERLAP } from "./review-shared";
import type { SetupResult } from "./review-worker";
import { round } from "./stats";

export const SOAK_USAGE =
  "soak [--seconds N] [--quick] [--reviewers R] [--keep] [--no-build]";

const WARMUP_SECONDS = 2;
/** Judgments a second the batch must hold for the whole run, with room to spare. */
const PLANNED_RATE = 3000;
const TARGETS = {
  judgments_per_s: 1000,
  p99_ms: 100,
  errors: 0,
  lost: 0,
  overlap_exceeded: 0,
  rss_growth_mb: 50,
} as const;

const runWorker = benchWorker("review-worker.ts");

/** Resident memory of a process in MB (Linux /proc), or null elsewhere. */
function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(
      readFileSync(`/proc/${pid}/status`, "utf8")
    );
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Acknowledged client_ids missing from the judgments table, and items over the overlap. */
function audit(
  dbPath: string,
  batchId: string,
  acknowledged: readonly string[]
): { lost: number; overlap_exceeded: number; stored: number } {
  const { sqlite } = openDatabase(dbPath, { migrate: false });
  try {
    sqlite.exec("CREATE TEMP TABLE acked (client_id TEXT PRIMARY KEY)");
    const insert = sqlite.prepare("INSERT OR IGNORE INTO acked VALUES (?)");
    sqlite.transaction(() => {
      for (const id of acknowledged) insert.run(id);
    })();
    const lost = sqlite
      .prepare<[], number>(
        "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM judgments j WHERE j.client_id = a.client_id)"
      )
      .pluck()
      .get()!;
    const stored = sqlite
      .prepare<[], number>(
        "SELECT count(*) FROM acked a WHERE EXISTS (SELECT 1 FROM judgments j WHERE j.client_id = a.client_id)"
      )
      .pluck()
      .get()!;
    const exceeded = sqlite
      .prepare<{ batch: string; overlap: number }, number>(
        `SELECT count(*) FROM items i WHERE i.batch_id = @batch AND (
           (SELECT count(*) FROM judgments j WHERE j.item_id = i.id AND j.source = 'reviewer') > @overlap + i.extra_overlap
           OR (SELECT count(*) FROM assignments a WHERE a.item_id = i.id AND a.kind = 'review' AND a.status IN ('leased', 'submitted')) > @overlap + i.extra_overlap)`
      )
      .pluck()
      .get({ batch: batchId, overlap: OVERLAP })!;
    return { lost, overlap_exceeded: exceeded, stored };
  } finally {
    sqlite.close();
  }
}

export async function runSoakBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    seconds: { type: "string" },
    reviewers: { type: "string" },
    "no-build": { type: "boolean", default: false },
  });
  const seconds = positiveInt(
    "seconds",
    values.seconds,
    values.quick ? 60 : 600
  );
  const reviewers = positiveInt("reviewers", values.reviewers, 100);
  if (reviewers < OVERLAP)
    throw new BenchUsageError(
      `--reviewers must be at least the overlap (${OVERLAP})`
    );
  // The stored state leaves 1.5 judgments per item to give (overlap 3, 1.5 stored).
  const items = Math.max(20_000, Math.ceil((seconds * PLANNED_RATE) / 1.5));
  const root = projectRoot;
  const failures: Record<string, string> = {};
  let setup: SetupResult | undefined;
  let api: ApiResult | undefined;
  let server: RunningServer | undefined;
  let rss: { start: number | null; end: number | null } = {
    start: null,
    end: null,
  };
  let checked:
    | { lost: number; overlap_exceeded: number; stored: number }
    | undefined;
  const acknowledged: string[] = [];
  const rssSamples: (number | null)[] = [];

  await inScratchDir(
    "soak",
    values.keep,
    async ({ dbPath }) => {
      const env = { ...process.env, VERDICT_DB: dbPath, VERDICT_SEED: "none" };
      try {
        log(`soak: ${items} items, ${reviewers} reviewers, ${seconds} s …`);
        setup = await runWorker<SetupResult>(
          ["setup", String(items), String(DEFAULT_SEED), String(reviewers)],
          env
        );
        log(
          `  setup: ${setup.items} items, ${
            setup.judgments
          } judgments in ${setup.seconds.toFixed(1)} s (not timed)`
        );
        if (!values["no-build"]) log(`  build: ${await ensureBuild(root)}`);
        server = await startServer(root, dbPath);
        const pid = server.pid;
        // RSS at the start of the measured window (after the warm-up), and at its end.
        const startTimer = setTimeout(
          () => (rss = { ...rss, start: rssMb(pid) }),
          WARMUP_SECONDS * 1000
        );
        // And every tenth of the run, to tell a plateau (caches filling) from a leak.
        const sampleTimer = setInterval(
          () => rssSamples.push(rssMb(pid)),
          (seconds * 1000) / 10
        ).unref();
        api = await runApiLoad({
          url: server.url,
          batchId: setup.batch_id,
          tokens: setup.reviewers.map((r) => r.token),
          seconds,
          warmupSeconds: WARMUP_SECONDS,
          maxJudgments: Number.MAX_SAFE_INTEGER,
          serverPid: pid,
          onAcknowledged: (clientId) => acknowledged.push(clientId),
        });
        clearTimeout(startTimer);
        clearInterval(sampleTimer);
        rss = { ...rss, end: rssMb(pid) };
        log(
          `  ${api.judgments_per_s.toFixed(
            0
          )} judgments/s, p99 ${api.latency_ms.p99.toFixed(1)} ms, ${
            api.errors
          } errors, server CPU ${api.server_cpu_pct?.toFixed(0) ?? "?"}%`
        );
        for (const sample of api.error_samples) log(`    error: ${sample}`);
        await server.stop();
        checked = audit(dbPath, setup.batch_id, acknowledged);
        log(
          `  audit: ${checked.stored} of ${acknowledged.length} acknowledged judgments stored, ${checked.lost} lost, ${checked.overlap_exceeded} items over the overlap`
        );
      } catch (error) {
        failures.run = message(error);
      }
    },
    async () => {
      await server?.stop();
    }
  );

  const figures = {
    judgments_per_s: api ? round(api.judgments_per_s, 1) : null,
    p50_ms: api ? round(api.latency_ms.p50, 2) : null,
    p99_ms: api ? round(api.latency_ms.p99, 2) : null,
    errors: api?.errors ?? null,
    rss_mb_start: rss.start === null ? null : round(rss.start, 1),
    rss_mb_end: rss.end === null ? null : round(rss.end, 1),
    lost: checked?.lost ?? null,
    overlap_exceeded: checked?.overlap_exceeded ?? null,
  };
  const growth =
    figures.rss_mb_start !== null && figures.rss_mb_end !== null
      ? figures.rss_mb_end - figures.rss_mb_start
      : null;
  const meets =
    figures.judgments_per_s !== null &&
    figures.judgments_per_s >= TARGETS.judgments_per_s &&
    figures.p99_ms !== null &&
    figures.p99_ms < TARGETS.p99_ms &&
    figures.errors === TARGETS.errors &&
    figures.lost === TARGETS.lost &&
    figures.overlap_exceeded === TARGETS.overlap_exceeded &&
    growth !== null &&
    growth <= TARGETS.rss_growth_mb;
  const result = {
    bench: "soak",
    seconds,
    reviewers,
    items,
    ...figures,
    rss_growth_mb: growth === null ? null : round(growth, 1),
    rss_mb_by_tenth: rssSamples.map((mb) => (mb === null ? null : round(mb, 0))),
    judgments: api?.judgments ?? null,
    acknowledged: acknowledged.length,
    next_p99_ms: api ? round(api.next_ms.p99, 2) : null,
    judgment_p99_ms: api ? round(api.judgment_ms.p99, 2) : null,
    server_cpu_pct:
      api?.server_cpu_pct != null ? round(api.server_cpu_pct, 0) : null,
    client_cpu_pct: api ? round(api.client_cpu_pct, 0) : null,
    exhausted_reviewers: api?.exhausted ?? null,
    targets: TARGETS,
    meets_targets: meets,
  };
  return finish("soak", result, failures);
}
