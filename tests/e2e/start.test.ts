import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildOutputPresent, hashSources, readStamp, rebuildReason } from "../../scripts/build-stamp.js";
import { freePort, parseDemoAccounts, ROOT } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "verdict-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm start` (its script, without npm) on `db`: everything it printed up to "listening", then stopped. */
async function npmStart(db: string): Promise<{ lines: string[]; port: number; status: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["scripts/start.js"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", VERDICT_DB: db, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`npm start did not listen:\n${output}`)), 60_000);
      child.stdout.on("data", () => {
        if (/listening on .*\n/.test(output)) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    await login.text(); // a response left unread holds its connection, and the server's exit with it
    return { lines: output.trimEnd().split("\n"), port, status: login.status };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

describe("npm start", () => {
  it("on an unchanged build serves without building, one line per phase, and the demo block once", async () => {
    // The build under test is the one `npm test` just made, so its stamp matches the sources.
    expect(rebuildReason(readStamp(ROOT), hashSources(ROOT), buildOutputPresent(ROOT)), "the build is stale: run `npm run build`").toBeNull();
    const db = join(dir, "verdict.db");

    const first = await npmStart(db);
    expect(first.status).toBe(200);
    expect(first.lines.slice(0, 2)).toEqual(["build is up to date (sources unchanged since the last build)", `migrations applied (database ${db})`]);
    expect(first.lines.at(-1)).toBe(`Verdict is listening on http://localhost:${first.port}`);
    const block = first.lines.slice(2, -1).join("\n");
    expect(block).toMatch(/^ +username +password +role$/m);
    expect(Object.keys(parseDemoAccounts(block))).toEqual(["admin", "reviewer1", "reviewer2"]);
    expect(block).toMatch(/^ +batch +task +items +reviewers per item$/m);
    for (const batch of ["Demo: pairwise  pairwise", "Demo: ranking   ranking", "Demo: rating    rating"]) expect(block).toContain(batch);
    expect(block).toContain(`Sign in at http://localhost:${first.port}/login`);

    const second = await npmStart(db);
    expect(second.status).toBe(200);
    expect(second.lines).toEqual([
      "build is up to date (sources unchanged since the last build)",
      `migrations applied (database ${db})`,
      `Verdict is listening on http://localhost:${second.port}`,
    ]);
  });
});

describe("the client build", () => {
  const assets = join(ROOT, "build/client/assets");

  it("has no JavaScript chunk over 500 kB", () => {
    const sizes = readdirSync(assets)
      .filter((file) => file.endsWith(".js"))
      .map((file) => ({ file, kB: statSync(join(assets, file)).size / 1000 }));
    expect(sizes.length).toBeGreaterThan(5);
    expect(sizes.filter((chunk) => chunk.kB > 500)).toEqual([]);
  });

  it("loads the charting code only on the pages with charts", () => {
    const manifestFile = readdirSync(assets).find((file) => /^manifest-.*\.js$/.test(file))!;
    const manifest = JSON.parse(readFileSync(join(assets, manifestFile), "utf8").replace(/^window\.__remixManifest=/, "").replace(/;\s*$/, "")) as {
      entry: { imports: string[] };
      routes: Record<string, { imports?: string[] }>;
    };
    const charts = readdirSync(assets).filter((file) => file.endsWith(".js") && readFileSync(join(assets, file), "utf8").includes("recharts-"));
    expect(charts.length).toBeGreaterThan(0);
    const loading = (imports: string[] = []) => imports.some((path) => charts.some((chunk) => path.endsWith(`/${chunk}`)));
    expect(loading(manifest.entry.imports)).toBe(false);
    const routes = Object.entries(manifest.routes)
      .filter(([, route]) => loading(route.imports))
      .map(([id]) => id)
      .sort();
    expect(routes).toEqual(["routes/admin.batches.$id.stats", "routes/admin.datasets.$dataset.leaderboard", "routes/admin.datasets.$dataset.quality"]);
  });
});
