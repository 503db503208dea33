import type { z } from "zod";
import { ServiceError } from "./errors.server";

/** A 400 ServiceError naming each invalid field (`details.fields`), from a zod error. */
export function invalidFrom(error: z.ZodError, prefix?: string): ServiceError {
  const fields = Object.fromEntries(
    error.issues.map((issue) => [[prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "input", issue.message]),
  );
  const message = Object.entries(fields)
    .map(([field, reason]) => `${field}: ${reason}`)
    .join("; ");
  return new ServiceError("invalid", message, { fields });
}

/** A 400 ServiceError from problems already found by field (e.g. core/formats/export/licenses.ts); null when there are none. */
export function invalidFields(fields: Record<string, string>): ServiceError | null {
  const entries = Object.entries(fields);
  if (entries.length === 0) return null;
  return new ServiceError("invalid", entries.map(([field, reason]) => `${field}: ${reason}`).join("; "), { fields });
}
