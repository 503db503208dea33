import type { LoaderFunctionArgs } from "@remix-run/node";
import { skippedItems } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { apiResponse } from "~/services/http.server";

/** GET → the items this reviewer skipped in the batch, most recent first, and whether each can be taken back. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return apiResponse(async () => {
    const user = await requireUser(request);
    return Response.json({ items: skippedItems(params.batchId!, user.id) }, { headers: { "Cache-Control": "no-store" } });
  });
}
