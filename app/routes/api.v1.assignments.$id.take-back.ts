import type { ActionFunctionArgs } from "@remix-run/node";
import { takeBackSkipped } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** POST /api/v1/assignments/:id/take-back → 200 `{"assignment"}`: a skipped item leased to the caller again; 409 when it no longer needs a judgment. */
export async function action({ request, params }: ActionFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request, "review");
    return Response.json({ assignment: takeBackSkipped(params.id!, user.id) });
  });
}
