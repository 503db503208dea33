// Whether `npm start` must build before it serves. The build is a function of the files below,
// so it is up to date when their contents are exactly what they were when the last successful
// build started. Contents, not modification times: a checkout or `touch` that changes no byte
// does not rebuild, and a change that keeps the mtime (a restored backup) still does.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * What the build reads: the app, the schema and seed it bundles, static files, and the toolchain's
 * configuration. The migrations are read at run time today; they are listed so that bundling them
 * one day cannot leave a stale build (a migration changes rarely, a needless build costs seconds).
 */
export const BUILD_INPUTS = ["app", "db", "public", "migrations", "vite.config.ts", "tsconfig.json", "package.json", "package-lock.json"];

/** Written after a successful build only, inside build/ so that deleting the build deletes it too. */
export const STAMP_FILE = "build/.sources.json";

/** The files whose presence means there is a build to serve. */
const BUILD_OUTPUT = ["build/server/index.js", "build/client/assets"];

/**
 * @typedef {Record<string, string>} SourceHashes  each input file's path (with `/`) and the sha256 of its bytes
 * @typedef {{ files: SourceHashes }} BuildStamp  the sources the last successful build was made from
 */

/**
 * Why the build must run, or null when the existing build is up to date. Pure: it compares what
 * the last successful build was made from with the sources now.
 * @param {BuildStamp | null} stamp  null when there is none (never built, or the last build failed)
 * @param {SourceHashes} sources
 * @param {boolean} outputPresent  whether the build's output is on disk
 * @returns {string | null}
 */
export function rebuildReason(stamp, sources, outputPresent) {
  if (!outputPresent) return "no build yet";
  if (!stamp) return "no record of what the last build was made from";
  const changes = [];
  for (const [path, hash] of Object.entries(sources)) {
    if (!(path in stamp.files)) changes.push(`${path} added`);
    else if (stamp.files[path] !== hash) changes.push(`${path} changed`);
  }
  for (const path of Object.keys(stamp.files)) if (!(path in sources)) changes.push(`${path} removed`);
  if (changes.length === 0) return null;
  return changes.length === 1 ? changes[0] : `${changes[0]} and ${changes.length - 1} more`;
}

/**
 * The sha256 of every file of BUILD_INPUTS under `root` (missing inputs are simply absent).
 * @param {string} root
 * @returns {SourceHashes}
 */
export function hashSources(root) {
  /** @type {SourceHashes} */
  const hashes = {};
  const add = (file) => {
    hashes[relative(root, file).split(sep).join("/")] = createHash("sha256").update(readFileSync(file)).digest("hex");
  };
  for (const input of BUILD_INPUTS) {
    const path = join(root, input);
    if (!existsSync(path)) continue;
    if (!statSync(path).isDirectory()) {
      add(path);
      continue;
    }
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) add(join(entry.parentPath, entry.name));
    }
  }
  return Object.fromEntries(Object.entries(hashes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** @param {string} root */
export function buildOutputPresent(root) {
  return BUILD_OUTPUT.every((path) => existsSync(join(root, path)));
}

/**
 * @param {string} root
 * @returns {BuildStamp | null}  null when missing or unreadable (which only costs a build)
 */
export function readStamp(root) {
  try {
    const stamp = JSON.parse(readFileSync(join(root, STAMP_FILE), "utf8"));
    return stamp && typeof stamp.files === "object" && stamp.files !== null ? stamp : null;
  } catch {
    return null;
  }
}

/** @param {string} root @param {SourceHashes} sources */
export function writeStamp(root, sources) {
  writeFileSync(join(root, STAMP_FILE), JSON.stringify({ files: sources }, null, 1) + "\n");
}

/** @param {string} root */
export function removeStamp(root) {
  rmSync(join(root, STAMP_FILE), { force: true });
}
