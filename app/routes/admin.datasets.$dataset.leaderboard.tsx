import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { LeaderboardPanel } from "~/components/stats/leaderboard-panel";
import { requireRole } from "~/services/auth.server";
import { errorResponse } from "~/services/http.server";
import { leaderboard } from "~/services/stats.server";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Leaderboard ${data?.dataset ?? ""} · Verdict` }];

/** The models of a dataset rated from the judged pairs of all its batches. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  try {
    return { dataset: params.dataset!, board: leaderboard({ dataset: params.dataset! }) };
  } catch (error) {
    throw errorResponse(error);
  }
}

export default function DatasetLeaderboardPage() {
  const { dataset, board } = useLoaderData<typeof loader>();
  const battles = board.models.reduce((sum, m) => sum + m.battles, 0) / 2;
  return (
    <section className="panel">
      <div className="panel-title">
        <h1>Leaderboard: “{dataset}”</h1>
        <Link to="/admin/datasets">All datasets</Link>
      </div>
      <p className="muted">
        Bradley–Terry ratings from the judged pairs of every batch of this dataset ({formatFigure(battles, "count")} battles); the dataset&apos;s own imported
        pairs are left out.
      </p>
      <LeaderboardPanel board={board} />
    </section>
  );
}
