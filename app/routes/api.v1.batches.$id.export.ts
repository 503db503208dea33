import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { exportDownload } from "~/services/exports.server";
import { apiResponse } from "~/services/http.server";

/** GET /api/v1/batches/:id/export?format=…&consensus=…: the export, streamed as JSONL. Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiRole(request, "admin");
    const options = Object.fromEntries(new URL(request.url).searchParams);
    return exportDownload(params.id!, options, { actorId: user.id, signal: request.signal });
  });
}
