import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Role } from "./schema";

/**
 * Demo data for the embedded default: created by `npm start` when the database has no users.
 * Passwords are random per database and printed once.
 */
export const DEMO_USERS: ReadonlyArray<{ username: string; displayName: string; role: Role }> = [
  { username: "admin", displayName: "Demo admin", role: "admin" },
  { username: "reviewer1", displayName: "Demo reviewer 1", role: "reviewer" },
  { username: "reviewer2", displayName: "Demo reviewer 2", role: "reviewer" },
];

export const DEMO_DATASET = {
  name: "demo",
  description: "Eight harmless prompts with three responses each from three fictitious models.",
};

/** The shipped demo JSONL; found by walking up, since this module also runs bundled from build/server. */
export function demoDatasetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "db", "seed", "demo-dataset.jsonl");
    if (existsSync(candidate)) return candidate;
    const beside = join(dir, "seed", "demo-dataset.jsonl");
    if (existsSync(beside)) return beside;
    dir = dirname(dir);
  }
  throw new Error("Cannot find db/seed/demo-dataset.jsonl");
}
