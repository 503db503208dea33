import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/services/auth.server";
import { ServiceError } from "~/services/errors.server";
import { apiResponse } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";

/** GET /api/v1/datasets/:dataset/leaderboard: Bradley–Terry ratings from every batch of a dataset (name or id). Admins only. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request);
    if (user.role !== "admin") throw new ServiceError("forbidden", "statistics are for admins");
    const board = leaderboard({ dataset: params.dataset! });
    return Response.json({ models: board.models, win_rates: board.win_rates }, { headers: { "Cache-Control": "no-store" } });
  });
}
