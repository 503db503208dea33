import { ServiceError } from "./errors.server";

/** The JSON error body of every HTTP surface: `{"error": {"code", "message", "details"?}}`. */
export function errorResponse(error: unknown): Response {
  if (error instanceof ServiceError) return Response.json(error.toJSON(), { status: error.status });
  throw error;
}

/** A 400 listing each field's problem, for input a route parsed with zod. */
export function invalidInput(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): Response {
  const fields = Object.fromEntries(issues.map((i) => [i.path.map(String).join(".") || "input", i.message]));
  const message = Object.entries(fields)
    .map(([field, reason]) => `${field}: ${reason}`)
    .join("; ");
  return Response.json({ error: { code: "invalid", message, details: { fields } } }, { status: 400 });
}
