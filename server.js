// Verdict's HTTP server: Express serving the Remix build. Start-up (migrations, demo seed)
// runs through the build so the server and the app share one database module.
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@remix-run/express";

const build = await import("./build/server/index.js");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";

const { created } = await build.entry.module.setUp();

const app = express();
app.disable("x-powered-by");
// Behind a reverse proxy, TRUST_PROXY=1 makes the client address (used by the login
// throttle) come from X-Forwarded-For instead of the proxy's own address.
if (process.env.TRUST_PROXY) app.set("trust proxy", process.env.TRUST_PROXY === "1" ? 1 : process.env.TRUST_PROXY);
app.use(compression());
// Vite fingerprints everything under /assets, so it can be cached forever.
app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
app.use(express.static("build/client", { maxAge: "1h" }));
app.all(
  "*",
  createRequestHandler({
    build,
    getLoadContext: (req) => ({ clientAddress: req.ip ?? req.socket.remoteAddress ?? "unknown" }),
  }),
);

const server = app.listen(port, host, () => {
  const url = `http://localhost:${port}`;
  if (created.length) console.log(build.entry.module.describeCredentials(created, url));
  console.log(`Verdict is listening on ${url} (database: ${process.env.VERDICT_DB ?? "./data/verdict.db"})`);
});

// Keep idle connections longer than clients and proxies do (they close theirs first), so a
// request never races the server closing its socket (ECONNRESET under load).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
