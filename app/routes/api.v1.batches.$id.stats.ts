import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";
import { batchStats } from "~/services/stats.server";

/** GET /api/v1/batches/:id/stats: agreement, reviewers, bias and flags of a batch. Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    requireApiRole(request, "admin", "read");
    return Response.json(batchStats(params.id!), { headers: { "Cache-Control": "no-store" } });
  });
}
