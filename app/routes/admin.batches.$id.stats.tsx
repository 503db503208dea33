import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import type { ReactNode } from "react";
import { AgreementOverTime, PositionGauge, ReviewerScatter } from "~/components/stats/charts";
import { LeaderboardPanel } from "~/components/stats/leaderboard-panel";
import { DataTable, type ColumnMeta } from "~/components/stats/data-table";
import { alphaReading, formatFigure, formatInterval, kappaReading, NO_FIGURE, type FigureKind } from "~/core/figures";
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
type AspectKappa = Kappa & { aspect: string };

/** How each coefficient is read, as the page prints it under the value. */
const ALPHA_SCALE = "α ≥ 0.800 reliable, 0.667–0.800 tentative, below unreliable (Krippendorff 2004)";
const KAPPA_SCALE = "below 0 poor, to 0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial, above almost perfect (Landis & Koch 1977)";

/** A table cell of a figure: formatted by its kind, and a null one says why in its tooltip. */
const figureCell =
  <Row extends { reasons: Record<string, string> }>(kind: FigureKind) =>
  (info: { getValue: () => unknown; row: { original: Row }; column: { id: string } }) => {
    const value = info.getValue() as number | null;
    if (value !== null) return formatFigure(value, kind);
    return <span title={info.row.original.reasons[info.column.id] ?? "undefined"}>{NO_FIGURE}</span>;
  };
const described = (description: string): ColumnMeta => ({ numeric: true, description });

function reviewerColumns(task: string): ColumnDef<Reviewer, unknown>[] {
  const columns: ColumnDef<Reviewer, unknown>[] = [
    { accessorKey: "username", header: "Reviewer" },
    { accessorKey: "judgments", header: "Judgments", cell: figureCell("count"), meta: described("judgments this reviewer submitted") },
    {
      accessorKey: "agreement_with_majority",
      header: "Agrees with majority",
      cell: figureCell("coefficient"),
      meta: described("share of items where this reviewer's answer matches the most frequent answer of the other reviewers (items judged by at least two others)"),
    },
    { accessorKey: "gold_accuracy", header: "Gold accuracy", cell: figureCell("coefficient"), meta: described("share of gold items answered as their gold answer") },
    {
      id: "self_agreement.rate",
      accessorFn: (r) => r.self_agreement.rate,
      header: "Self-agreement",
      cell: figureCell("coefficient"),
      meta: described("share of the items shown to this reviewer again, sides swapped, answered as the first time (same preferred response, top tier or best-scored response)"),
    },
    { accessorKey: "median_seconds", header: "Median s", cell: figureCell("seconds"), meta: described("median seconds spent on one judgment") },
    { accessorKey: "flag_rate", header: "Flag rate", cell: figureCell("rate"), meta: described("share of judgments that flag at least one response") },
  ];
  if (task === "pairwise") {
    columns.push(
      { accessorKey: "tie_rate", header: "Tie rate", cell: figureCell("rate"), meta: described("share of judgments that call the two responses a tie") },
      {
        accessorKey: "left_rate",
        header: "Left rate",
        cell: figureCell("rate"),
        meta: described("share of this reviewer's non-tie judgments that chose the response shown on the left (first); 50% is no position bias"),
      },
      {
        accessorKey: "left_p_value",
        header: "Left p",
        cell: figureCell("p_value"),
        meta: described("two-sided binomial test of the left rate against 50%; below 0.05, the lean to one side is unlikely to be chance"),
      },
    );
  }
  if (task === "ranking") {
    columns.push(
      {
        accessorKey: "first_top_rate",
        header: "First on top",
        cell: figureCell("rate"),
        meta: described("share of this reviewer's rankings that put the response shown first in the top tier"),
      },
      {
        accessorKey: "first_top_chance",
        header: "Chance",
        cell: figureCell("rate"),
        meta: described("the share expected with no position bias: the top tier's size over the number of responses, averaged"),
      },
      {
        accessorKey: "first_top_p_value",
        header: "First p",
        cell: figureCell("p_value"),
        meta: described("binomial test of the first-on-top rate against chance; below 0.05 suggests position bias"),
      },
    );
  }
  return columns;
}

const kappaColumns: ColumnDef<Kappa, unknown>[] = [
  { id: "pair", accessorFn: (k) => k.reviewers.join(" · "), header: "Reviewers" },
  { accessorKey: "n", header: "Shared items", cell: figureCell("count"), meta: described("items (rating: item × response) both reviewers judged") },
  { accessorKey: "unweighted", header: "κ", cell: figureCell("coefficient"), meta: described("Cohen's κ: agreement on the exact value beyond what chance gives, 1 = perfect, 0 = chance") },
  {
    accessorKey: "linear",
    header: "κ linear",
    cell: figureCell("coefficient"),
    meta: described("weighted κ: a near miss counts partly, disagreement weighed by distance on the whole scale"),
  },
  {
    accessorKey: "quadratic",
    header: "κ quadratic",
    cell: figureCell("coefficient"),
    meta: described("weighted κ with squared distances: large disagreements weigh much more than near misses"),
  },
];
const aspectKappaColumns: ColumnDef<AspectKappa, unknown>[] = [{ accessorKey: "aspect", header: "Aspect" }, ...(kappaColumns as ColumnDef<AspectKappa, unknown>[])];

/** A coefficient with what it measures, how to read it, its reading for this value, and why it is missing when it is. */
function Figure({
  label,
  value,
  kind = "coefficient",
  interval,
  explanation,
  scale,
  reading,
  reason,
  children,
}: {
  label: string;
  value: number | null;
  kind?: FigureKind;
  interval?: [number, number] | null;
  explanation: string;
  scale?: string;
  reading?: string | null;
  reason?: string;
  children?: ReactNode;
}) {
  return (
    <div className="figure-card" data-figure-card={label}>
      <div className="muted small">{label}</div>
      <div className="figure-value" data-figure={label}>
        {formatFigure(value, kind)}
        {reading && <span className="figure-reading"> {reading}</span>}
      </div>
      {interval && <div className="muted small">95% CI {formatInterval(interval, kind)}</div>}
      {value === null && reason && <div className="muted small figure-reason">{reason}</div>}
      <p className="small figure-explanation">{explanation}</p>
      {scale && <p className="muted small figure-scale">Reading: {scale}</p>}
      {children}
    </div>
  );
}

export default function StatsPage() {
  const { stats, board } = useLoaderData<typeof loader>();
  const task = stats.batch.task;
  const pairs = task === "pairwise" || task === "ranking";
  const reasons = stats.reasons;
  const { progress } = stats;
  const doneShare = progress.needed ? progress.done / progress.needed : 0;
  const count = (n: number) => formatFigure(n, "count");
  const alpha = (metric: "nominal" | "ordinal" | "interval" | "direction") => stats.krippendorff_alpha[metric];
  const aspectKappas: AspectKappa[] = stats.per_aspect.flatMap((a) => a.cohen_kappa.map((k) => ({ ...k, aspect: a.label })));
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Statistics: “{stats.batch.name}”</h1>
          <span>
            <Link to={`/admin/batches/${stats.batch.id}/export`}>Export</Link> · <Link to={`/admin/batches/${stats.batch.id}/disputes`}>Disputes</Link> ·{" "}
            <Link to="/admin/batches">All batches</Link>
          </span>
        </div>
        <p className="muted">
          {task} · {count(stats.items)} items · {count(stats.judgments)} judgments · {count(stats.reviewers)} reviewers · overlap {stats.batch.overlap}
        </p>
        <div className="progress-stack" aria-label="Batch progress">
          <div className="stack-bar" role="img" aria-label={`${count(progress.done)} done, ${count(progress.leased)} leased, ${count(progress.left)} left`}>
            <span className="stack-done" style={{ width: `${doneShare * 100}%` }} />
            <span className="stack-leased" style={{ width: `${progress.needed ? (progress.leased / progress.needed) * 100 : 0}%` }} />
          </div>
          <div className="small" data-progress="">
            <strong>{count(progress.done)}</strong> done · <strong>{count(progress.leased)}</strong> leased · <strong>{count(progress.left)}</strong> left of{" "}
            {count(progress.needed)}
          </div>
          {progress.needs_reviewer > 0 && (
            <p className="small needs-reviewer" data-progress="needs-reviewer">
              {count(progress.needs_reviewer)} {progress.needs_reviewer === 1 ? "item needs" : "items need"} another reviewer: everyone in the batch has
              judged, skipped or holds {progress.needs_reviewer === 1 ? "it" : "them"}. <Link to="/admin/batches">Add reviewers</Link> on the batch list.
            </p>
          )}
        </div>
      </section>

      <section className="panel">
        <h2>Agreement</h2>
        <div className="figure-grid">
          {pairs && (
            <>
              <Figure
                label="Percent agreement (with ties)"
                value={stats.percent_agreement.with_ties}
                interval={stats.intervals.percent_agreement_with_ties}
                reason={reasons["percent_agreement.with_ties"]}
                explanation="Share of reviewer pairs on an item who give the same direction (first better, tie, second better)."
                scale="chance is about 0.333 with three answers; MT-Bench's human experts agreed 0.63 with ties, 0.81 without (Zheng et al. 2023)"
              />
              <Figure
                label="Percent agreement (without ties)"
                value={stats.percent_agreement.without_ties}
                interval={stats.intervals.percent_agreement_without_ties}
                reason={reasons["percent_agreement.without_ties"]}
                explanation="The same, leaving out every pair in which one reviewer called a tie."
                scale="chance is 0.500 with two answers"
              />
              <Figure
                label="Krippendorff's α (direction)"
                value={alpha("direction")}
                reading={alphaReading(alpha("direction"))}
                reason={reasons["krippendorff_alpha.direction"]}
                explanation="Agreement on the direction alone, corrected for the agreement chance would give; any number of reviewers, missing judgments allowed."
                scale={ALPHA_SCALE}
              />
            </>
          )}
          <Figure
            label="Krippendorff's α (nominal)"
            value={alpha("nominal")}
            reading={alphaReading(alpha("nominal"))}
            interval={stats.intervals.krippendorff_alpha_nominal}
            reason={reasons["krippendorff_alpha.nominal"]}
            explanation={`Agreement on the exact ${task === "rating" ? "score" : "answer with its strength"}, every difference counting the same, beyond chance.`}
            scale={ALPHA_SCALE}
          />
          <Figure
            label="Krippendorff's α (ordinal)"
            value={alpha("ordinal")}
            reading={alphaReading(alpha("ordinal"))}
            reason={reasons["krippendorff_alpha.ordinal"]}
            explanation="As nominal, but differences count by how far apart the two values are in rank order."
            scale={ALPHA_SCALE}
          />
          <Figure
            label="Krippendorff's α (interval)"
            value={alpha("interval")}
            reading={alphaReading(alpha("interval"))}
            interval={stats.intervals.krippendorff_alpha_interval}
            reason={reasons["krippendorff_alpha.interval"]}
            explanation="As nominal, but differences count by their squared numeric distance: the usual choice for scales."
            scale={ALPHA_SCALE}
          />
          <Figure
            label="Fleiss' κ"
            value={stats.fleiss_kappa}
            reading={kappaReading(stats.fleiss_kappa)}
            reason={reasons.fleiss_kappa}
            explanation={`Agreement of all reviewers on the exact ${task === "rating" ? "score" : "answer"} beyond chance; needs the same number of judgments on every item.`}
            scale={KAPPA_SCALE}
          />
          {pairs && (
            <Figure
              label="Fleiss' κ (direction)"
              value={stats.fleiss_kappa_direction}
              reading={kappaReading(stats.fleiss_kappa_direction)}
              reason={reasons.fleiss_kappa_direction}
              explanation="The same on the direction alone (first better, tie, second better), strengths set aside."
              scale={KAPPA_SCALE}
            />
          )}
          {task === "ranking" && (
            <Figure
              label="Kendall's W (mean over items)"
              value={stats.kendall_w}
              reason={reasons.kendall_w}
              explanation="How alike the reviewers' rankings of an item are (corrected for tied tiers), averaged over items ranked by two or more."
              scale="0 no agreement, 1 identical rankings"
            />
          )}
        </div>
        <AgreementOverTime points={stats.timeline} />
        {stats.per_aspect.length > 0 && (
          <>
            <h3>Per aspect</h3>
            <div className="table-scroll"><table className="data-table" aria-label="Agreement per aspect">
              <thead>
                <tr>
                  <th scope="col">Aspect</th>
                  <th scope="col">Scale</th>
                  <th scope="col" className="num">
                    Units
                  </th>
                  <th scope="col" className="num">
                    α nominal
                  </th>
                  <th scope="col" className="num">
                    α ordinal
                  </th>
                  <th scope="col" className="num">
                    α interval
                  </th>
                  <th scope="col" className="num">
                    Fleiss&apos; κ
                  </th>
                </tr>
              </thead>
              <tbody>
                {stats.per_aspect.map((a) => (
                  <tr key={a.aspect}>
                    <th scope="row">{a.label}</th>
                    <td>
                      {a.min}–{a.max}
                    </td>
                    <td className="num">{count(a.units)}</td>
                    {(["nominal", "ordinal", "interval"] as const).map((metric) => (
                      <td key={metric} className="num" title={a.reasons[`krippendorff_alpha.${metric}`]}>
                        {formatFigure(a.krippendorff_alpha[metric], "coefficient")}
                      </td>
                    ))}
                    <td className="num" title={a.reasons.fleiss_kappa}>
                      {formatFigure(a.fleiss_kappa, "coefficient")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table></div>
            <p className="muted small">Each aspect on its own, over its own scale (units: item × response). Reading as above.</p>
          </>
        )}
        <h3>Cohen&apos;s κ per reviewer pair (at least 10 shared items)</h3>
        <p className="muted small">Reading: {KAPPA_SCALE}.</p>
        {stats.cohen_kappa.length ? <DataTable label="Cohen's kappa" rows={stats.cohen_kappa} columns={kappaColumns} /> : <p className="muted">No pair of reviewers shares 10 items yet.</p>}
        {aspectKappas.length > 0 && (
          <>
            <h3>Cohen&apos;s κ per aspect and reviewer pair</h3>
            <DataTable label="Cohen's kappa per aspect" rows={aspectKappas} columns={aspectKappaColumns} />
          </>
        )}
      </section>

      <section className="panel">
        <h2>Reviewers</h2>
        <DataTable label="Reviewers" rows={stats.per_reviewer} columns={reviewerColumns(task)} initialSort={[{ id: "judgments", desc: true }]} />
        <ReviewerScatter reviewers={stats.per_reviewer} />
        <h3>Progress per reviewer</h3>
        <div className="table-scroll"><table className="data-table" aria-label="Progress per reviewer">
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col" className="num">
                Done
              </th>
              <th scope="col" className="num">
                Leased
              </th>
              <th scope="col" className="num">
                Skipped
              </th>
            </tr>
          </thead>
          <tbody>
            {progress.per_reviewer.map((p) => (
              <tr key={p.username}>
                <th scope="row">{p.username}</th>
                <td className="num">{count(p.done)}</td>
                <td className="num">{count(p.leased)}</td>
                <td className="num">{count(p.skipped)}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      </section>

      <section className="panel">
        <h2>Leaderboard</h2>
        <LeaderboardPanel board={board} />
      </section>

      <section className="panel">
        <h2>Bias and flags</h2>
        <div className="figure-grid">
          {task === "pairwise" && (
            <>
              <Figure
                label="Position bias"
                value={stats.position_bias.left_rate}
                kind="rate"
                reason={reasons["position_bias.left_rate"]}
                explanation={`Share of the ${count(stats.position_bias.n)} non-tie judgments that chose the response shown on the left.`}
                scale="50.0% is unbiased; the p-value is the exact binomial test against 50%"
              >
                <PositionGauge leftRate={stats.position_bias.left_rate} pValue={stats.position_bias.p_value} />
              </Figure>
              <Figure
                label="Chose the longer response"
                value={stats.length_bias.longer_rate}
                kind="rate"
                reason={reasons["length_bias.longer_rate"]}
                explanation={`Share of the ${count(stats.length_bias.n)} non-tie judgments between responses of different lengths that chose the longer one.`}
                scale="50.0% means length plays no part; far above it, reviewers may reward verbosity"
              />
            </>
          )}
          {task === "ranking" && (
            <Figure
              label="First shown on top"
              value={stats.first_shown_top.rate}
              kind="rate"
              reason={reasons["first_shown_top.rate"]}
              explanation={`Share of the ${count(stats.first_shown_top.n)} rankings that put the response shown first in the top tier; chance is ${formatFigure(stats.first_shown_top.chance_rate, "rate")} (top tier size over responses).`}
              scale={`near chance is unbiased; binomial test against chance: p ${stats.first_shown_top.p_value !== null && stats.first_shown_top.p_value < 0.001 ? "" : "= "}${formatFigure(stats.first_shown_top.p_value, "p_value")}`}
            />
          )}
        </div>
        {Object.keys(stats.flags.by_flag).length === 0 ? (
          <p className="muted">No flags.</p>
        ) : (
          <div className="table-scroll"><table className="data-table" aria-label="Flags per model">
            <thead>
              <tr>
                <th scope="col">Model</th>
                {Object.keys(stats.flags.by_flag).map((f) => (
                  <th key={f} scope="col" className="num">
                    {f} ({count(stats.flags.by_flag[f]!)})
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
                      {count(flags[f] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}
