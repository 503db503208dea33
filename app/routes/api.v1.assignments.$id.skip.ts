import type { ActionFunctionArgs } from "@remix-run/node";
import { skipAssignment } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** POST /api/v1/assignments/:id/skip → 204; the item goes to someone else. */
export async function action({ request, params }: ActionFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request, "review");
    skipAssignment(params.id!, user.id);
    return new Response(null, { status: 204 });
  });
}
