import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { sessions, users, type Role } from "../../db/schema";
import { newId } from "../../db/ids";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";
import { decoyHash, hashPassword, verifyPassword } from "./passwords.server";

export const ROLES = ["admin", "reviewer"] as const;
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_.-]{1,31}$/, "2–32 characters: letters, digits, '.', '_' or '-', starting with a letter or digit");
export const passwordSchema = z.string().min(10, "at least 10 characters").max(1024, "at most 1024 characters");

/** A new account's fields other than its password (see inviteUser in password-resets.server.ts). */
export const newAccountSchema = z.object({
  username: usernameSchema,
  role: z.enum(ROLES, { error: "admin or reviewer" }),
  displayName: z.string().trim().max(80, "at most 80 characters").optional(),
});

const newUserSchema = z.object({
  username: usernameSchema,
  role: z.enum(ROLES),
  password: passwordSchema,
  displayName: z.string().trim().max(80).optional(),
});

export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
}

/** The columns of a UserSummary, for every query that returns users. */
export const summaryColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
};

export async function createUser(input: z.input<typeof newUserSchema>, actorId: string | null = null): Promise<UserSummary> {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { username, role, password, displayName } = parsed.data;
  const passwordHash = await hashPassword(password);
  const { db } = connection();
  return db.transaction((tx) => {
    const existing = tx.select({ id: users.id }).from(users).where(eq(users.username, username)).get();
    if (existing) throw new ServiceError("conflict", `user "${username}" already exists`);
    const row = { id: newId(), username, displayName: displayName || username, role, passwordHash, disabled: false, createdAt: Date.now() };
    tx.insert(users).values(row).run();
    recordAudit(tx, { userId: actorId, action: "user.create", subject: username, detail: { role } });
    const { passwordHash: _, ...summary } = row;
    return summary;
  });
}

export function listUsers(): UserSummary[] {
  return connection().db.select(summaryColumns).from(users).orderBy(asc(users.username)).all();
}

export function countUsers(): number {
  return connection().db.select({ n: sql<number>`count(*)` }).from(users).get()?.n ?? 0;
}

export function findUserById(id: string): UserSummary | undefined {
  return connection().db.select(summaryColumns).from(users).where(eq(users.id, id)).get();
}

/**
 * Disables an account (ending its sessions at once: a disabled reviewer is signed out on their
 * next request) or enables it again. Setting the state it already has changes nothing and
 * writes no audit entry. An admin cannot disable their own account (409).
 */
export function setUserEnabled(rawUsername: string, enabled: boolean, actorId: string | null = null): UserSummary & { changed: boolean } {
  const username = usernameSchema.safeParse(rawUsername);
  if (!username.success) throw invalidFrom(username.error);
  const { db } = connection();
  return db.transaction((tx) => {
    const user = tx.select(summaryColumns).from(users).where(eq(users.username, username.data)).get();
    if (!user) throw new ServiceError("not_found", `no user "${username.data}"`);
    // An admin who locks themselves out may leave no admin able to undo it from the browser.
    if (!enabled && user.id === actorId) throw new ServiceError("conflict", "you cannot disable your own account; ask another admin, or use the CLI on the server");
    if (user.disabled === !enabled) return { ...user, changed: false };
    tx.update(users).set({ disabled: !enabled }).where(eq(users.id, user.id)).run();
    if (!enabled) tx.delete(sessions).where(eq(sessions.userId, user.id)).run();
    recordAudit(tx, { userId: actorId, action: enabled ? "user.enable" : "user.disable", subject: user.username });
    return { ...user, disabled: !enabled, changed: true };
  });
}

/** The user whose password this is, or null; unknown and disabled accounts cost the same time as a wrong password. */
export async function checkCredentials(rawUsername: string, password: string): Promise<UserSummary | null> {
  const username = rawUsername.trim().toLowerCase();
  const row = connection().db.select().from(users).where(eq(users.username, username)).get();
  if (!row) {
    await verifyPassword(password, await decoyHash());
    return null;
  }
  const ok = await verifyPassword(password, row.passwordHash);
  if (!ok || row.disabled) return null;
  const { passwordHash: _, ...summary } = row;
  return summary;
}

export interface UserActivity extends UserSummary {
  /** When the user last signed in (the audit log's newest session.create), or null if never. */
  lastSignInAt: number | null;
  /** The batches they review, by name. */
  batches: Array<{ id: string; name: string }>;
}

/**
 * Every user with their last sign-in and the batches they review, for the users page. The last
 * sign-in comes from the audit log (sessions are deleted on sign-out, so they forget it).
 */
export function listUsersWithActivity(): UserActivity[] {
  const { sqlite } = connection();
  const lastSignIn = new Map(
    sqlite
      .prepare<[], { user_id: string; at: number }>("SELECT user_id, max(at) AS at FROM audit_log WHERE action = 'session.create' AND user_id IS NOT NULL GROUP BY user_id")
      .all()
      .map((row) => [row.user_id, row.at]),
  );
  const batchesOf = new Map<string, Array<{ id: string; name: string }>>();
  for (const row of sqlite
    .prepare<[], { user_id: string; id: string; name: string }>(
      "SELECT br.user_id, b.id, b.name FROM batch_reviewers br JOIN batches b ON b.id = br.batch_id ORDER BY b.created_at DESC, b.id",
    )
    .all()) {
    const list = batchesOf.get(row.user_id) ?? [];
    list.push({ id: row.id, name: row.name });
    batchesOf.set(row.user_id, list);
  }
  return listUsers().map((user) => ({ ...user, lastSignInAt: lastSignIn.get(user.id) ?? null, batches: batchesOf.get(user.id) ?? [] }));
}

const HOUR_MS = 3_600_000;

export interface HourlyJudgments {
  /** The start of the first hour (UTC, on the hour); hour i starts at start + i hours. */
  start: number;
  hours: number;
  reviewers: Array<{ username: string; displayName: string; total: number; perHour: number[] }>;
}

/**
 * Judgments each reviewer submitted per hour over the last `days` days: `days × 24` UTC hours
 * ending with the current one (so the newest bucket is partial), counted by judgments.created_at
 * (the first submission; a later edit does not move it). Reviewers without a judgment in the
 * window are listed with zeros, so an idle reviewer shows as idle rather than missing.
 */
export function judgmentsPerHour(days = 7, now = Date.now()): HourlyJudgments {
  const parsed = z.number().int("a whole number of days").min(1, "at least 1 day").max(90, "at most 90 days").safeParse(days);
  if (!parsed.success) throw invalidFrom(parsed.error, "days");
  const hours = parsed.data * 24;
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  const { sqlite } = connection();
  const counts = sqlite
    .prepare<[number, number, number], { reviewer_id: string; hour: number; n: number }>(
      // better-sqlite3 binds JS numbers as REAL: without the cast the hour would be fractional.
      `SELECT reviewer_id, CAST((created_at - ?) / ${HOUR_MS} AS INTEGER) AS hour, count(*) AS n
       FROM judgments WHERE created_at >= ? AND created_at < ? AND source IN ('reviewer', 'repeat') GROUP BY reviewer_id, hour`,
    )
    .all(start, start, start + hours * HOUR_MS);
  const reviewers = sqlite
    .prepare<[], { id: string; username: string; display_name: string }>(
      `SELECT id, username, display_name FROM users
       WHERE role = 'reviewer' OR id IN (SELECT DISTINCT reviewer_id FROM judgments) ORDER BY username`,
    )
    .all();
  const byReviewer = new Map(reviewers.map((r) => [r.id, new Array<number>(hours).fill(0)]));
  for (const row of counts) {
    const series = byReviewer.get(row.reviewer_id);
    if (series) series[row.hour] = row.n;
  }
  return {
    start,
    hours,
    reviewers: reviewers.map((r) => {
      const perHour = byReviewer.get(r.id)!;
      return { username: r.username, displayName: r.display_name, total: perHour.reduce((sum, n) => sum + n, 0), perHour };
    }),
  };
}
