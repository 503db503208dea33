import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";

// Unknown API URLs answer the API's JSON error, not the HTML 404 page.
function notFound(request: Request): Response {
  const { pathname } = new URL(request.url);
  return errorResponse(new ServiceError("not_found", `no API endpoint at ${request.method} ${pathname}`));
}

export function loader({ request }: LoaderFunctionArgs): Response {
  return notFound(request);
}

export function action({ request }: ActionFunctionArgs): Response {
  return notFound(request);
}
