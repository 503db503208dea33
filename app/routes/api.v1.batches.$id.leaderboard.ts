import { requireApiRole } from "~/services/auth.server";
import { apiHandler, NO_STORE } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";

/** GET /api/v1/batches/:id/leaderboard: Bradley–Terry ratings of the batch's models. Admins only. */
export const loader = apiHandler((request, params) => {
  requireApiRole(request, "admin", "read");
  return { status: 200, body: leaderboard({ batchId: params.id! }), headers: NO_STORE };
});
