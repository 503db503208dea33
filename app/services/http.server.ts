import type { z } from "zod";
import { asServiceError, ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/** The JSON error body of every HTTP surface: `{"error": {"code", "message", "details"?}}`. */
export function errorResponse(thrown: unknown): Response {
  const error = asServiceError(thrown);
  if (error) {
    const headers: Record<string, string> = {};
    // A 413 is sent before the body was read: close the connection rather than leave the
    // unread rest of the body to poison the next request on it.
    if (error.code === "too_large") headers.Connection = "close";
    if (error.retryAfterSeconds !== null) headers["Retry-After"] = String(error.retryAfterSeconds);
    return Response.json(error.toJSON(), { status: error.status, headers });
  }
  throw thrown;
}

/** A 400 listing each field's problem, for input a route parsed with zod. */
export function invalidInput(error: z.ZodError): Response {
  return errorResponse(invalidFrom(error));
}

/** Runs an API handler, turning service errors into their JSON responses (thrown Responses pass through). */
export async function apiResponse(handler: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof Response) return error;
    return errorResponse(error);
  }
}

const MAX_JSON_BYTES = 1024 * 1024;

/** The request's JSON body: 413 past 1 MiB, 400 when it is not JSON. */
export async function jsonBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES) throw new ServiceError("too_large", "the request body is larger than 1 MiB");
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_JSON_BYTES) throw new ServiceError("too_large", "the request body is larger than 1 MiB");
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError("invalid", "the request body is not valid JSON");
  }
}
