import type { ColumnDef } from "@tanstack/react-table";
import { formatFigure, formatInterval } from "~/core/figures";
import { CostQualityChart, LeaderboardChart } from "./charts";
import { DataTable, type ColumnMeta } from "./data-table";

/** What the panel shows of a leaderboard (the stats service's `Leaderboard`, as the loader sends it). */
export interface LeaderboardView {
  models: Array<{
    model: string;
    rating: number;
    ci: [number, number] | null;
    battles: number;
    wins: number;
    ties: number;
    losses: number;
    mean_latency_ms: number | null;
    mean_output_tokens: number | null;
    usd_per_1k_responses: number | null;
    on_cost_frontier: boolean;
  }>;
  win_rates: Record<string, Record<string, number | null>>;
  method: "mle" | "regularized" | null;
  method_reason: string | null;
}
type Model = LeaderboardView["models"][number];

const count = (description: string): ColumnMeta => ({ numeric: true, description });
const columns: ColumnDef<Model, unknown>[] = [
  { accessorKey: "model", header: "Model" },
  {
    accessorKey: "rating",
    header: "Rating",
    cell: (info) => formatFigure(info.getValue() as number, "rating"),
    meta: { numeric: true, description: "Bradley–Terry rating: the mean is 1000, and 400 points more means 10:1 odds of winning" } satisfies ColumnMeta,
  },
  {
    id: "ci",
    accessorFn: (m) => formatInterval(m.ci, "rating"),
    header: "95% interval",
    meta: { description: "where the rating lies in 95% of 200 bootstrap resamples of the battles; overlapping intervals mean the order is not settled" } satisfies ColumnMeta,
  },
  { accessorKey: "battles", header: "Battles", cell: (info) => formatFigure(info.getValue() as number, "count"), meta: count("comparisons with another model") },
  { accessorKey: "wins", header: "Wins", cell: (info) => formatFigure(info.getValue() as number, "count"), meta: count("battles this model was preferred in") },
  {
    accessorKey: "ties",
    header: "Ties",
    cell: (info) => formatFigure(info.getValue() as number, "count"),
    meta: count("battles judged equal (in rankings: the two in one tier); each counts as half a win"),
  },
  { accessorKey: "losses", header: "Losses", cell: (info) => formatFigure(info.getValue() as number, "count"), meta: count("battles the other model was preferred in") },
  {
    accessorKey: "mean_latency_ms",
    header: "Latency (ms)",
    cell: (info) => formatFigure(info.getValue() as number | null, "count"),
    meta: count("mean time to answer over the model's responses that record it (sampled, or latency_ms in imported metadata)"),
  },
  {
    accessorKey: "mean_output_tokens",
    header: "Output tokens",
    cell: (info) => formatFigure(info.getValue() as number | null, "count"),
    meta: count("mean completion tokens per response (usage.completion_tokens)"),
  },
  {
    accessorKey: "usd_per_1k_responses",
    header: "USD / 1k",
    cell: (info) => `${formatFigure(info.getValue() as number | null, "usd")}${info.row.original.on_cost_frontier ? " ◆" : ""}`,
    meta: count("what 1,000 responses cost at the model's price (set on the Models page) and mean token usage; ◆ marks the cost-quality frontier"),
  },
];

/** A leaderboard (of a batch or of a dataset): ratings chart, sortable table and win-rate matrix. */
export function LeaderboardPanel({ board }: { board: LeaderboardView }) {
  if (board.models.length === 0) return <p className="muted">No comparisons between different models yet.</p>;
  const models = Object.keys(board.win_rates);
  return (
    <>
      <p className="small" data-fit-method={board.method ?? undefined}>
        {board.method === "regularized" ? (
          <>
            <strong>Fit: regularized.</strong> {board.method_reason}; each model also gets one virtual tie against an average opponent, which keeps every rating finite.
          </>
        ) : (
          <>
            <strong>Fit: maximum likelihood</strong> (the same estimate as Chatbot Arena&apos;s), ties counted as half a win to each side.
          </>
        )}
      </p>
      <LeaderboardChart models={board.models} />
      <CostQualityChart models={board.models} />
      <DataTable label="Leaderboard" rows={board.models} columns={columns} initialSort={[{ id: "rating", desc: true }]} />
      <h3>Win rates (row beats column; ties count half)</h3>
      <div className="table-scroll"><table className="data-table" aria-label="Win rates">
        <thead>
          <tr>
            <th scope="col">Model</th>
            {models.map((m) => (
              <th key={m} scope="col" className="num">
                {m}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {models.map((row) => (
            <tr key={row}>
              <th scope="row">{row}</th>
              {models.map((col) => (
                <td key={col} className="num">
                  {formatFigure(board.win_rates[row]?.[col] ?? null, "rate")}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table></div>
    </>
  );
}
