import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiRole } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";

/** GET /api/v1/datasets/:dataset/leaderboard: Bradley–Terry ratings from every batch of a dataset (name or id). Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    requireApiRole(request, "admin", "read");
    return Response.json(leaderboard({ dataset: params.dataset! }), { headers: { "Cache-Control": "no-store" } });
  });
}
