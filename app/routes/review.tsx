import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { batchesOfReviewer } from "~/services/assignments.server";
import { requireUser } from "~/services/auth.server";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction = () => [{ title: "My batches · Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { displayName: user.displayName, batches: batchesOfReviewer(user.id) };
}

const TASK_LABEL = { pairwise: "Pairwise", ranking: "Ranking", rating: "Rating" } as const;

export default function Review() {
  const { displayName, batches } = useLoaderData<typeof loader>();
  return (
    <section className="panel">
      <h1>My batches</h1>
      {batches.length === 0 ? (
        <p className="muted">Welcome, {displayName}. No labeling batches are assigned to you yet.</p>
      ) : (
        <div className="table-scroll"><table className="data-table" aria-label="My batches">
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">Judged by me</th>
              <th scope="col" className="num">Left for me</th>
              <th scope="col" className="num">Skipped by me</th>
              <th scope="col">Batch progress</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((b) => {
              const share = b.progress.needed ? b.progress.judgments / b.progress.needed : 0;
              return (
                <tr key={b.id} data-batch={b.name}>
                  <th scope="row">
                    {b.status === "active" && (b.arena || b.progress.left > 0 || b.progress.skipped > 0) ? <Link to={`/review/${b.id}`}>{b.name}</Link> : b.name}
                  </th>
                  <td>{b.arena ? "Arena" : TASK_LABEL[b.task]}</td>
                  <td>{b.status === "active" && b.progress.left === 0 && !b.arena ? "done" : b.status}</td>
                  <td className="num" data-col="mine">{formatFigure(b.progress.mine, "count")}</td>
                  <td className="num" data-col="left">{formatFigure(b.progress.left, "count")}</td>
                  <td className="num" data-col="skipped">{formatFigure(b.progress.skipped, "count")}</td>
                  <td>
                    <progress value={b.progress.judgments} max={b.progress.needed || 1} aria-label={`${b.name}: ${Math.round(share * 100)}% judged`} />{" "}
                    <span className="muted small">
                      {formatFigure(b.progress.judgments, "count")} / {formatFigure(b.progress.needed, "count")}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table></div>
      )}
    </section>
  );
}
