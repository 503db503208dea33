import { requireApiRole } from "~/services/auth.server";
import { apiHandler, NO_STORE } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";

/** GET /api/v1/datasets/:dataset/leaderboard: Bradley–Terry ratings from every batch of a dataset (name or id). Admins only. */
export const loader = apiHandler((request, params) => {
  requireApiRole(request, "admin", "read");
  return { status: 200, body: leaderboard({ dataset: params.dataset! }), headers: NO_STORE };
});
