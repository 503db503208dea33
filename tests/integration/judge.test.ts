import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentView } from "~/core/tasks/view";
import { labelWith, pairwiseAnswer, shownResponses, type AnswerStyle } from "../support/fake-judge";
import { lastUserText, startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { batchStats } = await import("~/services/stats.server");
const { streamExport } = await import("~/services/exports.server");
const { setModelPrice } = await import("~/services/models.server");
const { judgeBatch, runJudgeRun, judgeFailures, judgeReports, createJudgeRun } = await import("~/services/judge.server");
const { listDisputes } = await import("~/services/disputes.server");

const sqlite = () => connection().sqlite;
let server: FakeServer;
const ITEMS = 20;
const STYLES: AnswerStyle[] = ["json", "fenced", "verdict-line", "prose-json"];
/** The question number a judge prompt is about ("Question 7" → 7). */
const questionOf = (text: string) => Number(/Question (\d+)/.exec(text)?.[1] ?? -1);
/** The good judge prefers beta's answer, except on every fourth question (3, 7, 11, 15, 19): 5 of 20 wrong. */
const judgeWrongOn = (i: number) => i % 4 === 3;
/** Reviewer h3 prefers alpha on questions 0, 5, 10, 15; h1 and h2 always prefer beta. */
const h3AlphaOn = (i: number) => i % 5 === 0;

let batchId = "";
beforeAll(async () => {
  server = await startFakeOpenAI();
  const lines = Array.from({ length: ITEMS }, (_, i) =>
    JSON.stringify({
      id: `p${i}`,
      prompt: `Question ${i}`,
      responses: [
        { id: "a", model: "alpha", text: `alpha answer ${i}` },
        { id: "b", model: "beta", text: `beta answer ${i}` },
      ],
    }),
  );
  writeFileSync(join(dir, "ds.jsonl"), lines.join("\n"));
  await importFile(join(dir, "ds.jsonl"), { dataset: "ds" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)");
  for (const name of ["h1", "h2", "h3"]) insert.run(`u-${name}`, name, name, "reviewer");
  batchId = createBatch({ dataset: "ds", name: "judged", task: "pairwise", overlap: 3, reviewers: ["h1", "h2", "h3"], config: {} }).id;
  let client = 0;
  for (const name of ["h1", "h2", "h3"]) {
    for (;;) {
      const view: AssignmentView | null = nextAssignment(batchId, `u-${name}`);
      if (!view) break;
      const i = Number(/Question (\d+)/.exec(JSON.stringify(view))![1]);
      const model = name === "h3" && h3AlphaOn(i) ? "a" : "b";
      const preferred = view.responses.find((r) => r.external_id === model)!.id;
      submitJudgment(view.id, `u-${name}`, { client_id: `c${++client}`, preferred, strength: 2, duration_ms: 8000 });
    }
  }
});
afterAll(async () => {
  closeConnection();
  await server.close();
});

const goodJudge = (request: Parameters<FakeServer["behave"]>[0]) => {
  const i = questionOf(lastUserText(request));
  const label = labelWith(request, judgeWrongOn(i) ? "alpha" : "beta")!;
  return { kind: "ok" as const, text: pairwiseAnswer(label, STYLES[i % 4]!) };
};

const judgeOptions = (extra: Record<string, unknown> = {}) => ({ batch: batchId, endpoint: server.url, model: "judge-m", retry_base_ms: 0, retry_max_ms: 0, ...extra });

describe("judge runs", () => {
  let runId = "";
  it("judges every pairwise item twice, sides swapped, reading JSON, fenced JSON, prose with JSON and verdict lines", async () => {
    const before = batchStats(batchId);
    server.requests.length = 0;
    server.behave = goodJudge;
    const summary = await judgeBatch(judgeOptions());
    runId = summary.run;
    expect(summary).toMatchObject({ requested: 40, judged: 40, failed: 0, status: "done", model: "judge-m", template: "default" });
    expect(summary.template_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(server.requests).toHaveLength(40);
    // Each item is shown once each way round: what is A in one request is B in the other.
    const q0 = server.requests.filter((r) => questionOf(lastUserText(r)) === 0).map(shownResponses);
    expect(q0).toEqual([
      ["alpha answer 0", "beta answer 0"],
      ["beta answer 0", "alpha answer 0"],
    ]);
    // The prompt carries the task, the flags and the answer format; the model and temperature 0 are sent.
    expect(lastUserText(server.requests[0]!)).toMatch(/"preferred": "A", "B" or "tie"/);
    expect(lastUserText(server.requests[0]!)).toMatch(/hallucination, unsafe, refusal/);
    expect(server.requests[0]!.body).toMatchObject({ model: "judge-m", temperature: 0 });
    // The human figures do not move.
    const after = batchStats(batchId);
    expect(after.percent_agreement).toEqual(before.percent_agreement);
    expect(after.per_reviewer).toEqual(before.per_reviewer);
    expect(after.judgments).toBe(before.judgments);
  });

  it("reports agreement with the reviewers as computed by hand, beside their agreement with each other", () => {
    const [report] = judgeReports(batchId);
    expect(report!.run).toBe(runId);
    const t = report!.trust;
    // Judge = majority (beta) on 15 of 20 items; no ties anywhere.
    expect(t.majority_agreement.with_ties).toMatchObject({ value: 15 / 20, n: 20 });
    expect(t.majority_agreement.without_ties).toMatchObject({ value: 15 / 20, n: 20 });
    // Judge vs each vote: 15 right items × h1, h2 (30) + h3 on 12 of them; wrong items: h3 on question 15 only → 43 of 60.
    expect(t.judge_human.with_ties).toMatchObject({ value: 43 / 60, n: 60 });
    // Humans with each other: 16 items all agree (3 pairs), 4 items one pair → 52 of 60.
    expect(t.human_human.with_ties).toMatchObject({ value: 52 / 60, n: 60 });
    expect(t.per_human.map((h) => [h.reviewer, h.with_ties.value])).toEqual([
      ["h1", 15 / 20],
      ["h2", 15 / 20],
      ["h3", 13 / 20],
    ]);
    // The majority is always beta ("b"): κ = (0.75 − 0.75) / (1 − 0.75) = 0.
    expect(t.kappa.value).toBeCloseTo(0, 10);
    expect(t.confusion.counts).toEqual([
      [0, 0, 0],
      [5, 15, 0],
      [0, 0, 0],
    ]);
    for (const s of [t.majority_agreement.with_ties, t.judge_human.with_ties, t.human_human.with_ties]) {
      expect(s.interval![0]).toBeLessThanOrEqual(s.value!);
      expect(s.interval![1]).toBeGreaterThanOrEqual(s.value!);
    }
    // A judge that reads content is consistent when the sides swap.
    expect(report!.swap_consistency).toMatchObject({ value: 1, consistent: 20, inconsistent: 0 });
    // Questions 0, 4, … answer in JSON and 3, 7, … in prose around JSON (both read as json), the rest fenced or by verdict line; twice each.
    expect(report!.styles).toEqual({ json: 20, "fenced-json": 10, "verdict-line": 10 });
    // Items where the judge goes against the majority are triaged.
    expect(report!.triage.map((x) => x.position)).toEqual([3, 7, 11, 15, 19]);
    expect(report!.cost).toMatchObject({ prompt_tokens: 440, completion_tokens: 280, usd: null, human_median_seconds_per_item: 8 });
  });

  it("shows the judges in stats, with a cost once the judge model has a price", () => {
    setModelPrice({ model: "judge-m", input_usd_per_mtok: 1, output_usd_per_mtok: 2 });
    const stats = batchStats(batchId);
    expect(stats.judges).toHaveLength(1);
    // 440 × $1/M + 280 × $2/M = $0.001, over 20 items.
    expect(stats.judges[0]!.cost.usd).toBeCloseTo(0.001, 12);
    expect(stats.judges[0]!.cost.usd_per_item).toBeCloseTo(0.00005, 12);
  });

  it("sends the items the judge and the majority see differently to the disputes queue, after the reviewers' own splits, with the judge's choice", () => {
    const page = listDisputes(batchId, { limit: 50 });
    // h3 splits from h1 and h2 on questions 0, 5, 10, 15; the judge goes against the majority on 3, 7, 11, 15, 19.
    const split = page.items.filter((i) => i.direction).map((i) => i.position);
    const judgeOnly = page.items.filter((i) => !i.direction).map((i) => i.position);
    expect(split.sort((a, b) => a - b)).toEqual([0, 5, 10, 15]);
    expect(judgeOnly).toEqual([3, 7, 11, 19]);
    const q3 = page.items.find((i) => i.position === 3)!;
    expect(q3.judge).toMatchObject({ run: runId, model: "judge-m", reasons: ["judge disagrees with the reviewers' majority"] });
    expect(q3.judge!.choice).toBe(q3.responses.find((r) => r.model === "alpha")!.id);
    expect(page.items.find((i) => i.position === 15)!.judge).not.toBeNull();
    expect(page.items.find((i) => i.position === 0)!.judge).toBeNull();
  });

  it("prints the judge beside the reviewers in `stats`", async () => {
    const result = await runCli(["stats", "--batch", batchId]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/LLM judge judge-m \(run \S+, template default, 20 items, 0 failed\):/);
    expect(result.stdout).toMatch(/agreement with the majority 0\.750 \[[\d.]+ – [\d.]+\] with ties/);
    expect(result.stdout).toMatch(/swap consistency 100\.0%/);
  });

  it("measures position bias: a judge that always prefers the first response has swap consistency 0", async () => {
    server.behave = () => ({ kind: "ok", text: pairwiseAnswer("A", "json") });
    const summary = await judgeBatch(judgeOptions({ model: "left-judge" }));
    expect(summary.judged).toBe(40);
    const report = judgeReports(batchId).find((r) => r.run === summary.run)!;
    expect(report.swap_consistency).toMatchObject({ value: 0, consistent: 0, inconsistent: 20, position_bias: { first_shown: 20, second_shown: 0 } });
    // Inconsistent verdicts count as ties (MT-Bench): with ties the judge never agrees, without ties nothing is left.
    expect(report.trust.majority_agreement.with_ties.value).toBe(0);
    expect(report.trust.majority_agreement.without_ties.value).toBeNull();
  });

  it("retries unreadable answers, 429s and timeouts, and records what stays unreadable with its raw text", async () => {
    writeFileSync(join(dir, "flaky.jsonl"), [0, 1, 2, 3].map((i) => JSON.stringify({ id: `f${i}`, prompt: `Question ${i}`, responses: [{ id: "a", model: "alpha", text: `alpha answer ${i}` }, { id: "b", model: "beta", text: `beta answer ${i}` }] })).join("\n"));
    await importFile(join(dir, "flaky.jsonl"), { dataset: "flaky" });
    const flaky = createBatch({ dataset: "flaky", name: "flaky", task: "pairwise", overlap: 1, reviewers: ["h1"], config: {} }).id;
    server.behave = (request) => {
      const i = questionOf(lastUserText(request));
      if (i === 0) return { kind: "ok", text: "I cannot decide, both are fine I guess." };
      if (i === 1 && request.attempt === 1) return { kind: "ok", text: "{not json" };
      if (i === 2 && request.attempt === 1) return { kind: "status", status: 429, retryAfter: "0" };
      if (i === 3 && request.attempt === 1) return { kind: "slow", delayMs: 1500 };
      return { kind: "ok", text: pairwiseAnswer(labelWith(request, "beta")!, "json") };
    };
    server.requests.length = 0;
    const summary = await judgeBatch({ ...judgeOptions({ batch: flaky, model: "flaky-judge" }), timeout_ms: 500 });
    expect(summary).toMatchObject({ requested: 8, judged: 6, failed: 2 });
    // Every presentation of each question took two requests: question 0 its answer and the parse
    // retry, question 1 the unreadable answer and the good one, question 2 the 429 and the answer,
    // question 3 the timed-out request and the answer.
    expect(server.requests).toHaveLength(16);
    const failures = judgeFailures(summary.run);
    expect(failures.map((f) => f.swapped)).toEqual([false, true]);
    expect(failures[0]!.reason).toMatch(/could not be read: the answer holds no JSON object and no verdict line/);
    expect(failures[0]!.raw).toBe("I cannot decide, both are fine I guess.");
    expect(failures[0]!.attempts).toBe(2); // the first try and one parse retry
    // Running the run again asks only for the failures.
    server.behave = (request) => ({ kind: "ok", text: pairwiseAnswer(labelWith(request, "beta")!, "json") });
    server.requests.length = 0;
    const again = await runJudgeRun(summary.run, {}, server.url);
    expect(again).toMatchObject({ judged: 2, failed: 0, already_present: 6 });
    expect(server.requests).toHaveLength(2);
    expect(judgeFailures(summary.run)).toEqual([]);
  });

  it("refuses bad options with messages by field, and a template with an unknown placeholder", () => {
    expect(errorOf(() => createJudgeRun({ batch: batchId, endpoint: "ftp://x", model: "" })).details?.fields).toMatchObject({ endpoint: expect.any(String), model: expect.any(String) });
    expect(errorOf(() => createJudgeRun({ ...judgeOptions(), template: "nope" })).details?.fields).toMatchObject({ template: expect.stringMatching(/not a built-in template/) });
    expect(errorOf(() => createJudgeRun({ ...judgeOptions(), template: "mine", template_text: "{{responses}} {{refrence}}" })).details?.fields).toMatchObject({
      template: expect.stringMatching(/unknown placeholder \{\{refrence\}\}/),
    });
    expect(errorOf(() => createJudgeRun({ ...judgeOptions(), batch: "no-such-batch" })).code).toBe("not_found");
  });

  it("keeps judge verdicts out of exports", async () => {
    const parts: Buffer[] = [];
    for await (const chunk of streamExport(batchId, { format: "judgments" })) parts.push(Buffer.from(chunk));
    const rows = Buffer.concat(parts).toString("utf8").trim().split("\n");
    expect(rows).toHaveLength(60);
  });

  it("runs from the CLI with a template file, and prints the run as JSON", async () => {
    writeFileSync(join(dir, "mine.txt"), "Judge this.\n{{conversation}}\n{{responses}}\n{{answer_format}}");
    server.behave = goodJudge;
    const result = await runCli(["judge", "--batch", batchId, "--endpoint", server.url, "--model", "cli-judge", "--template", join(dir, "mine.txt"), "--no-swap", "--json"]);
    expect(result.stderr).toBe("judge: 20/20 (100%), " + /[\d.]+\/s/.exec(result.stderr)![0] + ", done\n");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ requested: 20, judged: 20, failed: 0, template: "mine.txt", model: "cli-judge" });
    const bad = await runCli(["judge", "--batch", batchId, "--endpoint", server.url, "--model", "m", "--template", "missing.txt", "--json"]);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/neither a built-in template/);
  });
});

describe("judge runs on ranking and rating batches", () => {
  let rankingBatch = "";
  let ratingBatch = "";
  beforeAll(async () => {
    const lines = [0, 1, 2].map((i) =>
      JSON.stringify({
        id: `r${i}`,
        messages: [
          { role: "user", content: `Multi-turn ${i}: hello` },
          { role: "assistant", content: "Hi! What do you need?" },
          { role: "user", content: `Rank question ${i}` },
        ],
        responses: ["gamma", "delta", "omega"].map((m) => ({ id: m, model: m, text: `${m} says ${i}` })),
      }),
    );
    writeFileSync(join(dir, "three.jsonl"), lines.join("\n"));
    await importFile(join(dir, "three.jsonl"), { dataset: "three" });
    rankingBatch = createBatch({ dataset: "three", name: "ranked", task: "ranking", overlap: 1, reviewers: ["h1"], config: {} }).id;
    ratingBatch = createBatch({ dataset: "three", name: "rated", task: "rating", overlap: 1, reviewers: ["h1"], config: {} }).id;
    // h1 ranks omega > delta > gamma and rates them 5, 3, 1.
    let client = 0;
    for (const batch of [rankingBatch, ratingBatch]) {
      for (let view = nextAssignment(batch, "u-h1"); view; view = nextAssignment(batch, "u-h1")) {
        const id = (m: string) => view!.responses.find((r) => r.external_id === m)!.id;
        submitJudgment(
          view.id,
          "u-h1",
          batch === rankingBatch
            ? { client_id: `rk${++client}`, tiers: [[id("omega")], [id("delta")], [id("gamma")]] }
            : { client_id: `rt${++client}`, scores: Object.fromEntries([["omega", 5], ["delta", 3], ["gamma", 1]].map(([m, v]) => [id(m as string), { overall: v as number, helpfulness: 3, honesty: 3, harmlessness: 3 }])) },
        );
      }
    }
  });

  it("asks a ranking once per item with every turn, and reads 'B>A=C' back by response", async () => {
    server.requests.length = 0;
    // The judge puts omega first and ties gamma with delta.
    server.behave = (request) => {
      const [omega, delta, gamma] = ["omega", "delta", "gamma"].map((m) => labelWith(request, m)!);
      return { kind: "ok", text: "```json\n" + JSON.stringify({ ranking: `${omega}>${delta}=${gamma}`, flags: [{ response: gamma, flag: "hallucination" }] }) + "\n```" };
    };
    const summary = await judgeBatch(judgeOptions({ batch: rankingBatch }));
    expect(summary).toMatchObject({ requested: 3, judged: 3, failed: 0 });
    const prompt = lastUserText(server.requests[0]!);
    expect(prompt).toMatch(/User: Multi-turn \d: hello\n\nAssistant: Hi! What do you need\?\n\nUser: Rank question \d/);
    expect(prompt).toMatch(/"ranking": "A>B>C"/);
    const [report] = judgeReports(rankingBatch);
    // 3 comparisons per item: omega–delta and omega–gamma agree with h1, delta–gamma is a tie for the judge: 6 of 9.
    expect(report!.trust.judge_human.with_ties).toMatchObject({ value: 6 / 9, n: 9 });
    expect(report!.trust.judge_human.without_ties).toMatchObject({ value: 1, n: 6 });
    expect(report!.swap_consistency.value).toBeNull();
    // The judge flags a hallucination nobody flagged: every item is triaged for it.
    expect(report!.triage).toHaveLength(3);
    expect(report!.triage[0]!.reasons).toContain("judge flags a hallucination no reviewer flagged");
    expect(report!.flags.find((f) => f.flag === "hallucination")).toMatchObject({ judge: { flagged: 3, responses: 9 }, humans: { flagged: 0, responses: 9 } });
  });

  it("asks for scores on the rubric and compares the overall scores", async () => {
    server.requests.length = 0;
    server.behave = (request) => {
      const labels = ["omega", "delta", "gamma"].map((m) => labelWith(request, m)!);
      // A bare number is the overall score; the judge rates delta above omega.
      return { kind: "ok", text: JSON.stringify({ scores: { [labels[0]!]: 4, [labels[1]!]: 5, [labels[2]!]: 1 } }) };
    };
    const summary = await judgeBatch(judgeOptions({ batch: ratingBatch }));
    expect(summary).toMatchObject({ requested: 3, judged: 3, failed: 0 });
    const prompt = lastUserText(server.requests[0]!);
    expect(prompt).toMatch(/\[Rubric\]\n- overall \(Overall\): 1 \(worst\) to 5 \(best\)/);
    const [report] = judgeReports(ratingBatch);
    // omega–delta reversed, omega–gamma and delta–gamma agree: 6 of 9.
    expect(report!.trust.judge_human.with_ties).toMatchObject({ value: 6 / 9, n: 9 });
    const stored = sqlite().prepare("SELECT payload FROM judge_verdicts v JOIN judge_runs r ON r.id = v.run_id WHERE r.batch_id = ? LIMIT 1").get(ratingBatch) as { payload: string };
    expect(Object.values(JSON.parse(stored.payload).scores as Record<string, { overall: number }>).map((s) => s.overall).sort()).toEqual([1, 4, 5]);
  });
});

describe("a rating outside the rubric", () => {
  it("is an unreadable answer: asked again, then a failure naming the aspect and its range", async () => {
    const batch = createBatch({ dataset: "three", name: "rated strictly", task: "rating", overlap: 1, reviewers: ["h1"], config: {}, sample: 1, seed: 1 }).id;
    server.behave = (request) => {
      const labels = ["omega", "delta", "gamma"].map((m) => labelWith(request, m)!);
      return { kind: "ok", text: JSON.stringify({ scores: { [labels[0]!]: { overall: 9 }, [labels[1]!]: 2, [labels[2]!]: 1 } }) };
    };
    const summary = await judgeBatch(judgeOptions({ batch, model: "strict-judge" }));
    expect(summary).toMatchObject({ requested: 1, judged: 0, failed: 1 });
    expect(judgeFailures(summary.run)[0]!.reason).toMatch(/overall 9 is not a whole number from 1 to 5/);
  });
});
