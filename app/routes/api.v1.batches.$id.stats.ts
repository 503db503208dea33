import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/services/auth.server";
import { ServiceError } from "~/services/errors.server";
import { apiResponse } from "~/services/http.server";
import { batchStats } from "~/services/stats.server";

/** GET /api/v1/batches/:id/stats: agreement, reviewers, bias and flags of a batch. Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request);
    if (user.role !== "admin") throw new ServiceError("forbidden", "statistics are for admins");
    return Response.json(batchStats(params.id!), { headers: { "Cache-Control": "no-store" } });
  });
}
