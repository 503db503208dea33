import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import { sessions, users } from "../../db/schema";
import { config } from "./config.server";
import { connection } from "./database.server";
import { summaryColumns, type UserSummary } from "./users.server";

/** Sessions live in the database so they can be listed and revoked; the cookie holds a 32-byte random token and the table its SHA-256. */
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function createSession(userId: string): { token: string; expiresAt: number } {
  const token = randomBytes(32).toString("base64url");
  const now = Date.now();
  const expiresAt = now + config().VERDICT_SESSION_DAYS * 24 * 60 * 60_000;
  const { db } = connection();
  db.transaction((tx) => {
    // Expired sessions are swept here rather than by a timer.
    tx.delete(sessions).where(lt(sessions.expiresAt, now)).run();
    tx.insert(sessions).values({ id: hashToken(token), userId, expiresAt, createdAt: now }).run();
  });
  return { token, expiresAt };
}

export function userOfSession(token: string): UserSummary | null {
  const row = connection()
    .db.select(summaryColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, hashToken(token)), gt(sessions.expiresAt, Date.now()), eq(users.disabled, false)))
    .get();
  return row ?? null;
}

export function deleteSession(token: string): void {
  connection().db.delete(sessions).where(eq(sessions.id, hashToken(token))).run();
}
