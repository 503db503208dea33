import { requireApiUser } from "~/services/auth.server";
import { apiHandler, jsonBody } from "~/services/http.server";
import { submitJudgment } from "~/services/judgments.server";

/** POST /api/v1/assignments/:id/judgment → 201 {"judgment"}, 200 on a repeated client_id or an edit. */
export const action = apiHandler(async (request, params) => {
  const user = requireApiUser(request, "review");
  const { judgment, created } = submitJudgment(params.id!, user.id, await jsonBody(request));
  return { status: created ? 201 : 200, body: { judgment } };
});
