import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { formatFigure } from "~/core/figures";
import { Markdown } from "~/components/markdown";
import { Conversation } from "~/components/judging/conversation";
import { requireRole } from "~/services/auth.server";
import { listDisputes, type DisputedItem } from "~/services/disputes.server";
import adminStyles from "~/styles/admin.css?url";
import judgingStyles from "~/styles/judging.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Disputes · ${data?.batch.name ?? "Batch"} · Verdict` }];
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: judgingStyles },
  { rel: "stylesheet", href: adminStyles },
];

const PAGE = 20;

/** The batch's disputed items, most split first, paged on the server. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const offset = new URL(request.url).searchParams.get("offset") ?? undefined;
  return data(listDisputes(params.id!, { limit: PAGE, offset }));
}

/** What a judgment chose, in the page's words: "Response 2 (model)", "tie", the top of a ranking. */
function choiceText(item: DisputedItem, choice: string | null): string {
  if (choice === null) return "—";
  if (choice === "tie") return "tie";
  return choice
    .split("=")
    .map((id) => {
      const index = item.responses.findIndex((r) => r.id === id);
      return index < 0 ? id : `Response ${index + 1} (${item.responses[index]!.model})`;
    })
    .join(" = ");
}

function DisputeCard({ item }: { item: DisputedItem }) {
  const [showEarlier, setShowEarlier] = useState(false);
  const responseNumber = (id: string) => item.responses.findIndex((r) => r.id === id) + 1;
  const flagText = (key: string) => {
    const [id, flag] = key.split(":");
    return `${flag} on Response ${responseNumber(id!)}`;
  };
  const reasons = [item.direction ? "the direction" : null, ...item.flags.map(flagText)].filter(Boolean).join(", ");
  return (
    <article className="panel dispute" aria-label={`Item ${item.position}`} data-item={item.item_id}>
      <div className="panel-title">
        <h2>Item {item.position}</h2>
        <span className="muted small">
          split {formatFigure(item.split, "rate")} · on {reasons}
        </span>
      </div>
      <Conversation messages={item.prompt} showEarlier={showEarlier} onToggleEarlier={() => setShowEarlier((shown) => !shown)} />
      <div className="dispute-responses">
        {item.responses.map((response, index) => (
          <section key={response.id} className="response-card" aria-label={`Response ${index + 1}`}>
            <header className="response-head">
              <h3 className="response-title">Response {index + 1}</h3> <span className="muted small response-model">{response.model}</span>
            </header>
            <Markdown text={response.text} className="response-body" />
          </section>
        ))}
      </div>
      <div className="table-scroll">
        <table className="data-table" aria-label={`Judgments of item ${item.position}`}>
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col">Chose</th>
              <th scope="col" className="num">
                Strength
              </th>
              <th scope="col">Flags</th>
              <th scope="col">Rationale</th>
            </tr>
          </thead>
          <tbody>
            {item.judgments.map((judgment) => (
              <tr key={judgment.id}>
                <th scope="row">{judgment.reviewer}</th>
                <td>{choiceText(item, judgment.choice)}</td>
                <td className="num">{judgment.strength ?? "—"}</td>
                <td>
                  {judgment.flags.length
                    ? judgment.flags.map((f) => `${f.flag} on Response ${responseNumber(f.response_id)}${f.note ? ` (“${f.note}”)` : ""}`).join("; ")
                    : "—"}
                </td>
                <td className="dispute-rationale">{judgment.rationale || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}

export default function DisputesPage() {
  const page = useLoaderData<typeof loader>();
  const last = page.offset + page.items.length;
  const link = (offset: number) => `/admin/batches/${page.batch.id}/disputes${offset > 0 ? `?offset=${offset}` : ""}`;
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Disputes: {page.batch.name}</h1>
          <span className="muted small">
            <Link to={`/admin/batches/${page.batch.id}`}>Batch</Link> · <Link to={`/admin/batches/${page.batch.id}/stats`}>Statistics</Link> ·{" "}
            <Link to={`/admin/batches/${page.batch.id}/export`}>Export</Link> ·{" "}
            <Link to="/admin/batches">All batches</Link>
          </span>
        </div>
        <p role="status">
          {page.total === 0
            ? `No disputes among the ${formatFigure(page.judged_items, "count")} items with two or more judgments.`
            : `${formatFigure(page.total, "count")} disputed of ${formatFigure(page.judged_items, "count")} items with two or more judgments, most split first${page.total > page.items.length ? ` (${formatFigure(page.offset + 1, "count")}–${formatFigure(last, "count")} shown)` : ""}.`}
        </p>
        <p className="muted small">
          An item is disputed when its reviewers chose differently (the preferred response, a tie, or a ranking&apos;s first place), or when some flagged a
          response and others did not. The split is the largest minority&apos;s share. Also from the command line: <code>disputes list --batch ID --json</code>.
        </p>
      </section>
      {page.items.map((item) => (
        <DisputeCard key={item.item_id} item={item} />
      ))}
      {(page.offset > 0 || last < page.total) && (
        <nav className="pager" aria-label="Pages of disputes">
          {page.offset > 0 && <Link to={link(Math.max(0, page.offset - page.limit))}>← More split</Link>}
          {last < page.total && <Link to={link(last)}>Less split →</Link>}
        </nav>
      )}
    </>
  );
}
