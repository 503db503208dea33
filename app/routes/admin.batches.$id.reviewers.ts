import type { ActionFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";
import { addBatchReviewers } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";

/**
 * POST (form field `reviewers`, repeated) → adds reviewers to the batch; the batch list's
 * "Add reviewers" form posts here through a fetcher and shows the answer in place.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const reviewers = (await request.formData()).getAll("reviewers").map(String);
  try {
    const { added, already } = addBatchReviewers(params.id!, reviewers, user.id);
    return { ok: true as const, added, already, message: null };
  } catch (error) {
    const failure = asServiceError(error);
    if (failure) return data({ ok: false as const, added: [], already: [], message: failure.message }, { status: failure.status });
    throw error;
  }
}
