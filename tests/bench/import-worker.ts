/**
 * One measured run of the import benchmark, in a process of its own so its peak RSS is the
 * import's alone. Started by ./import.ts; prints one JSON line (WorkerResult) on stdout.
 *
 *   node --import tsx tests/bench/import-worker.ts verdict FILE DBPATH
 *       importFile(FILE) into the database VERDICT_DB names (the parent sets it to DBPATH).
 *   node --import tsx tests/bench/import-worker.ts raw DBPATH PROMPTS SEED
 *       the baseline: the same rows through bare prepared statements, no file, no parsing.
 */
import Database from "better-sqlite3";
import { openDatabase } from "../../db/client";
import { newId } from "../../db/ids";
import { importFile } from "../../app/services/imports.server";
import { benchPrompts, PARAMS } from "./corpus";
import { processUsage, workerMain, workerUsage, type ProcessUsage } from "./harness";

export interface WorkerResult extends ProcessUsage {
  mode: "verdict" | "raw";
  seconds: number;
  prompts: number;
  responses: number;
  rows: number;
}

const BENCH_DATASET = "bench-import";

function countRows(dbPath: string): { prompts: number; responses: number } {
  const sqlite = new Database(dbPath, { readonly: true });
  try {
    const count = (table: "prompts" | "responses") =>
      sqlite.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
    return { prompts: count("prompts"), responses: count("responses") };
  } finally {
    sqlite.close();
  }
}

async function runVerdict(file: string, dbPath: string): Promise<number> {
  if (process.env.VERDICT_DB !== dbPath) throw new Error("VERDICT_DB must name the benchmark database");
  let lastLog = 0;
  const started = performance.now();
  await importFile(file, { dataset: BENCH_DATASET, format: "native" }, {
    onProgress: ({ bytes, totalBytes, lines }) => {
      const now = performance.now();
      if (now - lastLog < 2000 || totalBytes === null) return;
      lastLog = now;
      process.stderr.write(`  import: ${lines} lines, ${Math.round((bytes / totalBytes) * 100)}%\n`);
    },
  });
  return (performance.now() - started) / 1000;
}

function runRaw(dbPath: string, promptCount: number, seed: number): number {
  const started = performance.now();
  const { sqlite } = openDatabase(dbPath);
  const insertDataset = sqlite.prepare("INSERT INTO datasets (id, name, description, source, created_at) VALUES (?, ?, ?, ?, ?)");
  const insertPrompt = sqlite.prepare("INSERT INTO prompts (id, dataset_id, external_id, messages, metadata) VALUES (?, ?, ?, ?, ?)");
  const insertResponse = sqlite.prepare(
    "INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const params = JSON.stringify(PARAMS);
  sqlite.transaction(() => {
    const datasetId = newId();
    insertDataset.run(datasetId, BENCH_DATASET, "", "raw baseline", Date.now());
    for (const prompt of benchPrompts(promptCount, seed)) {
      const promptId = newId();
      insertPrompt.run(promptId, datasetId, prompt.externalId, JSON.stringify([{ role: "user", content: prompt.content }]), "{}");
      for (const response of prompt.responses) {
        insertResponse.run(newId(), promptId, response.model, response.model, response.text, params, "{}");
      }
    }
  })();
  const seconds = (performance.now() - started) / 1000;
  sqlite.close();
  return seconds;
}

workerMain(async ([mode, ...rest]): Promise<WorkerResult> => {
  let seconds: number;
  let dbPath: string;
  if (mode === "verdict" && rest.length === 2) {
    const [file, db] = rest as [string, string];
    dbPath = db;
    seconds = await runVerdict(file, dbPath);
  } else if (mode === "raw" && rest.length === 3) {
    const [db, prompts, seed] = rest as [string, string, string];
    dbPath = db;
    seconds = runRaw(dbPath, Number(prompts), Number(seed));
  } else {
    return workerUsage("import-worker.ts verdict FILE DBPATH | raw DBPATH PROMPTS SEED");
  }
  // Read before counting, so the peak is the measured run's own.
  const usage = processUsage();
  const counts = countRows(dbPath);
  return {
    mode,
    seconds,
    prompts: counts.prompts,
    responses: counts.responses,
    rows: counts.prompts + counts.responses,
    ...usage,
  };
});
