import type { ActionFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/services/auth.server";
import { apiResponse, jsonBody } from "~/services/http.server";
import { submitJudgment } from "~/services/judgments.server";

/** POST /api/v1/assignments/:id/judgment → 201 {"judgment"}, 200 on a repeated client_id or an edit. */
export async function action({ request, params }: ActionFunctionArgs) {
  return apiResponse(async () => {
    const user = requireApiUser(request, "review");
    const { judgment, created } = submitJudgment(params.id!, user.id, await jsonBody(request));
    return Response.json({ judgment }, { status: created ? 201 : 200 });
  });
}
