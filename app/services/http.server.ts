import type { z } from "zod";
import { asServiceError, ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/** The JSON error body of every HTTP surface: `{"error": {"code", "message", "details"?}}`. */
export function errorResponse(thrown: unknown): Response {
  return responseOf(errorReply(thrown));
}

/** {@link errorResponse} as a reply; anything that is not a service error is rethrown (a bug: a 500). */
function errorReply(thrown: unknown): ApiReply {
  const error = asServiceError(thrown);
  if (!error) throw thrown;
  const headers: Record<string, string> = {};
  // A 413 is sent before the body was read: close the connection rather than leave the
  // unread rest of the body to poison the next request on it.
  if (error.code === "too_large") headers.Connection = "close";
  if (error.code === "unauthorized") headers["WWW-Authenticate"] = 'Bearer realm="verdict"';
  if (error.retryAfterSeconds !== null) headers["Retry-After"] = String(error.retryAfterSeconds);
  return { status: error.status, body: error.toJSON(), headers };
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

/**
 * What a JSON endpoint of /api/v1 reads of its request. A Fetch `Request` is one (the way in
 * through Remix); server.js's lean path passes one read straight off node's request instead,
 * because building a Fetch `Request`, `Headers`, `AbortSignal` and `Response` for every call, and
 * reading their bodies back through web streams, cost about an eighth of the server's time
 * (npm run bench -- soak; decisions §34).
 */
export interface ApiRequest {
  readonly headers: { get(name: string): string | null };
  /** The body, decoded as UTF-8. The lean path keeps no more of it than MAX_JSON_BYTES and one chunk. */
  text(): Promise<string>;
}

/** A JSON endpoint's answer: its status, the value sent as JSON (none for a 204) and any headers. */
export interface ApiReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiParams = Readonly<Record<string, string | undefined>>;
export type ApiEndpoint = (request: ApiRequest, params: ApiParams) => ApiReply | Promise<ApiReply>;

/** Runs an endpoint; a service error becomes its JSON error reply. */
export async function replyOf(endpoint: ApiEndpoint, request: ApiRequest, params: ApiParams): Promise<ApiReply> {
  try {
    return await endpoint(request, params);
  } catch (error) {
    return errorReply(error);
  }
}

/** A reply as a Fetch Response. */
export function responseOf(reply: ApiReply): Response {
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers: reply.headers });
  return Response.json(reply.body, { status: reply.status, headers: reply.headers });
}

/**
 * A route module's loader or action for an /api/v1 JSON endpoint: Remix's request is handed to
 * `endpoint`. The function carries the endpoint (`.endpoint`) for server.js's lean path, which
 * runs it on node's request instead; one handler, guards included, serves both ways in.
 */
export function apiHandler(endpoint: ApiEndpoint): ((args: { request: Request; params: ApiParams }) => Promise<Response>) & { endpoint: ApiEndpoint } {
  return Object.assign(async ({ request, params }: { request: Request; params: ApiParams }) => responseOf(await replyOf(endpoint, request, params)), { endpoint });
}

/** `Cache-Control: no-store`, for answers that change with every call. */
export const NO_STORE = { "Cache-Control": "no-store" } as const;

/** The largest JSON body an endpoint reads (the lean path stops reading a body past it). */
export const MAX_JSON_BYTES = 1024 * 1024;

/** The request's JSON body: 413 past 1 MiB, 400 when it is not JSON. */
export async function jsonBody(request: ApiRequest): Promise<unknown> {
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
