import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { CspNonce } from "./csp-nonce";

// server.js runs start-up (migrations, demo seed) through the built bundle, so that the
// server and the app share one copy of the database module.
export { setUp, describeDemo } from "./services/setup.server";
// server.js refuses cross-site form posts with it before Remix runs.
export { crossSiteProblem } from "./core/auth/cross-site";
// server.js answers the JSON API from its route modules directly with it (the lean API path).
export { routeMatcher } from "./core/http/route-match";
// …and runs their JSON endpoints with these, without Fetch objects.
export { replyOf, MAX_JSON_BYTES } from "./services/http.server";
// server.js moves WAL checkpoints to a worker thread with it (no request waits for one).
export { checkpointOffRequests } from "./services/database.server";

/**
 * What Remix reports to the log. An error response Remix raises itself (a method the route does
 * not handle, a malformed data request) is the client's mistake, not the server's: one line, as
 * server.js writes for every 404 (which it logs itself), instead of Remix's default stack trace.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error)) {
    if (error.status !== 404) console.log(`${request.method} ${new URL(request.url).pathname} ${error.status}`);
    return;
  }
  console.error(error);
};

const ABORT_DELAY = 5_000;
export const streamTimeout = ABORT_DELAY;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // server.js sends a Content-Security-Policy allowing inline scripts with this nonce only:
  // React's and Remix's inline scripts (hydration data, streamed chunks) must carry it.
  const nonce = loadContext.cspNonce;
  // Bots get the whole document at once; browsers get it streamed as it renders.
  const readyEvent = isbot(request.headers.get("user-agent") ?? "") ? "onAllReady" : "onShellReady";
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <CspNonce.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </CspNonce.Provider>,
      {
        nonce,
        [readyEvent]() {
          shellRendered = true;
          const body = new PassThrough();
          // The security headers (CSP, nosniff, Referrer-Policy, X-Frame-Options) are server.js's,
          // on every response; set here too, Express would send them twice.
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}
