import { and, count, desc, eq, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditLog, users } from "../../db/schema";
import { newId } from "../../db/ids";
import type { Db } from "../../db/client";
import { connection } from "./database.server";
import { invalidFrom } from "./validation.server";

/** Appends to the audit log; call inside the transaction of the change it records. */
export function recordAudit(
  db: Db,
  entry: { userId: string | null; action: string; subject?: string; detail?: Record<string, unknown> },
): void {
  db.insert(auditLog)
    .values({
      id: newId(),
      userId: entry.userId,
      action: entry.action,
      subject: entry.subject ?? "",
      detail: entry.detail ?? {},
      at: Date.now(),
    })
    .run();
}

/** The actor of entries made without a signed-in user: the CLI on the server's shell, start-up. */
export const SYSTEM_ACTOR = "system";

const DAY_MS = 86_400_000;
const day = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "a day as YYYY-MM-DD", abort: true })
  // Date.parse takes 2026-02-30 as 2 March: a real day reads back as itself.
  .refine((text) => {
    const time = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
  }, "not a day of the calendar");
const blankToUndefined = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const querySchema = z
  .object({
    actor: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
    action: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
    since: z.preprocess(blankToUndefined, day.optional()),
    until: z.preprocess(blankToUndefined, day.optional()),
    limit: z.preprocess(blankToUndefined, z.coerce.number().int("a whole number").min(1, "at least 1").max(1000, "at most 1,000").default(50)),
    offset: z.preprocess(blankToUndefined, z.coerce.number().int("a whole number").min(0, "not negative").default(0)),
  })
  .refine((q) => !q.since || !q.until || q.since <= q.until, { path: ["until"], message: "is before since" });

export type AuditQuery = z.input<typeof querySchema>;

export interface AuditEntry {
  id: string;
  at: string;
  /** The username, or "system" for the CLI and start-up. */
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Entries matching the filters, over all pages. */
  total: number;
  limit: number;
  offset: number;
  /** What the filters can choose from. */
  actions: string[];
  actors: string[];
}

/**
 * The audit log, newest first, filtered by actor (a username or "system"), action (exact, or a
 * prefix ending in "." such as "batch.") and UTC days (since and until, both inclusive), one page
 * at a time. 400 with field messages for a bad filter.
 */
export function listAudit(input: AuditQuery = {}): AuditPage {
  const parsed = querySchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const query = parsed.data;
  const { db } = connection();
  const where: SQL[] = [];
  if (query.actor === SYSTEM_ACTOR) where.push(isNull(auditLog.userId));
  else if (query.actor) where.push(eq(users.username, query.actor));
  if (query.action?.endsWith(".")) where.push(sql`substr(${auditLog.action}, 1, ${query.action.length}) = ${query.action}`);
  else if (query.action) where.push(eq(auditLog.action, query.action));
  if (query.since) where.push(gte(auditLog.at, Date.parse(`${query.since}T00:00:00Z`)));
  if (query.until) where.push(lt(auditLog.at, Date.parse(`${query.until}T00:00:00Z`) + DAY_MS));
  const filter = where.length ? and(...where) : undefined;

  const rows = db
    .select({ id: auditLog.id, at: auditLog.at, username: users.username, action: auditLog.action, subject: auditLog.subject, detail: auditLog.detail })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(filter)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(query.limit)
    .offset(query.offset)
    .all();
  const [{ total }] = db.select({ total: count() }).from(auditLog).leftJoin(users, eq(users.id, auditLog.userId)).where(filter).all() as [{ total: number }];
  const actions = db.selectDistinct({ action: auditLog.action }).from(auditLog).orderBy(auditLog.action).all().map((row) => row.action);
  const actors = db
    .selectDistinct({ username: users.username })
    .from(auditLog)
    .innerJoin(users, eq(users.id, auditLog.userId))
    .orderBy(users.username)
    .all()
    .map((row) => row.username);
  const hasSystem = db.select({ id: auditLog.id }).from(auditLog).where(isNull(auditLog.userId)).limit(1).all().length > 0;
  return {
    entries: rows.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      actor: row.username ?? SYSTEM_ACTOR,
      action: row.action,
      subject: row.subject,
      detail: row.detail as Record<string, unknown>,
    })),
    total,
    limit: query.limit,
    offset: query.offset,
    actions,
    actors: hasSystem ? [...actors, SYSTEM_ACTOR] : actors,
  };
}
