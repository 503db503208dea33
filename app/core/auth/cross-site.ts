/**
 * Cross-site request forgery, refused before any route runs (issue 14 point 3; README:
 * Security). The session cookie is SameSite=Lax, which already keeps browsers from sending it on
 * a cross-site POST; this is the second lock, for browsers or embeddings where Lax does not hold.
 * Pure: the server passes the request's facts in.
 */

/** Methods that never change state here: loaders only read (an authorization test checks it). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface RequestFacts {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The `Origin` header, if sent. */
  origin: string | undefined;
  /** The `Sec-Fetch-Site` header, if sent (every current browser sends it). */
  secFetchSite: string | undefined;
  /** This server's own origin as the client reached it: `http://host:port`, or the proxy's https origin. */
  ownOrigin: string;
}

/**
 * Why a state-changing request must be refused as cross-site, or null to let it through:
 * an `Origin` that is not this server's, or (without Origin) `Sec-Fetch-Site: cross-site`.
 * The bearer-token API (`/api/…`) is exempt: a browser never attaches a token on its own, so a
 * forged request there carries no credentials. A request with neither header (curl, the CLI's
 * HTTP clients, old browsers) is let through: it cannot have come from a foreign page in a
 * browser that sends neither, since SameSite cookies cover those.
 */
export function crossSiteProblem(request: RequestFacts): string | null {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  if (request.path === "/api" || request.path.startsWith("/api/")) return null;
  if (request.origin !== undefined && request.origin !== "null") {
    return sameOrigin(request.origin, request.ownOrigin) ? null : `a form post from ${request.origin} is not accepted: this server is ${request.ownOrigin}`;
  }
  if (request.origin === "null") return "a form post from an opaque origin (a sandboxed frame or a file) is not accepted";
  if (request.secFetchSite === "cross-site") return "a cross-site form post is not accepted";
  return null;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
