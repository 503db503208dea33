import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { requireRole } from "~/services/auth.server";
import { errorResponse } from "~/services/http.server";
import { getBatch } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";
import { EXPORT_FORMAT_DESCRIPTIONS, EXPORT_FORMATS, listExports, previewExport } from "~/services/exports.server";
import { FILE_FORMAT_DESCRIPTIONS, FILE_FORMAT_MEDIA, FILE_FORMATS, parseFileFormat, type FileFormat } from "~/services/export-files.server";
import adminStyles from "~/styles/admin.css?url";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Export ${data?.batch.name ?? ""} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const DEFAULTS = { format: "trl-preference-chat", file_format: "jsonl", consensus: "majority", ties: "drop", min_agreement: "0", source: "judgments", exclude_flags: "", include_gold: "" };
const PREVIEW_ROWS = 3;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const url = new URL(request.url);
  // Flags come as one checkbox each (exclude_flags=a&exclude_flags=b) or comma-separated from a shared link.
  const excluded = [...new Set(url.searchParams.getAll("exclude_flags").flatMap((v) => v.split(",")).map((f) => f.trim()).filter(Boolean))];
  const single = Object.fromEntries([...url.searchParams].filter(([k, v]) => v !== "" && k !== "exclude_flags"));
  const chosen = { ...DEFAULTS, ...single, exclude_flags: excluded.join(",") };
  const options = Object.fromEntries(Object.entries(chosen).filter(([, v]) => v !== ""));
  try {
    const batch = getBatch(params.id!);
    let preview: { rows: unknown[]; total: number } | null = null;
    let error: string | null = null;
    let fileFormat: FileFormat = "jsonl";
    try {
      fileFormat = parseFileFormat(options);
      preview = previewExport(batch.id, options, PREVIEW_ROWS);
    } catch (e) {
      const failure = asServiceError(e);
      if (!failure) throw e;
      error = failure.message;
    }
    return {
      batch: { id: batch.id, name: batch.name, task: batch.task, flags: [...new Set([...batch.config.flags, ...excluded])] },
      chosen,
      excluded,
      query: new URLSearchParams(options as Record<string, string>).toString(),
      preview,
      error,
      formats: EXPORT_FORMATS.map((id) => ({ id, description: EXPORT_FORMAT_DESCRIPTIONS[id] })),
      fileFormats: FILE_FORMATS.map((id) => ({ id, label: FILE_FORMAT_MEDIA[id].label, description: FILE_FORMAT_DESCRIPTIONS[id] })),
      fileLabel: FILE_FORMAT_MEDIA[fileFormat].label,
      history: listExports(batch.id),
    };
  } catch (e) {
    throw errorResponse(e);
  }
}

/** "first 3 of 2,312 rows", or all of them when there are no more than the preview shows. */
function previewCaption(shown: number, total: number): string {
  const rows = (n: number) => `${formatFigure(n, "count")} ${n === 1 ? "row" : "rows"}`;
  if (total === 0) return "no rows";
  return total <= shown ? `all ${rows(total)}` : `first ${formatFigure(shown, "count")} of ${rows(total)}`;
}

export default function ExportPage() {
  const { batch, chosen, excluded, query, preview, error, formats, fileFormats, fileLabel, history } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Export “{batch.name}”</h1>
          <Link to="/admin/batches">All batches</Link>
        </div>
        <Form method="get" className="stacked-form" aria-label="Export options">
          <fieldset className="format-choice">
            <legend>Format</legend>
            {formats.map((f) => (
              <label key={f.id} className="format-option">
                <input type="radio" name="format" value={f.id} defaultChecked={chosen.format === f.id} />
                <span>
                  <code>{f.id}</code>
                  <span className="format-description">{f.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="form-row">
            <label>
              File format
              <select name="file_format" defaultValue={chosen.file_format}>
                {fileFormats.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.label}: {f.description}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="form-row">
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
          <fieldset>
            <legend>Leave out pairs whose chosen response a reviewer flagged as</legend>
            {batch.flags.length === 0 ? (
              <p className="muted small">This batch has no flags.</p>
            ) : (
              <div className="checkbox-grid">
                {batch.flags.map((flag) => (
                  <label key={flag} className="checkbox">
                    <input type="checkbox" name="exclude_flags" value={flag} defaultChecked={excluded.includes(flag)} /> {flag}
                  </label>
                ))}
              </div>
            )}
          </fieldset>
          <div className="form-row">
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
                Preview: <span data-testid="export-preview-caption">{previewCaption(preview.rows.length, preview.total)}</span>
              </h2>
              <a className="button primary" href={`/admin/batches/${batch.id}/export/download?${query}`} download>
                Download {fileLabel}
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
          <div className="table-scroll"><table className="data-table" aria-label="Earlier exports">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Format</th>
                <th scope="col">File</th>
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
                  <td>{typeof e.options.file_format === "string" ? e.options.file_format : "jsonl"}</td>
                  <td className="num">{formatFigure(e.rows, "count")}</td>
                  <td>
                    <code className="small">{e.sha256.slice(0, 16)}…</code>
                  </td>
                  <td>{e.createdBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        </section>
      )}
    </>
  );
}
