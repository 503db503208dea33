/**
 * The in-process parts of the review benchmark, each in a process of its own (a fresh heap, as
 * a server restarted on an existing database has). Started by ./review.ts with VERDICT_DB set
 * to the benchmark database; prints one JSON line on stdout, progress on stderr.
 *
 *   node --import tsx tests/bench/review-worker.ts setup ITEMS SEED [REVIEWERS]
 *       Builds the stored state (not timed as part of the results): REVIEWERS (50) API reviewers and one
 *       browser reviewer, ITEMS prompts × 2 responses, a pairwise batch with overlap 3 and
 *       ITEMS items, and 1.5 × ITEMS submitted judgments with their assignments and pairs.
 *   node --import tsx tests/bench/review-worker.ts service BATCH_ID ITERATIONS WARMUP
 *       Times nextAssignment and submitJudgment (and reviewProgress, and the judging screen's
 *       submit action) by calling the services, beside bare better-sqlite3 statements doing
 *       the same selection and writes on the same database (and connection), interleaved.
 */
import { JUDGING_LOOKAHEAD, nextAssignment, nextAssignments, reviewProgress } from "../../app/services/assignments.server";
import { closeConnection, connection } from "../../app/services/database.server";
import { submitJudgment } from "../../app/services/judgments.server";
import { createToken } from "../../app/services/tokens.server";
import { createUser } from "../../app/services/users.server";
import type { Sqlite } from "../../db/client";
import { newId } from "../../db/ids";
import { bulkLoad, fixtureInserts, LEASE_MS, PARAMS_JSON, uniformVerdict } from "./bulk-load";
import { benchPrompts, MODELS, seededRandom } from "./corpus";
import { log, workerMain, workerUsage } from "./harness";
import { API_REVIEWERS, BROWSER_USER, OVERLAP } from "./review-shared";
import { summarize, type Summary } from "./stats";

const DATASET = "bench-review";

export interface SetupResult {
  batch_id: string;
  items: number;
  judgments: number;
  /** API reviewers with a bearer token each (the database is a throwaway temp file). */
  reviewers: Array<{ id: string; username: string; token: string }>;
  seconds: number;
}

export interface ServiceResult {
  iterations: number;
  next_ms: Summary;
  submit_ms: Summary;
  progress_ms: Summary;
  /** What the judging screen's POST does server-side: submitJudgment + nextAssignments(2) + reviewProgress. */
  judge_action_ms: Summary;
  raw_next_ms: Summary;
  raw_submit_ms: Summary;
}

/**
 * How many judgments item k has in the stored state: the first quarter of the items are
 * complete (3), the next 3/8 have 2, the rest none, so judgments = 1.5 × items.
 */
function storedJudgments(k: number, items: number): number {
  if (k < Math.floor(items / 4)) return 3;
  if (k < Math.floor(items / 4) + Math.floor((items * 3) / 8)) return 2;
  return 0;
}

async function setup(items: number, seed: number, apiReviewers = API_REVIEWERS): Promise<SetupResult> {
  if (MODELS.length !== 2) throw new Error("the review bench expects two models per prompt");
  const started = performance.now();
  const { sqlite } = connection();
  const random = seededRandom(seed ^ 0x5eed);
  const base = Date.now() - 30 * 86_400_000;
  const insert = fixtureInserts(sqlite, newId);

  // These accounts sign in only with their API tokens.
  const usernames = Array.from({ length: apiReviewers }, (_, r) => `bench-r${String(r + 1).padStart(3, "0")}`);
  const batchId = newId();
  let judgments = 0;
  const reviewerIds = bulkLoad(sqlite, () => {
    const { reviewerIds: ids, datasetId } = insert.reviewedBatch({
      batchId,
      name: "Review bench (pairwise, overlap 3)",
      overlap: OVERLAP,
      dataset: DATASET,
      source: "review bench",
      usernames,
      createdAt: base,
    });

    let k = 0;
    for (const prompt of benchPrompts(items, seed)) {
      const promptId = newId();
      insert.prompt.run(promptId, datasetId, prompt.externalId, JSON.stringify([{ role: "user", content: prompt.content }]));
      const responseIds = prompt.responses.map((response) => {
        const id = newId();
        insert.response.run(id, promptId, response.model, response.model, response.text, PARAMS_JSON);
        return id;
      });
      const itemId = newId();
      const count = storedJudgments(k, items);
      insert.item.run(itemId, batchId, promptId, JSON.stringify(responseIds), k, count, count, count < OVERLAP ? 1 : 0);
      for (let t = 0; t < count; t++) {
        // 3k, 3k+1, 3k+2 (mod the reviewers) are distinct: no reviewer holds two assignments on one item.
        const reviewerId = ids[(k * OVERLAP + t) % apiReviewers]!;
        const doneAt = base + k * 10_000 + t * 1000;
        insert.submitted({
          ...uniformVerdict(random),
          batchId,
          itemId,
          promptId,
          reviewerId,
          responseIds,
          tie: false,
          leasedAt: doneAt - 60_000,
          doneAt,
          durationMs: 20_000,
        });
        judgments++;
      }
      k++;
      if (k % 50_000 === 0) log(`  setup: ${k}/${items} items, ${judgments} judgments`);
    }
    return ids;
  });

  // The browser reviewer signs in with a password, so it gets a real hash through the service.
  const browser = await createUser({ username: BROWSER_USER.username, role: "reviewer", password: BROWSER_USER.password });
  insert.reviewer.run(batchId, browser.id);
  const reviewers = reviewerIds.map((id, r) => ({ id, username: usernames[r]!, token: createToken({ username: usernames[r]!, name: "review bench" }).token }));
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  closeConnection();
  return { batch_id: batchId, items, judgments, reviewers, seconds: (performance.now() - started) / 1000 };
}

/**
 * The bare statements: what `next` and a submission must do at the least. They run on the
 * services' own connection: a commit from a second connection would make SQLite drop this
 * one's whole page cache (WAL), and the two would slow each other down as the server's single
 * connection never is.
 */
function rawStatements(sqlite: Sqlite) {
  const pick = sqlite.prepare<[string, string], { id: string; prompt_id: string; response_ids: string }>(
    `SELECT i.id, i.prompt_id, i.response_ids FROM items i INDEXED BY items_open_idx
     WHERE i.batch_id = ? AND i.open = 1
       AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.reviewer_id = ?)
     ORDER BY i.submitted DESC, i.position LIMIT 1`,
  );
  const lease = sqlite.prepare(
    `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at)
     VALUES (?, ?, ?, ?, 'leased', '[0,1]', ?, ?)`,
  );
  const claim = sqlite.prepare("UPDATE items SET claims = claims + 1, open = (claims + 1 < ?) WHERE id = ?");
  const judge = sqlite.prepare(
    `INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, rationale, duration_ms, client_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, '', NULL, ?, ?, ?)`,
  );
  const done = sqlite.prepare("UPDATE assignments SET status = 'submitted', done_at = ? WHERE id = ?");
  const count = sqlite.prepare("UPDATE items SET submitted = submitted + 1 WHERE id = ?");
  const pair = sqlite.prepare(
    `INSERT INTO preference_pairs (id, judgment_id, batch_id, item_id, reviewer_id, prompt_id, chosen_id, rejected_id, strength, source, shown_chosen_first)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 2, 'pairwise', 1)`,
  );
  type Leased = { assignmentId: string; itemId: string; promptId: string; responseIds: string[] };
  return {
    next: sqlite.transaction((batchId: string, reviewerId: string): Leased | null => {
      const item = pick.get(batchId, reviewerId);
      if (!item) return null;
      const now = Date.now();
      const assignmentId = newId();
      lease.run(assignmentId, item.id, batchId, reviewerId, now, now + LEASE_MS);
      claim.run(OVERLAP, item.id);
      return { assignmentId, itemId: item.id, promptId: item.prompt_id, responseIds: JSON.parse(item.response_ids) as string[] };
    }),
    submit: sqlite.transaction((batchId: string, reviewerId: string, leased: Leased, clientId: string): void => {
      const now = Date.now();
      const judgmentId = newId();
      const [a, b] = leased.responseIds as [string, string];
      judge.run(judgmentId, leased.assignmentId, leased.itemId, reviewerId, JSON.stringify({ task: "pairwise", preferred: a, strength: 2, bothBad: false }), clientId, now, now);
      done.run(now, leased.assignmentId);
      count.run(leased.itemId);
      pair.run(newId(), judgmentId, batchId, leased.itemId, reviewerId, leased.promptId, a, b);
    }),
  };
}

function service(batchId: string, iterations: number, warmup: number): ServiceResult {
  if (!process.env.VERDICT_DB) throw new Error("VERDICT_DB must name the benchmark database");
  const { sqlite } = connection();
  const reviewers = sqlite
    .prepare<[string], { id: string }>(
      "SELECT u.id FROM users u JOIN batch_reviewers br ON br.user_id = u.id WHERE br.batch_id = ? AND u.username LIKE 'bench-r%' ORDER BY u.username",
    )
    .all(batchId)
    .map((r) => r.id);
  if (reviewers.length === 0) throw new Error(`no bench reviewers in batch ${batchId}`);
  const raw = rawStatements(sqlite);
  const samples = { next: [] as number[], submit: [] as number[], progress: [] as number[], rawNext: [] as number[], rawSubmit: [] as number[] };

  // reviewProgress grows with the batch (it counts items), so it is sampled: about 200 calls.
  const progressEvery = Math.max(1, Math.floor(iterations / 200));
  const runService = (i: number, reviewerId: string, timed: boolean) => {
    const t0 = performance.now();
    const view = nextAssignment(batchId, reviewerId);
    const t1 = performance.now();
    if (!view) throw new Error(`nextAssignment found nothing for reviewer ${reviewerId} at iteration ${i}`);
    const preferred = view.responses[0]!.id;
    submitJudgment(view.id, reviewerId, { client_id: `svc-${i}-${view.id}`, preferred, strength: 2 });
    const t2 = performance.now();
    if (!timed) return;
    samples.next.push(t1 - t0);
    samples.submit.push(t2 - t1);
    if (i % progressEvery === 0) {
      reviewProgress(batchId, reviewerId);
      samples.progress.push(performance.now() - t2);
    }
  };
  const runRaw = (i: number, reviewerId: string, timed: boolean) => {
    const t0 = performance.now();
    const leased = raw.next.immediate(batchId, reviewerId);
    const t1 = performance.now();
    if (!leased) throw new Error(`the raw selection found nothing for reviewer ${reviewerId} at iteration ${i}`);
    raw.submit.immediate(batchId, reviewerId, leased, `raw-${i}-${leased.assignmentId}`);
    const t2 = performance.now();
    if (!timed) return;
    samples.rawNext.push(t1 - t0);
    samples.rawSubmit.push(t2 - t1);
  };

  const total = warmup + iterations;
  for (let i = 0; i < total; i++) {
    const timed = i >= warmup;
    // The service and the baseline take turns going first, on two different reviewers.
    const serviceReviewer = reviewers[i % reviewers.length]!;
    const rawReviewer = reviewers[(i + Math.floor(reviewers.length / 2)) % reviewers.length]!;
    if (i % 2 === 0) {
      runService(i, serviceReviewer, timed);
      runRaw(i, rawReviewer, timed);
    } else {
      runRaw(i, rawReviewer, timed);
      runService(i, serviceReviewer, timed);
    }
    if ((i + 1) % 500 === 0) log(`  service: ${i + 1}/${total} iterations`);
  }

  // The judging screen's submit: judge the item on screen, lease up to two ahead, recount progress.
  const judgeAction: number[] = [];
  const screenReviewers = reviewers.slice(0, 5);
  const queues = new Map(screenReviewers.map((r) => [r, nextAssignments(batchId, r, JUDGING_LOOKAHEAD)]));
  const actions = 50;
  for (let i = 0; i < actions; i++) {
    const reviewerId = screenReviewers[i % screenReviewers.length]!;
    const current = queues.get(reviewerId)?.[0];
    if (!current) break;
    const t0 = performance.now();
    submitJudgment(current.id, reviewerId, { client_id: `screen-${i}-${current.id}`, preferred: current.responses[1]!.id, strength: 1 });
    queues.set(reviewerId, nextAssignments(batchId, reviewerId, JUDGING_LOOKAHEAD));
    reviewProgress(batchId, reviewerId);
    judgeAction.push(performance.now() - t0);
  }

  closeConnection();
  return {
    iterations,
    next_ms: summarize(samples.next),
    submit_ms: summarize(samples.submit),
    progress_ms: summarize(samples.progress),
    judge_action_ms: summarize(judgeAction),
    raw_next_ms: summarize(samples.rawNext),
    raw_submit_ms: summarize(samples.rawSubmit),
  };
}

workerMain(async ([mode, ...rest]) => {
  if (mode === "setup" && (rest.length === 2 || rest.length === 3)) return setup(Number(rest[0]), Number(rest[1]), rest[2] === undefined ? undefined : Number(rest[2]));
  if (mode === "service" && rest.length === 3) return service(rest[0]!, Number(rest[1]), Number(rest[2]));
  return workerUsage("review-worker.ts setup ITEMS SEED | service BATCH_ID ITERATIONS WARMUP");
});
