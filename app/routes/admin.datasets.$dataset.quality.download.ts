import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";
import { qualityDownload } from "~/services/quality.server";

/** The quality page's download: every flagged response as CSV or JSONL (`?format=`), with the page's filters. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return apiResponse(() => qualityDownload(params.dataset!, Object.fromEntries(new URL(request.url).searchParams)));
}
