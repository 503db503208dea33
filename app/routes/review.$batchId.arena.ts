import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { prepareBattle, voteBattle, type BattleEvent } from "~/services/arena.server";
import { requireBatchReviewer } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { apiResponse, invalidInput, jsonBody } from "~/services/http.server";

/**
 * The arena screen's writes. `send` answers with a stream of JSON lines (BattleEvent): the
 * battle's response ids, each model's text as it arrives, then `ready` or `error`; problems
 * found before the models are asked (an empty prompt, a paused batch) are a JSON error with a
 * status instead. `vote` stores the battle with its judgment and answers with the names.
 */
const bodySchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("send"), prompt: z.unknown() }),
  z.object({ intent: z.literal("vote"), battle: z.string().min(1), judgment: z.unknown() }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  return apiResponse(async () => {
    const user = await requireUser(request);
    requireBatchReviewer(params.batchId!, user.id);
    const body = bodySchema.safeParse(await jsonBody(request));
    if (!body.success) return invalidInput(body.error);
    if (body.data.intent === "vote") return Response.json(voteBattle(body.data.battle, user.id, body.data.judgment), { status: 201 });

    const battle = prepareBattle(params.batchId!, user.id, body.data.prompt);
    const encoder = new TextEncoder();
    const stop = new AbortController();
    // The reviewer leaving the page ends the requests to both models.
    request.signal.addEventListener("abort", () => stop.abort(), { once: true });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const emit = (event: BattleEvent) => {
          if (!stop.signal.aborted) controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        };
        battle
          .run(emit, stop.signal)
          .catch(() => emit({ type: "error", message: "the battle failed on the server; nothing was stored: send the prompt again" }))
          .finally(() => {
            try {
              controller.close();
            } catch {
              // already closed by a cancelled reader
            }
          });
      },
      cancel() {
        stop.abort();
      },
    });
    return new Response(stream, {
      // no-transform keeps the compression middleware from buffering the lines until the end.
      headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store, no-transform", "X-Accel-Buffering": "no" },
    });
  });
}
