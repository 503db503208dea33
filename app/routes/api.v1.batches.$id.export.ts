import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { exportFileDownload } from "~/services/export-files.server";
import { apiResponse } from "~/services/http.server";

/** GET /api/v1/batches/:id/export?format=…&file_format=…&consensus=…: the export, streamed as JSONL, CSV or Parquet. Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiRole(request, "admin", "export");
    const options = Object.fromEntries(new URL(request.url).searchParams);
    return exportFileDownload(params.id!, options, { actorId: user.id, signal: request.signal });
  });
}
