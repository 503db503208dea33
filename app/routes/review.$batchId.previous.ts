import type { LoaderFunctionArgs } from "@remix-run/node";
import { judgedPosition, previousAssignment } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/**
 * GET ?before=ASSIGNMENT_ID → the reviewer's judged item before that one (or their latest), to
 * edit, with its place among their judgments (`position` of `of`, oldest first).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(async () => {
    const user = await requireUser(request);
    const before = new URL(request.url).searchParams.get("before");
    const assignment = previousAssignment(params.batchId!, user.id, before || null);
    const editing = assignment ? judgedPosition(assignment.id, user.id) : null;
    return Response.json({ assignment, editing }, { headers: { "Cache-Control": "no-store" } });
  });
}
