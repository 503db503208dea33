import { hashSecret, newSecret } from "./secrets.server";
import { z } from "zod";
import { newId } from "../../db/ids";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";
import type { UserSummary } from "./users.server";

/**
 * API bearer tokens: `vrd_` + 32 random bytes, shown once at creation; the table keeps only
 * the SHA-256, the last use, and the revocation time.
 */
const PREFIX = "vrd_";

export interface TokenSummary {
  id: string;
  username: string;
  name: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

export function createToken(input: { username: string; name?: string }, actorId: string | null = null): { id: string; token: string } {
  const parsedName = z.string().trim().max(80, "at most 80 characters").default("cli").safeParse(input.name);
  if (!parsedName.success) throw invalidFrom(parsedName.error, "name");
  const name = parsedName.data;
  const { sqlite, db } = connection();
  const user = sqlite
    .prepare<[string], { id: string; disabled: number }>("SELECT id, disabled FROM users WHERE username = ?")
    .get(input.username.trim().toLowerCase());
  if (!user) throw new ServiceError("not_found", `no user "${input.username}"`);
  if (user.disabled) throw new ServiceError("conflict", `user "${input.username}" is disabled`);
  const token = PREFIX + newSecret();
  const id = newId();
  sqlite.transaction(() => {
    sqlite
      .prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, '[]', ?)")
      .run(id, user.id, name || "cli", hashSecret(token), Date.now());
    recordAudit(db, { userId: actorId, action: "token.create", subject: id, detail: { username: input.username, name } });
  })();
  return { id, token };
}

export function listTokens(): TokenSummary[] {
  return connection()
    .sqlite.prepare<[], TokenSummary>(
      `SELECT t.id, u.username, t.name, t.last_used_at AS lastUsedAt, t.revoked_at AS revokedAt, t.created_at AS createdAt
       FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at`,
    )
    .all();
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
export function userOfToken(token: string, now = Date.now()): UserSummary | null {
  if (!token.startsWith(PREFIX)) return null;
  const { sqlite } = connection();
  const row = sqlite
    .prepare<[string], { token_id: string; last_used_at: number | null; id: string; username: string; display_name: string; role: UserSummary["role"]; created_at: number }>(
      `SELECT t.id AS token_id, t.last_used_at, u.id, u.username, u.display_name, u.role, u.created_at
       FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0`,
    )
    .get(hashSecret(token));
  if (!row) return null;
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    sqlite.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(now, row.token_id);
  }
  return { id: row.id, username: row.username, displayName: row.display_name, role: row.role, disabled: false, createdAt: row.created_at };
}
