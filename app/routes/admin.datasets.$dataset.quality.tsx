import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { DataTable } from "~/components/stats/data-table";
import { formatFigure, formatInterval } from "~/core/figures";
import { TOP_FLAGGED, type Proportion } from "~/core/quality/monitoring";
import { requireRole } from "~/services/auth.server";
import { asServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";
import { qualityReport, type QualityReport, type QualityRow } from "~/services/quality.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Quality ${data?.report.dataset ?? ""} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const PARAMS = ["from", "to", "batch", "judge"] as const;

/** Flag rates and win rates per model over a dataset's batches, by day, and the most-flagged responses. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const search = new URL(request.url).searchParams;
  const query = Object.fromEntries(PARAMS.flatMap((key) => (search.get(key) ? [[key, search.get(key)!]] : []))) as Partial<Record<(typeof PARAMS)[number], string>>;
  try {
    try {
      return data({ report: qualityReport(params.dataset!, query), asked: query, invalid: {} as Record<string, string> });
    } catch (error) {
      const failure = asServiceError(error);
      if (failure?.code !== "invalid") throw error;
      const invalid = (failure.details?.fields ?? {}) as Record<string, string>;
      return data({ report: qualityReport(params.dataset!, {}), asked: query, invalid }, { status: 400 });
    }
  } catch (error) {
    throw errorResponse(error);
  }
}

type Side = "reviewers" | "judge";

/** A share with its interval under it; the counts in the tooltip. */
function RateCell({ p }: { p: Proportion }) {
  if (p.rate === null) {
    return (
      <span className="muted" title="nothing judged: undefined">
        {formatFigure(null, "rate")}
      </span>
    );
  }
  return (
    <span className="rate-cell" title={`${formatFigure(p.successes, "count")} of ${formatFigure(p.n, "count")}`}>
      <span data-figure="rate">{formatFigure(p.rate, "rate")}</span>
      <span className="rate-ci small muted" data-figure="ci">
        {formatInterval(p.ci, "rate")}
      </span>
    </span>
  );
}

function FlagRateTable({ report, side, label }: { report: QualityReport; side: Side; label: string }) {
  return (
    <div className="table-scroll">
      <table className="data-table quality-rates" aria-label={label} data-side={side}>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num" title="responses of the model in at least one judgment (or ok verdict)">
              Judged
            </th>
            <th scope="col" className="num" title="share of judged responses with at least one flag">
              Any flag
            </th>
            {report.flags.map((flag) => (
              <th key={flag} scope="col" className="num">
                {flag}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {report.models.map((m) => (
            <tr key={m.model} data-model={m.model}>
              <th scope="row">{m.model}</th>
              <td className="num" data-col="judged">
                {formatFigure(m[side].judged, "count")}
              </td>
              <td className="num" data-col="any">
                <RateCell p={m[side].any} />
              </td>
              {report.flags.map((flag) => (
                <td key={flag} className="num" data-col={flag}>
                  <RateCell p={m[side].flags[flag]!} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WinRateTable({ report, judged }: { report: QualityReport; judged: boolean }) {
  return (
    <div className="table-scroll">
      <table className="data-table quality-wins" aria-label="Win rates">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num" title="the reviewers' preference pairs involving the model, ties left out">
              Reviewers&apos; decided pairs
            </th>
            <th scope="col" className="num">
              Reviewers&apos; win rate
            </th>
            {judged && (
              <>
                <th scope="col" className="num" title="the judge's pairs involving the model, ties and order-dependent outcomes left out">
                  Judge&apos;s decided pairs
                </th>
                <th scope="col" className="num">
                  Judge&apos;s win rate
                </th>
              </>
            )}
          </tr>
        </thead>
        <tbody>
          {report.models.map((m) => (
            <tr key={m.model} data-model={m.model}>
              <th scope="row">{m.model}</th>
              <td className="num" data-col="reviewer-pairs">
                {formatFigure(m.winRate.reviewers.n, "count")}
              </td>
              <td className="num" data-col="reviewer-win">
                <RateCell p={m.winRate.reviewers} />
              </td>
              {judged && (
                <>
                  <td className="num" data-col="judge-pairs">
                    {formatFigure(m.winRate.judge.n, "count")}
                  </td>
                  <td className="num" data-col="judge-win">
                    <RateCell p={m.winRate.judge} />
                  </td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const AXIS = { stroke: "var(--muted)", fontSize: 12 };
const PALETTE = ["var(--accent)", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#db2777", "#65a30d"];

/** Per model, the share of each day's judged responses flagged (any flag): reviewers solid, the judge dashed. */
function FlagRateOverTime({ report, judged }: { report: QualityReport; judged: boolean }) {
  if (report.timeline.length === 0) {
    return (
      <figure className="chart empty" aria-label="Flag rate by day">
        <p className="muted">The flag rate by day appears once responses have been judged.</p>
      </figure>
    );
  }
  const models = report.models.map((m) => m.model);
  // Series keys are plain (r0, j0…): recharts reads a dotted key as a path.
  const points = report.timeline.map((d) => {
    const point: Record<string, string | number | null> = { day: d.day };
    models.forEach((model, i) => {
      point[`r${i}`] = d.models[model]?.reviewers.rate ?? null;
      point[`j${i}`] = d.models[model]?.judge.rate ?? null;
    });
    return point;
  });
  return (
    <figure className="chart" aria-label="Flag rate by day">
      <LineChart width={640} height={260} data={points} margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
        <XAxis dataKey="day" tick={AXIS} />
        <YAxis domain={[0, 1]} tick={AXIS} tickFormatter={(v: number) => formatFigure(v, "rate")} width={56} />
        <Tooltip formatter={(value) => (typeof value === "number" ? formatFigure(value, "rate") : value)} />
        {models.map((model, i) => (
          <Line
            key={`r${i}`}
            type="linear"
            dataKey={`r${i}`}
            name={`${model} · reviewers`}
            stroke={PALETTE[i % PALETTE.length]}
            strokeWidth={2}
            dot
            isAnimationActive={false}
            connectNulls
          />
        ))}
        {judged &&
          models.map((model, i) => (
            <Line
              key={`j${i}`}
              type="linear"
              dataKey={`j${i}`}
              name={`${model} · judge`}
              stroke={PALETTE[i % PALETTE.length]}
              strokeWidth={2}
              strokeDasharray="5 4"
              dot
              isAnimationActive={false}
              connectNulls
            />
          ))}
      </LineChart>
      {/* The legend in HTML under the chart: it wraps on a phone, where recharts' own keeps the chart's width. */}
      <ul className="chart-legend small" aria-label="Lines">
        {models.flatMap((model, i) =>
          (judged ? (["reviewers", "judge"] as const) : (["reviewers"] as const)).map((side) => (
            <li key={`${side}${i}`}>
              <svg width="24" height="8" aria-hidden="true">
                <line x1="0" y1="4" x2="24" y2="4" stroke={PALETTE[i % PALETTE.length]} strokeWidth="2" strokeDasharray={side === "judge" ? "5 4" : undefined} />
              </svg>
              {model} · {side}
            </li>
          )),
        )}
      </ul>
      <figcaption className="muted small">Share of the responses of each day (the response&apos;s date) judged and flagged with any flag: reviewers solid, judge dashed</figcaption>
    </figure>
  );
}

/** Flag names and counts as text, for the filter box (notes included) and the list. */
const reviewerText = (r: QualityRow) => r.reviewer_flags.map((f) => [`${f.flag} ×${f.count}`, ...f.notes].join(" ")).join("; ");
const judgeText = (r: QualityRow) => r.judge_flags.map((f) => `${f.flag} ×${f.count}`).join("; ");

const flaggedColumns: ColumnDef<QualityRow, unknown>[] = [
  {
    accessorKey: "prompt_external_id",
    header: "Prompt",
    cell: (info) => (
      <Link to={info.row.original.prompt_link} className="prompt-link" title={`Open prompt ${info.row.original.prompt_external_id} on the dataset page`}>
        {info.row.original.prompt_external_id}
      </Link>
    ),
  },
  { accessorKey: "model", header: "Model" },
  {
    id: "reviewer_flags",
    accessorFn: reviewerText,
    header: "Flags by reviewers",
    sortingFn: (a, b) => a.original.reviewer_total - b.original.reviewer_total,
    cell: (info) => {
      const r = info.row.original;
      if (r.reviewer_flags.length === 0) return <span className="muted">none ({formatFigure(r.reviewer_judgments, "count")} {r.reviewer_judgments === 1 ? "judgment" : "judgments"})</span>;
      return (
        <ul className="flag-list">
          {r.reviewer_flags.map((f) => (
            <li key={f.flag}>
              <span className="flag-name">{f.flag}</span> ×{f.count}
              {f.notes.map((note, i) => (
                <q key={i} className="flag-note">
                  {note}
                </q>
              ))}
            </li>
          ))}
        </ul>
      );
    },
    meta: { description: "each flag the reviewers set on the response, with how many judgments set it and their notes" },
  },
  {
    id: "judge_flags",
    accessorFn: judgeText,
    header: "Flags by the judge",
    sortingFn: (a, b) => a.original.judge_total - b.original.judge_total,
    cell: (info) => {
      const r = info.row.original;
      if (r.judge_flags.length === 0) return <span className="muted">none ({formatFigure(r.judge_verdicts, "count")} {r.judge_verdicts === 1 ? "verdict" : "verdicts"})</span>;
      return (
        <ul className="flag-list">
          {r.judge_flags.map((f) => (
            <li key={f.flag}>
              <span className="flag-name">{f.flag}</span> ×{f.count}
            </li>
          ))}
        </ul>
      );
    },
    meta: { description: "each flag the judge set on the response, with how many of its verdicts set it" },
  },
  { accessorKey: "total", header: "Total", meta: { numeric: true, description: "flags by reviewers and the judge, one per judgment or verdict" } },
  { accessorKey: "date", header: "Date", meta: { description: "the response's sampled_at day, or the dataset's import day" } },
];

export default function DatasetQualityPage() {
  const { report, asked, invalid } = useLoaderData<typeof loader>();
  const base = `/admin/datasets/${encodeURIComponent(report.dataset)}`;
  const shown = new URLSearchParams(Object.entries(report.query).filter(([, v]) => typeof v === "string") as [string, string][]);
  const download = (format: string) => {
    const params = new URLSearchParams(shown);
    params.set("format", format);
    return `${base}/quality/download?${params}`;
  };
  const judged = report.totals.judge_verdicts > 0;
  const filtered = Object.keys(asked).length > 0;
  const judgeLabel = report.query.judge ? `the judge ${report.query.judge}` : report.judges.length > 1 ? "all judges" : "the judge";
  return (
    <div className="quality-page">
      <section className="panel">
        <div className="panel-title">
          <h1>Quality: “{report.dataset}”</h1>
          <Link to={base}>Dataset</Link>
        </div>
        <p className="muted">
          Per model, the share of its judged responses that reviewers and LLM judges flagged, with 95% Wilson intervals, its win rate, the same by day, and the
          most-flagged responses. Reviewers&apos; judgments only (no repeats or adjudications); ok judge verdicts only.
        </p>
        <p className="button-row">
          <Link to={`${base}/leaderboard`}>Leaderboard</Link>
          <a href={download("csv")} download data-download="csv">
            Download CSV
          </a>
          <a href={download("jsonl")} download data-download="jsonl">
            Download JSONL
          </a>
        </p>
        <Form method="get" className="inline-form quality-filters" aria-label="Filter the responses">
          <label>
            From{" "}
            <input type="date" name="from" defaultValue={asked.from ?? ""} aria-invalid={invalid.from ? true : undefined} />
          </label>
          <label>
            To <input type="date" name="to" defaultValue={asked.to ?? ""} aria-invalid={invalid.to ? true : undefined} />
          </label>
          <label>
            Batch{" "}
            <select name="batch" defaultValue={asked.batch ?? ""}>
              <option value="">all batches</option>
              {report.batches.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          {report.judges.length > 0 && (
            <label>
              Judge{" "}
              <select name="judge" defaultValue={asked.judge ?? ""}>
                <option value="">{report.judges.length > 1 ? "all judges" : report.judges[0]}</option>
                {report.judges.length > 1 &&
                  report.judges.map((j) => (
                    <option key={j} value={j}>
                      {j}
                    </option>
                  ))}
              </select>
            </label>
          )}
          <button type="submit">Apply</button>
          {filtered && <Link to={`${base}/quality`}>Clear</Link>}
        </Form>
        {Object.keys(invalid).length > 0 && (
          <p className="notice failure" role="alert">
            {Object.entries(invalid)
              .map(([field, reason]) => `${field}: ${reason}`)
              .join("; ")}{" "}
            — showing every response instead.
          </p>
        )}
        <p role="status" data-testid="quality-totals">
          {formatFigure(report.totals.responses, "count")} responses{report.query.from || report.query.to ? " dated in the range" : ""};{" "}
          {formatFigure(report.totals.reviewer_judgments, "count")} reviewer judgments and {formatFigure(report.totals.judge_verdicts, "count")} judge verdicts
          {report.query.batch ? " of the batch" : ""}; {formatFigure(report.flagged_total, "count")} responses flagged.
        </p>
      </section>

      <section className="panel" aria-labelledby="reviewer-rates">
        <h2 id="reviewer-rates">Flag rates by reviewers</h2>
        <FlagRateTable report={report} side="reviewers" label="Flag rates by reviewers" />
        <p className="muted small">
          Share of the model&apos;s responses judged by at least one reviewer that at least one reviewer flagged; under it the 95% Wilson score interval.
        </p>
      </section>

      <section className="panel" aria-labelledby="judge-rates">
        <h2 id="judge-rates">Flag rates by {judgeLabel}</h2>
        {judged ? (
          <>
            <FlagRateTable report={report} side="judge" label="Flag rates by the judge" />
            <p className="muted small">Share of the model&apos;s responses in at least one ok verdict that a verdict flagged (either presentation of a pairwise item).</p>
          </>
        ) : (
          <p className="muted">No LLM judge has judged these responses: run one from a batch&apos;s LLM judge page.</p>
        )}
      </section>

      <section className="panel" aria-labelledby="win-rates">
        <h2 id="win-rates">Win rates</h2>
        <WinRateTable report={report} judged={judged} />
        <p className="muted small">
          Decided pairs the model&apos;s response won, of those it is in against another model (ties left out); the judge&apos;s pairwise items judged both ways round
          count only where both presentations agree.
        </p>
      </section>

      <section className="panel" aria-labelledby="over-time">
        <h2 id="over-time">Flag rate by day</h2>
        <FlagRateOverTime report={report} judged={judged} />
      </section>

      <section className="panel" aria-labelledby="most-flagged">
        <h2 id="most-flagged">Most-flagged responses</h2>
        <p className="muted small">
          {report.flagged_total > report.flagged.length
            ? `The ${formatFigure(report.flagged.length, "count")} with the most flags of ${formatFigure(report.flagged_total, "count")}; the download has them all.`
            : `All ${formatFigure(report.flagged.length, "count")} flagged responses (the page lists up to ${formatFigure(TOP_FLAGGED, "count")}).`}
        </p>
        <DataTable label="Most-flagged responses" rows={report.flagged} columns={flaggedColumns} initialSort={[{ id: "total", desc: true }]} />
      </section>
    </div>
  );
}
