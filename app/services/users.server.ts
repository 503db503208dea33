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
 * writes no audit entry.
 */
export function setUserEnabled(rawUsername: string, enabled: boolean, actorId: string | null = null): UserSummary & { changed: boolean } {
  const username = usernameSchema.safeParse(rawUsername);
  if (!username.success) throw invalidFrom(username.error);
  const { db } = connection();
  return db.transaction((tx) => {
    const user = tx.select(summaryColumns).from(users).where(eq(users.username, username.data)).get();
    if (!user) throw new ServiceError("not_found", `no user "${username.data}"`);
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
