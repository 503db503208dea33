import { hashSecret, newSecret } from "./secrets.server";
import { and, eq, gt, lt } from "drizzle-orm";
import { sessions, users } from "../../db/schema";
import { config } from "./config.server";
import { connection } from "./database.server";
import { summaryColumns, type UserSummary } from "./users.server";

export function createSession(userId: string): { token: string; expiresAt: number } {
  const token = newSecret();
  const now = Date.now();
  const expiresAt = now + config().VERDICT_SESSION_DAYS * 24 * 60 * 60_000;
  const { db } = connection();
  db.transaction((tx) => {
    // Expired sessions are swept here rather than by a timer.
    tx.delete(sessions).where(lt(sessions.expiresAt, now)).run();
    tx.insert(sessions).values({ id: hashSecret(token), userId, expiresAt, createdAt: now }).run();
  });
  return { token, expiresAt };
}

export function userOfSession(token: string): UserSummary | null {
  const row = connection()
    .db.select(summaryColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, hashSecret(token)), gt(sessions.expiresAt, Date.now()), eq(users.disabled, false)))
    .get();
  return row ?? null;
}

export function deleteSession(token: string): void {
  connection().db.delete(sessions).where(eq(sessions.id, hashSecret(token))).run();
}
