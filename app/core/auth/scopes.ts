/**
 * What an API token may do (issue 14 point 6; README: API tokens). A token carries scopes, each
 * endpoint needs one, and a scope never grants more than the token's user could do anyway:
 * `review` (take, judge, skip items of one's own batches), `read` (statistics, leaderboards),
 * `export` (exports and their cards), `admin` (reserved for admin endpoints). Pure.
 */
/** The two account roles (db/schema.ts `Role`), restated so the core imports nothing of the database. */
type Role = "admin" | "reviewer";

export const TOKEN_SCOPES = ["review", "read", "export", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The scopes a role may hold: a reviewer's token can only review, whatever it asks for. */
export const SCOPES_OF_ROLE: Readonly<Record<Role, readonly TokenScope[]>> = {
  reviewer: ["review"],
  admin: TOKEN_SCOPES,
};

/**
 * A token's scopes as stored: the ones given, or every scope of its role when none were (tokens
 * made before scopes existed hold `[]` and keep working as they did).
 */
export function effectiveScopes(stored: readonly string[], role: Role): TokenScope[] {
  const allowed = SCOPES_OF_ROLE[role];
  if (stored.length === 0) return [...allowed];
  return allowed.filter((scope) => stored.includes(scope));
}

/** Why scopes asked for at creation cannot be given to a user of `role`, or null. */
export function scopesProblem(asked: readonly string[], role: Role): string | null {
  const unknown = asked.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
  if (unknown.length) return `unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: use ${TOKEN_SCOPES.join(", ")}`;
  const beyond = asked.filter((s) => !SCOPES_OF_ROLE[role].includes(s as TokenScope));
  if (beyond.length) return `a ${role}'s token can hold only ${SCOPES_OF_ROLE[role].join(", ")}, not ${beyond.join(", ")}`;
  return null;
}
