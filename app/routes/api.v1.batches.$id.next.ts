import { nextAssignment } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiHandler, NO_STORE } from "~/services/http.server";

/** GET /api/v1/batches/:id/next → 200 {"assignment"} in display order, or 204 when nothing is left. */
export const loader = apiHandler((request, params) => {
  const user = requireApiUser(request, "review");
  const assignment = nextAssignment(params.id!, user.id);
  return assignment ? { status: 200, body: { assignment }, headers: NO_STORE } : { status: 204 };
});
