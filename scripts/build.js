// `npm run build` (always builds) and the build step of `npm start` (builds only when the sources
// changed): Remix's Vite build with one line per phase instead of the bundler's tables. Warnings
// Vite still reports (the known harmless ones are filtered in vite.config.ts) are printed after
// the summary; when the build fails, everything it printed is shown in full.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildOutputPresent, hashSources, readStamp, rebuildReason, removeStamp, writeStamp } from "./build-stamp.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The build exited non-zero; `output` is everything it printed. */
export class BuildFailed extends Error {
  /** @param {number} code @param {string} output */
  constructor(code, output) {
    super(`build failed (exit code ${code})`);
    this.code = code;
    this.output = output;
  }
}

/**
 * Builds when forced or when the sources differ from the last successful build's, printing one
 * line per phase. Resolves once the build on disk is up to date; rejects with BuildFailed.
 * @param {{ force?: boolean, verbose?: boolean, root?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<{ built: boolean }>}
 */
export async function ensureBuild({ force = false, verbose = false, root = ROOT, log = console.log } = {}) {
  // Hashed before building: an edit made while the build runs makes the next start build again.
  const sources = hashSources(root);
  const reason = force ? "requested" : rebuildReason(readStamp(root), sources, buildOutputPresent(root));
  if (reason === null) {
    log("build is up to date (sources unchanged since the last build)");
    return { built: false };
  }
  log(force ? "building…" : `building (${reason})…`);
  // No stamp while building: a build that fails or is interrupted halfway never counts as done.
  removeStamp(root);
  const started = Date.now();
  const { code, output } = await runViteBuild(root, verbose);
  if (code !== 0) throw new BuildFailed(code, output);
  writeStamp(root, sources);
  log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (output.trim()) process.stderr.write(output);
  return { built: true };
}

/** For the command-line entries: the build's own output in full, then one line saying it failed. */
export function reportBuildFailure(error) {
  if (!(error instanceof BuildFailed)) throw error;
  process.stderr.write(error.output);
  console.error(error.message);
  process.exitCode = 1;
}

/**
 * `remix vite:build`, quiet unless verbose: Vite's info lines (module counts, chunk tables) are
 * dropped, its warnings and errors kept.
 * @param {string} root @param {boolean} verbose
 * @returns {Promise<{ code: number, output: string }>}
 */
function runViteBuild(root, verbose) {
  const cli = join(root, "node_modules/@remix-run/dev/dist/cli.js");
  const child = spawn(process.execPath, [cli, "vite:build", "--logLevel", verbose ? "info" : "warn"], {
    cwd: root,
    stdio: verbose ? "inherit" : ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return new Promise((done) => {
    child.once("error", (error) => done({ code: 1, output: `${output}${error.stack ?? error}\n` }));
    child.once("close", (code, signal) => done({ code: code ?? (signal ? 1 : 0), output: verbose ? "" : output }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await ensureBuild({ force: true, verbose: process.argv.includes("--verbose") }).catch(reportBuildFailure);
}
