import { createCookie, redirect } from "@remix-run/node";
import { ACCOUNT_POLICY, ADDRESS_POLICY, recentFailures, retryAfterMs } from "../core/auth/login-throttle";
import type { Role } from "../../db/schema";
import type { TokenScope } from "../core/auth/scopes";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { createSession, deleteSession, userOfSession } from "./sessions.server";
import { userOfToken } from "./tokens.server";
import { checkCredentials, type UserSummary } from "./users.server";

/** The token itself is unguessable and looked up server-side, so the cookie needs no signature. */
const sessionCookie = createCookie("verdict_session", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
});

/** Secure cookies only where the browser reached us over HTTPS (directly or through a proxy that says so). */
function isHttps(request: Request): boolean {
  return new URL(request.url).protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
}

async function sessionToken(request: Request): Promise<string | null> {
  const value: unknown = await sessionCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.length > 0 ? value : null;
}

export async function getUser(request: Request): Promise<UserSummary | null> {
  const token = await sessionToken(request);
  return token ? userOfSession(token) : null;
}

/** The signed-in user, or a redirect to /login that comes back here afterwards. */
export async function requireUser(request: Request): Promise<UserSummary> {
  const user = await getUser(request);
  if (user) return user;
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  throw redirect(`/login?${new URLSearchParams({ redirectTo: back })}`);
}

/** requireUser, and a 403 for a user without the role. */
export async function requireRole(request: Request, role: Role): Promise<UserSummary> {
  const user = await requireUser(request);
  if (user.role !== role) {
    throw Response.json({ error: { code: "forbidden", message: `This page is for ${role}s only.` } }, { status: 403 });
  }
  return user;
}

/**
 * The caller of an /api/v1 endpoint, from `Authorization: Bearer <token>`; a JSON 401 otherwise.
 * Browser sessions are not accepted here, so the API cannot be driven cross-site by cookies.
 */
export function requireApiUser(request: { headers: { get(name: string): string | null } }, scope: TokenScope): UserSummary {
  const header = request.headers.get("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const user = match ? userOfToken(match[1]!) : null;
  // Answered 401 with WWW-Authenticate (services/http.server.ts).
  if (!user) throw new ServiceError("unauthorized", match ? "the token is unknown or revoked" : "send Authorization: Bearer <token>");
  // A scope narrows what the token's user may do, never widens it (core/auth/scopes.ts).
  if (!user.scopes.includes(scope)) throw new ServiceError("forbidden", `this token lacks the ${scope} scope (it has ${user.scopes.join(", ") || "none"})`);
  return user;
}

/** {@link requireApiUser} for a role: 403 (a ServiceError, answered as JSON) for anyone else. */
export function requireApiRole(request: Parameters<typeof requireApiUser>[0], role: Role, scope: TokenScope): UserSummary {
  const user = requireApiUser(request, scope);
  if (user.role !== role) throw new ServiceError("forbidden", `this is for ${role}s only`);
  return user;
}

/** Where a user lands after signing in, unless they were sent to /login from somewhere. */
export function homeOf(user: Pick<UserSummary, "role">): string {
  return user.role === "admin" ? "/admin/datasets" : "/review";
}

declare global {
  var __verdictLoginFailures: Map<string, number[]> | undefined;
}
const failures = (globalThis.__verdictLoginFailures ??= new Map<string, number[]>());

/**
 * Checks a login and returns the Set-Cookie header of a new session. Failures are
 * rate-limited per account (against guessing one password) and per address (against
 * trying many accounts); the counts live in memory and reset when the server restarts.
 */
export async function logIn(
  request: Request,
  input: { username: string; password: string; address: string },
): Promise<{ user: UserSummary; setCookie: string }> {
  const now = Date.now();
  const accountKey = `account:${input.username.trim().toLowerCase()}`;
  const addressKey = `address:${input.address}`;
  const wait = Math.max(
    retryAfterMs(failures.get(accountKey) ?? [], now, ACCOUNT_POLICY),
    retryAfterMs(failures.get(addressKey) ?? [], now, ADDRESS_POLICY),
  );
  if (wait > 0) {
    const minutes = Math.ceil(wait / 60_000);
    throw new ServiceError("too_many", `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, {
      retry_after_seconds: Math.ceil(wait / 1000),
    });
  }
  const user = await checkCredentials(input.username, input.password);
  if (!user) {
    for (const [key, policy] of [[accountKey, ACCOUNT_POLICY], [addressKey, ADDRESS_POLICY]] as const) {
      failures.set(key, [...recentFailures(failures.get(key) ?? [], now, policy), now]);
    }
    throw new ServiceError("unauthorized", "Wrong username or password.");
  }
  failures.delete(accountKey);
  // A session the browser already held (another account's, or one someone planted) ends here:
  // every sign-in starts a new session id, never one chosen before it.
  const previous = await sessionToken(request);
  if (previous) deleteSession(previous);
  const session = createSession(user.id);
  recordAudit(connection().db, { userId: user.id, action: "session.create", detail: { address: input.address } });
  const setCookie = await sessionCookie.serialize(session.token, {
    expires: new Date(session.expiresAt),
    secure: isHttps(request),
  });
  return { user, setCookie };
}

/** Ends the request's session (server-side, so the token is dead even if kept) and returns the clearing Set-Cookie header. */
export async function logOut(request: Request): Promise<string> {
  const token = await sessionToken(request);
  if (token) deleteSession(token);
  return sessionCookie.serialize("", { maxAge: 0, secure: isHttps(request) });
}

/** Only for tests of the throttle: forget every counted failure. */
export function resetLoginThrottle(): void {
  failures.clear();
}

