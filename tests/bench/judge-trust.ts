/**
 * `npm run bench -- judge-trust [--quick] [--limit N] [--error-rate E] [--human-error-rate H] [--reviewers R] [--seed S] [--keep]`
 *
 * Does Verdict's reported judge agreement recover a known error rate on real data? The
 * Anthropic HH-RLHF harmless-base test split (../shared/datasets, 2,312 pairs; skipped with a
 * `{"skipped": …}` result when absent) is imported into a temp database and put in one
 * pairwise batch (all prompts, or a seeded sample of `--limit`; `--quick` is 300). Simulated
 * reviewers (`--reviewers`, 1 by default, overlap = reviewers) judge every item through the
 * services a browser uses, each picking the dataset's `chosen` response except with
 * probability `--human-error-rate` (0 by default). A fake judge behind the fake
 * OpenAI-compatible server prefers `chosen` except with probability `--error-rate` (0.2 by
 * default), drawn once per item (seeded), so both presentations of an item, sides swapped, get
 * the same decision: the judge is position-consistent. It finds the chosen text from the prompt
 * it is sent (the two texts shown → the item's chosen text, built from the database).
 *
 * Then `judgeBatch` (concurrency 8, no retry delay) and `judgeReports`. The expected majority
 * agreement is (1 − e)(1 − m) + e·m, m being the chance the reviewers' majority is wrong (m = h
 * for one reviewer); with perfect reviewers, 1 − e. `recovered`: the reported 95% interval
 * contains it. Prints one JSON object on stdout; progress goes to stderr. Exit 0 when it ran
 * (recovered or not), 1 when a part failed, 2 for a usage error.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { BenchUsageError, COMMON_FLAGS, finish, inScratchDir, log, parseFlags, positiveInt, printResult, projectRoot } from "./harness";
import { round } from "./stats";
import { randomFor } from "../../app/core/pairing/selection";
import { pairwiseAnswer, shownResponses } from "../support/fake-judge";
import { lastUserText, startFakeOpenAI, type FakeRequest } from "../support/fake-openai";

export const JUDGE_TRUST_USAGE = "judge-trust [--quick] [--limit N] [--error-rate E] [--human-error-rate H] [--reviewers R] [--seed S] [--keep]";

export const HH_SPLIT = resolve(projectRoot, "../shared/datasets/hh-rlhf-harmless-base-test.jsonl.gz");
const QUICK_LIMIT = 300;
const CONCURRENCY = 8;

/** A share in [0, 1] from a flag. */
function rate(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new BenchUsageError(`--${name} must be a number from 0 to 1`);
  return n;
}

/** The chance that a strict majority of `r` independent reviewers, each wrong with probability h, is wrong (r odd; for r even a split has no majority and is left out). */
function majorityWrong(r: number, h: number): number {
  const choose = (n: number, k: number) => {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    return c;
  };
  let wrong = 0;
  let decided = 0;
  for (let k = 0; k <= r; k++) {
    const p = choose(r, k) * h ** k * (1 - h) ** (r - k);
    if (2 * k > r) wrong += p;
    if (2 * k !== r) decided += p;
  }
  return decided === 0 ? 0 : wrong / decided;
}

/** The two texts of an item, order-free: how the fake judge finds the item it is shown. */
const pairKey = (x: string, y: string) => (x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);

const interval = (i: [number, number] | null) => (i === null ? null : [round(i[0], 4), round(i[1], 4)]);

export async function runJudgeTrustBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    limit: { type: "string" },
    "error-rate": { type: "string" },
    "human-error-rate": { type: "string" },
    reviewers: { type: "string" },
    seed: { type: "string" },
  });
  const judgeError = rate("error-rate", values["error-rate"], 0.2);
  const humanError = rate("human-error-rate", values["human-error-rate"], 0);
  const reviewerCount = positiveInt("reviewers", values.reviewers, 1);
  if (reviewerCount > 9) throw new BenchUsageError("--reviewers must be at most 9");
  const limit = values.limit === undefined ? (values.quick ? QUICK_LIMIT : null) : positiveInt("limit", values.limit, QUICK_LIMIT);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 4294967295) throw new BenchUsageError("--seed must be a whole number from 0 to 4294967295");

  if (!existsSync(HH_SPLIT)) {
    printResult({ bench: "judge-trust", skipped: `the HH-RLHF split ${HH_SPLIT} is absent; put hh-rlhf-harmless-base-test.jsonl.gz there to run this bench` });
    return 0;
  }

  const failures: Record<string, string> = {};
  const started = performance.now();
  const server = await startFakeOpenAI();
  let result: Record<string, unknown> & { meets_targets: boolean } = { bench: "judge-trust", meets_targets: false };
  try {
    await inScratchDir("judge-trust", values.keep, async ({ dbPath }) => {
      process.env.VERDICT_DB = dbPath;
      process.env.VERDICT_SEED = "none";
      const { importFile } = await import("~/services/imports.server");
      const { createBatch } = await import("~/services/batches.server");
      const { nextAssignment } = await import("~/services/assignments.server");
      const { submitJudgment } = await import("~/services/judgments.server");
      const { judgeBatch, judgeReports } = await import("~/services/judge.server");
      const { connection, closeConnection } = await import("~/services/database.server");
      try {
        const { sqlite } = connection();
        let t = performance.now();
        const imported = await importFile(HH_SPLIT, { dataset: "hh", format: "hh-rlhf" });
        const importSeconds = (performance.now() - t) / 1000;
        log(`judge-trust bench: imported ${imported.prompts} prompts (${imported.pairs} chosen/rejected pairs) in ${importSeconds.toFixed(1)} s`);

        const reviewers = Array.from({ length: reviewerCount }, (_, i) => `human${i + 1}`);
        const insertUser = sqlite.prepare("INSERT INTO users (id, username, display_name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0, ?)");
        for (const name of reviewers) insertUser.run(`u-${name}`, name, name, Date.now());
        const sample = limit !== null && limit < imported.prompts ? limit : undefined;
        const batch = createBatch({ dataset: "hh", name: "judge-trust", task: "pairwise", overlap: reviewerCount, reviewers, sample, seed, config: {} });
        log(`  batch of ${batch.items} pairwise items${sample === undefined ? "" : ` (a seeded sample of ${sample} prompts)`}, ${reviewerCount} reviewer${reviewerCount > 1 ? "s" : ""}`);

        // The dataset's own preference: which response of each item is chosen (the import's preference_pairs).
        const rows = sqlite
          .prepare<[string], { item_id: string; line: string; messages: string; chosen_text: string; rejected_text: string }>(
            `SELECT i.id AS item_id, p.external_id AS line, p.messages, c.text AS chosen_text, r.text AS rejected_text
             FROM items i JOIN prompts p ON p.id = i.prompt_id
             JOIN preference_pairs pp ON pp.prompt_id = i.prompt_id AND pp.source = 'imported'
             JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
             WHERE i.batch_id = ? ORDER BY i.position`,
          )
          .all(batch.id);
        if (rows.length !== batch.items) throw new Error(`${batch.items} items but ${rows.length} have an imported chosen/rejected pair`);
        // Per item, drawn once from a seeded generator of its own: is the judge wrong on it? Keyed
        // by the prompt's external id (its line in the split), not its row id, which is new each run.
        const judgeWrong = new Map(rows.map((r) => [r.item_id, randomFor(seed, `judge:${r.line}`)() < judgeError]));
        // The fake judge finds its item by the two texts it is shown. A text can be chosen in one
        // item and rejected in another, so one text is not enough; and a few items share both
        // texts (in the split, lines 75 and 1069: "You’re welcome!" / "You’re welcome.", chosen
        // the other way round), so those are told apart by their conversation.
        type Known = { chosen: string; rejected: string; wrong: boolean; turns: string[] };
        const byTexts = new Map<string, Known[]>();
        const textRole = new Map<string, Set<string>>();
        for (const r of rows) {
          const key = pairKey(r.chosen_text, r.rejected_text);
          const turns = (JSON.parse(r.messages) as Array<{ content: string }>).map((m) => m.content);
          byTexts.set(key, [...(byTexts.get(key) ?? []), { chosen: r.chosen_text, rejected: r.rejected_text, wrong: judgeWrong.get(r.item_id)!, turns }]);
          for (const [text, role] of [[r.chosen_text, "chosen"], [r.rejected_text, "rejected"]] as const) textRole.set(text, (textRole.get(text) ?? new Set()).add(role));
        }
        const ambiguousTexts = [...textRole.values()].filter((roles) => roles.size > 1).length;
        const sharedPairs = [...byTexts.values()].filter((list) => list.length > 1).reduce((n, list) => n + list.length, 0);
        if (sharedPairs) log(`  ${sharedPairs} items share their two texts with another item: told apart by their conversation`);
        const realizedJudgeError = rows.filter((r) => judgeWrong.get(r.item_id)).length / rows.length;

        // The reviewers, through the services the judging screen uses.
        t = performance.now();
        let submitted = 0;
        let humanWrong = 0;
        let client = 0;
        /** Per item: the reviewers' votes for chosen minus those for rejected. */
        const humanMargin = new Map<string, number>();
        for (const name of reviewers) {
          for (;;) {
            const view = nextAssignment(batch.id, `u-${name}`);
            if (!view) break;
            const wrong = randomFor(seed, `human:${name}:${view.prompt.external_id}`)() < humanError;
            const pick = view.responses.find((r) => r.external_id === (wrong ? "rejected" : "chosen"));
            if (!pick) throw new Error(`item ${view.item_id} has no response with external id ${wrong ? "rejected" : "chosen"}`);
            submitJudgment(view.id, `u-${name}`, { client_id: `c${++client}`, preferred: pick.id, strength: 2, duration_ms: 20_000 });
            submitted++;
            if (wrong) humanWrong++;
            humanMargin.set(view.item_id, (humanMargin.get(view.item_id) ?? 0) + (wrong ? -1 : 1));
          }
        }
        const humanSeconds = (performance.now() - t) / 1000;
        log(`  ${submitted} human judgments submitted in ${humanSeconds.toFixed(1)} s`);
        if (submitted !== batch.items * reviewerCount) failures.humans = `${submitted} judgments submitted, ${batch.items * reviewerCount} needed`;

        // The judge: prefers chosen unless this item is one it gets wrong, on both sides alike.
        let unknownPrompts = 0;
        server.behave = (request: FakeRequest) => {
          const shown = shownResponses(request);
          const candidates = shown.length === 2 ? (byTexts.get(pairKey(shown[0]!, shown[1]!)) ?? []) : [];
          const head = lastUserText(request).split("[The Start of Assistant A's Answer]")[0]!;
          const fitting = candidates.length > 1 ? candidates.filter((c) => c.turns.every((turn) => head.includes(turn))) : candidates;
          const item = fitting.length === 1 ? fitting[0] : undefined;
          if (!item) {
            unknownPrompts++;
            return { kind: "ok", text: "I cannot tell which item this is." };
          }
          const preferred = item.wrong ? item.rejected : item.chosen;
          return { kind: "ok", text: pairwiseAnswer(shown[0] === preferred ? "A" : "B", "json") };
        };
        t = performance.now();
        const summary = await judgeBatch({ batch: batch.id, endpoint: server.url, model: "fake-judge", concurrency: CONCURRENCY, retry_base_ms: 0, retry_max_ms: 0 });
        const judgeSeconds = (performance.now() - t) / 1000;
        log(`  judge: ${summary.judged} verdicts (${summary.failed} failed) in ${judgeSeconds.toFixed(1)} s, ${(summary.judged / judgeSeconds).toFixed(0)}/s`);
        if (summary.failed) failures.judge = `${summary.failed} of ${summary.requested} verdicts failed`;
        if (unknownPrompts) failures.fake_judge = `${unknownPrompts} prompts named no known item`;

        t = performance.now();
        const report = judgeReports(batch.id).find((r) => r.run === summary.run);
        const reportSeconds = (performance.now() - t) / 1000;
        if (!report) throw new Error(`judgeReports has no report for run ${summary.run}`);
        const trust = report.trust;
        const majority = trust.majority_agreement.with_ties;
        const m = majorityWrong(reviewerCount, humanError);
        const expected = (1 - judgeError) * (1 - m) + judgeError * m;
        const expectedJudgeHuman = (1 - judgeError) * (1 - humanError) + judgeError * humanError;
        // What the report must say given the draws actually made: judge right on the items whose reviewers' majority is right, and wrong where it is wrong.
        let decided = 0;
        let agreeing = 0;
        for (const r of rows) {
          const margin = humanMargin.get(r.item_id) ?? 0;
          if (margin === 0) continue;
          decided++;
          if (!judgeWrong.get(r.item_id) === margin > 0) agreeing++;
        }
        const exactAgreement = decided ? agreeing / decided : Number.NaN;
        const recovered = majority.interval !== null && majority.interval[0] <= expected && expected <= majority.interval[1];
        log(`  majority agreement ${majority.value?.toFixed(4)} [${majority.interval?.map((x) => x.toFixed(4)).join(", ")}], expected ${expected.toFixed(4)}: ${recovered ? "recovered" : "NOT recovered"}`);
        const wall = (performance.now() - started) / 1000;
        result = {
          bench: "judge-trust",
          dataset: "Anthropic/hh-rlhf harmless-base test",
          items: batch.items,
          reviewers: reviewerCount,
          seed,
          judge_error_rate: judgeError,
          judge_error_rate_realized: round(realizedJudgeError, 4),
          human_error_rate: humanError,
          human_error_rate_realized: submitted ? round(humanWrong / submitted, 4) : null,
          expected_majority_agreement: round(expected, 4),
          realized_majority_agreement: round(exactAgreement, 4),
          reported_equals_realized: majority.value !== null && Math.abs(majority.value - exactAgreement) < 1e-12 && majority.n === decided,
          majority_agreement: { value: round(majority.value ?? Number.NaN, 4), n: majority.n, interval: interval(majority.interval) },
          majority_agreement_without_ties: { value: round(trust.majority_agreement.without_ties.value ?? Number.NaN, 4), n: trust.majority_agreement.without_ties.n },
          judge_human: {
            value: round(trust.judge_human.with_ties.value ?? Number.NaN, 4),
            n: trust.judge_human.with_ties.n,
            interval: interval(trust.judge_human.with_ties.interval),
            expected: round(expectedJudgeHuman, 4),
          },
          human_human: reviewerCount > 1 ? { value: round(trust.human_human.with_ties.value ?? Number.NaN, 4), n: trust.human_human.with_ties.n } : null,
          kappa: { value: round(trust.kappa.value ?? Number.NaN, 4), n: trust.kappa.n, interval: interval(trust.kappa.interval), ...(trust.kappa.reason ? { reason: trust.kappa.reason } : {}) },
          confusion: trust.confusion,
          swap_consistency: { value: report.swap_consistency.value, consistent: report.swap_consistency.consistent, total: report.swap_consistency.total },
          recovered,
          verdicts: { requested: summary.requested, judged: summary.judged, failed: summary.failed, styles: report.styles },
          texts_in_both_roles: ambiguousTexts,
          items_sharing_both_texts: sharedPairs,
          seconds: {
            import: round(importSeconds, 2),
            humans: round(humanSeconds, 2),
            judge: round(judgeSeconds, 2),
            report: round(reportSeconds, 2),
            wall: round(wall, 2),
          },
          judge_verdicts_per_second: round(summary.judged / judgeSeconds, 1),
          meets_targets: recovered,
        };
      } finally {
        closeConnection();
      }
    });
  } finally {
    await server.close();
  }
  return finish("judge-trust", result, failures, "the reported interval does not contain the expected agreement");
}
