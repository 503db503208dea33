import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildFailed, ensureBuild } from "../../scripts/build.js";
import { STAMP_FILE } from "../../scripts/build-stamp.js";

// A project tree whose "bundler" is a stand-in for remix vite:build: it counts its runs, writes
// the build's output, prints Vite's progress unless asked to be quiet, and fails with a
// real-looking error while app/broken.ts exists. The decision
// and the stamp are what is under test, not Vite.
const FAKE_BUNDLER = `
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
appendFileSync("runs.log", "run\\n");
// Like Vite, the progress lines and chunk table are info: quiet at --logLevel warn.
if (!process.argv.includes("warn")) console.log("vite v6 building for production...\\n✓ 2012 modules transformed.\\nbuild/client/assets/charts.js  381.81 kB");
if (existsSync("app/broken.ts")) {
  console.error("✘ [ERROR] Expected \\";\\" but found \\"const\\"\\n    app/broken.ts:1:9:");
  process.exit(1);
}
mkdirSync("build/server", { recursive: true });
mkdirSync("build/client/assets", { recursive: true });
writeFileSync("build/server/index.js", "export {};\\n");
`;

let root: string;
const lines: string[] = [];
const start = () => ensureBuild({ root, log: (line) => lines.push(line) });
/** How many times the bundler ran. */
const runs = () => (existsSync(join(root, "runs.log")) ? readFileSync(join(root, "runs.log"), "utf8").split("\n").filter(Boolean).length : 0);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "verdict-build-"));
  mkdirSync(join(root, "app/routes"), { recursive: true });
  mkdirSync(join(root, "node_modules/@remix-run/dev/dist"), { recursive: true });
  writeFileSync(join(root, "node_modules/@remix-run/dev/dist/cli.js"), FAKE_BUNDLER);
  writeFileSync(join(root, "package.json"), '{"type":"module"}\n');
  writeFileSync(join(root, "app/root.tsx"), "export default 1;\n");
  writeFileSync(join(root, "app/routes/home.tsx"), "export default 2;\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the build step of npm start", () => {
  it("builds the first time, printing one line per phase and none of the bundler's output", async () => {
    lines.length = 0;
    await expect(start()).resolves.toEqual({ built: true });
    expect(runs()).toBe(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("building (no build yet)…");
    expect(lines[1]).toMatch(/^built in \d+\.\d s$/);
    expect(existsSync(join(root, STAMP_FILE))).toBe(true);
  });

  it("does not build again when nothing changed", async () => {
    lines.length = 0;
    await expect(start()).resolves.toEqual({ built: false });
    expect(runs()).toBe(1);
    expect(lines).toEqual(["build is up to date (sources unchanged since the last build)"]);
  });

  it("builds again when a source changed", async () => {
    writeFileSync(join(root, "app/routes/home.tsx"), "export default 3;\n");
    lines.length = 0;
    await expect(start()).resolves.toEqual({ built: true });
    expect(runs()).toBe(2);
    expect(lines[0]).toBe("building (app/routes/home.tsx changed)…");
  });

  it("on a failed build hands back the bundler's whole output and leaves no stamp, so the next start builds again", async () => {
    writeFileSync(join(root, "app/broken.ts"), "let a = const;\n");
    const failure = await start().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BuildFailed);
    expect((failure as BuildFailed).message).toBe("build failed (exit code 1)");
    expect((failure as BuildFailed).output).toContain('✘ [ERROR] Expected ";" but found "const"\n    app/broken.ts:1:9:');
    expect(existsSync(join(root, STAMP_FILE))).toBe(false);

    // Putting the file back as it was is no success of the failed build: the build still runs.
    rmSync(join(root, "app/broken.ts"));
    lines.length = 0;
    await expect(start()).resolves.toEqual({ built: true });
    expect(lines[0]).toBe("building (no record of what the last build was made from)…");
    expect(runs()).toBe(4);
  });
});
