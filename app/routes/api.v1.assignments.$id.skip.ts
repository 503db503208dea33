import { skipAssignment } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiHandler } from "~/services/http.server";

/** POST /api/v1/assignments/:id/skip → 204; the item goes to someone else. */
export const action = apiHandler((request, params) => {
  const user = requireApiUser(request, "review");
  skipAssignment(params.id!, user.id);
  return { status: 204 };
});
