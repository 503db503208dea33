import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DEMO_BATCHES, DEMO_DATASET, DEMO_USERS, demoDatasetPath } from "../../db/seed";
import { createBatch } from "./batches.server";
import { config } from "./config.server";
import { connection } from "./database.server";
import { importFile } from "./imports.server";
import { randomPassword } from "./passwords.server";
import { countUsers, createUser } from "./users.server";

/** What start-up created on an empty database, for the one-time message of `npm start`. */
export interface DemoCreated {
  accounts: Array<{ username: string; role: string; password: string }>;
  dataset: string;
  batches: Array<{ name: string; task: string; overlap: number; items: number }>;
  reviewers: string[];
}

/**
 * Start-up: open the database (which applies pending migrations), clear upload spools a
 * crashed import may have left, and on an empty database create the demo accounts, dataset
 * and batches. Returns what it created (empty lists on a database that already had users).
 */
export async function setUp(): Promise<DemoCreated> {
  connection();
  await rm(join(dirname(resolve(config().VERDICT_DB)), "uploads"), { recursive: true, force: true });
  const reviewers = DEMO_USERS.filter((u) => u.role === "reviewer").map((u) => u.username);
  const demo: DemoCreated = { accounts: [], dataset: DEMO_DATASET.name, batches: [], reviewers };
  if (countUsers() > 0 || config().VERDICT_SEED === "none") return demo;
  for (const user of DEMO_USERS) {
    const password = randomPassword();
    await createUser({ ...user, password });
    demo.accounts.push({ username: user.username, role: user.role, password });
  }
  await importFile(demoDatasetPath(), { dataset: DEMO_DATASET.name, description: DEMO_DATASET.description, format: "native" });
  for (const batch of DEMO_BATCHES) {
    const { items } = createBatch({ ...batch, dataset: DEMO_DATASET.name, reviewers });
    demo.batches.push({ name: batch.name, task: batch.task, overlap: batch.overlap, items });
  }
  return demo;
}

/** Left-aligned columns under a heading row, indented for the console. */
function consoleTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `    ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`.trimEnd());
}

/** The block `npm start` prints once, when it created the demo accounts (tests/e2e/harness.ts reads it). */
export function describeDemo(demo: DemoCreated, url: string): string {
  return [
    "",
    "  Demo accounts (the passwords are shown only this once):",
    ...consoleTable([["username", "password", "role"], ...demo.accounts.map((a) => [a.username, a.password, a.role])]),
    "",
    `  Demo batches of the dataset "${demo.dataset}", for ${demo.reviewers.join(" and ")}:`,
    ...consoleTable([["batch", "task", "items", "reviewers per item"], ...demo.batches.map((b) => [b.name, b.task, String(b.items), String(b.overlap)])]),
    "",
    `  Sign in at ${url}/login`,
    "",
  ].join("\n");
}
