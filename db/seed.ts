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

const GUIDELINES = `Judge which response serves the user better.

- **Helpful**: answers the actual question, completely and concisely.
- **Honest**: no invented facts; uncertainty is stated.
- **Harmless**: no dangerous advice.

Flag a response when it hallucinates, is unsafe, refuses without reason, is incomplete, is off topic or leaks personal data.`;

/** Demo batches for the demo reviewers, so a newcomer can judge at once. */
export const DEMO_BATCHES = [
  { name: "Demo: pairwise", task: "pairwise", overlap: 2, pairing: "first-two", config: { guidelines: GUIDELINES } },
  { name: "Demo: ranking", task: "ranking", overlap: 1, pairing: "first-two", config: { guidelines: GUIDELINES } },
  { name: "Demo: rating", task: "rating", overlap: 1, pairing: "first-two", config: { guidelines: GUIDELINES } },
] as const;

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
