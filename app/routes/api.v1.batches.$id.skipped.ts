import { skippedItems } from "~/services/assignments.server";
import { requireApiUser } from "~/services/auth.server";
import { apiHandler } from "~/services/http.server";

/** GET /api/v1/batches/:id/skipped → `{"items": [{"assignment_id", "prompt_preview", "skipped_at", "can_take_back"}]}`, the caller's skips. */
export const loader = apiHandler((request, params) => {
  const user = requireApiUser(request, "review");
  return { status: 200, body: { items: skippedItems(params.id!, user.id) } };
});
