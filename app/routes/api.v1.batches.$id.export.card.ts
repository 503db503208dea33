import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { exportCardResponse } from "~/services/export-files.server";
import { apiResponse } from "~/services/http.server";

/**
 * GET /api/v1/batches/:id/export/card?format=…&license=…: the Hugging Face dataset card (Markdown)
 * of the export these options give now. Admins only.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    requireApiRole(request, "admin", "export");
    return exportCardResponse(params.id!, Object.fromEntries(new URL(request.url).searchParams), { signal: request.signal });
  });
}
