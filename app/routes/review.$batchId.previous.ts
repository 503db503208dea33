import type { LoaderFunctionArgs } from "@remix-run/node";
import { previousAssignment } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** GET ?before=ASSIGNMENT_ID → the reviewer's judged item before that one (or their latest), to edit. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(async () => {
    const user = await requireUser(request);
    const before = new URL(request.url).searchParams.get("before");
    const assignment = previousAssignment(params.batchId!, user.id, before || null);
    return Response.json({ assignment }, { headers: { "Cache-Control": "no-store" } });
  });
}
