import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DEMO_BATCHES, DEMO_DATASET, DEMO_USERS, demoDatasetPath } from "../../db/seed";
import { createBatch } from "./batches.server";
import { config } from "./config.server";
import { connection } from "./database.server";
import { importFile } from "./imports.server";
import { randomPassword } from "./passwords.server";
import { countUsers, createUser } from "./users.server";

/**
 * Start-up: open the database (which applies pending migrations), clear upload spools a
 * crashed import may have left, and on an empty database create the demo accounts and
 * dataset. Returns the demo credentials when it created them (printed once by the caller).
 */
export async function setUp(): Promise<{ created: Array<{ username: string; role: string; password: string }> }> {
  connection();
  await rm(join(dirname(resolve(config().VERDICT_DB)), "uploads"), { recursive: true, force: true });
  if (countUsers() > 0 || config().VERDICT_SEED === "none") return { created: [] };
  const created = [];
  for (const user of DEMO_USERS) {
    const password = randomPassword();
    await createUser({ ...user, password });
    created.push({ username: user.username, role: user.role, password });
  }
  await importFile(demoDatasetPath(), { dataset: DEMO_DATASET.name, description: DEMO_DATASET.description, format: "native" });
  const reviewers = DEMO_USERS.filter((u) => u.role === "reviewer").map((u) => u.username);
  for (const batch of DEMO_BATCHES) createBatch({ ...batch, dataset: DEMO_DATASET.name, reviewers });
  return { created };
}

/** The block `npm start` prints when it created the demo accounts. */
export function describeCredentials(created: Array<{ username: string; role: string; password: string }>, url: string): string {
  const width = Math.max(...created.map((c) => c.username.length));
  return [
    "",
    "  Verdict created demo accounts (shown only this once):",
    ...created.map((c) => `    ${c.username.padEnd(width)}  ${c.password}  (${c.role})`),
    `  Sign in at ${url}/login`,
    "",
  ].join("\n");
}
