// Verdict's HTTP server: Express serving the Remix build. Start-up (migrations, demo seed)
// runs through the build so the server and the app share one database module.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { TextDecoder } from "node:util";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@remix-run/express";

const build = await import("./build/server/index.js");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const database = process.env.VERDICT_DB ?? "./data/verdict.db";

const demo = await build.entry.module.setUp();
console.log(`migrations applied (database ${database})`);
build.entry.module.checkpointOffRequests();

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

/**
 * The lean path (decisions §34): an API request, or an export download, is answered by its
 * route module's loader or action, called directly, instead of going through Express,
 * compression and Remix's request handler, which cost several times what the services do
 * (npm run bench -- soak). A streamed body (an export) is piped with backpressure: the export
 * is produced only as fast as the client takes it, and a client that goes away stops it before
 * it is recorded (Remix's own writer ignores backpressure, so the whole file was produced,
 * held in memory and recorded however little the client got: tests/e2e/crash-safety.test.ts).
 * Anything else, and any path these routes do not match, goes to Express as before. The
 * modules and their guards are the same ones Remix calls.
 */
const LEAN_PAGES = new Set(["routes/admin.batches.$id.export.download"]);
const leanRoutes = Object.values(build.routes).filter((route) => route.id.startsWith("routes/api.v1.") || LEAN_PAGES.has(route.id));
const matchLeanRoute = build.entry.module.routeMatcher(leanRoutes);
const API_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
};

const utf8 = new TextDecoder();
const CLIENT_GONE = "the client closed the connection before sending the whole body";

/**
 * The body, decoded as a Fetch Request's text() does (a byte-order mark dropped, bad bytes
 * replaced), keeping no more than its first MAX_JSON_BYTES and one chunk: the endpoint answers a
 * longer body 413, so memory stays bounded however much a chunked upload sends.
 */
function bodyText(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const settle = () => req.off("data", onData).off("end", done).off("error", fail).off("close", cut);
    const done = () => {
      settle();
      resolve(utf8.decode(Buffer.concat(chunks)));
    };
    const fail = (error) => {
      settle();
      reject(error);
    };
    // The client went away before the whole body came: nothing is done with a part of it.
    const cut = () => fail(new Error(CLIENT_GONE));
    // Past the limit the rest is read and dropped: a client still sending when the 413 and the
    // connection's close came would see the socket reset (EPIPE) instead of the answer.
    const onData = (chunk) => {
      if (size <= build.entry.module.MAX_JSON_BYTES) chunks.push(chunk);
      size += chunk.length;
    };
    req.on("data", onData).on("end", done).on("error", fail).on("close", cut);
  });
}

/** An endpoint's view of node's request (services/http.server.ts, ApiRequest). */
function apiRequest(req) {
  return {
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text: () => bodyText(req),
  };
}

/** Sends an endpoint's reply as JSON (services/http.server.ts, ApiReply). */
function sendReply(req, res, reply) {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(API_HEADERS)) res.setHeader(name, value);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const body = Buffer.from(JSON.stringify(reply.body));
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", body.length);
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * A JSON endpoint (a loader or action made by apiHandler, services/http.server.ts) is run on
 * node's request and its reply sent without Fetch objects. A streamed download (an export) is a
 * loader's Response, piped.
 */
async function answerApi(req, res, found) {
  const method = req.method ?? "GET";
  const reads = method === "GET" || method === "HEAD";
  const handler = reads ? found.route.module.loader : found.route.module.action;
  if (handler?.endpoint) return sendReply(req, res, await build.entry.module.replyOf(handler.endpoint, apiRequest(req), found.params));
  if (!reads || !handler) {
    return sendReply(req, res, { status: 405, body: { error: { code: "method_not_allowed", message: `${method} is not allowed here` } } });
  }
  const url = new URL(req.url, `http://${req.headers.host ?? "localhost"}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const controller = new AbortController();
  // Only a response cut off aborts the export: an abort builds a DOMException, which cost 2% of
  // the server's time when every finished response fired it (npm run bench -- soak).
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const request = new Request(url, { method, headers, signal: controller.signal });
  let response;
  try {
    response = await handler({ request, params: found.params, context: { clientAddress: req.socket.remoteAddress ?? "unknown", cspNonce: "" } });
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    response = thrown;
  }
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(API_HEADERS)) res.setHeader(name, value);
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (method === "HEAD" || !response.body) {
    await response.body?.cancel();
    res.end();
    return;
  }
  // JSON answers are small: sent whole, with a length. Anything else streams.
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "application/json") {
    const body = Buffer.from(await response.arrayBuffer());
    res.setHeader("Content-Length", body.length);
    res.end(body);
    return;
  }
  const stream = Readable.fromWeb(response.body);
  // A proxy in front must not read the export ahead of the client (README, Security).
  res.setHeader("X-Accel-Buffering", "no");
  // Text exports compress well; Parquet is compressed already.
  const gzip = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "") && (mediaType.startsWith("text/") || mediaType === "application/jsonl" || mediaType === "application/x-ndjson");
  if (gzip) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Vary", "Accept-Encoding");
    res.removeHeader("Content-Length");
  }
  try {
    await (gzip ? pipeline(stream, createGzip(), res) : pipeline(stream, res));
  } catch (error) {
    // The client went away: the pipeline has cancelled the export (nothing recorded).
    if (!res.destroyed && !res.writableEnded) throw error;
  }
}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  const found = path.startsWith("/api/v1/") || path.endsWith("/export/download") ? matchLeanRoute(path) : null;
  if (!found) return app(req, res);
  answerApi(req, res, found).catch((error) => {
    if (error?.message === CLIENT_GONE) return;
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
    res.end('{"error":{"code":"internal","message":"internal error"}}');
  });
});
server.listen(port, host, () => {
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
