/**
 * The browser half of the review benchmark: in Debian's Chromium, the time from the submit
 * key to the next item painted; and from the build, the JavaScript the judging route needs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { launchBrowser } from "../e2e/harness";
import { log } from "./harness";

declare global {
  interface Window {
    __reviewBench?: { samples: number[]; keydownAt: number | null; last: string | null };
  }
}

/** Where tests/e2e/harness.ts's launchBrowser finds Debian's Chromium. */
const CHROMIUM = "/usr/bin/chromium";
/** A reviewer reads before judging the next item; the background save and prefetch finish meanwhile. */
const READING_PAUSE_MS = 250;

export interface BrowserResult {
  /** Enter keydown → first animation frame after the next item's id is on the page, per item. */
  samples_ms: number[];
  errors: number;
  error_samples: string[];
  /** JavaScript the judging page loaded, as sent (gzip), from the page's resource timing. */
  js_encoded_kb: number | null;
  /** Set when the run stopped early: why. */
  stopped: string | null;
}

async function pageText(page: Page): Promise<string> {
  try {
    return (await page.locator("body").innerText({ timeout: 2000 })).replace(/\s+/g, " ").slice(0, 300);
  } catch {
    return "(no page text)";
  }
}

/** Signs in as the browser reviewer, opens the batch and judges `items` items with keys 3 and Enter. */
export async function measureBrowser(options: {
  url: string;
  batchId: string;
  items: number;
  username: string;
  password: string;
}): Promise<BrowserResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (sudo apt-get install -y chromium)`);
  const { url, batchId } = options;
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < 10) errorSamples.push(message);
  };
  // The e2e tests' browser: a fresh profile and the flags this closed network needs.
  const { context, close } = await launchBrowser();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const judgePath = `/review/${batchId}/judge`;
    page.on("pageerror", (error) => fail(`page error: ${error.message}`));
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === judgePath && response.status() >= 400) fail(`save: HTTP ${response.status()}`);
    });

    await page.goto(`${url}/login`);
    await page.getByLabel("Username").fill(options.username);
    await page.getByLabel("Password").fill(options.password);
    await Promise.all([
      page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 30_000 }),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);

    await page.goto(`${url}/review/${batchId}`);
    try {
      await page.waitForSelector(".judging-item[data-assignment-id]", { timeout: 20_000 });
    } catch {
      return { samples_ms: [], errors, error_samples: errorSamples, js_encoded_kb: null, stopped: `no judging item on /review/${batchId}: ${await pageText(page)}` };
    }
    const jsBytes = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((e): e is PerformanceResourceTiming => e instanceof PerformanceResourceTiming && new URL(e.name).pathname.endsWith(".js"))
        .reduce((sum, e) => sum + e.encodedBodySize, 0),
    );

    await page.evaluate(() => {
      const state = {
        samples: [] as number[],
        keydownAt: null as number | null,
        last: document.querySelector(".judging-item")?.getAttribute("data-assignment-id") ?? null,
      };
      window.__reviewBench = state;
      // Capture phase on window: runs before any handler of the page's own.
      window.addEventListener("keydown", (event) => {
        if (event.key === "Enter") state.keydownAt = performance.now();
      }, true);
      new MutationObserver(() => {
        const id = document.querySelector(".judging-item")?.getAttribute("data-assignment-id") ?? null;
        if (id === null || id === state.last) return;
        state.last = id;
        const started = state.keydownAt;
        state.keydownAt = null;
        if (started !== null) requestAnimationFrame(() => state.samples.push(performance.now() - started));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-assignment-id"] });
    });

    let stopped: string | null = null;
    for (let i = 0; i < options.items; i++) {
      const saved = page
        .waitForResponse((r) => new URL(r.url()).pathname === judgePath && r.request().method() === "POST", { timeout: 15_000 })
        .then(
          () => true,
          () => false,
        );
      await page.keyboard.press("3");
      await page.keyboard.press("Enter");
      try {
        await page.waitForFunction((n) => (window.__reviewBench?.samples.length ?? 0) >= n, i + 1, { timeout: 10_000 });
      } catch {
        stopped = `item ${i + 1}: no next item within 10 s of Enter: ${await pageText(page)}`;
        break;
      }
      if (!(await saved)) {
        stopped = `item ${i + 1}: the judgment was not sent to ${judgePath} within 15 s`;
        break;
      }
      await page.waitForTimeout(READING_PAUSE_MS);
      if ((i + 1) % 10 === 0) log(`  browser: ${i + 1}/${options.items} items`);
    }
    const samples = await page.evaluate(() => window.__reviewBench?.samples ?? []);
    return { samples_ms: samples, errors, error_samples: errorSamples, js_encoded_kb: jsBytes / 1024, stopped };
  } finally {
    await close();
  }
}

export interface RouteJs {
  gzip_kb: number;
  raw_kb: number;
  /** Paths under build/client. */
  files: string[];
  /** Which manifest the list came from. */
  source: string;
}

interface ViteChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

/**
 * What the browser must download to show the judging screen: the entry client, the root
 * route and the judging route with all their static imports. From Vite's manifest when the
 * build kept it (build.manifest), else from the Remix browser manifest every build writes
 * (build/client/assets/manifest-*.js), whose `imports` are already the full static closure.
 */
export function routeJsSize(root: string, routeFile: string): RouteJs {
  const client = join(root, "build/client");
  const files = new Set<string>();
  let source: string;
  const viteManifest = [join(client, ".vite/manifest.json"), join(root, "build/.vite/client-manifest.json")].find((f) => existsSync(f));
  if (viteManifest) {
    source = viteManifest.slice(root.length + 1);
    const manifest = JSON.parse(readFileSync(viteManifest, "utf8")) as Record<string, ViteChunk>;
    const keys = Object.keys(manifest);
    const entryKey = keys.find((k) => manifest[k]!.isEntry && /entry\.client\.[jt]sx?$/.test(k));
    const rootKey = keys.find((k) => /^app\/root\.[jt]sx?$/.test(k));
    const routeKey = `app/${routeFile}`;
    for (const [label, key] of [["entry client", entryKey], ["root route", rootKey], [routeFile, routeKey]] as const) {
      if (!key || !manifest[key]) throw new Error(`${source} has no chunk for the ${label}`);
    }
    const visit = (key: string) => {
      const chunk = manifest[key];
      if (!chunk || files.has(chunk.file)) return;
      files.add(chunk.file);
      for (const imported of chunk.imports ?? []) visit(imported);
    };
    for (const key of [entryKey!, rootKey!, routeKey]) visit(key);
  } else {
    const assets = join(client, "assets");
    const serverBuild = readFileSync(join(root, "build/server/index.js"), "utf8");
    const referenced = /assets\/(manifest-[\w-]+\.js)/.exec(serverBuild)?.[1];
    const name = referenced ?? readdirSync(assets).find((f) => /^manifest-[\w-]+\.js$/.test(f));
    if (!name) throw new Error("the build has no Remix browser manifest (build/client/assets/manifest-*.js)");
    source = `build/client/assets/${name}`;
    const text = readFileSync(join(assets, name), "utf8");
    type RemixRoute = { module: string; imports?: string[]; parentId?: string };
    const manifest = JSON.parse(text.slice(text.indexOf("=") + 1).replace(/;\s*$/, "")) as {
      entry: { module: string; imports?: string[] };
      routes: Record<string, RemixRoute>;
    };
    const add = (chunk: { module: string; imports?: string[] }) => {
      for (const path of [chunk.module, ...(chunk.imports ?? [])]) files.add(path.replace(/^\//, ""));
    };
    add(manifest.entry);
    const routeId = routeFile.replace(/\.[jt]sx?$/, "");
    let route: RemixRoute | undefined = manifest.routes[routeId];
    if (!route) throw new Error(`${source} has no route ${routeId}: the build predates the judging screen`);
    for (let depth = 0; route && depth < 20; depth++) {
      add(route);
      route = route.parentId ? manifest.routes[route.parentId] : undefined;
    }
  }
  let gzip = 0;
  let raw = 0;
  for (const file of files) {
    const bytes = readFileSync(join(client, file));
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { gzip_kb: gzip / 1024, raw_kb: raw / 1024, files: [...files].sort(), source };
}
