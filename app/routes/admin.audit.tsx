import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import { formatFigure } from "~/core/figures";
import { DataTable } from "~/components/stats/data-table";
import { listAudit, type AuditEntry } from "~/services/audit.server";
import { requireRole } from "~/services/auth.server";
import { asServiceError } from "~/services/errors.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction = () => [{ title: "Audit log · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const FILTERS = ["actor", "action", "since", "until"] as const;

/** The audit log, filtered and paged on the server (the log only grows). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const params = new URL(request.url).searchParams;
  const query = Object.fromEntries([...FILTERS, "offset"].map((key) => [key, params.get(key) ?? undefined]));
  try {
    return data({ page: listAudit(query), query, fields: {} as Record<string, string> });
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const fields = (failure.details?.fields ?? {}) as Record<string, string>;
    return data({ page: listAudit({}), query, fields }, { status: failure.status });
  }
}

const columns: ColumnDef<AuditEntry, unknown>[] = [
  { accessorKey: "at", header: "When (UTC)", cell: ({ getValue }) => <time dateTime={String(getValue())}>{String(getValue()).replace("T", " ").slice(0, 19)}</time> },
  { accessorKey: "actor", header: "Who" },
  { accessorKey: "action", header: "Action" },
  { accessorKey: "subject", header: "Target", cell: ({ getValue }) => <code className="audit-subject">{String(getValue())}</code> },
  {
    id: "detail",
    accessorFn: (entry) => (Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : ""),
    header: "Detail",
    enableSorting: false,
    cell: ({ getValue }) => <code className="audit-detail">{String(getValue())}</code>,
  },
];

export default function AuditPage() {
  const { page, query, fields } = useLoaderData<typeof loader>();
  const pageLink = (offset: number) => {
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== "" && entry[0] !== "offset"));
    if (offset > 0) params.set("offset", String(offset));
    return `/admin/audit${params.size ? `?${params}` : ""}`;
  };
  const first = page.entries.length ? page.offset + 1 : 0;
  const last = page.offset + page.entries.length;
  return (
    <section className="panel">
      <div className="panel-title">
        <h1>Audit log</h1>
      </div>
      <p className="muted">
        Every admin action, newest first: who did it, when, what and to what. Also from the command line: <code>audit --json</code>.
      </p>
      <Form method="get" className="inline-form audit-filters" aria-label="Filter the audit log">
        <label>
          Who{" "}
          <select name="actor" defaultValue={query.actor ?? ""}>
            <option value="">anyone</option>
            {page.actors.map((actor) => (
              <option key={actor} value={actor}>
                {actor}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action{" "}
          <select name="action" defaultValue={query.action ?? ""}>
            <option value="">any</option>
            {[...new Set(page.actions.map((action) => `${action.split(".")[0]}.`))].map((prefix) => (
              <option key={prefix} value={prefix}>
                {prefix}*
              </option>
            ))}
            {page.actions.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="date" name="since" defaultValue={query.since ?? ""} aria-invalid={fields.since ? true : undefined} />
        </label>
        <label>
          To <input type="date" name="until" defaultValue={query.until ?? ""} aria-invalid={fields.until ? true : undefined} />
        </label>
        <button type="submit">Filter</button>
        <Link to="/admin/audit">Clear</Link>
      </Form>
      {Object.keys(fields).length > 0 && (
        <p className="notice failure" role="alert">
          {Object.entries(fields)
            .map(([field, reason]) => `${field}: ${reason}`)
            .join("; ")}{" "}
          — showing the whole log instead.
        </p>
      )}
      <p role="status">
        {page.total === 0 ? "No entries." : `Entries ${formatFigure(first, "count")}–${formatFigure(last, "count")} of ${formatFigure(page.total, "count")}.`}
      </p>
      <DataTable label="Audit log" rows={page.entries} columns={columns} />
      <nav className="pager" aria-label="Pages of the audit log">
        {page.offset > 0 && <Link to={pageLink(Math.max(0, page.offset - page.limit))}>← Newer</Link>}
        {last < page.total && <Link to={pageLink(last)}>Older →</Link>}
      </nav>
    </section>
  );
}
