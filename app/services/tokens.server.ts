import { hashSecret, newSecret } from "./secrets.server";
import { z } from "zod";
import { newId } from "../../db/ids";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";
import type { UserSummary } from "./users.server";
import type { Role } from "../../db/schema";
import { effectiveScopes, SCOPES_OF_ROLE, scopesProblem, type TokenScope } from "../core/auth/scopes";

/**
 * API bearer tokens: `vrd_` + 32 random bytes, shown once at creation; the table keeps only
 * the SHA-256, the last use, and the revocation time.
 */
const PREFIX = "vrd_";

export interface TokenSummary {
  id: string;
  username: string;
  name: string;
  /** What it may do (core/auth/scopes.ts), as in effect: a token made without scopes has its role's. */
  scopes: TokenScope[];
  lastUsedAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

/**
 * Makes a token for a user with the scopes asked for (default: every scope of the user's role;
 * a reviewer's token can only review). 400 with `scopes` for an unknown scope or one beyond the
 * role; the token is shown once.
 */
export function createToken(input: { username: string; name?: string; scopes?: readonly string[] }, actorId: string | null = null): { id: string; token: string; scopes: TokenScope[] } {
  const parsedName = z.string().trim().max(80, "at most 80 characters").default("cli").safeParse(input.name);
  if (!parsedName.success) throw invalidFrom(parsedName.error, "name");
  const name = parsedName.data;
  const { sqlite, db } = connection();
  const user = sqlite
    .prepare<[string], { id: string; disabled: number; role: Role }>("SELECT id, disabled, role FROM users WHERE username = ?")
    .get(input.username.trim().toLowerCase());
  if (!user) throw new ServiceError("not_found", `no user "${input.username}"`);
  if (user.disabled) throw new ServiceError("conflict", `user "${input.username}" is disabled`);
  const asked = [...new Set((input.scopes ?? []).map((s) => s.trim()).filter(Boolean))];
  const problem = scopesProblem(asked, user.role);
  if (problem) throw new ServiceError("invalid", problem, { fields: { scopes: problem } });
  const scopes = asked.length ? effectiveScopes(asked, user.role) : [...SCOPES_OF_ROLE[user.role]];
  const token = PREFIX + newSecret();
  const id = newId();
  sqlite.transaction(() => {
    sqlite
      .prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(id, user.id, name || "cli", hashSecret(token), JSON.stringify(scopes), Date.now());
    recordAudit(db, { userId: actorId, action: "token.create", subject: id, detail: { username: input.username, name, scopes } });
  })();
  return { id, token, scopes };
}

export function listTokens(): TokenSummary[] {
  return connection()
    .sqlite.prepare<[], Omit<TokenSummary, "scopes"> & { scopes: string; role: Role }>(
      `SELECT t.id, u.username, t.name, t.scopes, u.role, t.last_used_at AS lastUsedAt, t.revoked_at AS revokedAt, t.created_at AS createdAt
       FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at`,
    )
    .all()
    .map(({ role, scopes, ...token }) => ({ ...token, scopes: effectiveScopes(JSON.parse(scopes) as string[], role) }));
}

export function revokeToken(id: string, actorId: string | null = null): void {
  const { sqlite, db } = connection();
  sqlite.transaction(() => {
    const changed = sqlite.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(Date.now(), id).changes;
    if (changed === 0) throw new ServiceError("not_found", `no active token ${id}`);
    recordAudit(db, { userId: actorId, action: "token.revoke", subject: id });
  })();
}

/**
 * The user a bearer token belongs to, or null (unknown, revoked, or the user disabled).
 * Last use is recorded at most once a minute, so every API call does not write.
 */
export function userOfToken(token: string, now = Date.now()): (UserSummary & { scopes: TokenScope[] }) | null {
  if (!token.startsWith(PREFIX)) return null;
  const { sqlite } = connection();
  const row = sqlite
    .prepare<[string], { token_id: string; last_used_at: number | null; scopes: string; id: string; username: string; display_name: string; role: UserSummary["role"]; created_at: number }>(
      `SELECT t.id AS token_id, t.last_used_at, t.scopes, u.id, u.username, u.display_name, u.role, u.created_at
       FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0`,
    )
    .get(hashSecret(token));
  if (!row) return null;
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    sqlite.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(now, row.token_id);
  }
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    disabled: false,
    createdAt: row.created_at,
    scopes: effectiveScopes(JSON.parse(row.scopes) as string[], row.role),
  };
}
