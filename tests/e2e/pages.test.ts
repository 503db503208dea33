import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, launchBrowser, ROOT, signIn, startServer, type ApiAssignment, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let tab: Tab;
let page: Page;
let api: ReturnType<typeof apiClient>["api"];
const batches: Record<string, string> = {};

type Account = "admin" | "reviewer1" | null;

/** One visit of the pages test: a path, who opens it, and the status its document answers. */
interface Visit {
  path: string;
  as: Account;
  status: number;
}

/**
 * Every page of the app, once for each kind of account that opens it. A new page is a new line
 * here; the tests below check each for console errors, page errors and CSP violations.
 */
function everyPage(): Visit[] {
  const ids = Object.values(batches);
  return [
    { path: "/login", as: null, status: 200 },
    { path: "/no/such/page", as: null, status: 404 },
    { path: "/review", as: "reviewer1", status: 200 },
    ...ids.map((id) => ({ path: `/review/${id}`, as: "reviewer1" as const, status: 200 })),
    { path: "/admin/batches", as: "reviewer1", status: 403 },
    { path: "/no/such/page", as: "reviewer1", status: 404 },
    { path: "/review", as: "admin", status: 200 },
    { path: "/admin", as: "admin", status: 200 },
    { path: "/admin/datasets", as: "admin", status: 200 },
    { path: "/admin/datasets/demo", as: "admin", status: 200 },
    { path: "/admin/datasets/demo?q=the&model=&field=&value=", as: "admin", status: 200 },
    { path: "/admin/datasets/demo?field=a%27b", as: "admin", status: 400 },
    { path: "/admin/datasets/no-such-dataset", as: "admin", status: 404 },
    { path: "/admin/datasets/demo", as: "reviewer1", status: 403 },
    { path: "/admin/datasets/demo/leaderboard", as: "admin", status: 200 },
    { path: "/admin/datasets/demo/sample", as: "admin", status: 200 },
    { path: "/admin/datasets/no-such-dataset/sample", as: "admin", status: 404 },
    { path: "/admin/datasets/demo/sample", as: "reviewer1", status: 403 },
    { path: "/admin/batches", as: "admin", status: 200 },
    { path: "/admin/batches/new", as: "admin", status: 200 },
    { path: "/admin/models", as: "admin", status: 200 },
    { path: "/admin/models", as: "reviewer1", status: 403 },
    { path: "/admin/audit", as: "admin", status: 200 },
    { path: "/admin/audit?action=batch.&since=2020-01-01", as: "admin", status: 200 },
    { path: "/admin/audit?since=2020-13-01", as: "admin", status: 400 },
    { path: "/admin/audit", as: "reviewer1", status: 403 },
    { path: "/admin/users", as: "admin", status: 200 },
    { path: "/admin/users?disable=reviewer1", as: "admin", status: 200 },
    { path: "/admin/users", as: "reviewer1", status: 403 },
    ...ids.flatMap((id) => [
      { path: `/admin/batches/${id}`, as: "admin" as const, status: 200 },
      { path: `/admin/batches/${id}`, as: "reviewer1" as const, status: 403 },
      { path: `/admin/batches/${id}/stats`, as: "admin" as const, status: 200 },
      { path: `/admin/batches/${id}/export`, as: "admin" as const, status: 200 },
      { path: `/admin/batches/${id}/disputes`, as: "admin" as const, status: 200 },
      { path: `/admin/batches/${id}/disputes`, as: "reviewer1" as const, status: 403 },
    ]),
    { path: "/no/such/page", as: "admin", status: 404 },
  ];
}

/** A judgment the API accepts for any task, preferring the first response shown. */
function firstShownWins(assignment: ApiAssignment & { task: string; config: { aspects?: Array<{ key: string; min: number; max: number }> } }) {
  const [first, ...rest] = assignment.responses;
  if (assignment.task === "pairwise") return { preferred: first!.id, strength: 2, duration_ms: 4000 };
  if (assignment.task === "ranking") return { tiers: [[first!.id], rest.map((r) => r.id)], duration_ms: 4000 };
  const scores = Object.fromEntries(
    assignment.responses.map((r, i) => [r.id, Object.fromEntries((assignment.config.aspects ?? []).map((a) => [a.key, i === 0 ? a.max : a.min]))]),
  );
  return { scores, duration_ms: 4000 };
}

/** Judges the first `count` items `user` is given in a batch over the API. */
async function judgeSome(batchId: string, user: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const next = await api(`/batches/${batchId}/next`, user);
    expect(next.status).toBe(200);
    const { assignment } = (await next.json()) as { assignment: Parameters<typeof firstShownWins>[0] };
    const body = { client_id: `pages-${batchId}-${user}-${n}`, ...firstShownWins(assignment) };
    const saved = await api(`/assignments/${assignment.id}/judgment`, user, { method: "POST", body: JSON.stringify(body) });
    expect(saved.status, await saved.clone().text()).toBe(201);
  }
}

/** A browser tab and the account signed in on it. */
interface Tab {
  page: Page;
  as: Account;
}

async function visitAs(tab: Tab, as: Account, path: string) {
  if (as !== tab.as) {
    if (as) await signIn(tab.page, server.url, as, server.credentials[as]!);
    else await tab.page.context().clearCookies();
    tab.as = as;
  }
  return tab.page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
}

/** Hydration is over once Remix's router is up; React has reported any mismatch by then. */
async function hydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized === true);
}

/**
 * Visits each page in turn and lists what went wrong: a status other than expected, console
 * errors (CSP violations among them), page errors, and with `fitsWidth` a page wider than the
 * viewport (it would scroll sideways on a phone).
 */
async function problemsVisiting(tab: Tab, visits: Visit[], { fitsWidth = false } = {}): Promise<string[]> {
  const problems: string[] = [];
  let visit: Visit | null = null;
  const where = () => `${visit?.path} as ${visit?.as ?? "anonymous"}`;
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() !== "error" || !visit) return;
    // Chromium reports a document answered 4xx as a failed resource: that is the page's own status.
    const ownStatus = visit.status >= 400 && message.text().includes(`status of ${visit.status}`) && message.location().url === `${server.url}${visit.path}`;
    if (!ownStatus) problems.push(`${where()}: console error: ${message.text()}`);
  };
  const onPageError = (error: Error) => problems.push(`${where()}: page error: ${error.message}`);
  tab.page.on("console", onConsole);
  tab.page.on("pageerror", onPageError);
  try {
    for (const next of visits) {
      visit = next;
      const response = await visitAs(tab, next.as, next.path);
      if (response?.status() !== next.status) problems.push(`${where()}: status ${response?.status()}, expected ${next.status}`);
      await hydrated(tab.page);
      if (fitsWidth) {
        // A mobile browser widens innerWidth to the content, so the page is measured against the device's width.
        const viewport = tab.page.viewportSize()!.width;
        const width = await tab.page.evaluate(() => document.documentElement.scrollWidth);
        if (width > viewport) problems.push(`${where()}: the page is ${width} px wide in a ${viewport} px viewport`);
      }
    }
  } finally {
    tab.page.off("console", onConsole);
    tab.page.off("pageerror", onPageError);
  }
  return problems;
}

beforeAll(async () => {
  server = await startServer();
  // A reviewer far from the server, in another language: dates and numbers formatted by the
  // locale or time zone would render differently in the browser than on the server.
  browser = await launchBrowser({ locale: "de-DE", timezoneId: "Pacific/Kiritimati" });
  page = await browser.context.newPage();
  tab = { page, as: null };
  ({ api } = apiClient(server, ["reviewer1", "reviewer2"]));
  for (const name of ["Demo: pairwise", "Demo: ranking", "Demo: rating"]) batches[name] = batchIdFor(server, name);
  // Beside the demo: multi-turn HH conversations, and markdown with every block the renderer
  // makes (HTML the browser's parser would rearrange inside the wrong parent breaks hydration).
  const dir = mkdtempSync(join(tmpdir(), "verdict-pages-"));
  const rich = join(dir, "rich.jsonl");
  const markdown = [
    "# Heading\n\nA paragraph with **bold**, `code`, a [link](https://example.org) and ![a dot](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==).",
    "- a list\n  - nested\n1. numbered\n\n> a quote\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n---\n\n<script>alert(1)</script>",
  ];
  writeFileSync(rich, `${JSON.stringify({ id: "rich-1", messages: [{ role: "user", content: markdown[0] }], responses: [{ model: "m1", text: markdown[0] }, { model: "m2", text: markdown[1] }] })}\n`);
  cliFor(server, ["import", rich, "--dataset", "rich"]);
  cliFor(server, ["import", join(ROOT, "tests/fixtures/hh.jsonl"), "--dataset", "hh", "--format", "hh-rlhf"]);
  rmSync(dir, { recursive: true, force: true });
  for (const dataset of ["rich", "hh"]) {
    const created = cliFor(server, ["batches", "create", "--dataset", dataset, "--name", dataset, "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1", "--json"]);
    batches[dataset] = (JSON.parse(created) as { id: string }).id;
  }
  // Half of every batch judged, so the stats pages draw their charts and tables, while the
  // judging screens still have items for reviewer1; both reviewers share pairwise items.
  for (const name of ["Demo: pairwise", "Demo: ranking", "Demo: rating"]) await judgeSome(batches[name]!, "reviewer2", 4);
  await judgeSome(batches["Demo: pairwise"]!, "reviewer1", 2);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("every page", () => {
  it("answers its status and logs no console error, page error or CSP violation (hydration included)", async () => {
    const visits = everyPage();
    expect(visits.filter((v) => v.path.startsWith("/review/"))).toHaveLength(5);
    expect(await problemsVisiting(tab, visits)).toEqual([]);
    // About 70 pages at ~1 s each (networkidle waits half a second): 70 s alone, more beside the
    // rest of the suite, so the default 90 s is too tight.
  }, 300_000);

  it("on a phone, every page hydrates without errors too and fits the screen's width", async () => {
    // Touch devices get a different screen (no key legend): a difference decided while rendering
    // would break hydration. Wide tables scroll inside their box, not the page.
    const phone = await launchBrowser({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, locale: "de-DE", timezoneId: "Pacific/Kiritimati" });
    try {
      expect(await problemsVisiting({ page: await phone.context.newPage(), as: null }, everyPage(), { fitsWidth: true })).toEqual([]);
    } finally {
      await phone.close();
    }
  }, 300_000);
});

describe("an unknown URL", () => {
  it("answers 404 with a page in the app's layout linking home, for admins also to the admin pages", async () => {
    for (const [as, links] of [
      ["admin", ["/review", "/admin"]],
      ["reviewer1", ["/review"]],
    ] as const) {
      const response = await visitAs(tab, as, "/datasets/typo");
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Page not found");
      await expect(page.getByRole("alert").textContent()).resolves.toContain("There is no page at /datasets/typo.");
      await expect(page.title()).resolves.toBe("Page not found · Verdict");
      await expect(page.getByRole("link", { name: "Verdict home" }).isVisible()).resolves.toBe(true);
      const home = await page.getByRole("navigation", { name: "Home" }).getByRole("link").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      expect(home).toEqual(links);
    }
  });

  it("reached by navigating inside the app, shows the same page without reloading", async () => {
    await visitAs(tab, "admin", "/admin/batches");
    await hydrated(page);
    await page.evaluate(() => {
      const w = window as unknown as { marker: boolean; __remixRouter: { navigate: (to: string) => Promise<void> } };
      w.marker = true;
      void w.__remixRouter.navigate("/admin/no-such-tab");
    });
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/no-such-tab");
    await expect(page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).resolves.toBe(true);
  });

  it("is one line in the server's log (method, path, status), never a stack trace", async () => {
    const before = server.output().length;
    await visitAs(tab, "admin", "/one/line/please?q=secret");
    const api404 = await fetch(`${server.url}/api/v1/no-such-endpoint`, { method: "POST" });
    expect(api404.status).toBe(404);
    await expect(api404.json()).resolves.toEqual({ error: { code: "not_found", message: "no API endpoint at POST /api/v1/no-such-endpoint" } });
    // The log line is written when the response finishes, which may come after the page is shown.
    await expect.poll(() => server.output().slice(before).split("\n").filter((line) => line.includes("/no-such-endpoint")).length).toBe(1);
    const lines = server.output().slice(before).split("\n").filter(Boolean);
    expect(lines.filter((line) => line.includes("/one/line/please"))).toEqual(["GET /one/line/please 404"]);
    expect(lines.filter((line) => line.includes("/no-such-endpoint"))).toEqual(["POST /api/v1/no-such-endpoint 404"]);
    expect(server.output()).not.toMatch(/^\s+at /m);
    expect(server.output()).not.toMatch(/No route matches/);
  });

  it("a reviewer opening an admin page gets a 403 page with the way home", async () => {
    const response = await visitAs(tab, "reviewer1", "/admin/datasets");
    expect(response?.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Not allowed");
    await expect(page.title()).resolves.toBe("Not allowed · Verdict");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("This page is for admins only.");
    const home = await page.getByRole("navigation", { name: "Home" }).getByRole("link").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(home).toEqual(["/review"]);
  });
});

describe("static files from public/", () => {
  it("serve the favicon the pages link and a robots.txt that disallows everything", async () => {
    const html = await (await fetch(`${server.url}/login`)).text();
    const icon = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml"\/>/.exec(html)?.[1];
    expect(icon).toBe("/favicon.svg");
    const favicon = await fetch(`${server.url}${icon}`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get("content-type")).toBe("image/svg+xml");
    expect(await favicon.text()).toMatch(/^<svg /);
    const robots = await fetch(`${server.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get("content-type")).toMatch(/^text\/plain/);
    expect((await robots.text()).split("\n")).toEqual(expect.arrayContaining(["User-agent: *", "Disallow: /"]));
  });
});

describe("Content-Security-Policy", () => {
  const nonceOf = (policy: string | null) => /'nonce-([A-Za-z0-9+/=]+)'/.exec(policy ?? "")?.[1];

  it("comes with every page, with a fresh nonce each time, and the directives that matter", async () => {
    const nonces = new Set<string>();
    for (const path of ["/login", "/login", "/no/such/page"]) {
      const response = await fetch(`${server.url}${path}`);
      const policy = response.headers.get("content-security-policy");
      const directives = Object.fromEntries((policy ?? "").split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      expect(directives["script-src"]).toEqual(["'self'", `'nonce-${nonceOf(policy)}'`]);
      expect(directives["object-src"]).toEqual(["'none'"]);
      expect(directives["base-uri"]).toEqual(["'self'"]);
      expect(directives["frame-ancestors"]).toEqual(["'none'"]);
      expect(directives["default-src"]).toEqual(["'self'"]);
      expect(directives["connect-src"]).toEqual(["'self'"]);
      expect(directives["img-src"]).toEqual(["'self'", "data:"]);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("same-origin");
      nonces.add(nonceOf(policy)!);
    }
    expect(nonces.size).toBe(3);
  });

  it("every inline script of a page carries the response's nonce", async () => {
    await visitAs(tab, "reviewer1", "/review");
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    for (const path of ["/login", `/review/${batches["Demo: pairwise"]}`, "/no/such/page"]) {
      const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
      const nonce = nonceOf(response.headers.get("content-security-policy"));
      const html = await response.text();
      const inline = [...html.matchAll(/<script(?![^>]*\ssrc=)([^>]*)>/g)].map((m) => m[1]!);
      expect(inline.length).toBeGreaterThan(2); // scroll restoration, Remix's context, the module, streamed data
      for (const attributes of inline) expect(attributes, path).toContain(`nonce="${nonce}"`);
    }
  });

  it("an injected inline script without the nonce does not run; with it, it does", async () => {
    await visitAs(tab, "reviewer1", "/review");
    const ran = await page.evaluate(async () => {
      const nonce = document.querySelector<HTMLScriptElement>("script[nonce]")!.nonce;
      const marks = window as unknown as Record<string, boolean>;
      const violations: string[] = [];
      document.addEventListener("securitypolicyviolation", (event) => violations.push(event.violatedDirective));
      const inject = (withNonce: boolean) => {
        const script = document.createElement("script");
        if (withNonce) script.nonce = nonce;
        script.textContent = `window.${withNonce ? "withNonce" : "withoutNonce"} = true;`;
        document.body.append(script);
      };
      inject(false);
      inject(true);
      await new Promise((r) => setTimeout(r, 100));
      return { withoutNonce: marks.withoutNonce === true, withNonce: marks.withNonce === true, violations };
    });
    expect(ran).toEqual({ withoutNonce: false, withNonce: true, violations: ["script-src-elem"] });
  });
});
