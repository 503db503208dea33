import type { ColumnDef } from "@tanstack/react-table";
import { LeaderboardChart } from "./charts";
import { DataTable, formatStat } from "./data-table";

/** What the panel shows of a leaderboard (the stats service's `Leaderboard`, as the loader sends it). */
export interface LeaderboardView {
  models: Array<{ model: string; rating: number; ci: [number, number] | null; battles: number; wins: number; ties: number; losses: number }>;
  win_rates: Record<string, Record<string, number | null>>;
  method: "mle" | "regularized" | null;
  method_reason: string | null;
}
type Model = LeaderboardView["models"][number];

const columns: ColumnDef<Model, unknown>[] = [
  { accessorKey: "model", header: "Model" },
  { accessorKey: "rating", header: "Rating", cell: (info) => formatStat(info.getValue() as number | null, 1), meta: { numeric: true } },
  { id: "ci", accessorFn: (m) => (m.ci ? `${m.ci[0].toFixed(1)} – ${m.ci[1].toFixed(1)}` : "—"), header: "95% interval" },
  { accessorKey: "battles", header: "Battles", meta: { numeric: true } },
  { accessorKey: "wins", header: "Wins", meta: { numeric: true } },
  { accessorKey: "ties", header: "Ties", meta: { numeric: true } },
  { accessorKey: "losses", header: "Losses", meta: { numeric: true } },
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
      <DataTable label="Leaderboard" rows={board.models} columns={columns} initialSort={[{ id: "rating", desc: true }]} />
      <h3>Win rates (row beats column; ties count half)</h3>
      <table className="data-table" aria-label="Win rates">
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
                  {formatStat(board.win_rates[row]?.[col] ?? null, 2)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
