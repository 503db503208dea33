import { auditLog } from "../../db/schema";
import { newId } from "../../db/ids";
import type { Db } from "../../db/client";

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
