import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastUserText, startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { runCli, setUpTempDatabase, spawnCli } from "./helpers";

const { dir, dbPath } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { importFile } = await import("~/services/imports.server");
const { connection, closeConnection } = await import("~/services/database.server");
const { sample, runSamplingJob } = await import("~/services/sampling.server");

const KEY = "sk-test-5f3e9c1d2b7a4e60";
const ENV = { SAMPLE_KEY: KEY };

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  closeConnection();
  await server.close();
});

/** A dataset of prompts only, one per text (its external id is p1, p2, …). */
async function dataset(name: string, texts: string[]) {
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, texts.map((text, i) => JSON.stringify({ id: `p${i + 1}`, prompt: text })).join("\n") + "\n");
  await importFile(file, { dataset: name, format: "native" });
}

interface StoredResponse {
  prompt: string;
  external_id: string;
  model: string;
  text: string;
  params: Record<string, unknown>;
  metadata: Record<string, unknown> & { usage: Record<string, number> };
}

function responsesOf(name: string): StoredResponse[] {
  return connection()
    .sqlite.prepare<[string], { prompt: string; external_id: string; model: string; text: string; params: string; metadata: string }>(
      `SELECT p.external_id AS prompt, r.external_id, r.model, r.text, r.params, r.metadata FROM responses r
       JOIN prompts p ON p.id = r.prompt_id JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? ORDER BY p.rowid, r.external_id`,
    )
    .all(name)
    .map((r) => ({ ...r, params: JSON.parse(r.params), metadata: JSON.parse(r.metadata) }));
}

const sampleArgs = (name: string, ...extra: string[]) => ["sample", "--dataset", name, "--endpoint", server.url, "--model", "tiny-llm", "--api-key-env", "SAMPLE_KEY", "--json", ...extra];

/** The database's bytes, WAL included: where a leaked key would be. */
function databaseBytes(): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith("verdict.db"))
    .map((f) => readFileSync(join(dir, f)).toString("latin1"))
    .join("");
}

describe("sample", () => {
  it("stores n answers per prompt under the label, with params, usage, latency and finish reason; a re-run asks nothing", async () => {
    await dataset("happy", ["Name a prime.", "Say hi."]);
    server.behave = () => ({ kind: "ok", delayMs: 5 });
    const before = server.requests.length;
    const run = await spawnCli(sampleArgs("happy", "--label", "tiny@v1", "--n", "2", "--temperature", "0.7", "--top-p", "0.9", "--max-tokens", "64", "--seed", "10"), { env: ENV }).done;
    expect(run.stderr).not.toContain("error");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ dataset: "happy", model: "tiny@v1", requested: 4, sampled: 4, already_present: 0, failed: 0 });
    expect(run.stderr).toContain("sample: 4/4 (100%)");

    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    const first = sent.find((r) => lastUserText(r) === "Name a prime." && r.body.seed === 10)!;
    expect(first.body).toMatchObject({ model: "tiny-llm", messages: [{ role: "user", content: "Name a prime." }], temperature: 0.7, top_p: 0.9, max_tokens: 64, seed: 10 });

    const stored = responsesOf("happy");
    expect(stored.map((r) => [r.prompt, r.external_id, r.model])).toEqual([
      ["p1", "tiny@v1#0", "tiny@v1"],
      ["p1", "tiny@v1#1", "tiny@v1"],
      ["p2", "tiny@v1#0", "tiny@v1"],
      ["p2", "tiny@v1#1", "tiny@v1"],
    ]);
    const second = stored[1]!;
    // Sample i is sent seed + i, so the n samples of one prompt are not n copies.
    expect(second.text).toBe('answer to "Name a prime." with seed 11');
    expect(second.params).toEqual({ temperature: 0.7, top_p: 0.9, max_tokens: 64, seed: 11, sample_index: 1 });
    expect(second.metadata.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(second.metadata.latency_ms).toBeGreaterThanOrEqual(5);
    expect(second.metadata).toMatchObject({ finish_reason: "stop", sample_index: 1, requested_model: "tiny-llm", upstream_model: "tiny-llm-served", endpoint: server.url });
    expect(Date.parse(second.metadata.sampled_at as string)).toBeGreaterThan(Date.now() - 60_000);

    const again = await spawnCli(sampleArgs("happy", "--label", "tiny@v1", "--n", "2"), { env: ENV }).done;
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ dataset: "happy", model: "tiny@v1", requested: 4, sampled: 0, already_present: 4, failed: 0 });
    expect(server.requests.length).toBe(before + 4);

    // A third sample per prompt: only the new index is asked for.
    const more = await spawnCli(sampleArgs("happy", "--label", "tiny@v1", "--n", "3"), { env: ENV }).done;
    expect(JSON.parse(more.stdout)).toMatchObject({ requested: 6, sampled: 2, already_present: 4 });
    expect(responsesOf("happy").filter((r) => r.external_id === "tiny@v1#2")).toHaveLength(2);
  });

  it("retries 429 (after its Retry-After), 500 and dropped connections; records malformed bodies, no choices and timeouts as failures; never leaks the key", async () => {
    await dataset("messy", ["429 once", "500 once", "drop once", "malformed", "no choices", "always slow", "always 500", "always drop", "fine"]);
    server.behave = (r) => {
      const text = lastUserText(r);
      if (text === "429 once" && r.attempt === 1) return { kind: "status", status: 429, retryAfter: "1", body: '{"error":{"message":"rate limited"}}' };
      if (text === "500 once" && r.attempt === 1) return { kind: "status", status: 500 };
      if (text === "drop once" && r.attempt === 1) return { kind: "drop" };
      if (text === "malformed") return { kind: "malformed" };
      if (text === "no choices") return { kind: "no_choices" };
      if (text === "always slow") return { kind: "slow", delayMs: 1500 };
      // A careless proxy that echoes the request's headers in its error page.
      if (text === "always 500") return { kind: "status", status: 503, body: `upstream down; you sent Authorization: ${r.authorization}` };
      if (text === "always drop") return { kind: "drop" };
      return { kind: "ok" };
    };
    const before = server.requests.length;
    const started = Date.now();
    const run = await spawnCli(sampleArgs("messy", "--n", "1", "--concurrency", "4", "--max-retries", "2", "--retry-base-ms", "20", "--timeout-ms", "300"), { env: ENV }).done;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ dataset: "messy", model: "tiny-llm", requested: 9, sampled: 4, already_present: 0, failed: 5 });
    expect(responsesOf("messy").map((r) => r.prompt)).toEqual(["p1", "p2", "p3", "p9"]);

    const sent = server.requests.slice(before);
    const times = sent.filter((r) => lastUserText(r) === "429 once").map((r) => r.at);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    const tries = (text: string) => sent.filter((r) => lastUserText(r) === text).length;
    expect([tries("malformed"), tries("no choices"), tries("always slow"), tries("always 500"), tries("always drop")]).toEqual([1, 1, 3, 3, 3]);

    const failures = connection()
      .sqlite.prepare<[], { prompt: string; status: number | null; reason: string; attempts: number }>(
        `SELECT p.external_id AS prompt, f.status, f.reason, f.attempts FROM sampling_failures f JOIN prompts p ON p.id = f.prompt_id
         JOIN sampling_jobs j ON j.id = f.job_id WHERE j.id = (SELECT id FROM sampling_jobs ORDER BY created_at DESC, id DESC LIMIT 1) ORDER BY p.rowid`,
      )
      .all();
    expect(failures.map((f) => [f.prompt, f.status, f.attempts])).toEqual([
      ["p4", 200, 1],
      ["p5", 200, 1],
      ["p6", null, 3],
      ["p7", 503, 3],
      ["p8", null, 3],
    ]);
    expect(failures[0]!.reason).toBe("the body is not JSON: <html><body>502 Bad Gateway from the proxy</body></html>");
    expect(failures[1]!.reason).toMatch(/^the body has no choices: \{"id":"x"/);
    expect(failures[2]!.reason).toBe("no answer within 300 ms (after 3 attempts)");
    expect(failures[3]!.reason).toBe("HTTP 503: upstream down; you sent Authorization: Bearer [redacted] (after 3 attempts)");
    expect(failures[4]!.reason).toMatch(/^connection error: .+\(after 3 attempts\)$/);
    expect(run.stderr).toContain("failed: prompt p7 sample 0: HTTP 503: upstream down; you sent Authorization: Bearer [redacted]");

    const job = connection().sqlite.prepare("SELECT * FROM sampling_jobs ORDER BY created_at DESC, id DESC LIMIT 1").get() as Record<string, unknown>;
    expect(job).toMatchObject({ status: "done", requested: 9, sampled: 4, already_present: 0, failed: 5, label: "tiny-llm" });
    expect(JSON.parse(job.options as string)).toMatchObject({ api_key_env: "SAMPLE_KEY", n: 1, max_retries: 2 });

    // Healed: a re-run asks only for the five that failed.
    server.behave = () => ({ kind: "ok" });
    const mark = server.requests.length;
    const heal = await spawnCli(sampleArgs("messy", "--n", "1", "--retry-base-ms", "20"), { env: ENV }).done;
    expect(JSON.parse(heal.stdout)).toMatchObject({ requested: 9, sampled: 5, already_present: 4, failed: 0 });
    expect(server.requests.length - mark).toBe(5);

    for (const output of [run.stdout, run.stderr, heal.stdout, heal.stderr]) expect(output).not.toContain(KEY);
    closeConnection();
    expect(databaseBytes()).not.toContain(KEY);
    expect(readFileSync(dbPath).length).toBeGreaterThan(0);
  });

  it("completes after a SIGKILL mid-run without duplicates or gaps", async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `question ${i + 1}`);
    await dataset("killed", texts);
    server.behave = () => ({ kind: "ok", delayMs: 40 });
    const answeredBefore = server.answered;
    const { child, done } = spawnCli(sampleArgs("killed", "--n", "2", "--concurrency", "3"), { env: ENV });
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (server.answered - answeredBefore >= 10) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > 30_000) {
          clearInterval(poll);
          reject(new Error("the CLI never got 10 answers"));
        }
      }, 5);
    });
    child.kill("SIGKILL");
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    const partial = responsesOf("killed").length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(40);

    const rerun = await spawnCli(sampleArgs("killed", "--n", "2", "--concurrency", "3"), { env: ENV }).done;
    expect(rerun.status).toBe(0);
    const summary = JSON.parse(rerun.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ requested: 40, already_present: partial, sampled: 40 - partial, failed: 0 });
    const stored = responsesOf("killed");
    expect(stored).toHaveLength(40);
    for (const [i] of texts.entries()) {
      expect(stored.filter((r) => r.prompt === `p${i + 1}`).map((r) => r.external_id)).toEqual(["tiny-llm#0", "tiny-llm#1"]);
    }
  });

  it("a cancelled job keeps the answers it stored and is marked cancelled; running it again finishes it", async () => {
    await dataset("cancelled", Array.from({ length: 12 }, (_, i) => `cancel me ${i}`));
    server.behave = () => ({ kind: "ok", delayMs: 30 });
    const cancel = new AbortController();
    const summary = await sample(
      { dataset: "cancelled", endpoint: server.url, model: "m", n: 1, concurrency: 2 },
      { signal: cancel.signal, onProgress: (p) => p.done >= 3 && cancel.abort() },
    );
    expect(summary.status).toBe("cancelled");
    const kept = responsesOf("cancelled").length;
    expect(kept).toBe(summary.sampled);
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(12);
    const job = () => connection().sqlite.prepare("SELECT status, sampled, already_present, failed FROM sampling_jobs WHERE id = ?").get(summary.job);
    expect(job()).toEqual({ status: "cancelled", sampled: kept, already_present: 0, failed: 0 });

    const resumed = await runSamplingJob(summary.job);
    expect(resumed).toMatchObject({ status: "done", requested: 12, already_present: kept, sampled: 12 - kept, failed: 0 });
    expect(job()).toEqual({ status: "done", sampled: 12 - kept, already_present: kept, failed: 0 });
    expect(responsesOf("cancelled")).toHaveLength(12);
  });

  it("refuses bad options without sampling, and never echoes a key given in the URL", async () => {
    const noKey = await runCli(["sample", "--dataset", "happy", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "NOT_SET_ANYWHERE"]);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain("error: the environment variable NOT_SET_ANYWHERE (--api-key-env) is not set");

    const inUrl = await runCli(["sample", "--dataset", "happy", "--endpoint", `http://user:${KEY}@127.0.0.1:9/v1`, "--model", "m", "--json"]);
    expect(inUrl.status).toBe(1);
    expect(JSON.parse(inUrl.stdout)).toMatchObject({ error: { code: "invalid", details: { fields: { endpoint: "must not hold a user or password; pass the key with --api-key-env" } } } });
    expect(inUrl.stdout + inUrl.stderr).not.toContain(KEY);

    const bad = await runCli(["sample", "--dataset", "happy", "--endpoint", "ftp://x", "--model", "m", "--n", "0", "--temperature", "3"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("error: endpoint: must be an http:// or https:// URL, the API's base such as http://host:8000/v1; n: at least 1; temperature: 0 to 2\n");

    const unknown = await runCli(["sample", "--dataset", "nope", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('error: no dataset "nope"\n');
  });
});
