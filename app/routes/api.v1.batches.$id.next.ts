import type { LoaderFunctionArgs } from "@remix-run/node";
import { nextAssignment } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** GET /api/v1/batches/:id/next → 200 {"assignment"} in display order, or 204 when nothing is left. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request, "review");
    const assignment = nextAssignment(params.id!, user.id);
    if (!assignment) return new Response(null, { status: 204 });
    return Response.json({ assignment }, { headers: { "Cache-Control": "no-store" } });
  });
}
