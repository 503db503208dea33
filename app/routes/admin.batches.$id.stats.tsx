import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import { AgreementOverTime, PositionGauge, ReviewerScatter } from "~/components/stats/charts";
import { LeaderboardPanel } from "~/components/stats/leaderboard-panel";
import { DataTable, formatStat } from "~/components/stats/data-table";
import { requireRole } from "~/services/auth.server";
import { errorResponse } from "~/services/http.server";
import { batchStats, leaderboard, type BatchStats } from "~/services/stats.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Statistics ${data?.stats.batch.name ?? ""} · Verdict` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  try {
    return { stats: batchStats(params.id!), board: leaderboard({ batchId: params.id! }) };
  } catch (error) {
    throw errorResponse(error);
  }
}

type Reviewer = BatchStats["per_reviewer"][number];
type Kappa = BatchStats["cohen_kappa"][number];
const num = { numeric: true };
const stat = (digits = 3) => (info: { getValue: () => unknown }) => formatStat(info.getValue() as number | null, digits);

const reviewerColumns: ColumnDef<Reviewer, unknown>[] = [
  { accessorKey: "username", header: "Reviewer" },
  { accessorKey: "judgments", header: "Judgments", meta: num },
  { accessorKey: "agreement_with_majority", header: "Agrees with majority", cell: stat(), meta: num },
  { accessorKey: "gold_accuracy", header: "Gold accuracy", cell: stat(), meta: num },
  { accessorKey: "median_seconds", header: "Median s", cell: stat(1), meta: num },
  { accessorKey: "tie_rate", header: "Tie rate", cell: stat(2), meta: num },
  { accessorKey: "flag_rate", header: "Flag rate", cell: stat(2), meta: num },
  { accessorKey: "left_rate", header: "Left rate", cell: stat(2), meta: num },
];
const kappaColumns: ColumnDef<Kappa, unknown>[] = [
  { id: "pair", accessorFn: (k) => k.reviewers.join(" · "), header: "Reviewers" },
  { accessorKey: "n", header: "Shared items", meta: num },
  { accessorKey: "unweighted", header: "κ", cell: stat(), meta: num },
  { accessorKey: "linear", header: "κ linear", cell: stat(), meta: num },
  { accessorKey: "quadratic", header: "κ quadratic", cell: stat(), meta: num },
];

function Figure({ label, value, interval, note }: { label: string; value: number | null; interval?: [number, number] | null; note?: string | null }) {
  return (
    <div className="figure-card">
      <div className="muted small">{label}</div>
      <div className="figure-value" data-figure={label}>
        {formatStat(value)}
      </div>
      {interval && (
        <div className="muted small">
          95% CI {interval[0].toFixed(3)} – {interval[1].toFixed(3)}
        </div>
      )}
      {note && <div className="muted small">{note}</div>}
    </div>
  );
}

export default function StatsPage() {
  const { stats, board } = useLoaderData<typeof loader>();
  const pairwise = stats.batch.task === "pairwise";
  const doneShare = stats.progress.needed ? stats.progress.done / stats.progress.needed : 0;
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Statistics: “{stats.batch.name}”</h1>
          <span>
            <Link to={`/admin/batches/${stats.batch.id}/export`}>Export</Link> · <Link to="/admin/batches">All batches</Link>
          </span>
        </div>
        <p className="muted">
          {stats.batch.task} · {stats.items.toLocaleString("en-US")} items · {stats.judgments.toLocaleString("en-US")} judgments · {stats.reviewers} reviewers · overlap {stats.batch.overlap}
        </p>
        <div className="progress-stack" aria-label="Batch progress">
          <div className="stack-bar" role="img" aria-label={`${stats.progress.done} done, ${stats.progress.leased} leased, ${stats.progress.left} left`}>
            <span className="stack-done" style={{ width: `${doneShare * 100}%` }} />
            <span className="stack-leased" style={{ width: `${stats.progress.needed ? (stats.progress.leased / stats.progress.needed) * 100 : 0}%` }} />
          </div>
          <div className="small">
            <strong>{stats.progress.done}</strong> done · <strong>{stats.progress.leased}</strong> leased · <strong>{stats.progress.left}</strong> left of {stats.progress.needed}
          </div>
        </div>
      </section>

      <section className="panel">
        <h2>Agreement</h2>
        <div className="figure-grid">
          {pairwise || stats.batch.task === "ranking" ? (
            <>
              <Figure label="Percent agreement (with ties)" value={stats.percent_agreement.with_ties} interval={stats.intervals.percent_agreement_with_ties} />
              <Figure label="Percent agreement (without ties)" value={stats.percent_agreement.without_ties} interval={stats.intervals.percent_agreement_without_ties} />
              <Figure label="Krippendorff's α (direction)" value={stats.krippendorff_alpha.direction} />
            </>
          ) : null}
          <Figure label="Krippendorff's α (nominal)" value={stats.krippendorff_alpha.nominal} interval={stats.intervals.krippendorff_alpha_nominal} />
          <Figure label="Krippendorff's α (ordinal)" value={stats.krippendorff_alpha.ordinal} />
          <Figure label="Krippendorff's α (interval)" value={stats.krippendorff_alpha.interval} interval={stats.intervals.krippendorff_alpha_interval} />
          <Figure label="Fleiss' κ" value={stats.fleiss_kappa} note={stats.fleiss_kappa_reason} />
          {stats.batch.task === "ranking" && <Figure label="Kendall's W (mean over items)" value={stats.kendall_w} />}
        </div>
        <AgreementOverTime points={stats.timeline} />
        <h3>Cohen's κ per reviewer pair (at least 10 shared items)</h3>
        {stats.cohen_kappa.length ? <DataTable label="Cohen's kappa" rows={stats.cohen_kappa} columns={kappaColumns} /> : <p className="muted">No pair of reviewers shares 10 items yet.</p>}
      </section>

      <section className="panel">
        <h2>Reviewers</h2>
        <DataTable label="Reviewers" rows={stats.per_reviewer} columns={reviewerColumns} initialSort={[{ id: "judgments", desc: true }]} />
        <ReviewerScatter reviewers={stats.per_reviewer} />
        <h3>Progress per reviewer</h3>
        <table className="data-table" aria-label="Progress per reviewer">
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col" className="num">Done</th>
              <th scope="col" className="num">Leased</th>
              <th scope="col" className="num">Skipped</th>
            </tr>
          </thead>
          <tbody>
            {stats.progress.per_reviewer.map((p) => (
              <tr key={p.username}>
                <th scope="row">{p.username}</th>
                <td className="num">{p.done}</td>
                <td className="num">{p.leased}</td>
                <td className="num">{p.skipped}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="panel">
        <h2>Leaderboard</h2>
        <LeaderboardPanel board={board} />
      </section>

      <section className="panel">
        <h2>Bias and flags</h2>
        <div className="figure-grid">
          {pairwise && <PositionGauge leftRate={stats.position_bias.left_rate} pValue={stats.position_bias.p_value} />}
          {pairwise && <Figure label="Chose the longer response" value={stats.length_bias.longer_rate} note={`${stats.length_bias.n} judgments`} />}
        </div>
        {Object.keys(stats.flags.by_flag).length === 0 ? (
          <p className="muted">No flags.</p>
        ) : (
          <table className="data-table" aria-label="Flags per model">
            <thead>
              <tr>
                <th scope="col">Model</th>
                {Object.keys(stats.flags.by_flag).map((f) => (
                  <th key={f} scope="col" className="num">
                    {f} ({stats.flags.by_flag[f]})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {Object.entries(stats.flags.by_model).map(([model, flags]) => (
                <tr key={model}>
                  <th scope="row">{model}</th>
                  {Object.keys(stats.flags.by_flag).map((f) => (
                    <td key={f} className="num">
                      {flags[f] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
