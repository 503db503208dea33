/**
 * Matching a URL path against route patterns of the build's manifest (`api/v1/batches/:id/next`):
 * what server.js's lean API path uses to call a route module's loader or action directly,
 * without Express and Remix's request handler in between (README: HTTP endpoints;
 * decisions §34). Pure.
 */

export interface RouteMatch<T> {
  route: T;
  params: Record<string, string>;
}

/**
 * A matcher over routes with a `path` of literal segments and `:name` parameters (no splats, no
 * optional segments: the API's routes have none, and a route with one is never matched here).
 * A parameter matches one non-empty segment, URL-decoded; a path that does not decode, has an
 * empty segment or matches no route is null, and the caller hands it to Remix as before.
 */
export function routeMatcher<T extends { path?: string }>(routes: readonly T[]): (pathname: string) => RouteMatch<T> | null {
  const compiled = routes.flatMap((route) => {
    const segments = (route.path ?? "").split("/").filter(Boolean);
    if (segments.length === 0 || segments.some((s) => s.includes("*") || s.endsWith("?"))) return [];
    return [{ route, segments }];
  });
  return (pathname) => {
    const parts = pathname.split("/").slice(1);
    if (parts.length === 0 || parts.some((p) => p === "")) return null;
    let decoded: string[];
    try {
      decoded = parts.map((p) => decodeURIComponent(p));
    } catch {
      return null;
    }
    for (const { route, segments } of compiled) {
      if (segments.length !== decoded.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const segment = segments[i]!;
        if (segment.startsWith(":")) params[segment.slice(1)] = decoded[i]!;
        else ok = segment === decoded[i];
      }
      if (ok) return { route, params };
    }
    return null;
  };
}
