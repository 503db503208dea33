import { hashSecret, newSecret } from "./secrets.server";
import { and, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { passwordResets, sessions, users } from "../../db/schema";
import { newId } from "../../db/ids";
import type { Db } from "../../db/client";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { hashPassword } from "./passwords.server";
import { newAccountSchema, passwordSchema, usernameSchema, type UserSummary } from "./users.server";
import { invalidFrom } from "./validation.server";

/** How long a reset link works. */
export const RESET_LINK_HOURS = 24;

export interface PasswordReset {
  /** Shown once, to the admin who made it; only its SHA-256 is stored. */
  token: string;
  /** The path of the link: `/reset/TOKEN`. */
  path: string;
  username: string;
  expiresAt: string;
}

/**
 * Makes a one-time link for `username` to set a new password, valid RESET_LINK_HOURS. An earlier
 * unused link of the same user stops working, so only the newest one handed out is live. The
 * current password keeps working until the link is used. Refused for an unknown user (404) and a
 * disabled one (409: enable the account first, or the new password would not let them in).
 */
export function createPasswordReset(rawUsername: string, actorId: string | null = null): PasswordReset {
  const username = usernameSchema.safeParse(rawUsername);
  if (!username.success) throw invalidFrom(username.error, "username");
  const { db } = connection();
  return db.transaction((tx) => {
    const user = tx.select({ id: users.id, username: users.username, disabled: users.disabled }).from(users).where(eq(users.username, username.data)).get();
    if (!user) throw new ServiceError("not_found", `no user "${username.data}"`);
    if (user.disabled) throw new ServiceError("conflict", `user "${user.username}" is disabled; enable the account first`);
    return issueLink(tx, user, actorId);
  });
}

/** Spends the user's earlier unused links and stores a new one, audited; inside the caller's transaction. */
function issueLink(tx: Db, user: { id: string; username: string }, actorId: string | null): PasswordReset {
  const token = newSecret();
  const now = Date.now();
  const expiresAt = now + RESET_LINK_HOURS * 3_600_000;
  tx.update(passwordResets).set({ usedAt: now }).where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt))).run();
  tx.insert(passwordResets).values({ id: hashSecret(token), userId: user.id, createdBy: actorId, createdAt: now, expiresAt }).run();
  recordAudit(tx, { userId: actorId, action: "user.reset_password", subject: user.username, detail: { expires_at: new Date(expiresAt).toISOString() } });
  return { token, path: `/reset/${token}`, username: user.username, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Creates an account without a password anyone knows, with a one-time link (as a reset's) for
 * its owner to choose one: the admin never handles the password (docs/decisions.md §27). The
 * account and its link are written in one transaction; 409 for a taken username.
 */
export async function inviteUser(input: unknown, actorId: string | null = null): Promise<{ user: UserSummary; reset: PasswordReset }> {
  const parsed = newAccountSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { username, role, displayName } = parsed.data;
  // A random password, never shown: until the link is used, no password opens the account.
  const passwordHash = await hashPassword(newSecret());
  const { db } = connection();
  return db.transaction((tx) => {
    const existing = tx.select({ id: users.id }).from(users).where(eq(users.username, username)).get();
    if (existing) throw new ServiceError("conflict", `user "${username}" already exists`, { fields: { username: "already taken" } });
    const user: UserSummary = { id: newId(), username, displayName: displayName || username, role, disabled: false, createdAt: Date.now() };
    tx.insert(users).values({ ...user, passwordHash }).run();
    recordAudit(tx, { userId: actorId, action: "user.create", subject: username, detail: { role, password: "set-password link" } });
    return { user, reset: issueLink(tx, user, actorId) };
  });
}

/** Why a link does not work, in words for the person holding it. */
const GONE = "this link is not valid: it was used already, replaced by a newer one, or has expired. Ask an admin for a new one";

/** The account a live link is for; 404 with GONE for an unknown, used, replaced or expired one. */
export function passwordResetOf(token: string): { username: string; displayName: string; expiresAt: string } {
  const row = connection()
    .db.select({ username: users.username, displayName: users.displayName, expiresAt: passwordResets.expiresAt })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(and(eq(passwordResets.id, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, Date.now()), eq(users.disabled, false)))
    .get();
  if (!row) throw new ServiceError("not_found", GONE);
  return { username: row.username, displayName: row.displayName, expiresAt: new Date(row.expiresAt).toISOString() };
}

const newPasswordSchema = z
  .object({ password: passwordSchema, confirm: z.string() })
  .refine((input) => input.password === input.confirm, { path: ["confirm"], message: "does not match the password" });

/**
 * Sets the new password through a live link, once: the link is spent, and every session of the
 * account ends (whoever knew the old password is signed out). 400 with field messages for a
 * weak or mismatched password, 404 for a link that no longer works.
 */
export async function completePasswordReset(token: string, input: unknown): Promise<{ username: string }> {
  const parsed = newPasswordSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  passwordResetOf(token);
  const passwordHash = await hashPassword(parsed.data.password);
  const { db } = connection();
  return db.transaction((tx) => {
    const now = Date.now();
    // Spent in the same statement that checks it is live, so two submissions cannot both use it.
    const spent = tx
      .update(passwordResets)
      .set({ usedAt: now })
      .where(and(eq(passwordResets.id, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
      .returning({ userId: passwordResets.userId })
      .all();
    const userId = spent[0]?.userId;
    if (!userId) throw new ServiceError("not_found", GONE);
    const user = tx.select({ username: users.username, disabled: users.disabled }).from(users).where(eq(users.id, userId)).get();
    if (!user || user.disabled) throw new ServiceError("not_found", GONE);
    tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
    tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    recordAudit(tx, { userId, action: "user.password_changed", subject: user.username, detail: { through: "reset link" } });
    return { username: user.username };
  });
}
