import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, cliFor, ROOT, startServer, type RunningServer } from "./harness";

// Who may reach what, for every route of the build's manifest (issue 14 point 3): a route added
// without a line in ACCESS fails the first test, so none can be forgotten. Each is called as an
// anonymous visitor, a reviewer of the batch, a reviewer who is not, and an admin.

/** Who a route is for. Pages use the session cookie; `api-*` routes a bearer token. */
type Access = "public" | "signed-in" | "batch-reviewer" | "admin" | "api-reviewer" | "api-admin";

const ACCESS: Record<string, Access> = {
  root: "public",
  "routes/home": "signed-in",
  "routes/login": "public",
  "routes/logout": "public",
  "routes/reset.$token": "public",
  "routes/review": "signed-in",
  "routes/review.$batchId": "batch-reviewer",
  "routes/review.$batchId.judge": "batch-reviewer",
  "routes/review.$batchId.arena": "batch-reviewer",
  "routes/review.$batchId.previous": "batch-reviewer",
  "routes/review.$batchId.skipped": "batch-reviewer",
  "routes/admin": "admin",
  "routes/admin.index": "admin",
  "routes/admin.datasets": "admin",
  "routes/admin.datasets.$dataset": "admin",
  "routes/admin.datasets.$dataset.leaderboard": "admin",
  "routes/admin.datasets.$dataset.sample": "admin",
  "routes/admin.datasets.$dataset.quality": "admin",
  "routes/admin.datasets.$dataset.quality.download": "admin",
  "routes/admin.models": "admin",
  "routes/admin.audit": "admin",
  "routes/admin.users": "admin",
  "routes/admin.batches": "admin",
  "routes/admin.batches.new": "admin",
  "routes/admin.batches.$id": "admin",
  "routes/admin.batches.$id.export": "admin",
  "routes/admin.batches.$id.stats": "admin",
  "routes/admin.batches.$id.disputes": "admin",
  "routes/admin.batches.$id.judge": "admin",
  "routes/admin.datasets.import": "admin",
  "routes/admin.datasets.import.progress": "admin",
  "routes/admin.batches.$id.export.download": "admin",
  "routes/admin.batches.$id.export.card": "admin",
  "routes/admin.batches.$id.reviewers": "admin",
  "routes/api.v1.batches.$id.next": "api-reviewer",
  "routes/api.v1.assignments.$id.judgment": "api-reviewer",
  "routes/api.v1.assignments.$id.skip": "api-reviewer",
  "routes/api.v1.assignments.$id.take-back": "api-reviewer",
  "routes/api.v1.batches.$id.skipped": "api-reviewer",
  "routes/api.v1.batches.$id.export": "api-admin",
  "routes/api.v1.batches.$id.export.card": "api-admin",
  "routes/api.v1.batches.$id.stats": "api-admin",
  "routes/api.v1.batches.$id.leaderboard": "api-admin",
  "routes/api.v1.datasets.$dataset.leaderboard": "api-admin",
  "routes/api.$": "public",
  "routes/$": "public",
};

interface ManifestRoute {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  module: { loader?: unknown; action?: unknown };
}

let server: RunningServer;
let tokens: Record<string, string>;
let routes: ManifestRoute[];
const cookies: Record<string, string> = {};
/** In the batch only reviewer1 judges; its name is the marker no outsider may be shown. */
const SECRET = "Quarterly-Secret-Batch-7Q";
let batchId = "";
let otherAssignment = "";

async function sessionCookie(username: string): Promise<string> {
  const page = await fetch(`${server.url}/login`);
  void page.body?.cancel();
  const body = new URLSearchParams({ username, password: server.credentials[username]! });
  const response = await fetch(`${server.url}/login`, { method: "POST", body, redirect: "manual", headers: { Origin: server.url } });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`no session for ${username}: ${response.status}`);
  return cookie;
}

beforeAll(async () => {
  server = await startServer();
  ({ tokens } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  const build = (await import(join(ROOT, "build/server/index.js"))) as { routes: Record<string, ManifestRoute> };
  routes = Object.values(build.routes);
  ({ id: batchId } = JSON.parse(
    cliFor(server, ["batches", "create", "--dataset", "demo", "--name", SECRET, "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1", "--pairing", "first-two", "--json"]),
  ) as { id: string });
  // An assignment of reviewer1's that reviewer2 must not touch.
  const next = await fetch(`${server.url}/api/v1/batches/${batchId}/next`, { headers: { Authorization: `Bearer ${tokens.reviewer1}` } });
  otherAssignment = ((await next.json()) as { assignment: { id: string } }).assignment.id;
  for (const user of ["reviewer1", "reviewer2", "admin"]) cookies[user] = await sessionCookie(user);
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** The route's URL pattern, its parents' paths joined. */
function patternOf(route: ManifestRoute): string {
  const parts: string[] = [];
  for (let r: ManifestRoute | undefined = route; r; r = routes.find((p) => p.id === r!.parentId)) if (r.path) parts.unshift(r.path);
  return `/${parts.join("/")}`;
}

/** A concrete URL for the pattern: the secret batch, the demo dataset, reviewer1's assignment. */
function urlOf(route: ManifestRoute): string {
  return patternOf(route)
    .replace(":batchId", batchId)
    .replace(":dataset", "demo")
    .replace(":token", "no-such-token")
    .replace(/\/assignments\/:id/, `/assignments/${otherAssignment}`)
    .replace(":id", batchId)
    .replace("*", "no-such-page");
}

type Caller = "anonymous" | "reviewer1" | "reviewer2" | "admin";

async function call(route: ManifestRoute, method: "GET" | "POST", caller: Caller) {
  const api = ACCESS[route.id]!.startsWith("api");
  const headers: Record<string, string> = { Origin: server.url };
  if (caller !== "anonymous") {
    if (api) headers.Authorization = `Bearer ${tokens[caller]}`;
    else headers.Cookie = cookies[caller]!;
  }
  if (method === "POST") headers["Content-Type"] = api ? "application/json" : "application/x-www-form-urlencoded";
  const response = await fetch(server.url + urlOf(route), { method, headers, redirect: "manual", ...(method === "POST" ? { body: api ? "{}" : "intent=x" } : {}) });
  return { status: response.status, location: response.headers.get("location") ?? "", body: await response.text() };
}

const methodsOf = (route: ManifestRoute): Array<"GET" | "POST"> => [...(route.module.loader ? (["GET"] as const) : []), ...(route.module.action ? (["POST"] as const) : [])];
const guarded = (access: Access) => access !== "public";
/** Loaders that send a signed-in user on to their page. */
const REDIRECTS = new Set(["routes/home", "routes/admin", "routes/admin.index"]);
/** Routes whose loader only refuses GET (405, no data): the upload takes POSTs alone. */
const POST_ONLY = new Set(["routes/admin.datasets.import"]);
const refusedGet = (route: ManifestRoute, method: string, status: number) => POST_ONLY.has(route.id) && method === "GET" && status === 405;

describe("the authorization matrix", () => {
  it("knows every route of the manifest", () => {
    const unknown = routes.map((r) => r.id).filter((id) => !(id in ACCESS));
    expect(unknown, "add each new route to ACCESS with who may reach it").toEqual([]);
    const gone = Object.keys(ACCESS).filter((id) => !routes.some((r) => r.id === id));
    expect(gone).toEqual([]);
  });

  it("sends anonymous visitors to /login (pages) or answers 401 (API), with no data", async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => guarded(ACCESS[r.id]!))) {
      for (const method of methodsOf(route)) {
        const { status, location, body } = await call(route, method, "anonymous");
        const api = ACCESS[route.id]!.startsWith("api");
        const ok = refusedGet(route, method, status) || (api ? status === 401 : [302, 303].includes(status) && location.startsWith("/login"));
        if (!ok || body.includes(SECRET)) wrong.push(`${method} ${urlOf(route)} → ${status} ${location}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("keeps reviewers out of admin pages, admin endpoints and others' batches and assignments: 403 or 404, no data", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const access = ACCESS[route.id]!;
      const callers: Caller[] = access === "admin" || access === "api-admin" ? ["reviewer1", "reviewer2"] : access === "batch-reviewer" || access === "api-reviewer" ? ["reviewer2"] : [];
      for (const caller of callers) {
        for (const method of methodsOf(route)) {
          const { status, body } = await call(route, method, caller);
          if (!(refusedGet(route, method, status) || [403, 404].includes(status)) || body.includes(SECRET)) wrong.push(`${caller} ${method} ${urlOf(route)} → ${status}${body.includes(SECRET) ? " (shows the batch)" : ""}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("lets each in where they belong", async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.module.loader)) {
      const access = ACCESS[route.id]!;
      if (route.id === "routes/logout" || access === "public") continue;
      const caller: Caller = access === "admin" || access === "api-admin" ? "admin" : "reviewer1";
      const { status } = await call(route, "GET", caller);
      // Resource routes that need a query (a download, an upload's progress) answer 400; the home page and /admin send one on to their page.
      const redirects = REDIRECTS.has(route.id) && (status === 302 || status === 303);
      if (!(refusedGet(route, "GET", status) || redirects || status === 200 || status === 204 || status === 400)) wrong.push(`${caller} GET ${urlOf(route)} → ${status}`);
    }
    expect(wrong).toEqual([]);
  });

  it("changes nothing on a GET: every loader called as an admin leaves the database's data as it was", async () => {
    const counts = () => JSON.parse(cliFor(server, ["audit", "--limit", "1", "--json"])) as { total: number };
    const signedIn = async () => (await fetch(`${server.url}/admin/models`, { headers: { Cookie: cookies.admin! }, redirect: "manual" })).status;
    expect(await signedIn()).toBe(200);
    const before = counts().total;
    for (const route of routes.filter((r) => r.module.loader && r.id !== "routes/logout")) {
      const access = ACCESS[route.id]!;
      await call(route, "GET", access === "admin" || access === "api-admin" ? "admin" : "reviewer1");
    }
    // Reading audits nothing; the GET of /logout does not sign anyone out either.
    expect(counts().total).toBe(before);
    expect(await signedIn()).toBe(200);
    const after = await fetch(`${server.url}/logout`, { headers: { Cookie: cookies.admin! }, redirect: "manual" });
    expect(after.status).toBe(302);
    const still = await fetch(`${server.url}/admin/models`, { headers: { Cookie: cookies.admin! }, redirect: "manual" });
    expect(still.status).toBe(200);
  });

  it("refuses a form post from another site even with a valid session, and takes the same post from its own pages", async () => {
    const forged = await fetch(`${server.url}/admin/models`, {
      method: "POST",
      headers: { Cookie: cookies.admin!, Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ model: "forged", input_usd_per_mtok: "1", output_usd_per_mtok: "1" }),
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toMatch(/from https:\/\/evil\.example is not accepted/);
    const crossSite = await fetch(`${server.url}/admin/models`, {
      method: "POST",
      headers: { Cookie: cookies.admin!, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ model: "forged", input_usd_per_mtok: "1", output_usd_per_mtok: "1" }),
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    expect(cliFor(server, ["models", "list", "--json"])).not.toContain("forged");
    const own = await fetch(`${server.url}/admin/models`, {
      method: "POST",
      headers: { Cookie: cookies.admin!, Origin: server.url, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ model: "own-model", input_usd_per_mtok: "1", output_usd_per_mtok: "2" }),
      redirect: "manual",
    });
    expect(own.status).toBeLessThan(400);
    expect(cliFor(server, ["models", "list", "--json"])).toContain("own-model");
  });
});
