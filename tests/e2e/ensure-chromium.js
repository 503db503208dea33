// Browser tests drive Debian's Chromium. When it is missing, install it if we are root,
// otherwise stop at once with the one command to run.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    console.error("Chromium is missing: installing Debian's chromium package (apt-get) …");
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  } else {
    console.error(`The browser tests need Chromium at ${CHROMIUM}. Install it with:\n\n  sudo apt-get install -y chromium\n`);
    process.exit(1);
  }
}
