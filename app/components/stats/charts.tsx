import {
  CartesianGrid,
  Cell,
  ErrorBar,
  LabelList,
  Line,
  LineChart,
  Pie,
  PieChart,
  ReferenceLine,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { formatFigure, formatInterval } from "~/core/figures";

const AXIS = { stroke: "var(--muted)", fontSize: 12 };
/** Axis ticks of shares in [0, 1] and of ratings, in the figures' own formats. */
const coefficientTick = (value: number) => formatFigure(value, "coefficient");
const ratingTick = (value: number) => formatFigure(value, "count");

/** Percent agreement of the items completed each day, and judgments per day. */
export function AgreementOverTime({ points }: { points: Array<{ day: string; judgments: number; agreement: number | null }> }) {
  if (!points.some((p) => p.agreement !== null)) {
    return (
      <figure className="chart empty" aria-label="Agreement over time">
        <p className="muted">Agreement over time appears once items have been judged by at least two reviewers.</p>
      </figure>
    );
  }
  return (
    <figure className="chart" aria-label="Agreement over time">
      <LineChart width={520} height={220} data={points} margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
        <XAxis dataKey="day" tick={AXIS} />
        <YAxis domain={[0, 1]} tick={AXIS} tickFormatter={coefficientTick} />
        <Tooltip formatter={(value) => (typeof value === "number" ? formatFigure(value, "coefficient") : value)} />
        <Line type="monotone" dataKey="agreement" stroke="var(--accent)" strokeWidth={2} dot isAnimationActive={false} connectNulls />
      </LineChart>
      <figcaption className="muted small">Percent agreement (with ties) of items completed each day</figcaption>
    </figure>
  );
}

/** Each reviewer: speed against agreement with the others, sized by judgments. */
export function ReviewerScatter({ reviewers }: { reviewers: Array<{ username: string; median_seconds: number | null; agreement_with_majority: number | null; judgments: number }> }) {
  const points = reviewers
    .filter((r) => r.median_seconds !== null && r.agreement_with_majority !== null)
    .map((r) => ({ name: r.username, x: r.median_seconds, y: r.agreement_with_majority, z: r.judgments }));
  if (points.length === 0) {
    return (
      <figure className="chart empty" aria-label="Reviewer speed and agreement">
        <p className="muted">
          No reviewer has an agreement with the majority yet: it needs items that at least two other reviewers judged too (an overlap of 3 or more).
          Cohen&apos;s κ above compares reviewers two by two.
        </p>
      </figure>
    );
  }
  return (
    <figure className="chart" aria-label="Reviewer speed and agreement">
      <ScatterChart width={520} height={220} margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name="median seconds" tick={AXIS} />
        <YAxis type="number" dataKey="y" name="agreement" domain={[0, 1]} tick={AXIS} tickFormatter={coefficientTick} />
        <ZAxis type="number" dataKey="z" range={[40, 240]} name="judgments" />
        <Tooltip
          cursor={{ strokeDasharray: "3 3" }}
          formatter={(value, name) => (typeof value === "number" ? formatFigure(value, name === "agreement" ? "coefficient" : name === "judgments" ? "count" : "seconds") : value)}
        />
        <Scatter data={points} fill="var(--accent)" isAnimationActive={false} />
      </ScatterChart>
      <figcaption className="muted small">Median seconds per item (x) against agreement with the leave-one-out majority (y)</figcaption>
    </figure>
  );
}

/**
 * Bradley–Terry ratings with their 95% bootstrap intervals, as points with whiskers: a rating
 * is a position on an interval scale (only differences mean anything), so bars from an
 * arbitrary axis start would suggest ratios that are not there. Models run from the highest
 * rating at the top down, as the leaderboard table lists them.
 */
export function LeaderboardChart({ models }: { models: Array<{ model: string; rating: number; ci: [number, number] | null }> }) {
  const data = [...models]
    .sort((a, b) => b.rating - a.rating)
    .map((m) => ({ model: m.model, rating: m.rating, interval: formatInterval(m.ci, "rating"), error: m.ci ? [m.rating - m.ci[0], m.ci[1] - m.rating] : [0, 0] }));
  const step = 50;
  const low = Math.floor((Math.min(...models.map((m) => m.ci?.[0] ?? m.rating), 1000) - 10) / step) * step;
  const high = Math.ceil((Math.max(...models.map((m) => m.ci?.[1] ?? m.rating), 1000) + 10) / step) * step;
  return (
    <figure className="chart" aria-label="Leaderboard">
      <ScatterChart width={520} height={Math.max(120, 40 * models.length + 40)} margin={{ top: 10, right: 30, bottom: 10, left: 40 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
        <XAxis type="number" dataKey="rating" name="rating" domain={[low, high]} tick={AXIS} tickFormatter={ratingTick} />
        {/* A category axis runs bottom-up in a scatter chart; reversed, the first (best) model is on top. */}
        <YAxis type="category" dataKey="model" name="model" tick={AXIS} width={110} allowDuplicatedCategory={false} reversed />
        <ReferenceLine x={1000} stroke="var(--muted)" strokeDasharray="4 4" />
        <Tooltip cursor={{ strokeDasharray: "3 3" }} formatter={(value, name) => (name === "rating" && typeof value === "number" ? formatFigure(value, "rating") : value)} />
        <Scatter data={data} fill="var(--accent)" isAnimationActive={false}>
          <ErrorBar dataKey="error" width={6} strokeWidth={2} stroke="var(--text)" direction="x" />
        </Scatter>
      </ScatterChart>
      <figcaption className="muted small">Rating (mean 1000, dashed; 400 points = 10:1 odds) with 95% bootstrap intervals</figcaption>
    </figure>
  );
}

/**
 * Rating against cost per 1,000 responses, one point per priced model, with the cost-quality
 * frontier (the models no other beats on both) joined by a line from the cheapest up: a model
 * below the line costs more than one that is at least as good.
 */
export function CostQualityChart({ models }: { models: Array<{ model: string; rating: number; usd_per_1k_responses: number | null; on_cost_frontier: boolean }> }) {
  const priced = models.filter((m) => m.usd_per_1k_responses !== null).map((m) => ({ model: m.model, rating: m.rating, usd: m.usd_per_1k_responses as number, frontier: m.on_cost_frontier }));
  if (priced.length === 0) return null;
  const frontier = priced.filter((m) => m.frontier).sort((a, b) => a.usd - b.usd);
  const others = priced.filter((m) => !m.frontier);
  return (
    <figure className="chart" aria-label="Rating against cost">
      <ScatterChart width={520} height={280} margin={{ top: 10, right: 30, bottom: 20, left: 10 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
        <XAxis type="number" dataKey="usd" name="USD per 1,000 responses" tick={AXIS} tickFormatter={(v: number) => formatFigure(v, "usd")} domain={[0, "auto"]} />
        <YAxis type="number" dataKey="rating" name="rating" tick={AXIS} tickFormatter={ratingTick} domain={["auto", "auto"]} width={60} />
        <ZAxis type="category" dataKey="model" name="model" />
        <Tooltip
          cursor={{ strokeDasharray: "3 3" }}
          formatter={(value, name) => (typeof value === "number" ? formatFigure(value, name === "rating" ? "rating" : "usd") : value)}
        />
        <Scatter name="cost frontier" data={frontier} fill="var(--accent)" line={{ stroke: "var(--accent)", strokeWidth: 2 }} isAnimationActive={false}>
          <LabelList dataKey="model" position="right" style={{ fontSize: 11, fill: "var(--text)" }} />
        </Scatter>
        <Scatter name="other models" data={others} fill="var(--muted)" isAnimationActive={false}>
          <LabelList dataKey="model" position="right" style={{ fontSize: 11, fill: "var(--muted)" }} />
        </Scatter>
      </ScatterChart>
      <figcaption className="muted small">
        Rating against USD per 1,000 responses (from each model&apos;s price and its mean token usage); the line joins the cost-quality frontier:{" "}
        <span data-testid="cost-frontier">{frontier.map((m) => m.model).join(", ")}</span>
      </figcaption>
    </figure>
  );
}

/** A half-circle gauge of the share of judgments preferring the left response; 50% is unbiased. */
export function PositionGauge({ leftRate, pValue }: { leftRate: number | null; pValue: number | null }) {
  const share = leftRate ?? 0.5;
  const data = [
    { name: "left", value: share },
    { name: "right", value: 1 - share },
  ];
  return (
    <figure className="chart gauge" aria-label="Position bias">
      <PieChart width={240} height={140}>
        <Pie data={data} dataKey="value" startAngle={180} endAngle={0} cx="50%" cy="90%" innerRadius={60} outerRadius={90} isAnimationActive={false} stroke="none">
          <Cell fill={pValue !== null && pValue < 0.05 ? "var(--danger)" : "var(--accent)"} />
          <Cell fill="var(--border)" />
        </Pie>
      </PieChart>
      <figcaption>
        <strong data-figure="Chose the left response">{leftRate === null ? formatFigure(null, "rate") : `${formatFigure(leftRate, "rate")} left`}</strong>{" "}
        <span className="muted small">{pValue === null ? "" : `p ${pValue < 0.001 ? formatFigure(pValue, "p_value") : `= ${formatFigure(pValue, "p_value")}`}`}</span>
      </figcaption>
    </figure>
  );
}
