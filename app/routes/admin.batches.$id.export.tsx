import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { requireRole } from "~/services/auth.server";
import { errorResponse } from "~/services/http.server";
import { getBatch } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";
import { EXPORT_FORMATS, listExports, previewExport } from "~/services/exports.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Export ${data?.batch.name ?? ""} · Verdict` }];

const DEFAULTS = { format: "trl-preference-chat", consensus: "majority", ties: "drop", min_agreement: "0", source: "judgments", exclude_flags: "", include_gold: "" };

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const url = new URL(request.url);
  const chosen = { ...DEFAULTS, ...Object.fromEntries([...url.searchParams].filter(([, v]) => v !== "")) };
  const options = Object.fromEntries(Object.entries(chosen).filter(([, v]) => v !== ""));
  try {
    const batch = getBatch(params.id!);
    let preview: { rows: unknown[]; total: number } | null = null;
    let error: string | null = null;
    try {
      preview = previewExport(batch.id, options, 3);
    } catch (e) {
      const failure = asServiceError(e);
      if (!failure) throw e;
      error = failure.message;
    }
    return {
      batch: { id: batch.id, name: batch.name, task: batch.task, flags: batch.config.flags },
      chosen,
      query: new URLSearchParams(options as Record<string, string>).toString(),
      preview,
      error,
      formats: EXPORT_FORMATS,
      history: listExports(batch.id),
    };
  } catch (e) {
    throw errorResponse(e);
  }
}

export default function ExportPage() {
  const { batch, chosen, query, preview, error, formats, history } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Export “{batch.name}”</h1>
          <Link to="/admin/batches">All batches</Link>
        </div>
        <Form method="get" className="stacked-form" aria-label="Export options">
          <div className="form-row">
            <label>
              Format
              <select name="format" defaultValue={chosen.format}>
                {formats.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Consensus
              <select name="consensus" defaultValue={chosen.consensus}>
                <option value="majority">majority: one row per item where most reviewers agree</option>
                <option value="unanimous">unanimous: every reviewer agrees</option>
                <option value="all">all: one row per reviewer pair</option>
              </select>
            </label>
            <label>
              Minimum agreement
              <input name="min_agreement" type="number" min={0} max={1} step={0.05} defaultValue={chosen.min_agreement} />
            </label>
            <label>
              Ties
              <select name="ties" defaultValue={chosen.ties}>
                <option value="drop">drop</option>
                <option value="keep">keep (rankings, judgments)</option>
              </select>
            </label>
            <label>
              Source
              <select name="source" defaultValue={chosen.source}>
                <option value="judgments">reviewers' judgments</option>
                <option value="imported">the dataset's own pairs</option>
                <option value="both">both</option>
              </select>
            </label>
          </div>
          <div className="form-row">
            <label>
              Exclude pairs whose chosen response is flagged (comma-separated)
              <input name="exclude_flags" defaultValue={chosen.exclude_flags} placeholder={batch.flags.join(",")} size={50} />
            </label>
            <label className="checkbox">
              <input type="checkbox" name="include_gold" value="1" defaultChecked={chosen.include_gold === "1"} /> Include gold items
            </label>
            <button type="submit">{navigation.state === "loading" ? "Counting…" : "Preview"}</button>
          </div>
        </Form>
      </section>
      <section className="panel" aria-label="Preview">
        {error ? (
          <p className="notice failure" role="alert">
            {error}
          </p>
        ) : preview ? (
          <>
            <div className="panel-title">
              <h2>
                <span data-testid="export-total">{preview.total.toLocaleString("en-US")}</span> rows
              </h2>
              <a className="button primary" href={`/admin/batches/${batch.id}/export/download?${query}`} download>
                Download JSONL
              </a>
            </div>
            {preview.rows.length === 0 ? (
              <p className="muted">No rows match these options.</p>
            ) : (
              <ol className="export-preview">
                {preview.rows.map((row, i) => (
                  <li key={i}>
                    <pre>{JSON.stringify(row, null, 2)}</pre>
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : null}
      </section>
      {history.length > 0 && (
        <section className="panel">
          <h2>Earlier exports</h2>
          <table className="data-table" aria-label="Earlier exports">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Format</th>
                <th scope="col" className="num">Rows</th>
                <th scope="col">sha256</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {history.map((e) => (
                <tr key={e.id}>
                  <td>{new Date(e.createdAt).toISOString().slice(0, 19).replace("T", " ")}</td>
                  <td>{e.format}</td>
                  <td className="num">{e.rows.toLocaleString("en-US")}</td>
                  <td>
                    <code className="small">{e.sha256.slice(0, 16)}…</code>
                  </td>
                  <td>{e.createdBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
