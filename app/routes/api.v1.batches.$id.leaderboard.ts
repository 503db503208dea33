import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";

/** GET /api/v1/batches/:id/leaderboard: Bradley–Terry ratings of the batch's models. Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    requireApiRole(request, "admin", "read");
    return Response.json(leaderboard({ batchId: params.id! }), { headers: { "Cache-Control": "no-store" } });
  });
}
