import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { ArenaSession } from "~/components/arena-session";
import { ReviewSession } from "~/components/review-session";
import { arenaVotes, isArenaBatch } from "~/services/arena.server";
import { guidelinesCollapsed, JUDGING_LOOKAHEAD, nextAssignments, reviewProgress } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { reviewerConfig } from "~/core/tasks/view";
import { pauseOf } from "~/services/gold.server";
import { errorResponse } from "~/services/http.server";
import { getBatch } from "~/services/batches.server";
import judgingStyles from "~/styles/judging.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: judgingStyles }];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.batch.name ?? "Review"} · Verdict` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  try {
    const batch = getBatch(params.batchId!);
    if (isArenaBatch(batch.id)) {
      // An arena has no queue: the reviewer's prompts make its items. Its config reaches the
      // screen without the endpoints (getBatch's schema drops them), so no name leaks.
      return { batch: { id: batch.id, name: batch.name, task: batch.task, status: batch.status }, arena: { config: reviewerConfig(batch.config), votes: arenaVotes(batch.id, user.id) }, queue: [], paused: null, progress: null, guidelinesOpen: false };
    }
    const paused = pauseOf(batch.id, user.id);
    const queue = batch.status === "active" && paused === null ? nextAssignments(batch.id, user.id, JUDGING_LOOKAHEAD) : [];
    return {
      paused,
      batch: { id: batch.id, name: batch.name, task: batch.task, status: batch.status },
      arena: null,
      queue,
      progress: reviewProgress(batch.id, user.id),
      guidelinesOpen: !guidelinesCollapsed(batch.id, user.id),
    };
  } catch (error) {
    throw errorResponse(error);
  }
}

// The screen keeps its own queue after the first load; Remix must not reload it behind its back.
export const shouldRevalidate = () => false;

export default function JudgingScreen() {
  const data = useLoaderData<typeof loader>();
  if (data.batch.status !== "active") {
    return (
      <section className="panel" role="status">
        <h1>{data.batch.name}</h1>
        <p>This batch is {data.batch.status}; there is nothing to judge in it right now.</p>
      </section>
    );
  }
  if (data.arena) return <ArenaSession key={data.batch.id} batch={data.batch} config={data.arena.config} initialVotes={data.arena.votes} />;
  return (
    <ReviewSession
      key={data.batch.id}
      batch={data.batch}
      initialQueue={data.queue}
      initialProgress={data.progress!}
      initialGuidelinesOpen={data.guidelinesOpen}
      initialPaused={data.paused}
    />
  );
}
