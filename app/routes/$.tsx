import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";

// Every URL no other route claims. Answering it here (instead of leaving Remix without a match)
// gives a 404 page in the app's layout, rendered by root's ErrorBoundary, and no error in the
// server log: server.js logs the 404 as one line.
function notFound(request: Request): Response {
  const { pathname } = new URL(request.url);
  return Response.json({ error: { code: "not_found", message: `There is no page at ${pathname}.` } }, { status: 404, statusText: "Not Found" });
}

export function loader({ request }: LoaderFunctionArgs): never {
  throw notFound(request);
}

export function action({ request }: ActionFunctionArgs): never {
  throw notFound(request);
}

// Never rendered: the loader always throws. Remix needs a component to treat this as a page.
export default function NotFound() {
  return null;
}
