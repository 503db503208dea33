import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import {
  JUDGING_LOOKAHEAD,
  requireBatchReviewer,
  nextAssignments,
  reviewerJudgmentCount,
  setGuidelinesCollapsed,
  skipAssignment,
  takeBackSkipped,
} from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { apiResponse, invalidInput, jsonBody } from "~/services/http.server";
import { pauseOf } from "~/services/gold.server";
import { submitJudgment } from "~/services/judgments.server";

/**
 * The judging screen's writes, as JSON: judge (or edit) an assignment, or skip it. Each answer
 * carries the reviewer's next two leased items (an empty queue: nothing is left for them) and
 * their judgment count, so the screen can keep one item loaded ahead. Batch-wide progress is
 * left to page loads: counting a 200,000-item batch on every submission would cost more than
 * the submission.
 */
const bodySchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("judge"), assignment_id: z.string().min(1), judgment: z.unknown() }),
  z.object({ intent: z.literal("skip"), assignment_id: z.string().min(1) }),
  // A skipped item taken back: answered with its assignment, which the screen shows next.
  z.object({ intent: z.literal("take-back"), assignment_id: z.string().min(1) }),
  z.object({ intent: z.literal("refresh") }),
  // The reviewer showed or collapsed the guidelines: remembered per batch, answered without a queue.
  z.object({ intent: z.literal("guidelines"), collapsed: z.boolean() }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  return apiResponse(async () => {
    const user = await requireUser(request);
    requireBatchReviewer(params.batchId!, user.id);
    const body = bodySchema.safeParse(await jsonBody(request));
    if (!body.success) return invalidInput(body.error);
    if (body.data.intent === "guidelines") {
      setGuidelinesCollapsed(params.batchId!, user.id, body.data.collapsed);
      return Response.json({ collapsed: body.data.collapsed });
    }
    if (body.data.intent === "take-back") {
      return Response.json({ assignment: takeBackSkipped(body.data.assignment_id, user.id) });
    }
    let judgment = null;
    let created = false;
    if (body.data.intent === "judge") {
      ({ judgment, created } = submitJudgment(body.data.assignment_id, user.id, body.data.judgment));
    } else if (body.data.intent === "skip") {
      skipAssignment(body.data.assignment_id, user.id);
    }
    // A reviewer paused by their gold accuracy (maybe by this very judgment) gets no queue but the reason.
    const paused = pauseOf(params.batchId!, user.id);
    const queue = paused === null ? nextAssignments(params.batchId!, user.id, JUDGING_LOOKAHEAD) : [];
    return Response.json({ judgment, queue, paused, mine: reviewerJudgmentCount(params.batchId!, user.id) }, { status: created ? 201 : 200 });
  });
}
