import type { LoaderFunctionArgs } from "@remix-run/node";
import { skippedItems } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** GET /api/v1/batches/:id/skipped → `{"items": [{"assignment_id", "prompt_preview", "skipped_at", "can_take_back"}]}`, the caller's skips. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(() => {
    const user = requireApiUser(request, "review");
    return Response.json({ items: skippedItems(params.id!, user.id) });
  });
}
