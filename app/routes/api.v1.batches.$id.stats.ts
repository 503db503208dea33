import { requireApiRole } from "~/services/auth.server";
import { apiHandler, NO_STORE } from "~/services/http.server";
import { batchStats } from "~/services/stats.server";

/** GET /api/v1/batches/:id/stats: agreement, reviewers, bias and flags of a batch. Admins only. */
export const loader = apiHandler((request, params) => {
  requireApiRole(request, "admin", "read");
  return { status: 200, body: batchStats(params.id!), headers: NO_STORE };
});
