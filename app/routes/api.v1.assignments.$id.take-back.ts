import { takeBackSkipped } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiHandler } from "~/services/http.server";

/** POST /api/v1/assignments/:id/take-back → 200 `{"assignment"}`: a skipped item leased to the caller again; 409 when it no longer needs a judgment. */
export const action = apiHandler((request, params) => {
  const user = requireApiUser(request, "review");
  return { status: 200, body: { assignment: takeBackSkipped(params.id!, user.id) } };
});
