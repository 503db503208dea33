// Verdict's HTTP server: Express serving the Remix build. Start-up (migrations, demo seed)
// runs through the build so the server and the app share one database module.
import { randomBytes } from "node:crypto";
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@remix-run/express";

const build = await import("./build/server/index.js");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const database = process.env.VERDICT_DB ?? "./data/verdict.db";

const demo = await build.entry.module.setUp();
console.log(`migrations applied (database ${database})`);

/**
 * Scripts run only from this origin or inline with this response's nonce (Remix's and React's
 * inline scripts carry it, see app/entry.server.tsx). Style attributes need 'unsafe-inline':
 * React's `style` props and recharts' SVG set them in the server-rendered HTML; <style>
 * elements stay restricted to this origin where browsers support style-src-elem.
 */
function contentSecurityPolicy(nonce) {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "style-src-elem 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const app = express();
app.disable("x-powered-by");
// Behind a reverse proxy, TRUST_PROXY=1 makes the client address (used by the login
// throttle) come from X-Forwarded-For instead of the proxy's own address.
if (process.env.TRUST_PROXY) app.set("trust proxy", process.env.TRUST_PROXY === "1" ? 1 : process.env.TRUST_PROXY);
app.use((req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString("base64");
  res.setHeader("Content-Security-Policy", contentSecurityPolicy(res.locals.cspNonce));
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "same-origin");
  // frame-ancestors for browsers older than CSP 2.
  res.setHeader("X-Frame-Options", "DENY");
  // An unknown URL is one line in the log (without its query string, which may carry secrets),
  // never a stack trace: app/routes/$.tsx answers it.
  res.once("finish", () => {
    if (res.statusCode === 404) console.log(`${req.method} ${req.originalUrl.split("?")[0]} 404`);
  });
  next();
});
// A state-changing request from another site's page is refused before any route runs
// (app/core/auth/cross-site.ts); behind a proxy, TRUST_PROXY makes req.protocol and the host
// the ones the browser used.
app.use((req, res, next) => {
  const problem = build.entry.module.crossSiteProblem({
    method: req.method,
    path: req.path,
    origin: req.get("origin"),
    secFetchSite: req.get("sec-fetch-site"),
    ownOrigin: `${req.protocol}://${(process.env.TRUST_PROXY && req.get("x-forwarded-host")?.split(",")[0]?.trim()) || req.get("host")}`,
  });
  if (!problem) return next();
  res.status(403).type("text/plain").send(`Forbidden: ${problem}.\n`);
});
app.use(compression());
// Vite fingerprints everything under /assets, so it can be cached forever.
app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
app.use(express.static("build/client", { maxAge: "1h" }));
app.all(
  "*",
  createRequestHandler({
    build,
    getLoadContext: (req, res) => ({
      clientAddress: req.ip ?? req.socket.remoteAddress ?? "unknown",
      cspNonce: res.locals.cspNonce,
    }),
  }),
);

const server = app.listen(port, host, () => {
  const url = `http://localhost:${port}`;
  if (demo.accounts.length) console.log(build.entry.module.describeDemo(demo, url));
  console.log(`Verdict is listening on ${url}`);
});

// Keep idle connections longer than clients and proxies do (they close theirs first), so a
// request never races the server closing its socket (ECONNRESET under load).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
