import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";
import { exportCardResponse } from "~/services/export-files.server";
import { apiResponse } from "~/services/http.server";

/** The export page's "Dataset card" link: the same card as the API, for a signed-in admin. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return apiResponse(() => exportCardResponse(params.id!, Object.fromEntries(new URL(request.url).searchParams), { signal: request.signal }));
}
